--[[go
package main
func main() {
  ch := make(chan int)
  <-ch
}</pre>
--]]
-- A receive that nothing will ever satisfy. Go's runtime sees that every
-- goroutine is blocked and aborts with exit status 2; a process blocked on a
-- pipe that no one writes is never detected, so this waits DEADLOCK_SECONDS
-- (default 0.5) before reporting it the way Go does.
local Process = require "brood.process"
local IO = require "brood.io"

local ch_r, ch_w = IO.pipe()  -- (this process holds the only writer and never writes)
local ready = IO.select({ch_r}, nil, nil, tonumber(os.getenv("DEADLOCK_SECONDS") or "0.5"))
if not ready then
  io.stderr:write("fatal error: all goroutines are asleep - deadlock!\n")
  ch_w:close()
  Process.exit(2)
end
