--[[ruby
p Process.getrlimit(:NOFILE)
Process.setrlimit(:NOFILE, 4096)
p Process.getrlimit(:NOFILE)
--]]
local Process = require "brood.process"

print(Process.getrlimit("NOFILE"))
-- lowering is always allowed; raising past the hard limit needs privilege
Process.setrlimit("NOFILE", 256)
print(Process.getrlimit("NOFILE"))
