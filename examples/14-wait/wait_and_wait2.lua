--[[ruby
fork { exit 3 }
p Process.wait   #=> pid                 只返回进程标示符
fork { exit 3 }
p Process.wait2  #=> [pid, status]       返回子进程的标示符和退出状态玛
--]]
local Process = require "brood.process"

Process.fork(function() Process.exit(3) end)
print(Process.wait())   --> pid: only the process id
Process.fork(function() Process.exit(3) end)
print(Process.wait2())  --> pid, status: the process id and how it ended
