-- A TCP echo server with a task per connection, and clients to talk to
-- it, all in one process. Every read and write suspends only its task.
local Task = require "brood.task"
local Socket = require "brood.socket"

local CLIENTS = tonumber(arg[1]) or 100

Task.run(function()
  local server = Socket.tcp_server("127.0.0.1", 0)
  local _, port = server:local_address()

  local acceptor = Task.spawn(function()
    while true do
      local conn = server:accept()       -- cancelled below, when all is done
      Task.spawn(function()
        for line in conn:lines("L") do conn:write(line) end
        conn:close()
      end)
    end
  end)

  local clients = {}
  for i = 1, CLIENTS do
    clients[i] = Task.spawn(function()
      local s <close> = Socket.tcp_connect("127.0.0.1", port)
      local echoed = 0
      for n = 1, 10 do
        s:puts(("client %d message %d"):format(i, n))
        if s:gets() == ("client %d message %d\n"):format(i, n) then echoed = echoed + 1 end
      end
      return echoed
    end)
  end
  local total = 0
  for _, c in ipairs(clients) do total = total + c:wait() end
  print(("%d clients, %d messages echoed"):format(CLIENTS, total))
  acceptor:cancel()
  server:close()
end)
