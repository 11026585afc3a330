-- IO.select: one process waits on several children at once and reads
-- from whichever has something to say.
local IO = require "brood.io"
local Process = require "brood.process"

local readers = {}
for i = 1, 3 do
  local reader, writer = IO.pipe()
  Process.fork(function()
    reader:close()
    Process.sleep(0.1 * (4 - i))  -- the last one speaks first
    writer:puts("child " .. i .. " reporting")
  end)
  writer:close()
  readers[#readers + 1] = reader
end

while #readers > 0 do
  local ready = IO.select(readers, nil, nil, 5)
  for _, r in ipairs(ready) do
    local line = r:gets()
    if line then io.write(line) end
    if r:eof() then  -- its writer is gone: stop watching it
      r:close()
      for i, x in ipairs(readers) do if x == r then table.remove(readers, i) end end
    end
  end
end
Process.waitall()
