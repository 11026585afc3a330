-- SIGUSR1 ping-pong with luv (libuv) on stock Lua 5.4: this script runs
-- itself as the child ("child PID"), which answers each USR1 with one;
-- luv cannot fork. usage: N
local uv = require "luv"

if arg[1] == "child" then
  local parent = tonumber(arg[2])
  local sig = uv.new_signal()
  sig:start("sigusr1", function() uv.kill(parent, "sigusr1") end)
  local term = uv.new_signal()
  term:start("sigterm", function() sig:close() term:close() end)
  io.stdout:write("ready\n")
  io.stdout:flush()
  uv.run()
  os.exit(0)
end

local n = tonumber(arg[1] or 10000)
local out = uv.new_pipe(false)
local child
child = uv.spawn(uv.exepath(), {args = {arg[0], "child", tostring(uv.os_getpid())},
                                stdio = {nil, out, 2}}, function() child:close() end)
local sig = uv.new_signal()
local count, t0 = 0, nil
sig:start("sigusr1", function()
  count = count + 1
  if count == n then
    print("result", n / ((uv.hrtime() - t0) / 1e9))
    sig:close()
    uv.process_kill(child, "sigterm")
    out:close()
  else
    uv.process_kill(child, "sigusr1")
  end
end)
out:read_start(function(err, data)
  assert(not err, err)
  if data and not t0 then  -- the child's handler is in place
    t0 = uv.hrtime()
    uv.process_kill(child, "sigusr1")
  end
end)
uv.run()
