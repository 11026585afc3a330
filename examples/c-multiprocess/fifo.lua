--[[text
管道通信分为匿名管道和命名管道，匿名管道只能用于具有亲缘关系的进程间通信，命名管道（FIFO文件)，它是一种特殊类型的文件，它在文件系统中以文件名的形式存在，对其操作和文件操作类似。
--]]
-- A named pipe (mkfifo) lives in the file system, so any process that knows the name can use
-- it. Here a separate program (a shell, which shares no descriptor with us) opens it by name
-- and writes; we open it by name and read, as with a file. The FIFO is removed at the end.
local Process = require "brood.process"
local IO = require "brood.io"

local path = "/tmp/brood-fifo-" .. Process.pid()
IO.mkfifo(path, "600")
print("file type: " .. Process.capture("stat", "-c", "%F", path):gsub("\n", ""))

local writer = Process.spawn("/bin/sh", "-c",
  'for i in 1 2 3; do echo "line $i from pid $$"; done > "$0"', path)
local fifo = IO.open(path, "r")  -- blocks until the writer has opened its end
for line in fifo:lines() do
  print("read: " .. line)
end
fifo:close()
local _, status = Process.wait2(writer)
print("writer: " .. tostring(status))
os.remove(path)
print("removed: " .. tostring(io.open(path) == nil))
