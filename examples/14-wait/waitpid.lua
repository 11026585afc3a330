--[[ruby
favourite = fork do
  exit 77
end

middle_child = fork do
  abort "I want to be waited on!"
end

pid, status = Process.waitpid2 favourite
puts status.exitstatus
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
