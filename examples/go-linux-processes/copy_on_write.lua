--[[text
一般我们运行程序都是Fork一个进程后马上执行Exec加载程序,而Fork的是否实际上用的是父进程的堆栈空间,Linux通过 Copy On Write技术极大地减少了Fork的开销。

Copy On Write的含义是只有真正写的时候才把数据写到子进程的数据,Fork时只会把页表复制到子进程,这样父子进程都指向同一个物理内存页,
只有再写子进程的时候才会把内存页的内容重新复制一份。
--]]
-- The document has no program here; this one shows copy-on-write with a table
-- of 1M numbers (16 MiB): right after fork the child's pages are still the
-- parent's (Shared_Dirty in /proc/self/smaps_rollup); once the child writes
-- them they become its own copies (Private_Dirty), and the parent sees no change.
local Process = require "brood.process"

local N, MB = 1000000, 1024

local function rollup()  -- in kB
  local t = {}
  for line in io.lines("/proc/self/smaps_rollup") do
    local k, v = line:match("^([%w_]+):%s+(%d+) kB")
    if k then t[k] = tonumber(v) end
  end
  return t
end

local data = {}
for i = 1, N do data[i] = i end

local pid = Process.fork(function()
  local before = rollup()
  print("child: table shared with the parent after fork: "
    .. tostring(before.Shared_Dirty > 15 * MB))
  for i = 1, N do data[i] = -i end      -- the first write to each page copies it
  local after = rollup()
  print("child: after writing, the copies are private: "
    .. tostring(after.Private_Dirty - before.Private_Dirty > 15 * MB))
  print("child: data[1] = " .. data[1])
end)
Process.wait(pid)
print("parent: data[1] = " .. data[1] .. ", data[" .. N .. "] = " .. data[N])
