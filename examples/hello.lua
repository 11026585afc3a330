-- The Quick start's first example: brood is Lua with Unix processes.
local Process = require "brood.process"
local brood = require "brood"

print(("Hello from brood %s (%s), process %d"):format(
  brood.version, brood.lua_version, Process.pid()))
