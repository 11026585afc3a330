--[[ruby
if @child = fork
  srand # Reseeding

  # procline 是 Resque 更新当前进程名的内部方式。
  procline "Forked #{@child} at #{Time.now.to_i}"

  # 告诉父进程一直阻塞直到子进程结束。
  Process.wait(@child)
else
  procline "Processing #{job.queue} since #{Time.now.to_i}"

  # 在这个子进程中，作业由 Resque 来执行。
  perform(job, &block)

  # 然后子进程退出。
  exit! unless @cant_fork
end
--]]
-- A Resque-style worker: the book's block inside a small work loop. Jobs
-- come from an in-memory queue instead of Redis; each job is performed
-- in a forked child that builds a big table (an image being processed),
-- so the parent's memory stays at its baseline however greedy jobs are.
-- Watch the proclines with `ps -o pid,args` while it runs.
local Process = require "brood.process"

local queue = {
  {queue = "images", id = 1, size = 200000},
  {queue = "images", id = 2, size = 400000},
  {queue = "mailer", id = 3, size = 100000},
}

local function rss_kb()
  local f = assert(io.open("/proc/self/status"))
  local kb = f:read("a"):match("VmRSS:%s*(%d+)")
  f:close()
  return tonumber(kb)
end

local function procline(s) Process.setproctitle("resque: " .. s) end

local function perform(job)
  local pixels = {}  -- luacheck: ignore 241 (an image being processed)
  for i = 1, job.size do pixels[i] = {i, i * 2, i * 3} end
  print(("job %d (%s) done by child %d, which grew to %d MB"):format(
    job.id, job.queue, Process.pid(), rss_kb() // 1024))
end

local baseline = rss_kb()
local child
for _, job in ipairs(queue) do
  child = Process.fork()
  if child then
    math.randomseed()  -- srand: reseeding

    -- procline is how Resque updates the process name
    procline("Forked " .. child .. " at " .. os.time())

    -- the parent blocks until the child is done
    Process.wait(child)
  else
    procline("Processing " .. job.queue .. " since " .. os.time())

    -- the job is performed in the child
    perform(job)

    -- and the child exits (exit!: no at_exit handlers, no flushing twice)
    io.stdout:flush()
    Process._exit(0)
  end
end
print(("parent %d: memory grew by %d MB over %d jobs"):format(
  Process.pid(), (rss_kb() - baseline) // 1024, #queue))
