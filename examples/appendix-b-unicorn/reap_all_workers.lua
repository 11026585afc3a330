--[[ruby
# 收割所有还未被收割的工作进程
def reap_all_workers
  begin
    wpid, status = Process.waitpid2(-1, Process::WNOHANG)
    wpid or return
    if reexec_pid == wpid
      logger.error "reaped #{status.inspect} exec()-ed"
      self.reexec_pid = 0
      self.pid = pid.chomp('.oldbin') if pid
      proc_name 'master'
    else
      worker = WORKERS.delete(wpid) and worker.close rescue nil
      m = "reaped #{status.inspect} worker=#{worker.nr rescue 'unknown'}"
      status.success? ? logger.info(m) : logger.error(m)
    end
  rescue Errno::ECHILD
    # 如果当前进程没有子进程，那么 Process.waitpid2 或是它的任何表亲会产生 Errno::ECHILD 异常。
    # 那就意味着该方法的任务已经完成!
    # 所有的子进程都已经收割完毕，方法顺利返回。
    break
  end while true # 无限循环
end
--]]
-- Unicorn's reaping loop inside a small master: it forks three workers
-- (one exits cleanly, one fails, one is killed) and a stand-in for a
-- re-exec'd new master, then reaps from a CHLD trap until none is left.
-- Ruby's begin ... end while true becomes a while loop; `rescue
-- Errno::ECHILD` a pcall; `break` out of the loop a return.
local Process = require "brood.process"
local Signal = require "brood.signal"

local WORKERS = {}
local reexec_pid = 0
local pidfile = "/tmp/unicorn-example.pid.oldbin"
local logger = {
  info = function(m) print("INFO  " .. m) end,
  error = function(m) print("ERROR " .. m) end,
}
local function proc_name(tag) Process.setproctitle("unicorn " .. tag) end

-- reap every worker not reaped yet
local function reap_all_workers()
  while true do
    local ok, err = pcall(function()
      local wpid, status = Process.waitpid2(-1, Process.WNOHANG)
      if not wpid then return "done" end
      if reexec_pid == wpid then
        logger.error(("reaped %s exec()-ed"):format(tostring(status)))
        reexec_pid = 0
        pidfile = pidfile:gsub("%.oldbin$", "")
        proc_name("master")
      else
        local worker = WORKERS[wpid]
        WORKERS[wpid] = nil
        local m = ("reaped %s worker=%s"):format(tostring(status),
          worker and worker.nr or "unknown")
        if status.success then logger.info(m) else logger.error(m) end
      end
    end)
    if not ok then
      if err.errno == "ECHILD" then return end  -- every child reaped: the job is done
      error(err, 0)
    end
    if err == "done" then return end
  end
end

-- the workers: 0 exits cleanly, 1 fails, 2 waits to be killed
local behaviours = {
  function() Process.exit(0) end,
  function() Process.exit(1) end,
  function() Process.sleep(30) end,
}
for nr, behave in ipairs(behaviours) do
  local pid = Process.fork(behave)
  WORKERS[pid] = {nr = nr - 1}
end
-- a new master, re-exec'd during a binary upgrade, that gives up at once
reexec_pid = Process.spawn("sh", "-c", "exit 0")

-- reap from a CHLD trap, and once by hand for children that ended before
-- the trap was set (Unicorn also calls it from its main loop)
local reaped_all = false
local function reap()
  reap_all_workers()
  if next(WORKERS) == nil and reexec_pid == 0 then reaped_all = true end
end
Signal.trap("CHLD", reap)
reap()
for pid, worker in pairs(WORKERS) do
  if worker.nr == 2 then Process.kill("TERM", pid) end
end
while not reaped_all do Process.sleep(0.05) end  -- handlers run during the sleep
print("master: every worker reaped; pid file " .. pidfile)
