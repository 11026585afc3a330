-- Pipe throughput: MB megabytes parent -> child in 64 KiB chunks; with
-- "task" as the second argument, the parent's side runs in a task.
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
  while true do
    local s = reader:read(65536)
    if not s then break end
    total = total + #s
  end
  Process._exit(total == mb * 1048576 and 0 or 1)
end)
reader:close()
for _ = 1, mb * 16 do writer:write(chunk) end
writer:close()
Process.wait(child)
print("result", mb * 1048576 / (Process.clock_gettime("MONOTONIC") - t0))
end

if arg[2] == "task" then require("brood.task").run(main) else main() end
