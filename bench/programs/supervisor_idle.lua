-- A supervisor with one child (sleep), idle: prints "ready" once the
-- child runs, then supervises until killed. For the idle-memory bench.
local Supervisor = require "brood.supervisor"
local sup = Supervisor.new{log = function(line)
  if line:find("started") then io.stdout:write("ready\n") io.stdout:flush() end
end, children = {{name = "sleeper", command = {"sleep", "1000"}}}}
sup:run()
