--[[go
import os/signal
siganl.Notify()
signal.Stop()
--]]
-- The document names Go's signal API and suggests "a simple program that sends
-- and handles signals". Notify becomes a trap whose handler queues the signal;
-- Stop puts the default action back. A child handles its first SIGINT; after
-- Stop the second SIGINT kills it, as the parent's wait shows.
local Process = require "brood.process"
local Signal = require "brood.signal"
local IO = require "brood.io"

local r, w = IO.pipe()
local pid = Process.fork(function()
  r:close()
  local c = {}  -- the channel
  local function Notify(name) Signal.trap(name, function(signo) c[#c + 1] = signo end) end
  local function Stop(name) Signal.trap(name, "DEFAULT") end

  Notify("INT")
  print("child " .. Process.pid() .. ": waiting for SIGINT")
  w:write("r")
  if Signal.pause(5) then
    print("child: received SIG" .. Signal.signame(c[1]))
  end
  Stop("INT")
  print("child: stopped the notification")
  w:write("s")
  Process.sleep(5)
  print("child: not reached")
end)
w:close()

r:read(1)
Process.kill("INT", pid)
r:read(1)
Process.kill("INT", pid)
local _, status = Process.wait2(pid)
print("parent: child " .. tostring(status))
