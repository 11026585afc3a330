-- Run by examples/embed/host: brood's modules, from inside a C program.
local Process = require "brood.process"
local brood = require "brood"

print(("embedded brood %s, pid %d, args: %s"):format(
  brood.version, Process.pid(), table.concat({...}, " ")))
