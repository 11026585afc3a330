--[[ruby
system('ls')
system('ls', '--help')
system('git log | tail -10')

# Kernel#system 的返回值用最基本的方式反映了终端命令的退出码。
# 如果终端命令的退出码是 0，它就返回 true，否则返回 false。
--]]
-- system returns true when the command exits with 0, false otherwise
-- (nil when it cannot run at all); its output is the script's own.
-- `ls --help` is shortened with `head` here, and `git log` (which needs a
-- repository) becomes another pipeline through the shell.
local Process = require "brood.process"
print(Process.system('ls', '/'))
print(Process.system('ls --help | head -3'))
print(Process.system('ls / | tail -3'))
print(Process.system('ls', '/nonexistent'))       -- false: ls exits with 2
print(Process.system('no-such-command-anywhere')) -- nil and the error
