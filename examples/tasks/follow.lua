-- Follows the output of several programs at once, each line prefixed by
-- the program's name, as a Procfile runner (foreman, honcho) shows it.
local Task = require "brood.task"
local IO = require "brood.io"

local procs = {
  web = "for i in 1 2 3; do echo request $i; sleep 0.05; done",
  worker = "sleep 0.02; for i in 1 2; do echo job $i; sleep 0.07; done; echo oops >&2",
}

Task.run(function()
  local out = Task.queue()              -- one writer: lines never interleave
  local printer = Task.spawn(function()
    for line in function() return out:pop() end do IO.stdout:puts(line) end
  end)
  local followers = {}
  for name, cmd in pairs(procs) do
    followers[#followers + 1] = Task.spawn(function()
      local p <close> = IO.popen({"sh", "-c", cmd}, "r", {err = {"child", 1}})
      for line in p:lines() do out:push(("%-7s| %s"):format(name, line)) end
    end)
  end
  Task.all(followers)
  out:close()
  printer:wait()
end)
