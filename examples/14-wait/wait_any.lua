--[[ruby
#创建 3 个子进程。
3.times do
  fork do
    # 每个子进程随机休眠一段时间(不超过 5 秒)
    sleep rand(5)
  end
end

# 等待每个子进程退出并打印其返回的pid。
3.times do
  puts Process.wait
end
--]]
local Process = require "brood.process"

-- three children
for _ = 1, 3 do
  Process.fork(function()
    -- each sleeps a random time, under 5 seconds
    Process.sleep(math.random(0, 4))
  end)
end

-- wait for each and print the pid it returns
for _ = 1, 3 do
  print(Process.wait())
end
