-- A pid file guarded by flock: the second instance finds the first.
local IO = require "brood.io"
local Process = require "brood.process"
local path = arg[1] or "/tmp/brood-example.pid"

local lock = IO.pidfile(path)
print("running as " .. Process.pid())

local pid = Process.fork(function()
  local ok, err = pcall(IO.pidfile, path)
  if not ok and err.errno == "EAGAIN" then
    print("second instance: already running as " .. err.pid)
  end
end)
Process.wait(pid)
lock:close()  -- releases the lock (so does exiting, even by a crash)
os.remove(path)
