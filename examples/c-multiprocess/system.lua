--[[text
`system()`函数调用`/bin/sh`执行shell命令：

* fork一个子进程；
* 在子进程中调用`exec`函数去执行command；
* 在父进程中调用`wait`去等待子进程结束；
--]]
-- system() written out in the three steps of the text, then the built-in Process.system
-- running the same command: both run it by /bin/sh and return its exit status.
local Process = require "brood.process"

local function my_system(command)
  local pid = Process.fork()                     -- fork a child
  if pid == nil then
    Process.exec("/bin/sh", "-c", command)       -- the child execs the command
  end
  local _, status = Process.wait2(pid)           -- the parent waits for it
  return status
end

local command = 'echo "sh says hello, pid $$"; exit 3'
local status = my_system(command)
print("my_system: exit status " .. status.exitstatus)

local ok, st = Process.system(command)
print("Process.system: " .. tostring(ok) .. ", exit status " .. st.exitstatus)
