-- A TCP server and its client in one script, on a port the kernel picks.
local Socket = require "brood.socket"
local Process = require "brood.process"

local server = Socket.tcp_server("127.0.0.1", 0)
local host, port = server:local_address()
print(("listening on %s:%d"):format(host, port))

Process.fork(function()
  local connection = server:accept()
  for line in connection:lines("L") do connection:write("echo: ", line) end
  connection:close()
end)
server:close()

local client = Socket.tcp_connect(host, port, 5)
client:puts("hello")
client:puts("world")
client:shutdown("WR")  -- no more from us: the server's gets sees end of file
io.write(client:read("a"))
client:close()
Process.wait()
