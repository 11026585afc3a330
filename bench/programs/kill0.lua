-- The cost of one small system call: Process.kill(0, own pid), N times.
local Process = require "brood.process"
local n = tonumber(arg[1] or 1000000)
local kill, pid = Process.kill, Process.pid()
local t0 = Process.clock_gettime("MONOTONIC")
for _ = 1, n do kill(0, pid) end
print("result", (Process.clock_gettime("MONOTONIC") - t0) / n)
