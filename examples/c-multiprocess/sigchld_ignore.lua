--[[c
signal(SIGCHLD, SIG_IGN)
--]]
-- With SIGCHLD ignored, exiting children are reaped at once by the kernel (Linux does not hand
-- them to init, as the text says: they are simply never zombies), so there is nothing to wait
-- for: /proc shows each child gone without a wait, and wait raises ECHILD.
local Process = require "brood.process"
local Signal = require "brood.signal"

local function state(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return nil end
  local stat = f:read("a")  -- nil if the child went between open and read
  f:close()
  return stat and stat:match("%) (%a) ")
end

Signal.trap("CHLD", "IGNORE")

local pids = {}
for i = 1, 3 do
  pids[i] = Process.fork(function() Process.exit(i) end)
end
for i, pid in ipairs(pids) do
  local s, zombie = state(pid), false
  for _ = 1, 200 do  -- bounded: up to 5 s for the child to exit
    if s == nil then break end
    zombie = zombie or s == "Z"
    Process.sleep(0.025)
    s = state(pid)
  end
  print(("child %d: /proc entry gone without a wait: %s, seen as a zombie: %s"):format(i,
    tostring(s == nil), tostring(zombie)))
end

local ok, err = pcall(Process.wait)
print("wait: " .. (ok and "reaped a child" or err.errno))

-- wait still blocks while a child runs, then finds no status to collect
Process.fork(function() Process.sleep(0.3) end)
local t0 = Process.clock_gettime("MONOTONIC")
ok, err = pcall(Process.wait)
print("wait on a running child: " .. (ok and "reaped it" or err.errno) .. ", after it ended: "
  .. tostring(Process.clock_gettime("MONOTONIC") - t0 >= 0.25))
