-- A brood Supervisor's restart: its child (`sleep 1000`) is killed, and
-- the time until the supervisor has started the replacement (its log's
-- "started") is taken, N times (no backoff). Prints the median seconds.
local Supervisor = require "brood.supervisor"
local Process = require "brood.process"
local Task = require "brood.task"

local n = tonumber(arg[1]) or 200
local started = Task.queue()
local sup = Supervisor.new{
  intensity = n + 1, period = 1e9, backoff = {initial = 0, max = 0},
  log = function(line) if line:find(" started ") then started:push(true) end end,
  children = {{name = "sleeper", command = {"sleep", "1000"}}},
}
local times = {}
Task.run(function()
  local runner = Task.spawn(sup.run, sup)
  started:pop()
  for i = 1, n do
    local pid = sup:status()[1].pid
    local t0 = Process.clock_gettime("MONOTONIC")
    Process.kill("KILL", pid)
    started:pop()
    times[i] = Process.clock_gettime("MONOTONIC") - t0
  end
  sup:stop()
  runner:wait()
end)
table.sort(times)
print(("result %.9f"):format(times[n // 2 + 1]))
