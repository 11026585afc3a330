--[[text
`spawn`系列函数类似。
--]]
-- posix_spawn does fork and exec in one call: Process.spawn starts the program and returns its
-- pid at once; file actions and the environment become options. The program (a shell) reports
-- its own pid and a variable set for it only; the parent waits for it.
local Process = require "brood.process"
local IO = require "brood.io"

local reader, writer = IO.pipe()
local pid = Process.spawn({GREETING = "spawned"}, "/bin/sh", "-c",
  'echo "$GREETING: pid $$, parent $PPID"', {out = writer})  -- like a file action dup2(w, 1)
writer:close()
print("spawn returned pid " .. pid)
local line = reader:read("l")
reader:close()
print("program says: " .. line)
print("same pid, our child: " .. tostring(line == ("spawned: pid %d, parent %d"):format(pid,
  Process.pid())))
print("GREETING here: " .. tostring(Process.env.GREETING))
local _, status = Process.wait2(pid)
print(tostring(status))
