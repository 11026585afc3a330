--[[ruby
# 衍生出 3 个子进程。
child_processes = 3
dead_processes = 0

child_processes.times do
  fork do
    # 各自休眠3秒钟。
    sleep 3
  end
end

# 设置 $stdout 的 sync, 使得在 CHLD 信号处理程序中不会对 #puts 调用进行缓冲。
# 如果信号处理程序在调用 #puts 之后被中断，则会引发一个 ThreadError。
# 如果你的信号处理程序需要执行 IO 操作，那么这不失为一个好方法。
$stdout.sync = true

# 父进程忙于执行一些密集的数学运算，但是仍想知道子进程何时退出。

# 通过捕获:CHLD 信号，内核会提醒父进程它的子进程何时退出。
trap(:CHLD) do
  # 由于 Process.wait 将它获得的数据都加入了队列，因此可以在此进行查询
  # 因为我们知道其中一个子进程已经退出了。

  # 我们需要执行一个非阻塞的 Process.wait 以确保统计每一个结束的子进程。
  begin
    while pid = Process.wait(-1, Process::WHOHANG)
      puts pid
      dead_processes += 1
      # 一旦所有的子进程统计完毕就退出。
      exit if dead_processes == child_processes
    end
  rescue Errno::ECHILD
  end
end


# 父进程需要执行的密集数学运算。
loop do
  (Math.sqrt(rand(44)) ** 8).floor
  sleep 1
end
--]]
local Process = require "brood.process"
local Signal = require "brood.signal"

-- three children
local child_processes = 3
local dead_processes = 0

for _ = 1, child_processes do
  Process.fork(function()
    -- each sleeps 3 seconds
    Process.sleep(3)
  end)
end

-- unbuffered stdout, so that prints from the CHLD handler come out at once
io.stdout:setvbuf("no")

-- the parent is busy computing, but wants to know when children exit

-- trapping CHLD: the kernel tells the parent when a child exits
Signal.trap("CHLD", function()
  -- a non-blocking wait in a loop counts every child that has exited
  local ok, err = pcall(function()
    while true do
      local pid = Process.wait(-1, Process.WNOHANG)
      if not pid then break end
      print(pid)
      dead_processes = dead_processes + 1
      -- exit once every child is counted
      if dead_processes == child_processes then Process.exit() end
    end
  end)
  if not ok and err.errno ~= "ECHILD" then error(err, 0) end  -- rescue Errno::ECHILD
end)

-- the parent's heavy computing
while true do
  local _ = math.floor(math.sqrt(math.random(0, 43)) ^ 8)
  Process.sleep(1)
end
