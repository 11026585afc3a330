-- luaposix: a preforking "Hello" HTTP server, 4 workers on one socket.
-- usage: PORT; prints "ready" once listening.
local socket = require "posix.sys.socket"
local unistd = require "posix.unistd"
local wait = require "posix.sys.wait"
local response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n" ..
  "Connection: close\r\n\r\nHello\n"
local server = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
socket.setsockopt(server, socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
assert(socket.bind(server, {family = socket.AF_INET, addr = "127.0.0.1", port = tonumber(arg[1])}))
socket.listen(server, 1024)
for _ = 1, 4 do
  if unistd.fork() == 0 then
    while true do
      local connection = socket.accept(server)
      if connection then
        local request = ""
        repeat
          local data = socket.recv(connection, 4096)
          if not data or #data == 0 then break end
          request = request .. data
        until request:find("\r\n\r\n", 1, true)
        socket.send(connection, response)
        unistd.close(connection)
      end
    end
  end
end
print("ready")
io.stdout:flush()
while wait.wait(-1) do end
