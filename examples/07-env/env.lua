--[[ruby
ENV['MESSAGE'] = 'wing it'
system "echo $MESSAGE"
puts ENV['MESSAGE']
--]]
local Process = require "brood.process"

Process.env.MESSAGE = "wing it"
os.execute("echo $MESSAGE")  -- the child inherits the environment
print(Process.env.MESSAGE)
