--[[ruby
trap(:INT) { print "其他进程不能通过 INT 信号使该进程退出。但 2.5.0 版 Ruby 是可以退出的" }
--]]
local Signal = require "brood.signal"
local Process = require "brood.process"

-- "other processes cannot end this one with INT (Ruby 2.5.0 could)"
Signal.trap("INT", function() io.write("其他进程不能通过 INT 信号使该进程退出。但 2.5.0 版 Ruby 是可以退出的") end)
Process.kill("INT", Process.pid())  -- (brood: plays the other process)
print()
