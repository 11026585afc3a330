-- Run by examples/embed/eventloop: set up traps and return; the host's
-- own event loop runs the handlers when the signals come.
local Process = require "brood.process"
local Signal = require "brood.signal"

local child
Signal.trap("USR1", function()
  print("script: USR1 handled in the host event loop")
  Process.wait(child)
  done = true  -- luacheck: ignore 111 (the host reads this global)
end)

child = Process.fork(function()
  Process.sleep(0.1)
  Process.kill("USR1", Process.ppid())
end)
print("script: set up, back to the host")
