--[[ruby
if fork
  puts "entered the if block"
else
  puts "entered the else block"
end

# => 输出：
  # entered the if block
  # entered the else block
--]]
local Process = require "brood.process"

if Process.fork() then
  print("entered the if block")
else
  print("entered the else block")
end
