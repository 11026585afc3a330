--[[ruby
pidfile = ARGV[0] || "/tmp/brood-daemon.pid"
Process.daemon
File.write(pidfile, "#{Process.pid}\n")
at_exit { File.delete(pidfile) }
sleep 2
--]]
-- A daemon with a pid file. The command returns at once; the daemon
-- lives 2 seconds (cat the pid file meanwhile), then removes its file.
local Process = require "brood.process"
local pidfile = arg[1] or "/tmp/brood-daemon.pid"

Process.daemon()
local f = assert(io.open(pidfile, "w")); f:write(Process.pid(), "\n"); f:close()
Process.at_exit(function() os.remove(pidfile) end)
Process.sleep(2)
