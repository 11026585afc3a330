--[[ruby
def daemonize_app
  if RUBY_VERSION < "1.9"
    exit if fork    # 父进程衍生出第一个子进程，然后退出
    Process.setsid  # 第一个子进程成为一个新进程组和新会话组的组长兼领导
    exit if fork    # 第一个子进程进行衍生(出第一个孙进程)，然后退出
    Dir.chdir "/"
    STDIN.reopen "/dev/null"
    STDOUT.reopen "/dev/null", "a"
    STDERR.reopen "/dev/null", "a"
  else
    Process.daemon # 将当前进程变成守护进程
  end
end
--]]
-- Both branches, chosen by the first argument ("steps" or "daemon"); the
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
