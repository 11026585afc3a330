-- A master and its workers, stopped the way service managers do: each
-- worker dies with its master (pdeathsig), starts without the master's
-- traps, and is stopped with TERM, then KILL if it does not go in time.
local Process = require "brood.process"
local Signal = require "brood.signal"
local IO = require "brood.io"

Signal.trap("TERM", function() print("master's TERM handler: never runs in a worker") end)
local ready_r, ready_w = IO.pipe()

local function worker(n, stubborn)
  return Process.fork(function()
    if stubborn then Signal.trap("TERM", "IGNORE") end
    ready_w:puts(("worker %d ready"):format(n))
    Process.sleep(60)
  end, {pdeathsig = "KILL", traps = "default"})
end

local polite, stubborn = worker(1, false), worker(2, true)
ready_w:close()
print(ready_r:read("l"))
print(ready_r:read("l"))

local st = Process.terminate(polite, 2)  -- TERM; it goes at once
print("worker 1: " .. Signal.signame(st.termsig))
local t0 = Process.clock_gettime("MONOTONIC")
st = Process.terminate(stubborn, 0.5)    -- TERM is ignored: KILL after 0.5 s
print(("worker 2: %s after %.1f s"):format(Signal.signame(st.termsig),
                                           Process.clock_gettime("MONOTONIC") - t0))
