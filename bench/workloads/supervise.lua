-- Supervising: the resident memory of the process that watches over one
-- `sleep` -- an init (brood --init, tini, dumb-init) and a supervisor
-- (brood's Supervisor, supervisord) -- and the time from a child's death
-- to its replacement (brood's Supervisor against C's waitpid +
-- posix_spawn), and the requests/s of Supervisor.prefork against a C
-- prefork server, everything pinned to CPU 0. A section, not ratio rows.

local Process = require "brood.process"
local IO = require "brood.io"

local ROUNDS = tonumber(os.getenv("BROOD_BENCH_ROUNDS")) or 5

local function rss_kib(pid)
  local f = io.open("/proc/" .. pid .. "/status")
  if not f then return nil end
  local kb = f:read("a"):match("VmRSS:%s*(%d+)")
  f:close()
  return tonumber(kb)
end

-- Starts argv pinned, waits until its child runs, returns the RSS of
-- the watching process itself, then stops it.
local function idle(argv, ready)
  local t = {"taskset", "-c", "0"}
  for _, a in ipairs(argv) do t[#t + 1] = a end
  local r, w = IO.pipe()
  t[#t + 1] = {out = w, err = "/dev/null", pgroup = true}
  local ok, pid = pcall(Process.spawn, table.unpack(t))
  w:close()
  if not ok then r:close() return nil end
  local got
  if ready == "line" then got = r:gets() ~= nil
  else  -- wait until the watcher has a child
    local deadline = Process.clock_gettime("MONOTONIC") + 10
    repeat
      Process.sleep(0.05)
      local f = io.open(("/proc/%d/task/%d/children"):format(pid, pid))
      got = f and f:read("a"):match("%d") ~= nil
      if f then f:close() end
    until got or Process.clock_gettime("MONOTONIC") > deadline
  end
  Process.sleep(0.3)  -- settled
  local kib = got and rss_kib(pid)
  -- the watcher's descendants first: a child in a group or session of
  -- its own would outlive a KILLed watcher
  local function descendants(p, out)
    local f = io.open(("/proc/%d/task/%d/children"):format(p, p))
    if f then
      for c in f:read("a"):gmatch("%d+") do
        out[#out + 1] = tonumber(c)
        descendants(tonumber(c), out)
      end
      f:close()
    end
    return out
  end
  for _, c in ipairs(descendants(pid, {})) do pcall(Process.kill, "KILL", c) end
  pcall(Process.kill, "KILL", -pid)
  Process.wait(pid)
  r:close()
  return kib
end

local function median(list)
  table.sort(list)
  return list[math.floor((#list + 1) / 2)]
end

local SUPERVISORD_CONF = [[
[supervisord]
nodaemon=true
logfile=/dev/null
pidfile=/tmp/brood-bench-supervisord.pid
[program:sleeper]
command=sleep 1000
]]

return {
  section = function(bench)
    local conf = os.tmpname()
    local f = io.open(conf, "w")
    f:write(SUPERVISORD_CONF)
    f:close()
    local brood = bench.resolve{"@brood"}[1]
    local impls = {
      {"brood --init", {brood, "--init", "--", "sleep", "1000"}},
      {"tini", {"tini", "-s", "--", "sleep", "1000"}},
      {"dumb-init", {"dumb-init", "sleep", "1000"}},
      {"brood Supervisor", {brood, "bench/programs/supervisor_idle.lua"}, "line"},
      {"supervisord", {"supervisord", "-n", "-c", conf}},
    }
    local rows = {"### Supervising, idle: resident memory of the watcher", "",
                  ("Medians of %d runs, pinned to CPU 0; the watcher's own VmRSS with"
                   .. " one `sleep` child running."):format(ROUNDS), "",
                  "| watcher | RSS |", "| --- | --- |"}
    for _, im in ipairs(impls) do
      local samples = {}
      if bench.available({im[2][1]}) then
        for _ = 1, ROUNDS do
          local kib = idle(im[2], im[3])
          if kib then samples[#samples + 1] = kib end
        end
      end
      rows[#rows + 1] = ("| %s | %s |"):format(im[1], #samples > 0 and
        ("%.1f MiB"):format(median(samples) / 1024) or "n/a")
    end
    os.remove(conf)
    -- restart: from kill(2) of the child to its replacement started
    local function restart(argv)
      local list = {}
      for _ = 1, ROUNDS do
        local t = {"taskset", "-c", "0"}
        for _, a in ipairs(bench.resolve(argv)) do t[#t + 1] = a end
        local out = bench.capture("timeout 120 " .. table.concat(t, " "))
        local v = tonumber(out:match("result (%S+)"))
        if v then list[#list + 1] = v end
      end
      return #list > 0 and median(list) or nil
    end
    local c = restart({"@bench-respawn", "200"})
    local b = restart({"@brood", "bench/programs/respawn.lua", "200"})
    rows[#rows + 1] = ""
    rows[#rows + 1] = "### Restart: from the child's death (kill) to its replacement started"
    rows[#rows + 1] = ""
    rows[#rows + 1] = ("Medians of %d runs of the median of 200 restarts of `sleep`, no backoff,"
                       .. " pinned to CPU 0."):format(ROUNDS)
    rows[#rows + 1] = ""
    rows[#rows + 1] = "| supervisor | restart | × C |"
    rows[#rows + 1] = "| --- | --- | --- |"
    rows[#rows + 1] = ("| C (waitpid + posix_spawn) | %s | 1.00 |"):format(
      c and ("%.1f µs"):format(c * 1e6) or "n/a")
    rows[#rows + 1] = ("| brood Supervisor | %s | %s |"):format(
      b and ("%.1f µs"):format(b * 1e6) or "n/a", (b and c) and ("%.2f"):format(b / c) or "n/a")
    -- prefork: requests/s through the master's workers, everything on CPU 0
    local function served(port, argv, env)
      local list = {}
      for i = 1, ROUNDS do
        local t = {}
        for _, a in ipairs(bench.resolve(argv)) do t[#t + 1] = a end
        local dir = env and os.tmpname()
        local prefix = "PIN=0 "
        if dir then
          os.remove(dir)
          bench.capture("mkdir " .. dir)
          prefix = prefix .. "PIDFILE=" .. dir .. "/pid "
        end
        local out = bench.capture(("timeout 120 env %s sh bench/serve.sh %d 5 %s")
                                  :format(prefix, port + i, table.concat(t, " ")))
        if dir then bench.capture("rm -rf " .. dir) end
        local v = tonumber(out:match("result (%S+)"))
        if v and not out:match("# ") then list[#list + 1] = v end
      end
      return #list > 0 and median(list) or nil
    end
    local pc = served(18300, {"@bench-prefork_http"})
    local pb = served(18310, {"@brood", "bench/programs/prefork_master.lua"})
    local pr = served(18320, {"@brood", "bench/programs/prefork_master.lua"}, true)
    local function ratio(v) return (v and pc) and ("%.2f"):format(v / pc) or "n/a" end
    local function rate(v) return v and ("%.1f k/s"):format(v / 1000) or "n/a" end
    rows[#rows + 1] = ""
    rows[#rows + 1] = "### Prefork: requests/s of a preforking master, wrk, one CPU"
    rows[#rows + 1] = ""
    rows[#rows + 1] = ("Medians of %d runs of 5 s of `wrk -t2 -c32` (Connection: close) against"
      .. " 4 workers; servers and wrk pinned to CPU 0. A run with a socket error or a"
      .. " non-2xx answer does not count."):format(ROUNDS)
    rows[#rows + 1] = ""
    rows[#rows + 1] = "| server | requests | × C |"
    rows[#rows + 1] = "| --- | --- | --- |"
    rows[#rows + 1] = ("| C (fork, accept loop) | %s | 1.00 |"):format(rate(pc))
    rows[#rows + 1] = ("| brood Supervisor.prefork | %s | %s |"):format(rate(pb), ratio(pb))
    rows[#rows + 1] = ("| brood Supervisor.prefork, USR2 every second | %s | %s |"):format(
      rate(pr), ratio(pr))
    return table.concat(rows, "\n") .. "\n", true
  end,
}
