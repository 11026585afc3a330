--[[ruby
require 'socket'

# 打开一个套接字
socket = TCPServer.open('0.0.0.0', 8080)

# 预载入应用代码
# require 'config/environment'

# 将相关的信号转发给子进程
[:INT, :QUIT].each do |signal|
  Signal.trap(signal) {
    wpids.each { |wpid| Process.kill(signal, wpid) }
  }
end

# 跟踪子进程的 pid
wpids = []

5.times {
  wpids << fork do
    loop {
      connection = socket.accept
      connection.puts 'Hello Readers!'
      connection.close
    }
  end
}

Process.waitall # 执行一个循环，等待所有的子进程退出，然后返回一个进程状态数组。
--]]
-- Try it: `brood prefork_server.lua`, then `curl --http0.9 localhost:8080`
-- or `nc localhost 8080` a few times, then Ctrl-C. PORT sets the port (0:
-- any free one; the server says which). Differences from the book: wpids
-- is declared before the trap handlers (Ruby's blocks would not see a
-- variable made after them); workers put INT and QUIT back to their
-- default (a forked child inherits its parent's traps, which would make
-- each worker forward the signal instead of ending); each worker says on
-- stdout which connection it took.
local IO = require "brood.io"
local Process = require "brood.process"
local Signal = require "brood.signal"
local Socket = require "brood.socket"
io.stdout:setvbuf("line")

-- open a socket
local socket = Socket.tcp_server('0.0.0.0', tonumber(os.getenv("PORT") or 8080))
print(("listening on port %d"):format(select(2, socket:local_address())))

-- preload application code
-- require 'config.environment'

-- keep track of the children's pids
local wpids = {}

-- forward these signals to the children
for _, signal in ipairs{"INT", "QUIT"} do
  Signal.trap(signal, function()
    for _, wpid in ipairs(wpids) do Process.kill(signal, wpid) end
  end)
end

for _ = 1, 5 do
  wpids[#wpids + 1] = Process.fork(function()
    Signal.trap("INT", "DEFAULT")
    Signal.trap("QUIT", "DEFAULT")
    while true do
      local connection = socket:accept()
      print(("worker %d took a connection from %s"):format(Process.pid(),
        (connection:remote_address())))
      connection:puts('Hello Readers!')
      -- (brood: a graceful close. A client such as curl sends a request this
      -- server never reads; closing with it unread would answer with a TCP
      -- reset, which can make the client lose the reply. So: end our side,
      -- read until the client closes its side, then close.)
      connection:close_write()
      while IO.select({connection}, nil, nil, 1) and connection:readpartial(4096) do end
      connection:close()
    end
  end)
end

Process.waitall()  -- waits for every child to exit; returns their statuses
