-- N children exit at once; a CHLD handler reaps them in a WNOHANG loop.
-- Prints seconds from the kill to the last reap. usage: N
local Process = require "brood.process"
local Signal = require "brood.signal"
local n = tonumber(arg[1] or 500)
local reaped = 0
Signal.trap("CHLD", function()
  while true do
    local ok, pid = pcall(Process.wait, -1, Process.WNOHANG)
    if not ok or not pid then break end
    reaped = reaped + 1
  end
end)
local first
for _ = 1, n do
  local pid = Process.fork(function() Process.setpgid(0, first or 0) Process.sleep() end)
  first = first or pid
  Process.setpgid(pid, first)
end
local t0 = Process.clock_gettime("MONOTONIC")
Process.kill("TERM", -first)
while reaped < n do Signal.pause() end
print("result", Process.clock_gettime("MONOTONIC") - t0)
