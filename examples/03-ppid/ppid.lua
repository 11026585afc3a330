--[[ruby
puts Process.ppid
--]]
local Process = require "brood.process"

print(Process.ppid())
