--[[text
子进程退出的时候会向其父进程发送一个SIGCHLD信号，子进程`exit`时并不会马上消失，而是进入一个`僵尸状态`:

设置僵死状态的目的是维护子进程的信息，以便父进程在以后某个时候获取。这些信息至少包括进程ID，进程的终止状态，以及该进程使用的CPU时间，
所以当终止子进程的父进程调用wait或waitpid时就可以得到这些信息。
--]]
-- A child burns some CPU time and exits with status 7. The parent gets SIGCHLD, sees the child
-- as a zombie (state Z in /proc) holding its pid, status and CPU time, and collects them with
-- wait; then the /proc entry is gone. (No program in the document; this one shows the text.)
local Process = require "brood.process"
local Signal = require "brood.signal"

local function state(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return nil end
  local s = (f:read("a") or ""):match("%) (%a) ")  -- ("": gone since the open)
  f:close()
  return s
end

local got_chld = false
Signal.trap("CHLD", function() got_chld = true end)  -- note it, but do not wait yet

local pid = Process.fork(function()
  local t0 = Process.clock_gettime("PROCESS_CPUTIME_ID")
  while Process.clock_gettime("PROCESS_CPUTIME_ID") - t0 < 0.2 do end  -- use 0.2 s of CPU
  Process.exit(7)
end)
print("forked child " .. pid)

print("SIGCHLD arrived: " .. tostring(Signal.pause(5) and got_chld))
local s = state(pid)
for _ = 1, 200 do  -- bounded: up to 5 s (the state is Z by the time SIGCHLD is sent)
  if s == "Z" then break end
  Process.sleep(0.025)
  s = state(pid)
end
print("child state: " .. tostring(s))
local function children_cpu() local t = Process.times() return t.cutime + t.cstime end
print("children's CPU time before wait: " .. children_cpu())

local wpid, status = Process.wait2(pid)
print("wait returned pid " .. wpid .. ", exit status " .. status.exitstatus)
print("children's CPU time after wait >= 0.15 s: " .. tostring(children_cpu() >= 0.15))
print("child state after wait: " .. tostring(state(pid)))
