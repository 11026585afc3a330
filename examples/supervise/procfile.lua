-- A Procfile runner, as foreman: each line "name: command" of the
-- Procfile (the first argument) is a child; their output comes out with
-- their names in front. Children that end are not restarted here
-- (restart = "temporary"); the runner ends when all of them have.
-- Ctrl-C (INT) or TERM stops them all, last first.
-- Try: brood procfile.lua Procfile
local Supervisor = require "brood.supervisor"

local children = {}
for line in io.lines(arg[1] or "Procfile") do
  local name, command = line:match("^([%w_-]+):%s*(.+)$")
  if name then
    children[#children + 1] = {name = name, command = {"sh", "-c", command},
                               restart = "temporary"}
  end
end

local sup = Supervisor.new{children = children, output = "prefixed", log = function() end}
os.exit(sup:run())
