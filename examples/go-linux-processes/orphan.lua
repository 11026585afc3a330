--[[text
根据维基百科的解释,孤儿进程指的是在其父进程执行完成或被终止后仍继续运行的一类进程。

孤儿进程与僵尸进程是完全不同的,后面会详细介绍僵尸进程。而孤儿进程借用了现实中孤儿的概念,也就是父进程不在了,子进程还在运行,这时我们就把子进程的PPID设为1。前面讲PID提到,
操作系统会创建进程号为1的init进程,它没有父进程也不会退出,可以收养系统的孤儿进程。
--]]
-- The document has no program here; this one makes an orphan: a parent forks
-- a child and is killed, and the child sees its PPID change to whoever adopts
-- it (init, or a subreaper). The script's first process watches and reports.
local Process = require "brood.process"
local IO = require "brood.io"

local ready_r, ready_w = IO.pipe()   -- child -> parent: "I have printed my ppid"
local go_r, go_w = IO.pipe()         -- script -> child: "the parent is reported dead"
local done_r, done_w = IO.pipe()     -- end of file once the child has finished

local parent = Process.fork(function()
  local child = Process.fork(function()
    ready_r:close()
    go_w:close()
    done_r:close()
    local old = Process.ppid()
    print("child " .. Process.pid() .. ": my parent is " .. old)
    ready_w:write("x")
    go_r:read(1)
    local new = old
    for _ = 1, 200 do  -- bounded: up to 5 s for the kernel to re-parent it
      new = Process.ppid()
      if new ~= old then break end
      Process.sleep(0.025)
    end
    local status = io.open("/proc/self/status"):read("a")
    print("child: now an orphan, PPid " .. status:match("\nPPid:%s*(%d+)")
      .. " (not the old parent: " .. tostring(new ~= old) .. ")")
    Process.exit(0)  -- done_w closes as the child ends
  end)
  ready_r:read(1)
  print("parent " .. Process.pid() .. ": forked child " .. child)
  Process.kill("KILL", Process.pid())  -- the parent is killed; the child lives on
end)
ready_w:close()
go_r:close()
done_w:close()

local _, status = Process.wait2(parent)
print("parent: " .. tostring(status))
go_w:write("x")
done_r:read("a")  -- the orphan is not our child: wait for its end through the pipe
