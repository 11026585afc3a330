--[[ruby
# 创建5个子进程。
5.times do
  fork do
    # 每个子进程生成一个随机数。如果是偶数，就以退出码 111 退出，否则以
    # 退出码 112 退出。
    if rand(5).even?
      exit 111
    else
      exit 112
    end
  end
end

5.times do
  # 等待子进程逐个退出。
  pid, status = Process.wait2

  # 如果子进程的退出码是111，那么我们就知道它生成的是偶数。
  if status.exitstatus == 111
    puts "#{pid} encountered an even number!"
  else
    puts "#{pid} encountered an odd number!"
  end
end

# 进程间的通信既不需要文件系统，也不需要网络!
--]]
local Process = require "brood.process"

-- five children
for _ = 1, 5 do
  Process.fork(function()
    -- each draws a random number: exit 111 if it is even, 112 if odd
    if math.random(0, 4) % 2 == 0 then
      Process.exit(111)
    else
      Process.exit(112)
    end
  end)
end

for _ = 1, 5 do
  -- wait for the children one by one
  local pid, status = Process.wait2()

  -- exit status 111 means the child drew an even number
  if status.exitstatus == 111 then
    print(pid .. " encountered an even number!")
  else
    print(pid .. " encountered an odd number!")
  end
end
