--[[ruby
trap(:INT) { print "其他进程不能通过 INT 信号使该进程退出。" }
Process.kill(:INT, Process.pid)
puts
--]]
local Signal = require "brood.signal"
local Process = require "brood.process"

Signal.trap("INT", function() io.write("Other processes can no longer end this one with INT.") end)
Process.kill("INT", Process.pid())  -- (brood: plays the other process)
print()
