-- Echo server: a task per connection. Prints its port first.
local Task = require "brood.task"
local Socket = require "brood.socket"
local IO = require "brood.io"

Task.run(function()
  local server = Socket.tcp_server("127.0.0.1", 0, 4096)
  local _, port = server:local_address()
  IO.stdout:puts(port)
  while true do
    local c = server:accept()
    Task.spawn(function()
      while true do
        local data = c:readpartial(4096)
        if not data then break end
        c:write(data)
      end
      c:close()
    end)
  end
end)
