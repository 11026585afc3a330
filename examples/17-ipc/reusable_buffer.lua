-- Bulk data without a string per read: the child reads the pipe into one
-- IO.buffer, over and over (Ruby: reader.readpartial(65536, buf)), and
-- the parent writes a buffer too. Each read replaces the contents.
local IO = require "brood.io"
local Process = require "brood.process"

local reader, writer = IO.pipe()
local child = Process.fork(function()
  writer:close()
  local buf, total = IO.buffer(65536), 0
  while reader:readpartial(65536, buf) do total = total + #buf end
  print(("child: %d bytes, read into one buffer of %d bytes"):format(total, buf:capacity()))
end)
reader:close()
local block = IO.buffer(("x"):rep(65535) .. "\n")
for _ = 1, 160 do writer:write(block) end   -- 10 MiB, no string per write either
writer:close()
Process.wait(child)
