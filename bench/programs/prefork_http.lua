-- A preforking "Hello" HTTP server: 4 workers accept on one socket.
-- usage: PORT; prints "ready" once listening.
local Socket = require "brood.socket"
local Process = require "brood.process"
local response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n" ..
  "Connection: close\r\n\r\nHello\n"
local server = Socket.tcp_server("127.0.0.1", tonumber(arg[1]), 1024)
for _ = 1, 4 do
  Process.fork(function()
    while true do
      local connection = server:accept()
      connection:gets("\r\n\r\n")
      connection:write(response)
      connection:close()
    end
  end)
end
print("ready")
io.stdout:flush()
Process.waitall()
