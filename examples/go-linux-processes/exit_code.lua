--[[go
package main
func main() {
   panic("Call panic()")
}
--]]
-- An unrecovered panic ends a Go program with exit status 2. Lua has no
-- panic, so this one prints Go's first line on stderr and exits with 2.
local Process = require "brood.process"

local function panic(value)
  io.stderr:write("panic: " .. tostring(value) .. "\n")
  Process.exit(2)
end

panic("Call panic()")
