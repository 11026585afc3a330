-- Pipe throughput: MB megabytes parent -> child in 64 KiB chunks; with
-- "task" as the second argument, the parent's side runs in a task; with
-- "buffer", the child reads into one reusable IO.buffer (no string per
-- read) and the parent writes one.
local IO = require "brood.io"
local Process = require "brood.process"
local mb = tonumber(arg[1] or 1024)
local chunk = string.rep("x", 65536)

local function main()
local reader, writer = IO.pipe()
local t0 = Process.clock_gettime("MONOTONIC")
local child = Process.fork(function()
  writer:close()
  local total = 0
  if arg[2] == "buffer" then
    local buf = IO.buffer(65536)
    while reader:read(65536, buf) do total = total + #buf end
  else
    while true do
      local s = reader:read(65536)
      if not s then break end
      total = total + #s
    end
  end
  Process._exit(total == mb * 1048576 and 0 or 1)
end)
reader:close()
local data = arg[2] == "buffer" and IO.buffer(chunk) or chunk
for _ = 1, mb * 16 do writer:write(data) end
writer:close()
Process.wait(child)
print("result", mb * 1048576 / (Process.clock_gettime("MONOTONIC") - t0))
end

if arg[2] == "task" then require("brood.task").run(main) else main() end
