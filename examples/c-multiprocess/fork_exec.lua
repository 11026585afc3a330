--[[text
为了保留原先进程的执行，通常先调用`fork()`创建新进程，在子进程中调用`exec`函数。
--]]
-- fork, then exec in the child: the parent keeps running and waits for the new program,
-- which runs under the pid fork returned (the shell's $$). Its stdout comes back on a pipe
-- so the parent can compare the pids.
local Process = require "brood.process"
local IO = require "brood.io"

local reader, writer = IO.pipe()
local pid = Process.fork()
if pid == nil then
  reader:close()
  Process.exec("/bin/sh", "-c", 'echo "sh running as pid $$"', {out = writer})
end
writer:close()

print("parent " .. Process.pid() .. ": forked child " .. pid)
local line = reader:read("l")
reader:close()
print("child says: " .. line)
local _, status = Process.wait2(pid)
print("the exec'd program kept the child's pid: " .. tostring(line == "sh running as pid " .. pid))
print("parent still running after " .. tostring(status))
