--[[ruby
message = 'Good Morning'
recipient = 'tree@mybackyard.com'

pid = fork do

  # 在这个人为设计的例子中，父进程衍生出一个子进程来负责将数据发送给统计收集器。
  # 同时，父进程继续进行自己实际的数据发送工作。
  # 父进程不希望自身被这项任务所拖缓，即便任务出于某种原因失败，
  # 父进程也不会受到影响。

  StatsCollector.record message, recipient
end

# 这一行代码确保进行统计收集的进程不会变成僵尸。
Process.detach(pid)
--]]
local Process = require "brood.process"
local StatsCollector = {  -- (the book's collector, standing in)
  record = function(message, recipient)
    print(("recorded %q for %s"):format(message, recipient))
  end,
}

local message = "Good Morning"
local recipient = "tree@mybackyard.com"

local pid = Process.fork(function()
  -- the child sends the statistics; the parent goes on with its work
  StatsCollector.record(message, recipient)
end)

-- this line makes sure the statistics process never becomes a zombie
local handle = Process.detach(pid)
print(handle:join())  -- (brood: wait here only to show the status)
