--[[ruby
puts Process.pid
--]]
local Process = require "brood.process"

print(Process.pid())
