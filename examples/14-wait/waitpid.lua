--[[ruby
# 只等待由 pid 指定的子进程
Process.waitpid
Process.waitpid2

# 例子
favourite = fork do
  exit 77
end

middle_child = fork do
  abort "I want to be waited on!"
end

pid, status = Process.waitpid2 favourite
puts status.exitstatus

# extra
# Process.waitpid 123  <= 等价 => Process.wait 123
# Process.wait2 和 Process.waitpid2 同理
# process.wait(-1) 表示等待任意子进程
--]]
local Process = require "brood.process"

local favourite = Process.fork(function()
  Process.exit(77)
end)

local middle_child = Process.fork(function()
  Process.abort("I want to be waited on!")
end)

local _, status = Process.waitpid2(favourite)
print(status.exitstatus)
Process.waitpid(middle_child)  -- (brood: leave no zombie behind)
