--[[ruby
# reader 只能读取；writer 只能写入
reader, writer = IO.pipe
--]]
local IO = require "brood.io"

-- the reader only reads; the writer only writes
local reader, writer = IO.pipe()
local ok, err = pcall(reader.write, reader, "x")
if not ok then print(err) end
reader:close() writer:close()  -- (brood: explicit, where Ruby waits for GC)
