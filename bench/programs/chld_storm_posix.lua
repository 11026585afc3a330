-- luaposix: N children exit at once; a CHLD handler reaps them in a
-- WNOHANG loop; the main loop spins until all are reaped. usage: N
local signal = require "posix.signal"
local unistd = require "posix.unistd"
local wait = require "posix.sys.wait"
local time = require "posix.time"
local n = tonumber(arg[1] or 500)
local reaped = 0
signal.signal(signal.SIGCHLD, function()
  while true do
    local pid = wait.wait(-1, wait.WNOHANG)
    if not pid or pid == 0 then break end
    reaped = reaped + 1
  end
end)
local first = 0
for _ = 1, n do
  local pid = unistd.fork()
  if pid == 0 then
    unistd.setpid("p", 0, first)
    while true do time.nanosleep({tv_sec = 1000, tv_nsec = 0}) end
  end
  if first == 0 then first = pid end
  unistd.setpid("p", pid, first)
end
local function now()
  local t = time.clock_gettime(time.CLOCK_MONOTONIC)
  return t.tv_sec + t.tv_nsec * 1e-9
end
local t0 = now()
signal.kill(-first, signal.SIGTERM)
while reaped < n do end
print("result", now() - t0)
