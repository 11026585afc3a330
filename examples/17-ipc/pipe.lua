--[[ruby
# 创建一个管道
reader, writer = IO.pipe #=> [#<IO:fd 5>, #<IO:fd 6>]
p [reader, writer]
reader.close
writer.close

reader, writer = IO.pipe
writer.write("Into the pipe I go...")
writer.close
puts reader.read #=> Into the pipe I go..
--]]
local IO = require "brood.io"

-- make a pipe
local reader, writer = IO.pipe()  --> #<IO:fd 3>  #<IO:fd 4>
print(reader, writer)
reader:close()
writer:close()

reader, writer = IO.pipe()
writer:write("Into the pipe I go...")
writer:close()
print(reader:read("a"))  --> Into the pipe I go...
