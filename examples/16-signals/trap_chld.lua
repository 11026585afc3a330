--[[ruby
child_processes = 3
dead_processes = 0
# 衍生出3个子进程
child_processes.times do
  fork do
    # 各自休眠3秒钟
    sleep 3
  end
end

# 父进程忙于执行一些密集的数学运算，但是仍想知道子进程何时退出。

# 通过捕获 :CHLD 信号，内核会提醒父进程它的子进程何时退出。
trap(:CHLD) do
  # 由于 Process.wait 将它获得的数据都加入了队列，因此可以在此进行查询，
  # 因为我们知道其中一个子进程已经退出了。

  puts Process.wait
  dead_processes += 1
  # 一旦所有的子进程统计完毕，就直接退出。
  exit if dead_processes == child_processes
end

# 父进程需要执行的密集数学运算。
loop do
  (Math.sqrt(rand(44)) ** 8).floor
  sleep 1
end
--]]
-- The book's point: CHLDs that arrive while one is pending merge into one,
-- so this version can miss a child when several exit at the same moment
-- (Ruby's original then hangs too). Here the children exit 0.2 s apart,
-- so the run is reliable; trap_chld_loop.lua is the real fix.
local Process = require "brood.process"
local Signal = require "brood.signal"

local child_processes = 3
local dead_processes = 0
-- three children
for i = 1, child_processes do
  Process.fork(function()
    -- each sleeps 3 seconds (brood: and 0.2 s more than the one before)
    Process.sleep(3 + 0.2 * i)
  end)
end

-- the parent is busy computing, but wants to know when children exit

-- trapping CHLD: the kernel tells the parent when a child exits
Signal.trap("CHLD", function()
  -- Process.wait queues what it reports, so we can ask here,
  -- knowing that one child has exited.

  print(Process.wait())
  dead_processes = dead_processes + 1
  -- exit once every child is counted
  if dead_processes == child_processes then Process.exit() end
end)

-- the parent's heavy computing
while true do
  local _ = math.floor(math.sqrt(math.random(0, 43)) ^ 8)
  Process.sleep(1)
end
