--[[ruby
# 这段代码创建了一对已经相互连接好的 UNIX 套接字。
# 这些套接字并不使用流，而是使用数据报(datagram)通信。
# 在这种方式中，你向其中一个套接字写入整个消息，
# 然后从另一个套接字中读取整个消息，不需要分隔符。

# 下面的例子是：子进程等待父进程告诉它要做什么，并在工作完成后向父进程报告：
require 'socket'

child_socket, parent_socket = Socket.pair(:UNIX, :DGRAM, 0)
maxlen = 1000

fork do
  parent_socket.close

  4.times do
    instruction = child_socket.recv(maxlen)
    child_socket.send("#{instruction} accomplished!", 0)
  end
end
child_socket.close

2.times do
  parent_socket.send("Heavy lifting", 0)
end

2.times do
  parent_socket.send("Feather lifting", 0)
end

4.times do
  $stdout.puts parent_socket.recv(maxlen)
end
--]]
local Socket = require "brood.socket"
local Process, IO = require "brood.process", require "brood.io"

local child_socket, parent_socket = Socket.pair("UNIX", "DGRAM", 0)
local maxlen = 1000

Process.fork(function()
  parent_socket:close()

  for _ = 1, 4 do
    local instruction = child_socket:recv(maxlen)
    child_socket:send(instruction .. " accomplished!", 0)
  end
end)
child_socket:close()

for _ = 1, 2 do
  parent_socket:send("Heavy lifting", 0)
end

for _ = 1, 2 do
  parent_socket:send("Feather lifting", 0)
end

for _ = 1, 4 do
  IO.stdout:puts(parent_socket:recv(maxlen))
end
Process.wait()  -- (brood: leave no zombie)
