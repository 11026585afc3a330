-- A Type=notify service with socket activation (notify_service.service
-- beside it): it takes the socket systemd opened, or opens its own when
-- started by hand; tells systemd when it is ready and when it stops.
-- Without systemd, notify does nothing (it returns false).
-- Try: systemd-socket-activate -l 8080 brood notify_service.lua
--      then: curl localhost:8080
local systemd = require "brood.systemd"
local Socket = require "brood.socket"
local Task = require "brood.task"

local socks = systemd.listen_fds()
local server = socks[1] or Socket.tcp_server("127.0.0.1", 0)
local _, port = server:local_address()
print("listening on port " .. (socks[1] and port or "(a free one)"))

local function handle(conn)
  repeat local line = conn:read("l") until line == nil or line == "\r" or line == ""
  conn:write("HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n")
  conn:close()
end

Task.run(function()
  print("told systemd we are ready: " .. tostring(systemd.ready("serving")))
  if not socks[1] then
    -- started by hand: be our own client once, then stop
    Task.spawn(function()
      local c = Socket.tcp_connect("127.0.0.1", port)
      c:write("GET / HTTP/1.0\r\n\r\n")
      print("a client got: " .. c:read("a"):match("\r\n\r\n(.*)\n$"))
      c:close()
    end)
    handle(server:accept())
  else
    while true do Task.spawn(handle, server:accept()) end
  end
end)
print("told systemd we are stopping: " .. tostring(systemd.stopping()))
