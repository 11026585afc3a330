-- A supervisor in a few lines: a steady child and a flaky one. The flaky
-- one is restarted with a backoff that doubles, until it has crashed
-- more often than the supervisor allows; then the supervisor stops the
-- rest and fails, so that whoever runs it (a parent supervisor, systemd)
-- sees the failure.
local Supervisor = require "brood.supervisor"

local sup = Supervisor.new{
  strategy = "one_for_one",
  intensity = 2, period = 10,                 -- a third restart within 10 s: give up
  backoff = {initial = 0.05, max = 1},
  log = print,
  children = {
    {name = "steady", command = {"sleep", "60"}},
    {name = "flaky", fn = function() os.exit(1) end},
  },
}

local ok, err = pcall(sup.run, sup)
print(ok, err)
