-- A 64-byte message bounced over a UNIX DGRAM socketpair. usage: N
local Socket = require "brood.socket"
local Process = require "brood.process"
local n = tonumber(arg[1] or 100000)
local a, b = Socket.pair("UNIX", "DGRAM")
local child = Process.fork(function()
  a:close()
  while true do b:send(b:recv(64)) end
end)
b:close()
local msg = string.rep("m", 64)
local t0 = Process.clock_gettime("MONOTONIC")
for _ = 1, n do
  a:send(msg)
  a:recv(64)
end
print("result", n / (Process.clock_gettime("MONOTONIC") - t0))
Process.kill("KILL", child)
Process.wait(child)
