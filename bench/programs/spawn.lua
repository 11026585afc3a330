-- Starting programs: "spawn" runs /bin/true and waits; "capture" returns
-- the output of `echo hi`. usage: spawn|capture N [MB]
local Process = require "brood.process"
local mode, n, mb = arg[1], tonumber(arg[2] or 1000), tonumber(arg[3] or 0)
-- mb tables of exactly 2^16 slots of 16 bytes: 1 MiB each
local big = {}  -- luacheck: ignore 241 (kept alive, never read)
for m = 1, mb do
  local t = {}
  for i = 1, 65536 do t[i] = i end
  big[m] = t
end
local t0 = Process.clock_gettime("MONOTONIC")
if mode == "capture" then
  for _ = 1, n do
    assert(Process.capture("echo", "hi") == "hi\n")
  end
else
  for _ = 1, n do
    Process.wait(Process.spawn("/bin/true"))
  end
end
print("result", (Process.clock_gettime("MONOTONIC") - t0) / n)
