--[[text
当一个进程完成它的工作终止之后,它的父进程需要调用wait()或者waitpid()系统调用取得子进程的终止状态。

一个进程使用fork创建子进程,如果子进程退出,而父进程并没有调用wait或waitpid获取子进程的状态信息,那么子进程的进程描述符仍然保存在系统中。这种进程称之为僵死进程。
--]]
-- The document has no program here; this one makes a zombie: the child exits,
-- the parent does not wait yet, and /proc (and ps) show the child in state Z
-- until wait() collects its status, after which its /proc entry is gone.
local Process = require "brood.process"

local function state(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return nil end
  local s = (f:read("a") or ""):match("%) (%a) ")  -- ("": gone since the open)
  f:close()
  return s
end

local pid = Process.fork(function() Process.exit(0) end)
print("forked child " .. pid .. ", not waiting for it")

local s
for _ = 1, 200 do  -- bounded: up to 5 s for the child to exit
  s = state(pid)
  if s == "Z" then break end
  Process.sleep(0.025)
end
print("/proc/" .. pid .. "/stat state: " .. tostring(s))
print("ps state: " .. Process.capture("ps", "-o", "state=", "-p", tostring(pid)):gsub("%s", ""))

local _, status = Process.wait2(pid)
print("waited: " .. tostring(status))
print("/proc entry after wait: " .. (state(pid) and "still there" or "gone"))
