-- Captures many commands at once under one deadline for them all: what
-- has not finished when the time is up is killed (and reaped).
local Task = require "brood.task"
local Process = require "brood.process"

local commands = {
  {"uname", "-s"},
  {"sh", "-c", "echo $((6 * 7))"},
  {"sh", "-c", "sleep 0.1; echo slow but in time"},
  {"sleep", "10"},                       -- will not make it
}

Task.run(function()
  local tasks = {}
  for i, cmd in ipairs(commands) do
    tasks[i] = Task.spawn(function() return (Process.capture(table.unpack(cmd))) end)
  end
  -- the whole batch gets one second
  local ok = pcall(Task.timeout, 1, Task.all, tasks)
  for i, t in ipairs(tasks) do
    if t:status() ~= "done" then t:cancel() end
    local done, out = pcall(t.wait, t)
    print(table.concat(commands[i], " "), "=>", done and out:gsub("\n$", "") or "cut off")
  end
  print(ok and "all in time" or "deadline passed")
end)
