-- luaposix: the cost of one small system call: kill(own pid, 0), N times.
local signal = require "posix.signal"
local unistd = require "posix.unistd"
local time = require "posix.time"
local n = tonumber(arg[1] or 1000000)
local kill, pid = signal.kill, unistd.getpid()
local function now()
  local t = time.clock_gettime(time.CLOCK_MONOTONIC)
  return t.tv_sec + t.tv_nsec * 1e-9
end
local t0 = now()
for _ = 1, n do kill(pid, 0) end
print("result", (now() - t0) / n)
