--[[ruby
# 如何让内核在套接字上对繁重的负载进行均衡

# 像 Unicorn，主进程第一件事就是打开套接字，用于来自 Web 客户端的外部链接。
# 但主进程不接受链接，由于 fork(2) 的工作方式，当主进程衍生出工作进程时，每个工作进程都获得一个打开的套接字副本。

# 此即是它的神奇之处。

# 每个工作进程拥有一个打开的套接字副本，并在此套接字上使用 accept(2) 来接受连接。
# 这时候由内核接管并在套接字的 10 个副本上均衡负载，它确保只有单个进程接受每个连接。
--]]
-- The book's block is prose only; this is what it describes, made
-- visible: the master opens the socket and never accepts; 10 forked
-- workers accept on their copies; the master then plays the client and
-- asks 100 times which worker answered.
local Process = require "brood.process"
local Socket = require "brood.socket"

local socket = Socket.tcp_server("127.0.0.1", 0)    -- port 0: any free port
local _, port = socket:local_address()

local workers = {}
for _ = 1, 10 do
  workers[#workers + 1] = Process.fork(function()
    while true do
      local connection = socket:accept()            -- the kernel picks one worker
      connection:puts(Process.pid())
      connection:close()
    end
  end)
end

local answered, by = 0, {}
for _ = 1, 100 do
  local client = Socket.tcp_connect("127.0.0.1", port)
  local pid = tonumber(client:read("l"))
  client:close()
  answered = answered + 1
  by[pid] = (by[pid] or 0) + 1
end
local busy = 0
for _, pid in ipairs(workers) do
  if by[pid] then busy = busy + 1 end
  Process.kill("TERM", pid)
end
Process.waitall()
print(("%d connections, each accepted by exactly one of the workers; %d of the 10 took some")
  :format(answered, busy))
