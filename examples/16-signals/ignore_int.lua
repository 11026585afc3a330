--[[ruby
# 第一个 ruby 会话
puts Process.pid
trap(:INT, "IGNORE") # ignore
sleep # 以便于有时间发送信号

# 第二个 ruby 会话中使用下面的命令，注意第一个进程并没有受到影响。
Process.kill(:INT, <pid of first session>)
--]]
-- The first "session" is a child; this process plays the second one.
-- The book's first session sleeps forever; this one ends after 1 second.
local Process = require "brood.process"
local Signal = require "brood.signal"
local IO = require "brood.io"
local ready_r, ready_w = IO.pipe()  -- (brood: the child says when INT is ignored)

local first = Process.fork(function()
  -- first session
  print(Process.pid())
  Signal.trap("INT", "IGNORE")  -- ignore
  ready_w:close()
  Process.sleep(1)              -- time to receive a signal
  print("still here")
end)

-- second session: the first one is not affected
ready_w:close()
ready_r:read("a")
Process.kill("INT", first)
print(select(2, Process.wait2(first)))
