-- Echo server: luv (libuv) on stock Lua 5.4. Prints its port first.
local uv = require "luv"
local server = uv.new_tcp()
server:bind("127.0.0.1", 0)
server:listen(4096, function()
  local c = uv.new_tcp()
  server:accept(c)
  c:nodelay(true)
  c:read_start(function(err, data)
    if err or not data then c:close() return end
    c:write(data)
  end)
end)
print(server:getsockname().port)
io.stdout:flush()
uv.run()
