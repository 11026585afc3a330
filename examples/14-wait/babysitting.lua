--[[ruby
fork do
  5.times do
    sleep 1
    puts "I am an orphan!"
  end
end

Process.wait
abort "Parent process died..."

# => Output
  # I am an orphan!
  # I am an orphan!
  # I am an orphan!
  # I am an orphan!
  # I am an orphan!
  # Parent process died...

# 它是一个阻塞调用，该调用使得父进程一直等到它的某个子进程退出之后才继续执行。
--]]
local Process = require "brood.process"

Process.fork(function()
  for _ = 1, 5 do
    Process.sleep(1)
    print("I am an orphan!")
  end
end)

Process.wait()
Process.abort("Parent process died...")
