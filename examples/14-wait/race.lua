--[[ruby
# 创建两个子进程。
2.times do
  fork do
    # 两个子进程立即退出。
    abort "Finished!"
  end
end

# 父进程等待第一个子进程，然后休眠 5 秒钟。
# 其间第二个子进程也退出，不再运行。
puts Process.wait
sleep 5

# 父进程会再等待一次，让人惊叹的是，第二个子进程的退出信息会被加入队列并在此返回。
puts Process.wait

# 这项技术能够避免竞争条件。
# 内核将退出的进程信息加入进程可待队列，这样一来父进程就总是能够依照子进程退出的顺序接收到信息。
--]]
local Process = require "brood.process"

-- two children
for _ = 1, 2 do
  Process.fork(function()
    -- both exit at once
    Process.abort("Finished!")
  end)
end

-- the parent waits for the first, then sleeps 5 seconds;
-- meanwhile the second has exited too
print(Process.wait())
Process.sleep(5)

-- the second child's exit status was queued, and is returned here
print(Process.wait())
