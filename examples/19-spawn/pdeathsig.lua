-- A worker that must not outlive its master: spawn's pdeathsig option
-- (Linux's PR_SET_PDEATHSIG) has the kernel send the worker a signal
-- when the process that started it dies -- even of SIGKILL, when no
-- handler of the master's could have cleaned up.
local Process = require "brood.process"
local IO = require "brood.io"

local r, w = IO.pipe()
local master = Process.fork(function()
  r:close()
  Process.spawn("sh", "-c", [[
    trap 'echo "worker: TERM, my master is gone"; exit' TERM
    echo "worker: working"
    while :; do sleep 0.1; done]], {out = w, pdeathsig = "TERM"})
  w:close()
  Process.sleep()  -- the master's own work
end)
w:close()

print(r:read("l"))
Process.kill("KILL", master)
Process.wait(master)
print("master killed")
print(r:read("l"))
r:close()
