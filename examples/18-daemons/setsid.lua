--[[ruby
Process.setsid
# 1. 该进程变成一个新会话的会话领导
# 2. 该进程变成一个新进程组的组长
# 3. 该进程没有控制终端
--]]
local Process = require "brood.process"
local IO = require "brood.io"

if Process.fork() then Process.exit() end
Process.setsid()
-- 1. the process leads a new session
-- 2. the process leads a new process group
-- 3. the process has no controlling terminal
IO.stdout:puts(Process.getsid() == Process.pid(), Process.getpgrp() == Process.pid())
