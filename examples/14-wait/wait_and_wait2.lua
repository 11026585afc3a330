--[[ruby
Process.wait  #=> pid                 只返回进程标示符
Process.wait2 #=> [pid, status]       返回子进程的标示符和退出状态玛

# 从 Process.wait2 返回的 status 是 Process::Status 的一个实例。
# 它包含大量有用的信息，可让我们获知某个进程是如何退出的。
--]]
local Process = require "brood.process"

Process.fork(function() Process.exit(3) end)
print(Process.wait())   --> pid: only the process id
Process.fork(function() Process.exit(3) end)
print(Process.wait2())  --> pid, status: the process id and how it ended
