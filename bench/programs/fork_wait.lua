-- fork + wait round trips; the child exits at once. usage: N [MB]
local Process = require "brood.process"
local n, mb = tonumber(arg[1] or 1000), tonumber(arg[2] or 0)
-- mb tables of exactly 2^16 slots of 16 bytes: 1 MiB each
local big = {}  -- luacheck: ignore 241 (kept alive, never read)
for m = 1, mb do
  local t = {}
  for i = 1, 65536 do t[i] = i end
  big[m] = t
end
local t0 = Process.clock_gettime("MONOTONIC")
for _ = 1, n do
  local pid = Process.fork()
  if pid == nil then Process._exit(0) end
  Process.wait(pid)
end
local rss = io.open("/proc/self/status"):read("a"):match("VmRSS:%s*(%d+)")
print("result", (Process.clock_gettime("MONOTONIC") - t0) / n, "rss_kb", rss)
