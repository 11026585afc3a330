--[[ruby
exit if fork
# fork 会返回两次
# 父进程中返回子进程 pid, 父进程退出
# 子进程返回 nil, 故成为孤儿进程继续运行
--]]
local Process = require "brood.process"
local parent = Process.pid()  -- (brood: remembered to show the change)

if Process.fork() then Process.exit() end
-- fork returns twice: the parent gets the child's pid and exits;
-- the child gets nil and goes on, an orphan
while Process.ppid() == parent do Process.sleep(0.1) end
print("orphaned, my parent is now " .. Process.ppid())
