-- Supervisor.prefork serving "Hello": 4 workers accept on one socket.
-- usage: PORT; prints "ready" once every worker runs ($PIDFILE: where
-- the master's pid goes, for a USR2).
local Supervisor = require "brood.supervisor"
local Process = require "brood.process"
local response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n" ..
  "Connection: close\r\n\r\nHello\n"
local server = Supervisor.prefork{
  listen = {"127.0.0.1:" .. arg[1]},
  workers = 4,
  backlog = 1024,
  pidfile = os.getenv("PIDFILE"),
  handle = function(connection)
    connection:gets("\r\n\r\n")
    connection:write(response)
  end,
  log = function(line)
    -- the first master says it, not the ones a USR2 starts
    if line:find("^ready") and not Process.env.BENCH_READY then
      Process.env.BENCH_READY = "1"
      print("ready")
      io.stdout:flush()
    end
  end,
}
os.exit(server:run())
