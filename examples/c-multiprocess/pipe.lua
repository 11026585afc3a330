--[[text
管道通信分为匿名管道和命名管道，匿名管道只能用于具有亲缘关系的进程间通信，命名管道（FIFO文件)，它是一种特殊类型的文件，它在文件系统中以文件名的形式存在，对其操作和文件操作类似。
--]]
-- An anonymous pipe has no name: only processes that inherit its ends through fork can use it.
-- The child writes, the parent reads until end of file, which comes once every copy of the
-- write end is closed (so each side closes the end it does not use).
local Process = require "brood.process"
local IO = require "brood.io"

local reader, writer = IO.pipe()
local pid = Process.fork(function()
  reader:close()
  for i = 1, 3 do
    writer:puts("message " .. i .. " from child " .. Process.pid())
  end
  writer:close()
end)
writer:close()

for line in reader:lines() do
  print("parent read: " .. line)
end
print("end of file: the child closed its end")
reader:close()
Process.wait(pid)
