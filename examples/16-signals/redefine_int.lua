--[[ruby
trap(:INT) { print "其他进程不能通过 INT 信号使该进程退出。" }
Process.kill(:INT, Process.pid)
puts
--]]
local Signal = require "brood.signal"
local Process = require "brood.process"

-- "other processes can no longer end this one with INT"
Signal.trap("INT", function() io.write("其他进程不能通过 INT 信号使该进程退出。") end)
Process.kill("INT", Process.pid())  -- (brood: plays the other process)
print()
