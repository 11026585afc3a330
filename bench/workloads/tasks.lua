-- Tasks (brood.task) against the concurrency tools a user would pick
-- instead, every process of a workload pinned to one CPU (taskset -c 0):
-- what is measured is CPU cost, not where the scheduler put things.
--
-- * Job runner: 2,000 runs of /bin/true, at most 2 at a time, each one's
--   output captured -- plain C (posix_spawn + poll), brood tasks,
--   xargs -P 2 (no capture), Python asyncio (and uvloop), Go goroutines +
--   os/exec, Node child_process, luv. Time for the whole run.
-- * Echo server: 1,000 concurrent TCP connections on loopback, 64-byte
--   messages, each connection one message at a time, driven by one C load
--   generator (bench/c/echoload.c) on the same CPU: round trips per
--   second, and the server's resident memory per connection (its VmRSS
--   with the connections open, less before, over 1,000).
-- * Pipe throughput (1 GiB in 64 KiB writes) inside a task against
--   outside one.
--
-- A section, not ratio-table rows: the table's columns are the runtimes
-- of the other workloads. Go programs are built here (`go build`) when Go
-- is installed; a missing runtime's cell reads n/a.

local ROUNDS = tonumber(os.getenv("BROOD_BENCH_ROUNDS")) or 5
local JOBS, SLOTS = "2000", "2"
local CONNS, MSGS = "1000", "50"

local Process = require "brood.process"
local IO = require "brood.io"

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local function cmdline(argv)
  local t = {}
  for i, a in ipairs(argv) do t[i] = quote(a) end
  return table.concat(t, " ")
end
local PIN = {"taskset", "-c", "0"}
local function pinned(argv)
  local t = {table.unpack(PIN)}
  for _, a in ipairs(argv) do t[#t + 1] = a end
  return t
end

local function median(t)
  if #t == 0 then return nil end
  table.sort(t)
  local n = #t
  return n % 2 == 1 and t[(n + 1) // 2] or (t[n // 2] + t[n // 2 + 1]) / 2
end

-- Go programs, built once into a scratch directory.
local gobuilt = {}
local function go(bench, name)
  if gobuilt[name] ~= nil then return gobuilt[name] or nil end
  gobuilt[name] = false
  if not bench.available({"go"}) then return nil end
  local dir = os.getenv("TMPDIR") or "/tmp"
  local out = dir .. "/brood-bench-" .. name
  local ok = os.execute(("GOCACHE=%s go build -o %s bench/programs/%s.go 2>/dev/null"):format(
    quote(dir .. "/brood-bench-gocache"), quote(out), name))
  if ok then gobuilt[name] = out end
  return gobuilt[name] or nil
end

local function jobs_impls(bench)
  local python = bench.resolve{"@python"}[1]
  return {
    {"C (posix_spawn + poll)", bench.resolve{"@bench-jobs", JOBS, SLOTS}},
    {"brood tasks", bench.resolve{"@brood", "bench/programs/jobs.lua", JOBS, SLOTS}},
    {"xargs -P 2 (no capture)", {"sh", "-c", "seq " .. JOBS .. " | xargs -P " .. SLOTS
      .. " -n 1 /bin/true"}},
    {"Python asyncio", {python, "bench/programs/jobs.py", JOBS, SLOTS}},
    {"Python uvloop", {python, "bench/programs/jobs.py", JOBS, SLOTS, "uvloop"}},
    {"Go goroutines + os/exec", go(bench, "jobs") and {go(bench, "jobs"), JOBS, SLOTS}},
    {"Node child_process", {"node", "bench/programs/jobs.js", JOBS, SLOTS}},
    {"luv (lua5.4)", {"lua5.4", "bench/programs/jobs_luv.lua", JOBS, SLOTS}},
  }
end

local function echo_impls(bench)
  local python = bench.resolve{"@python"}[1]
  return {
    {"C (epoll)", bench.resolve{"@bench-echoserver"}},
    {"brood tasks", bench.resolve{"@brood", "bench/programs/echo_server.lua"}},
    {"Go goroutines", go(bench, "echo_server") and {go(bench, "echo_server")}},
    {"Node", {"node", "bench/programs/echo_server.js"}},
    {"Python asyncio", {python, "bench/programs/echo_server.py"}},
    {"Python uvloop", {python, "bench/programs/echo_server.py", "uvloop"}},
    {"Ruby async gem", {"ruby", "bench/programs/echo_server.rb"}},
    {"luv (lua5.4)", {"lua5.4", "bench/programs/echo_server_luv.lua"}},
  }
end

-- Seconds for one pinned run of argv (bench/runner times it), or nil.
local function timed(bench, argv)
  local out = bench.capture("timeout 300 " .. cmdline(bench.resolve{"@runner"}) .. " 1 "
    .. cmdline(pinned(argv)))
  local wall, _, status = out:match("(%S+) (%S+) (%S+)\n")
  if tonumber(status) ~= 0 then return nil end
  return tonumber(wall)
end

-- One echo run: the server pinned, its port read from its first line, the
-- load generator pinned beside it. Returns round trips/s, bytes/conn.
local function echo_run(bench, argv)
  local ok, p = pcall(IO.popen, pinned(argv), "r")
  if not ok then return nil end
  local port = tonumber(p:gets())
  local rate, rss
  if port then
    local out = bench.capture("timeout 120 " .. cmdline(pinned(bench.resolve{
      "@bench-echoload", tostring(port), CONNS, MSGS, tostring(p:pid())})))
    rate, rss = out:match("result (%S+) rss (%S+)")
  end
  pcall(Process.kill, "KILL", p:pid())
  pcall(p.close, p)
  return tonumber(rate), tonumber(rss)
end

local function available(bench, argv)
  return argv and bench.available(argv)
end

-- fn(argv) for each available implementation, ROUNDS times, interleaved:
-- per implementation the lists of fn's first and second results.
local function interleaved(bench, impls, fn)
  local first, second = {}, {}
  for _ = 1, ROUNDS do
    for i, im in ipairs(impls) do
      if available(bench, im[2]) then
        first[i], second[i] = first[i] or {}, second[i] or {}
        local a, b = fn(im[2])
        if a then
          table.insert(first[i], a)
          table.insert(second[i], b)
        end
      end
    end
  end
  return first, second
end

local function section(bench)
  local lines = {"## Tasks (pinned to one CPU)", "",
    ("Medians of %d rounds, implementations interleaved; every process of a"
      .. " workload on CPU 0 (`taskset -c 0`)."):format(ROUNDS), ""}
  local met = true

  -- job runner
  local impls = jobs_impls(bench)
  local samples = interleaved(bench, impls, function(argv) return timed(bench, argv) end)
  lines[#lines + 1] = "### Job runner: 2,000 runs of `/bin/true`, 2 at a time, output captured"
  lines[#lines + 1] = ""
  lines[#lines + 1] = "| implementation | time | × C |"
  lines[#lines + 1] = "| --- | --- | --- |"
  local c, brood = median(samples[1] or {}), median(samples[2] or {})
  local ahead = true
  for i, im in ipairs(impls) do
    local m = median(samples[i] or {})
    if i > 2 and m and brood and im[1] ~= "xargs -P 2 (no capture)" and m <= brood then
      ahead = false
    end
    lines[#lines + 1] = ("| %s | %s | %s |"):format(im[1], m and ("%.3f s"):format(m) or "n/a",
      (m and c) and ("%.2f"):format(m / c) or "")
  end
  local xargs = median(samples[3] or {})
  if xargs and brood and xargs <= brood then ahead = false end
  lines[#lines + 1] = ""
  lines[#lines + 1] = ("Goal: ahead of every other tool — %s."):format(
    brood and (ahead and "met" or "**not met**") or "brood failed")
  met = met and ahead and brood ~= nil

  -- echo server
  impls = echo_impls(bench)
  local rates, mems = interleaved(bench, impls, function(argv) return echo_run(bench, argv) end)
  lines[#lines + 1] = ""
  lines[#lines + 1] = "### Echo server: 1,000 connections, 64-byte messages"
  lines[#lines + 1] = ""
  lines[#lines + 1] = "| server | round trips/s | × C | memory per connection |"
  lines[#lines + 1] = "| --- | --- | --- | --- |"
  local byname = {}
  local crate = median(rates[1] or {})
  for i, im in ipairs(impls) do
    local r, m = median(rates[i] or {}), median(mems[i] or {})
    byname[im[1]] = {r, m}
    lines[#lines + 1] = ("| %s | %s | %s | %s |"):format(im[1],
      r and ("%.1f k"):format(r / 1000) or "n/a",
      (r and crate) and ("%.2f"):format(r / crate) or "",
      m and ("%.1f KiB"):format(m / 1024) or "n/a")
  end
  local b = byname["brood tasks"]
  local verdict = b[1] ~= nil
  local notes = {}
  for _, peer in ipairs{"Node", "Python asyncio", "luv (lua5.4)"} do
    local p = byname[peer]
    if p[1] and b[1] and p[1] >= b[1] then
      verdict = false
      notes[#notes + 1] = "behind " .. peer
    end
  end
  local g = byname["Go goroutines"]
  if g[1] and b[1] then
    if b[1] < 0.8 * g[1] then verdict = false notes[#notes + 1] = "below 0.8× Go" end
    if b[2] and g[2] and b[2] >= g[2] then
      verdict = false
      notes[#notes + 1] = "more memory per connection than Go"
    end
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = ("Goal: throughput ahead of Node, asyncio and luv and ≥ 0.8× Go; memory"
    .. " per connection below Go's — %s%s."):format(verdict and "met" or "**not met**",
    #notes > 0 and " (" .. table.concat(notes, ", ") .. ")" or "")
  met = met and verdict

  -- pipe throughput in and out of a task
  local pin = {{}, {}}
  for _ = 1, ROUNDS do
    for i, mode in ipairs{"", "task"} do
      local argv = bench.resolve{"@brood", "bench/programs/pipe_throughput.lua", "1024", mode}
      local out = bench.capture("timeout 120 " .. cmdline(pinned(argv)))
      local v = tonumber(out:match("result%s+(%S+)"))
      if v then table.insert(pin[i], v) end
    end
  end
  local outside, inside = median(pin[1]), median(pin[2])
  lines[#lines + 1] = ""
  lines[#lines + 1] = "### Pipe throughput, 1 GiB in 64 KiB writes, in and out of a task"
  lines[#lines + 1] = ""
  if outside and inside then
    local ok = inside >= outside / 1.1
    lines[#lines + 1] = ("Outside a task %.2f GB/s, inside one %.2f GB/s (%.2f×). Goal: within"
      .. " 1.1× — %s."):format(outside / 1e9, inside / 1e9, inside / outside,
      ok and "met" or "**not met**")
    met = met and ok
  else
    lines[#lines + 1] = "brood failed."
    met = false
  end
  return table.concat(lines, "\n"), met
end

return {section = section}
