--[[ruby
if fork
  puts "entered the if block"
else
  puts "entered the else block"
end
--]]
local Process = require "brood.process"

if Process.fork() then
  print("entered the if block")
else
  print("entered the else block")
end
