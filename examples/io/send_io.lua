-- Passing a listening socket to another process (SCM_RIGHTS): the heart
-- of a zero-downtime restart. The old server hands its socket over; the
-- new one answers on the same port without ever closing it.
local Socket = require "brood.socket"
local Process = require "brood.process"

local server = Socket.tcp_server("127.0.0.1", 0)
local _, port = server:local_address()
local old_side, new_side = Socket.pair("UNIX", "STREAM")

local new_server = Process.fork(function()
  old_side:close()
  server:close()                    -- the new process starts with nothing...
  local inherited = new_side:recv_io()  -- ...and receives the socket
  local c = inherited:accept()
  c:puts("served by the new process " .. Process.pid())
  c:close()
end)
new_side:close()
old_side:send_io(server)  -- hand over
server:close()            -- the old process lets go

local c = Socket.tcp_connect("127.0.0.1", port, 5)
io.write(c:gets())
c:close()
Process.wait(new_server)
