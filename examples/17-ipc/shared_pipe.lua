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

# 输出十次 Another one bites the dust。

# 如今涉及到两个进程，在考虑 EOF 时就需要再多考虑一层。
# 因为文件描述符会被复制，所以现在就出现了 4 个文件描述符。
# 其中只有两个会被用于通信，其他两个必须关闭。
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
