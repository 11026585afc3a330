-- luaposix: a 64-byte message bounced over a UNIX DGRAM socketpair.
local socket = require "posix.sys.socket"
local unistd = require "posix.unistd"
local signal = require "posix.signal"
local wait = require "posix.sys.wait"
local time = require "posix.time"
local n = tonumber(arg[1] or 100000)
local a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM, 0)
local child = unistd.fork()
if child == 0 then
  unistd.close(a)
  while true do socket.send(b, socket.recv(b, 64)) end
end
unistd.close(b)
local msg = string.rep("m", 64)
local function now()
  local t = time.clock_gettime(time.CLOCK_MONOTONIC)
  return t.tv_sec + t.tv_nsec * 1e-9
end
local t0 = now()
for _ = 1, n do
  socket.send(a, msg)
  socket.recv(a, 64)
end
print("result", n / (now() - t0))
signal.kill(child, signal.SIGKILL)
wait.wait(child)
