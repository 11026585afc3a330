--[[ruby
p Process.getrlimit(:NOFILE)
Process.setrlimit(:NOFILE, 4096)
p Process.getrlimit(:NOFILE)
--]]
local Process = require "brood.process"

print(Process.getrlimit("NOFILE"))
Process.setrlimit("NOFILE", 4096)  -- soft and hard (raising past the hard limit needs root)
print(Process.getrlimit("NOFILE"))
