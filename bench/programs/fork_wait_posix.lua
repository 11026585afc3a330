-- luaposix: fork + wait round trips; the child exits at once. usage: N [MB]
local unistd = require "posix.unistd"
local wait = require "posix.sys.wait"
local time = require "posix.time"
local n, mb = tonumber(arg[1] or 1000), tonumber(arg[2] or 0)
local big = {}  -- luacheck: ignore 241 (kept alive, never read)
for m = 1, mb do
  local t = {}
  for i = 1, 65536 do t[i] = i end
  big[m] = t
end
local function now()
  local t = time.clock_gettime(time.CLOCK_MONOTONIC)
  return t.tv_sec + t.tv_nsec * 1e-9
end
local t0 = now()
for _ = 1, n do
  local pid = unistd.fork()
  if pid == 0 then unistd._exit(0) end
  wait.wait(pid)
end
local rss = io.open("/proc/self/status"):read("a"):match("VmRSS:%s*(%d+)")
print("result", (now() - t0) / n, "rss_kb", rss)
