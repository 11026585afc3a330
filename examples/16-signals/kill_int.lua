--[[ruby
# 第一个 ruby 会话
puts Process.pid
sleep # 以便于有时间发送信号

# 第二个 ruby 会话中发出下列命令来使用信号终结第一个会话：
Process.kill(:INT, <pid of first session>)

# 因此第二个进程会向第一个进程发送一个 INT 信号，使其退出。
# INT 是 INTERRUPT(中断)的缩写。
--]]
-- The book uses two terminals. Here the first "session" is a child and
-- this process plays the second one.
local Process = require "brood.process"
local IO = require "brood.io"
local ready_r, ready_w = IO.pipe()  -- (brood: the child says when it has printed)

local first = Process.fork(function()
  -- first session
  print(Process.pid())
  io.stdout:flush()
  ready_w:close()
  Process.sleep()  -- time to receive a signal
end)

-- second session: end the first with INT (INTERRUPT)
ready_w:close()
ready_r:read("a")  -- (EOF once the first has printed its pid)
Process.kill("INT", first)
print(select(2, Process.wait2(first)))
