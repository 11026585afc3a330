--[[text
子进程退出的时候会向其父进程发送一个SIGCHLD信号

通过在父进程调用这两个函数可以对处于僵尸状态的子进程进行处理以彻底销毁子进程。
--]]
-- The parent reaps its children in a SIGCHLD handler, with waitpid(-1, WNOHANG) in a loop:
-- signals of children that exit together can merge into one, so one call is not enough.
-- Five children exit at about the same time; all are reaped, none is left a zombie.
local Process = require "brood.process"
local Signal = require "brood.signal"

local reaped = {}
Signal.trap("CHLD", function()
  while true do
    local ok, pid, status = pcall(Process.wait2, -1, Process.WNOHANG)
    if not ok or not pid then break end  -- ECHILD, or none ready
    reaped[#reaped + 1] = status.exitstatus
  end
end)

local pids = {}
for i = 1, 5 do
  pids[i] = Process.fork(function() Process.sleep(0.1) Process.exit(10 + i) end)
end

for _ = 1, 500 do  -- bounded: up to 5 s; the handler runs during the sleeps
  if #reaped == #pids then break end
  Process.sleep(0.01)
end
table.sort(reaped)
print("reaped in the handler: " .. #reaped .. " children, exit statuses "
  .. table.concat(reaped, " "))
local left = 0
for _, pid in ipairs(pids) do
  local f = io.open("/proc/" .. pid .. "/stat")
  if f then f:close() left = left + 1 end
end
print("zombies left: " .. left)
