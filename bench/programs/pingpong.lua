-- SIGUSR1 ping-pong between parent and child. usage: N
local Process = require "brood.process"
local Signal = require "brood.signal"
local n = tonumber(arg[1] or 10000)
local parent = Process.pid()
Signal.trap("USR1", function() Process.kill("USR1", parent) end)  -- the child's part
local child = Process.fork(function() while true do Signal.pause() end end)
Signal.trap("USR1", function() end)
local t0 = Process.clock_gettime("MONOTONIC")
for _ = 1, n do
  Process.kill("USR1", child)
  Signal.pause()
end
print("result", n / (Process.clock_gettime("MONOTONIC") - t0))
Process.kill("KILL", child)
Process.wait(child)
