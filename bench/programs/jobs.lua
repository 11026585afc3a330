-- Job runner: N runs of /bin/true, at most K at a time, each one's
-- output captured -- brood tasks. usage: brood jobs.lua N K
local Task = require "brood.task"
local Process = require "brood.process"
local n, k = tonumber(arg[1]) or 2000, tonumber(arg[2]) or 2

Task.run(function()
  local slots = Task.semaphore(k)
  for _ = 1, n do
    slots:acquire()
    Task.spawn(function()
      Process.capture("/bin/true")
      slots:release()
    end)
  end
end)
