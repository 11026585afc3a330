--[[ruby
fork do
  # 此处的代码仅在子进程中执行
end

  # 此处的代码仅在父进程中执行
--]]
local Process = require "brood.process"

Process.fork(function()
  -- only the child runs this
  print("in the child")
end)

-- only the parent runs this
print("in the parent")
