--[[ruby
# 要正确地处理 CHLD，你必须在一个循环中调用 Process.wait，查找所有已经结束的子进程，
# 这是因为在进入信号处理程序之后，你可能会收到多个 CHILD 信号。
# 但是，Process.wait 不是一个阻塞调用吗?
# 如果只有一个已结束的子进程，而我却调用了两次 Process.wait，又该如何避免阻塞整个进程呢?

# 现在我们得派上 Process.wait 的第二个参数了。
# 在上一章我们将一个 pid 传给 Process.wait 作为首个参数，不过它也可以将标志作为第二个参数。
# 这样的标志可以告诉内核，如果没有子进程退出，那么就不需要进行阻塞。
# 这恰恰就是我们需要的东西!

# 常量 Process::WNOHANG 描述了这个标志的值，它可以像这样来使用:
Process.wait(-1, Process::WNOHANG)
--]]
-- The book shows the one call; around it, a child to wait for makes its
-- two answers visible: nil while no child has exited (no blocking), the
-- pid once one has. Without any child at all it raises ECHILD.
local Process = require "brood.process"
local IO = require "brood.io"

local reader, writer = IO.pipe()
local pid = Process.fork(function()
  reader:read(1)                    -- waits until the parent writes
end)

print(Process.wait(-1, Process.WNOHANG))            --> nil: the child still runs

writer:write("x")                   -- let it exit...
writer:close()
local reaped
repeat                              -- ...and poll, as a CHLD handler's loop would
  reaped = Process.wait(-1, Process.WNOHANG)
  if not reaped then Process.sleep(0.01) end
until reaped
print(reaped == pid)                                --> true

local ok, err = pcall(Process.wait, -1, Process.WNOHANG)
print(ok, err.errno)                                --> false  ECHILD
