-- A Spyglass-like web server (appendix D of the book, which describes
-- Spyglass in prose): three kinds of processes.
--   Lookout: opens the socket and waits for a connection to be pending,
--            without accepting it; then forks a Master and waits for it.
--   Master:  forks the Workers (the preforking server of appendix C) and
--            watches them; when no request arrives for IDLE seconds it
--            stops them and exits, and the Lookout starts over.
--   Worker:  accepts connections, reads an HTTP/1.1 request, answers it.
-- Try it: `brood spyglass.lua`, then `curl localhost:4222`; PORT (0: any
-- free port), WORKERS and IDLE (seconds) change the defaults; INT or TERM
-- stops everything.
local IO = require "brood.io"
local Process = require "brood.process"
local Signal = require "brood.signal"
local Socket = require "brood.socket"
io.stdout:setvbuf("line")

local PORT = tonumber(os.getenv("PORT") or 4222)
local WORKERS = tonumber(os.getenv("WORKERS") or 2)
local IDLE = tonumber(os.getenv("IDLE") or 5)

local function log(who, fmt, ...)
  print(("%s: " .. fmt):format(who, ...))
end

-- Worker: one request per connection; tells the master through 'notify'.
local function worker(server, notify)
  while true do
    local connection = server:accept()
    local request = connection:gets()
    repeat local header = connection:gets() until header == nil or header == "\r\n"
    local method, path = (request or ""):match("^(%u+) (%S+) HTTP/1%.[01]\r\n$")
    local status, body = "200 OK", ("Hello from worker %d\n"):format(Process.pid())
    if not method then status, body = "400 Bad Request", "bad request\n" end
    connection:write("HTTP/1.1 ", status, "\r\n",
      "Content-Type: text/plain\r\n",
      "Content-Length: ", #body, "\r\n",
      "Connection: close\r\n\r\n", body)
    connection:close()
    notify:write(method and path and "." or "!")
  end
end

-- Master: preforks the workers, stops them all after IDLE quiet seconds.
local function master(server)
  local workers = {}
  Signal.trap("TERM", function()
    for _, pid in ipairs(workers) do Process.kill("TERM", pid) end
    Process.waitall()
    Process.exit(0)
  end)
  local reader, writer = IO.pipe()
  for _ = 1, WORKERS do
    workers[#workers + 1] = Process.fork(function()
      Signal.trap("TERM", "DEFAULT")
      reader:close()
      worker(server, writer)
    end)
  end
  writer:close()
  log("master", "%d workers started", #workers)
  while IO.select({reader}, nil, nil, IDLE) do
    reader:readpartial(4096)  -- requests were served: the timer restarts
  end
  log("master", "no request for %g s; stopping the workers", IDLE)
  for _, pid in ipairs(workers) do Process.kill("TERM", pid) end
  Process.waitall()
end

-- Lookout
local server = Socket.tcp_server("127.0.0.1", PORT)
log("lookout", "listening on port %d", select(2, server:local_address()))
local running, current = true, nil
for _, signal in ipairs{"INT", "TERM"} do
  Signal.trap(signal, function()
    running = false
    if current then Process.kill("TERM", current) end
  end)
end
while running do
  if IO.select({server}, nil, nil, 0.1) and running then
    log("lookout", "a connection is waiting; starting a master")
    current = Process.fork(function()
      Signal.trap("INT", "DEFAULT")
      master(server)
    end)
    Process.wait(current)
    current = nil
    log("lookout", "the master has exited; waiting for connections")
  end
end
log("lookout", "stopped")
