--[[ruby
# 现在返回到 Rack 的例子中，第一行代码衍生出一个子进程，然后父 进程退出。
# 启动该进程的终端觉察到进程退出后，将控制返回给用户， 但是之前衍生出的子进程# 仍然拥有从父进程中继承而来的组 id 和会话 id。
# 此时这个衍生进程既非会话领导，也非组长。

# 因此终端与衍生进程之间仍有牵连，如果它发出信号到衍生进程的会话组，这个信号仍会被接收到，但是我们想要的是完全脱离终端。

# Process.setsid 会使衍生进程成为一个新进程组和新会话组的组 长兼领导。
# 注意，如果在某个已经是进程组组长的进程中调用 Process.setsid，则会失败，它只能从子进程中调用。

# 新的会话组并没有控制终端，不过从技术上来说，可以给它分配一个。
exit if fork
# 已成为进程组和会话组组长的衍生进程再次进行衍生，然后退出。

# 这个新衍生出的进程不再是进程组的组长，也不是会话领导。
# 由于之前的会话领导没有控制终端，并且此进程也不是会话领导，因此这个 进程绝不会有控制终端。终端只能够分配给会话领导。

# 如此以来就确保了我们的进程现在完全脱离了控制终端并且可以独自运行。
Dir.chdir "/"
# 此行代码将当前工作目录更改为系统的根目录。
# 并非一定要这么做， 这额外的一步确保了守护进程的当前工作目录在执行过程中不会消失。
# 这就避免了守护进程的启动目录出于这样或那样的问题被删除或卸载。

STDIN.reopen "/dev/null"
STDOUT.reopen "/dev/null", "a"
STDERR.reopen "/dev/null", "a"
# 这将所有的标准流设置到/dev/null，也就是将其忽略。
# 因为守护 程不再依附于某个终端会话，那么这些标准流也就没什么用了。
# 不能简单地将其关闭，因为一些程序还指望着它们随时可用。
# 重定向到 /dev/null 确保了它们对于一些程序依然能用，但实际上毫无效果。
--]]
-- The second half of rack's daemonize_app, step by step (the first two
-- steps, from the blocks before, run first so that this one stands
-- alone). The daemon reports on itself to the file named by arg[1], as
-- nothing else can be seen of it: its streams are /dev/null.
local IO = require "brood.io"
local Process = require "brood.process"
local report = arg[1] or "/tmp/brood-rack-steps.out"

if Process.fork() then Process.exit() end  -- (before: leave the terminal's job)
Process.setsid()                           -- (before: a new session and group)

if Process.fork() then Process.exit() end
-- the grandchild leads neither a group nor a session: no terminal, ever

Process.chdir("/")
-- the daemon's working directory cannot vanish under it

IO.stdin:reopen("/dev/null")
IO.stdout:reopen("/dev/null", "a")
IO.stderr:reopen("/dev/null", "a")
-- the standard streams still work, and go nowhere

local f = assert(io.open(report, "w"))
f:write(("group leader: %s, session leader: %s, cwd: %s\n"):format(
  tostring(Process.getpgrp() == Process.pid()), tostring(Process.getsid() == Process.pid()),
  Process.getcwd()))
f:close()
print("nobody sees this: stdout is /dev/null")
