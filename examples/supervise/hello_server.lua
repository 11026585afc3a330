-- A Unicorn-style preforking HTTP server: the master opens the listener
-- once and forks workers that accept on it. Signals to the master:
--   TTIN / TTOU  one worker more / less      HUP   replace every worker
--   QUIT         finish what is in hand, stop TERM  stop now
--   USR2         run this script again with the listener inherited; the
--                old master stops once the new one is ready (zero downtime)
-- Try: brood hello_server.lua 127.0.0.1:8080 2 & curl localhost:8080
local Supervisor = require "brood.supervisor"
local Process = require "brood.process"

local server = Supervisor.prefork{
  listen = {arg[1] or "127.0.0.1:8080"},   -- "host:port", "/path.sock", "@abstract"
  workers = tonumber(arg[2]) or 2,
  timeout = 10,                            -- a worker silent this long is killed
  pidfile = os.getenv("PIDFILE"),          -- renamed .oldbin during a USR2
  handle = function(client, worker)        -- in a worker, once per connection
    repeat local line = client:gets() until line == nil or line == "\r\n"
    local body = ("Hello from worker %d (pid %d)\n"):format(worker.number, Process.pid())
    client:write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n",
                 "Content-Length: ", #body, "\r\nConnection: close\r\n\r\n", body)
  end,
}
os.exit(server:run())
