--[[text
## 守护进程

参考文章：[http://www.ruanyifeng.com/blog/2016/02/linux-daemon.html](http://www.ruanyifeng.com/blog/2016/
02/linux-daemon.html)
--]]
-- The document only points to an article. Process.daemon does the steps (fork, setsid, fork,
-- chdir "/", streams on /dev/null); this script plays the caller, checks the daemon in /proc and
-- stops it with SIGTERM. The daemon also ends by itself after DAEMON_SECONDS (default 5).
local Process = require "brood.process"
local Signal = require "brood.signal"
local IO = require "brood.io"

local pidfile = "/tmp/brood-c-daemon-" .. Process.pid() .. ".pid"
local seconds = tonumber(os.getenv("DAEMON_SECONDS") or "5")

local program = Process.fork(function()
  Process.daemon()
  local lock = IO.pidfile(pidfile)  -- locked while the daemon lives
  Signal.trap("TERM", function()
    os.remove(pidfile)
    lock:close()
    Process.exit(0)
  end)
  Process.sleep(seconds)             -- the daemon's work
  os.remove(pidfile)
end)
local _, status = Process.wait2(program)
print("the program returned at once: " .. tostring(status))

local pid
for _ = 1, 200 do  -- bounded: up to 5 s for the pid file
  local f = io.open(pidfile)
  if f then pid = tonumber(f:read("a")) f:close() end
  if pid then break end
  Process.sleep(0.025)
end
if not pid then error("no pid file from the daemon") end

local stat = io.open("/proc/" .. pid .. "/stat"):read("a")
local state, ppid, pgrp, sid, tty = stat:match("%) (%a) (%d+) (%d+) (%d+) (%d+)")
print("daemon running: " .. tostring(state == "S" or state == "R"))
print("its parent is not the program: " .. tostring(tonumber(ppid) ~= program))
print("a session of its own: " .. tostring(tonumber(sid) ~= Process.getsid())
  .. ", not its leader (cannot get a terminal): " .. tostring(tonumber(sid) ~= pid
  and tonumber(pgrp) == tonumber(sid)))
print("no controlling terminal: " .. tostring(tty == "0"))
local cwd = Process.capture("readlink", "/proc/" .. pid .. "/cwd"):gsub("\n", "")
print("cwd: " .. cwd)
for fd = 0, 2 do
  local target = Process.capture("readlink", "/proc/" .. pid .. "/fd/" .. fd):gsub("\n", "")
  print("fd " .. fd .. ": " .. target)
end

Process.kill("TERM", pid)
local gone = false
for _ = 1, 200 do  -- bounded: up to 5 s
  local f = io.open("/proc/" .. pid .. "/stat")
  local s = f and (f:read("a") or ""):match("%) (%a) ")  -- ("": gone since the open)
  if f then f:close() end
  if not s or s == "Z" then gone = true break end
  Process.sleep(0.025)
end
print("stopped by SIGTERM: " .. tostring(gone) .. ", pid file removed: "
  .. tostring(io.open(pidfile) == nil))
