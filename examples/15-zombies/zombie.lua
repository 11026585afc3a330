--[[ruby
# 创建一个子进程，1 秒钟之后退出。
pid = fork { sleep 1 }

# 打印出该子进程的pid。
puts pid

# 让父进程长眠，以便于我们检查子进程的进程状态信息。
sleep
--]]
-- Look at the zombie from another terminal while this sleeps:
--   ps -ho pid,state -p <pid printed>      (state Z is a zombie)
-- The book's parent sleeps forever; this one sleeps ZOMBIE_SECONDS (default 3).
local Process = require "brood.process"

-- a child that exits after 1 second
local pid = Process.fork(function() Process.sleep(1) end)

-- print its pid
print(pid)

-- the parent sleeps, so the child's state can be inspected
Process.sleep(tonumber(os.getenv("ZOMBIE_SECONDS") or 3))
