--[[ruby
reader, writer = IO.pipe

fork do
  reader.close

  10.times do
    # 写入数据
    writer.puts "Another one bites the dust"
  end
end

writer.close
while message = reader.gets
  $stdout.puts message
end
--]]
local IO = require "brood.io"
local Process = require "brood.process"

local reader, writer = IO.pipe()

Process.fork(function()
  reader:close()

  for _ = 1, 10 do
    -- write the data
    writer:puts("Another one bites the dust")
  end
end)

writer:close()
for message in reader:lines("L") do  -- (Lua: no assignment in a while condition)
  IO.stdout:puts(message)
end
Process.wait()  -- (brood: leave no zombie)
