--[[text
UNIX Domain Socket也提供面向流和面向数据包两种API接口，类似于TCP和UDP，但是面向消息的UNIX Domain Socket也是可靠的，消息既不会丢失也不会顺序错乱。
--]]
-- The datagram flavour, on a socketpair (socketpair(AF_UNIX, SOCK_DGRAM, 0)): each send is one
-- message and each recv returns one whole message, with no delimiters. The child sends them all
-- before the parent reads any; none is lost, merged or reordered.
local Process = require "brood.process"
local Socket = require "brood.socket"

local parent_socket, child_socket = Socket.pair("UNIX", "DGRAM", 0)
local messages = {"short", "a longer message, with spaces", "", ("x"):rep(1000)}

local pid = Process.fork(function()
  parent_socket:close()
  for _, m in ipairs(messages) do child_socket:send(m) end
  child_socket:close()
end)
child_socket:close()
Process.wait(pid)  -- every message is queued in the socket by now

for i = 1, #messages do
  local m = parent_socket:recv(2000)
  print(("message %d: %d bytes, intact: %s"):format(i, #m, tostring(m == messages[i])))
end
print("nothing more: " .. tostring(parent_socket:recv(2000, Socket.MSG_DONTWAIT)))
parent_socket:close()
