--[[ruby
puts Process.pid        #=> 51139
puts Process.getpgrp    #=> 51139

fork {
  puts Process.pid      #=> 57767
  puts Process.getpgrp  #=> 51139
}

# 子进程的组 id 是从父进程中继承而来。
# 因此这两个进程都是同一个进程组的成员。
--]]
-- Run from a shell, which makes brood the leader of its own group.
local Process = require "brood.process"

print(Process.pid())
print(Process.getpgrp())

Process.fork(function()
  print(Process.pid())
  print(Process.getpgrp())  -- the child inherits the group id
end)
Process.wait()  -- (brood: the shell prompt comes back after the child's output)
