--[[ruby
# 创建一个管道
reader, writer = IO.pipe #=> [#<IO:fd 5>, #<IO:fd 6>]

# Ruby 神奇的 IO 类是 File、TCPSocket、UDPSocket 等的超类。
# 所有这些资源都有一些通用的接口（#write, #read, #close）。
# 从 IO.pipe 返回的 IO 对象可以看作是类似于匿名文件的东西。
# 基本上你可以将其视为 File 来对待。

reader, writer = IO.pipe
writer.write("Into the pipe I go...")
writer.close
puts reader.read #=> Into the pipe I go..

# 当 reader 调用 IO#read 时，它会不停地试图从管道中读取数据，
# 直到读到一个 EOF(文件结束标志2)。这个标志告诉 reader 已经没有数据可读了。

# 只要 writer 仍旧保持打开，那么 reader 就可能读取到更多的数据，因此它就会一直等待。
# 在读取之前关闭 writer，将一个 EOF 放入管道中，这样一来，reader 获得原始数据之后就会停止读取。
# 要是你跳过关闭 writer 这一步，那么 reader 就会被阻塞并不停地试图继续读取数据。
--]]
local IO = require "brood.io"

-- make a pipe
local reader, writer = IO.pipe()  --> #<IO:fd 3>  #<IO:fd 4>
reader:close() writer:close()     -- (brood: closed now; Ruby leaves it to the GC)

reader, writer = IO.pipe()
writer:write("Into the pipe I go...")
writer:close()
print(reader:read("a"))  --> Into the pipe I go...
