-- luaposix: starting programs with fork + exec (luaposix has no
-- posix_spawn). "spawn" runs /bin/true and waits; "capture" returns the
-- output of `echo hi`. usage: spawn|capture N [MB]
local unistd = require "posix.unistd"
local wait = require "posix.sys.wait"
local time = require "posix.time"
local mode, n, mb = arg[1], tonumber(arg[2] or 1000), tonumber(arg[3] or 0)
local big = {}  -- luacheck: ignore 241 (kept alive, never read)
for m = 1, mb do
  local t = {}
  for i = 1, 65536 do t[i] = i end
  big[m] = t
end
local function now()
  local t = time.clock_gettime(time.CLOCK_MONOTONIC)
  return t.tv_sec + t.tv_nsec * 1e-9
end
local t0 = now()
if mode == "capture" then
  for _ = 1, n do
    local r, w = unistd.pipe()
    local pid = unistd.fork()
    if pid == 0 then
      unistd.close(r)
      unistd.dup2(w, 1)
      unistd.execp("echo", {"hi"})
      unistd._exit(127)
    end
    unistd.close(w)
    local chunks = {}
    while true do
      local s = unistd.read(r, 4096)
      if not s or s == "" then break end
      chunks[#chunks + 1] = s
    end
    unistd.close(r)
    wait.wait(pid)
    assert(table.concat(chunks) == "hi\n")
  end
else
  for _ = 1, n do
    local pid = unistd.fork()
    if pid == 0 then
      unistd.exec("/bin/true", {})
      unistd._exit(127)
    end
    wait.wait(pid)
  end
end
print("result", (now() - t0) / n)
