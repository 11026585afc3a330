--[[ruby
fork do
  # 此处的代码仅在子进程中执行
  puts "in the child"
end

# 此处的代码仅在父进程中执行
puts "in the parent"
--]]
local Process = require "brood.process"

Process.fork(function()
  -- only the child runs this
  print("in the child")
end)

-- only the parent runs this
print("in the parent")
