-- A parallel job runner, like `xargs -P 2`: at most K jobs at a time, each
-- with a time limit that kills the job's whole process group, its output
-- captured, and a summary table at the end.
--   brood jobs.lua [K] [seconds]
local Task = require "brood.task"
local Process = require "brood.process"

local K, LIMIT = tonumber(arg[1]) or 2, tonumber(arg[2]) or 1
local jobs = {
  "echo compiling; sleep 0.2; echo done",
  "echo testing; exit 3",
  "sleep 5",                              -- too slow: killed at the limit
  "echo linting >&2; echo clean",
}

local function now() return Process.clock_gettime("MONOTONIC") end

local results = Task.run(function()
  local slots = Task.semaphore(K)
  local tasks = {}
  for i, cmd in ipairs(jobs) do
    tasks[i] = Task.spawn(slots.with, slots, function()
      local t0 = now()
      -- pgroup: the job leads a group, so the timeout's TERM/KILL reach
      -- everything it started; err = {"child", 1}: 2>&1 into the capture
      local ok, out, status = pcall(Process.capture, "sh", "-c", cmd,
        {pgroup = true, err = {"child", 1}, timeout = LIMIT})
      if not ok then return {cmd = cmd, verdict = "timed out", secs = now() - t0, out = ""} end
      return {cmd = cmd, secs = now() - t0, out = out,
              verdict = status.success and "ok" or "exit " .. tostring(status.exitstatus)}
    end)
  end
  local r = {}
  for i, t in ipairs(tasks) do r[i] = t:wait() end
  return r
end)

local function row(...) print((("%-40s %-10s %s"):format(...):gsub("%s+$", ""))) end
row("job", "result", "output")
for _, r in ipairs(results) do row(r.cmd, r.verdict, (r.out:gsub("\n$", ""):gsub("\n", " "))) end
