-- luaposix: SIGUSR1 ping-pong. luaposix has no race-free way to block
-- until a handled signal (no pause, sigsuspend or wake-up fd), so both
-- sides spin while its hook delivers the handler. usage: N
local signal = require "posix.signal"
local unistd = require "posix.unistd"
local wait = require "posix.sys.wait"
local time = require "posix.time"
local n = tonumber(arg[1] or 10000)
local parent = unistd.getpid()
signal.signal(signal.SIGUSR1, function() signal.kill(parent, signal.SIGUSR1) end)
local child = unistd.fork()
if child == 0 then while true do end end
local got = 0
signal.signal(signal.SIGUSR1, function() got = got + 1 end)
local function now()
  local t = time.clock_gettime(time.CLOCK_MONOTONIC)
  return t.tv_sec + t.tv_nsec * 1e-9
end
local t0 = now()
for i = 1, n do
  signal.kill(child, signal.SIGUSR1)
  while got < i do end
end
print("result", n / (now() - t0))
signal.kill(child, signal.SIGKILL)
wait.wait(child)
