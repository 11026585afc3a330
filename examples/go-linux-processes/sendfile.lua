--[[text
Sendfile是Linux实现的系统调用,可以通过避免文件在内核态和用户态的拷贝来优化文件传输的效率。

在普通进程中,要从磁盘拷贝数据到网络,其实是需要通过系统调用,进程也会反复在用户态和内核态切换,频繁的数据传输在此有效率问题。
因此我们必须意识到Linux给我们提供了sendfile这样的系统调用,可以提高进程的数据传输效率。
--]]
-- The document has no program here; this one copies a 1 MiB file from disk to
-- a loopback TCP connection with IO.copy_stream, which uses sendfile(2), and
-- compares /proc/self/io's read-side system call count with a read/write loop.
local Process = require "brood.process"
local IO = require "brood.io"
local Socket = require "brood.socket"

local SIZE, CHUNK = 1048576, 65536

local function syscr()
  for line in io.lines("/proc/self/io") do
    local n = line:match("^syscr: (%d+)")
    if n then return tonumber(n) end
  end
end

local path = "/tmp/brood-sendfile-" .. Process.pid() .. ".dat"
local f = assert(io.open(path, "w"))
f:write(string.rep("0123456789abcdef", SIZE // 16))
f:close()

local server = Socket.tcp_server("127.0.0.1", 0)
local _, port = server:local_address()
local client = Process.fork(function()  -- the "network" side: reads and checks
  server:close()
  local sock = Socket.tcp_connect("127.0.0.1", port)
  local expected = string.rep("0123456789abcdef", SIZE // 16)
  for round = 1, 2 do
    local data = sock:read(SIZE)
    print(("client: transfer %d: %d bytes, intact: %s"):format(round, #data, data == expected))
  end
end)
local conn = server:accept()
server:close()

local file = IO.open(path)
local before = syscr()
local n = IO.copy_stream(file, conn)          -- sendfile: the data stays in the kernel
local with_sendfile = syscr() - before
file:close()

file = IO.open(path)
before = syscr()
while true do                                 -- the usual way: through a user buffer
  local chunk = file:read(CHUNK)
  if not chunk then break end
  conn:write(chunk)
end
local with_loop = syscr() - before
file:close()
conn:close()
Process.wait(client)

print(("server: copy_stream sent %d bytes"):format(n))
print(("server: read-side system calls: copy_stream fewer than %d-byte reads: %s")
  :format(CHUNK, tostring(with_sendfile < SIZE // CHUNK and with_loop > SIZE // CHUNK)))
os.remove(path)
