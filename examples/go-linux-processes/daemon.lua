--[[c
if (pid=fork()) {
  exit(0); // Parent process
}

setsid();

umask(0);
--]]
-- The daemon steps of the document, one by one: fork and let the parent exit,
-- setsid, umask(0), and (as the text suggests) chdir "/". Added so it can be
-- checked: the script forks the would-be daemon first and plays its caller; the
-- daemon writes pid/sid/umask/cwd to a file that the caller polls for, and
-- the daemon ends by itself after DAEMON_SECONDS (default 0.5).
local Process = require "brood.process"
local IO = require "brood.io"

local info = "/tmp/brood-daemon-" .. Process.pid() .. ".info"
local seconds = tonumber(os.getenv("DAEMON_SECONDS") or "0.5")

local program = Process.fork(function()
  print("program " .. Process.pid() .. " started by " .. Process.ppid()
    .. ", session " .. Process.getsid())
  if Process.fork() then
    Process.exit(0)  -- Parent process
  end

  Process.setsid()

  Process.umask(0)

  Process.chdir("/")
  IO.stdin:reopen("/dev/null", "r")
  IO.stdout:reopen("/dev/null", "a")
  IO.stderr:reopen("/dev/null", "a")

  -- report, then serve for a while
  local f = assert(io.open(info .. ".tmp", "w"))
  f:write(("%d %d %d %03o %s\n"):format(Process.pid(), Process.getsid(), Process.getpgrp(),
    Process.umask(), Process.getcwd()))
  f:close()
  os.rename(info .. ".tmp", info)
  Process.sleep(seconds)
  os.remove(info)
end)

local _, status = Process.wait2(program)
print("program returned: " .. tostring(status))

local line
for _ = 1, 200 do  -- bounded: up to 5 s for the daemon's report
  local f = io.open(info)
  if f then line = f:read("l") f:close() break end
  Process.sleep(0.025)
end
if not line then error("no report from the daemon") end
local pid, sid, pgrp, mask, cwd = line:match("^(%d+) (%d+) (%d+) (%d+) (.*)$")
pid, sid, pgrp = tonumber(pid), tonumber(sid), tonumber(pgrp)
-- state, ppid, pgrp, session, tty: from /proc, now that the program is gone
local stat = io.open("/proc/" .. pid .. "/stat"):read("a")
local state, ppid, tty = stat:match("%) (%a) (%d+) %d+ %d+ (%d+)")
print("daemon " .. pid .. ": not the program: " .. tostring(pid ~= program))
print("daemon: parent is not the program (adopted): " .. tostring(tonumber(ppid) ~= program))
print("daemon: leads a new session and group: " .. tostring(sid == pid and pgrp == pid)
  .. ", ours is another: " .. tostring(sid ~= Process.getsid()))
print("daemon: umask " .. mask .. ", cwd " .. cwd)
print("daemon: alive (running or sleeping): " .. tostring(state == "S" or state == "R")
  .. ", no controlling terminal: " .. tostring(tty == "0"))

local gone = false
for _ = 1, 40 * (seconds + 5) do  -- bounded: the daemon's time plus 5 s
  local f = io.open("/proc/" .. pid .. "/stat")
  local s = f and (f:read("a") or ""):match("%) (%a) ")  -- ("": gone since the open)
  if f then f:close() end
  if not s or s == "Z" then gone = true break end
  Process.sleep(0.025)
end
print("daemon ended by itself: " .. tostring(gone))
os.remove(info)
