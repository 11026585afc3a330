-- SIGUSR1 ping-pong, busy-waiting on a flag the handler sets. usage: N
local Process = require "brood.process"
local Signal = require "brood.signal"
local n = tonumber(arg[1] or 10000)
local parent = Process.pid()
Signal.trap("USR1", function() Process.kill("USR1", parent) end)  -- the child's part
local child = Process.fork(function() while true do end end)
local got = 0
Signal.trap("USR1", function() got = got + 1 end)
local t0 = Process.clock_gettime("MONOTONIC")
for i = 1, n do
  Process.kill("USR1", child)
  while got < i do end
end
print("result", n / (Process.clock_gettime("MONOTONIC") - t0))
Process.kill("KILL", child)
Process.wait(child)
