-- IO.copy_stream: a file goes to a child through a pipe, by sendfile,
-- without passing through Lua.
local IO = require "brood.io"
local Process = require "brood.process"

local reader, writer = IO.pipe()
Process.fork(function()
  writer:close()
  local n = 0
  for _ in reader:lines() do n = n + 1 end
  print("the child read " .. n .. " lines")
end)
reader:close()
local bytes = IO.copy_stream("/etc/passwd", writer)
writer:close()
Process.wait()
print("copied " .. bytes .. " bytes")
