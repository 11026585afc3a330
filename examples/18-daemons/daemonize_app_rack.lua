--[[ruby
def daemonize_app
  if RUBY_VERSION < "1.9"
    exit if fork
    Process.setsid
    exit if fork
    Dir.chdir "/"
    STDIN.reopen "/dev/null"
    STDOUT.reopen "/dev/null" , "a"
    STDERR.reopen "/dev/null" , "a"
  else
    Process.daemon
  end
end
--]]
-- The same code as in the book (daemonize_app.lua) as rack has it. Both
-- branches, chosen by the first argument ("steps" or "daemon"); the
-- daemon then writes its pid and session to the file named by the second
-- argument, so that the result can be seen.
local Process = require "brood.process"
local IO = require "brood.io"

local function daemonize_app(by_hand)
  if by_hand then
    if Process.fork() then Process.exit() end  -- the parent forks a child and exits
    Process.setsid()                           -- the child leads a new session and group
    if Process.fork() then Process.exit() end  -- it forks a grandchild and exits
    Process.chdir("/")
    IO.stdin:reopen("/dev/null")
    IO.stdout:reopen("/dev/null", "a")
    IO.stderr:reopen("/dev/null", "a")
  else
    Process.daemon()  -- turn this process into a daemon
  end
end

daemonize_app(arg[1] ~= "daemon")
local f = assert(io.open(arg[2] or "/tmp/brood-daemonize.out", "w"))
f:write(("pid %d sid %d cwd %s\n"):format(Process.pid(), Process.getsid(), Process.getcwd()))
f:close()
print("nobody sees this: stdout is /dev/null")
