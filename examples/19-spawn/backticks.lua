--[[ruby
`ls`
`ls --help`
%x[git log | tail -10]

# Kernel#` 略有不同，它的返回值是由终端程序的 STDOUT 汇集而成的一个字符串。
--]]
-- Backticks return what the command wrote to stdout, as a string.
-- Lua has no backticks: Process.capture is the call (it also returns
-- the status, which Ruby keeps in $?).
local Process = require "brood.process"
local listing = Process.capture('ls /')
local help = Process.capture('ls --help')
local tail = Process.capture('ls / | tail -3')
print(#listing > 0, help:match("^Usage: ls") ~= nil)
io.write(tail)
local out, status = Process.capture('echo "exit status in the second result"; exit 3')
io.write(out)
print(status.exitstatus, Process.last_status().exitstatus)
