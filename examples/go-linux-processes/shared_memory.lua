--[[text
不同进程之间内存空间是独立的,也就是说进程不能访问也不会干扰其他进程的内存。如果两个进程希望通过共享内存的方式通信呢?可以通过 mmap() 系统调用实现。

Go也实现了 mmap() 函数支持共享内存,不过也是通过cgo来调用C实现的系统调用函数。Cgo是什么?它是Go调用C语言模块的功能,当然这种调用很可能是平台相关的,
也就是无法保证在Windows也能正确运行。
--]]
-- The document has no program here (it links to a cgo one); brood's IO.shared
-- is an mmap(MAP_SHARED|MAP_ANONYMOUS) block: a child writes a message into it,
-- four children add to a counter in it atomically, and the parent reads both.
-- /proc/self/maps lists the block as a shared ("s") mapping.
local Process = require "brood.process"
local IO = require "brood.io"

local SIZE = 4096
local mem = IO.shared(SIZE)

for line in io.lines("/proc/self/maps") do
  local from, to, perms = line:match("^(%x+)%-(%x+) (%S+)")
  if perms == "rw-s" and tonumber(to, 16) - tonumber(from, 16) == SIZE then
    print("/proc/self/maps: a " .. SIZE .. "-byte rw-s (shared) mapping")
    break
  end
end

local msg = "hello from child "
local pid = Process.fork(function()
  mem:write(8, msg .. Process.pid())
end)
Process.wait(pid)
print("parent reads: " .. mem:read(8, #msg + #tostring(pid)))

for _ = 1, 4 do
  Process.fork(function()
    for _ = 1, 1000 do mem:add(0, 1) end
  end)
end
Process.waitall()
print("counter after 4 children x 1000: " .. mem:load(0))

local copy = 0  -- an ordinary variable is not shared: the child changes its own copy
Process.wait(Process.fork(function() copy = 42 end))
print("ordinary variable after the child set it: " .. copy)
mem:close()
