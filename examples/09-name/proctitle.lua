--[[ruby
puts $PROGRAM_NAME
$PROGRAM_NAME = "worker: waiting for a job"
puts `ps -o args= -p #{Process.pid}`
--]]
local Process = require "brood.process"

print(arg[0])
Process.setproctitle("worker: waiting for a job")
local ps = io.popen("ps -o args= -p " .. Process.pid())  -- (Ruby's backticks)
io.write(ps:read("a"))
ps:close()
