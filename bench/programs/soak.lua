-- Soak: many round trips of each kind in one process, then a look at what
-- is left behind. usage: [SCALE] (1 = 20,000 forks, 5,000 of the others)
--
-- After each phase, and half-way through it, the garbage is collected
-- twice and a line is printed:
--   phase NAME OPS fds F children C zombies Z rss KIB hwm KIB mid KIB secs S
-- (mid: VmRSS at the half-way point). Descriptors and children must be what
-- they were at the start; otherwise a "FAIL" line, and exit status 1.
local Process = require "brood.process"
local IO = require "brood.io"
local Socket = require "brood.socket"
local Open3 = require "brood.open3"

local scale = tonumber(arg[1] or 1)
local pid = Process.pid()

local function slurp(path)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function status_kb(status, field)
  return tonumber(status:match(field .. ":%s*(%d+)"))
end

-- Open descriptors: every fd below FDSize (the size of the descriptor
-- table) that has a /proc/self/fdinfo entry. The probe's own descriptor
-- is not in the table yet while its path is looked up, so it never counts.
local function fd_count()
  local size = status_kb(slurp("/proc/self/status"), "FDSize")
  local n = 0
  for fd = 0, size - 1 do
    local f = io.open("/proc/self/fdinfo/" .. fd)
    if f then
      n = n + 1
      f:close()
    end
  end
  return n
end

-- Children of this process, and how many of them are zombies (state Z).
local function children()
  local list = slurp(("/proc/self/task/%d/children"):format(pid)) or ""
  local n, zombies = 0, 0
  for child in list:gmatch("%d+") do
    n = n + 1
    local stat = slurp("/proc/" .. child .. "/stat") or ""
    if stat:match("%)%s+(%a)") == "Z" then zombies = zombies + 1 end
  end
  return n, zombies
end

local function rss()
  collectgarbage()
  collectgarbage()
  local status = slurp("/proc/self/status")
  return status_kb(status, "VmRSS"), status_kb(status, "VmHWM")
end

local function now() return Process.clock_gettime("MONOTONIC") end

local start
local failed = false

local function checkpoint(name, ops, mid, secs)
  local rss_kb, hwm_kb = rss()
  local fds = fd_count()
  local kids, zombies = children()
  print(("phase %s %d fds %d children %d zombies %d rss %d hwm %d mid %s secs %.3f"):format(
    name, ops, fds, kids, zombies, rss_kb, hwm_kb, mid or "-", secs or 0))
  if not start then
    start = {fds = fds, kids = kids, zombies = zombies}
    return
  end
  if fds ~= start.fds or kids ~= start.kids or zombies ~= start.zombies then
    failed = true
    print(("FAIL after %s: fds %d -> %d, children %d -> %d, zombies %d -> %d"):format(
      name, start.fds, fds, start.kids, kids, start.zombies, zombies))
    io.stdout:write((Process.capture("ls", "-l", "/proc/" .. pid .. "/fd")))
  end
end

local function phase(name, n, body)
  n = math.max(2, math.floor(n * scale))
  local t0 = now()
  for _ = 1, n // 2 do body() end
  local secs = now() - t0
  local mid = rss()  -- the half-way look is not timed
  t0 = now()
  for _ = n // 2 + 1, n do body() end
  checkpoint(name, n, mid, secs + now() - t0)
end

checkpoint("start", 0)

phase("fork", 20000, function()
  local child = Process.fork()
  if child == nil then Process._exit(0) end
  Process.wait(child)
end)

phase("spawn", 5000, function()
  Process.wait(Process.spawn("true"))
  assert(Process.last_status().success)
end)

phase("capture", 5000, function()
  assert(Process.capture("echo x") == "x\n")
end)

phase("socketpair", 5000, function()
  local a, b = Socket.pair("UNIX", "STREAM")
  a:send("ping")
  assert(b:recv(16) == "ping")
  a:close()
  b:close()
end)

phase("pipe", 5000, function()
  local r, w = IO.pipe()
  w:write("x")
  w:close()
  assert(r:read("a") == "x")
  r:close()
end)

phase("capture3", 1000, function()
  local out, err, status = Open3.capture3("echo x")
  assert(out == "x\n" and err == "" and status.success)
end)

print(failed and "FAIL" or "ok")
os.exit(failed and 1 or 0)
