--- brood's fuzz harness: calls every public function and method of
-- every brood object with awkward values, and reports crashes,
-- sanitizer reports, hangs and unclear error messages.
--
--   brood spec/fuzz/fuzz.lua [--seconds S] [--seed N] [--calls N]
--                            [--batch K] [--verbose]
--
-- It re-runs itself in fresh PID, network and mount namespaces
-- (unshare), where it is process 1: a supervisor that forks batches,
-- each making random calls in a scratch directory, and watches them.
-- See docs/fuzzing.md.
local dir = (arg and arg[0] or ""):match("^(.*/)") or "./"
local Process = require "brood.process"
local Signal = require "brood.signal"
local IO = require "brood.io"
if dir:sub(1, 1) ~= "/" then dir = Process.getcwd() .. "/" .. dir end

local rng = dofile(dir .. "rng.lua")
local judge = dofile(dir .. "judge.lua")
local api = dofile(dir .. "api.lua")
local pool = dofile(dir .. "pool.lua")

local ROOT = "/tmp/brood-fuzz"          -- the scratch tmpfs, mounted in the namespace
local REPORTS = ROOT .. "/reports"      -- sanitizer reports (log_path)

-- Watchdog (seconds).
local INTERRUPT_EVERY = 0.05  -- interrupt a call that may block, this often
local BLOCK_LIMIT = 1.0       -- ... and kill it after this long (not a finding)
local PLAIN_BLOCK_LIMIT = 0.3 -- the same in batches without the harness's trap
local POLL = 0.01             -- the supervisor's pace
local HANG_LIMIT = 5.0        -- any other call: a hang
local EXIT_LIMIT = 3.0        -- from the batch's end to its exit
local SETUP_LIMIT = 30.0      -- from the fork to the first call
local MEMORY_LIMIT_MB = 3072
local MARGIN = 10.0           -- past --seconds, the run is cut short

-- {{{ Command line

local function usage(msg)
  if msg then io.stderr:write("fuzz: ", msg, "\n") end
  io.stderr:write("usage: brood spec/fuzz/fuzz.lua [--seconds S] [--seed N] [--calls N]" ..
                  " [--batch K] [--verbose]\n")
  os.exit(2)
end

local function parse_args(argv)
  local o = {seed = 1, verbose = false}
  local i = 1
  while i <= #argv do
    local a = argv[i]
    local function value()
      i = i + 1
      local v = tonumber(argv[i])
      if not v then usage(a .. " needs a number") end
      return v
    end
    if a == "--seconds" then o.seconds = value()
    elseif a == "--seed" then o.seed = math.tointeger(value()) or usage("--seed needs an integer")
    elseif a == "--calls" then o.calls = math.tointeger(value()) or usage("--calls: an integer")
    elseif a == "--batch" then o.batch = math.tointeger(value()) or usage("--batch: an integer")
    elseif a == "--verbose" then o.verbose = true
    elseif a == "--only" then   -- with --batch: run only these calls (1,5,7-9)
      i = i + 1
      o.only = {}
      for lo, hi in (argv[i] or ""):gmatch("(%d+)%-?(%d*)") do
        for n = tonumber(lo), tonumber(hi ~= "" and hi or lo) do o.only[n] = true end
      end
    elseif a == "--help" or a == "-h" then usage()
    else usage("unknown argument " .. a) end
    i = i + 1
  end
  if not o.seconds then o.seconds = (o.calls or o.batch) and math.huge or 60 end
  return o
end

local opts = parse_args(arg)

-- }}}
-- {{{ Outside: re-run inside new namespaces

local function interpreter()
  local i = 0
  while arg[i - 1] do i = i - 1 end
  return arg[i]
end

local function append_option(var, extra)
  local v = os.getenv(var)
  return (v and v ~= "" and v .. ":" or "") .. extra
end

if os.getenv("BROOD_FUZZ_NS") ~= "1" then
  local unshares = {
    {"unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "--net"},
    {"unshare", "--user", "--map-root-user", "--pid", "--fork", "--kill-child", "--mount-proc",
     "--net"},
  }
  local chosen
  for _, u in ipairs(unshares) do
    local cmd = {table.unpack(u)}
    cmd[#cmd + 1] = "true"
    cmd[#cmd + 1] = {out = "/dev/null", err = "/dev/null"}
    local ok, res = pcall(Process.system, table.unpack(cmd))
    if ok and res == true then
      chosen = u
      break
    end
  end
  if not chosen then
    io.stderr:write("fuzz: cannot create PID, network and mount namespaces: both\n",
                    "  unshare --pid --fork --mount-proc --net true\n",
                    "  unshare --user --map-root-user --pid --fork --mount-proc --net true\n",
                    "failed. The fuzz harness never runs outside new namespaces, so that no\n",
                    "random pid or address reaches anything else. Run it as root, or enable\n",
                    "unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1).\n")
    os.exit(2)
  end
  pcall(Process.system, "mkdir", "-p", ROOT)
  local cmd = {table.unpack(chosen)}
  cmd[#cmd + 1] = "--"
  cmd[#cmd + 1] = interpreter()
  cmd[#cmd + 1] = arg[0]
  for _, a in ipairs(arg) do cmd[#cmd + 1] = a end
  local env = {
    BROOD_FUZZ_NS = "1",
    -- No handlers of AddressSanitizer's for the fault signals: the
    -- supervisor is process 1, which the kernel shields from every
    -- signal it has no handler for -- but a batch may send SEGV or BUS
    -- to pid 1, and with the sanitizer's handler in place that killed
    -- the supervisor as if it had faulted (a million-call run died at
    -- its 637,000th call). A batch that faults dies of the signal
    -- instead of writing a report: still a crash finding, with its call.
    ASAN_OPTIONS = append_option("ASAN_OPTIONS", "log_path=" .. REPORTS .. "/asan" ..
                                 ":allocator_may_return_null=1:handle_segv=0:handle_sigbus=0" ..
                                 ":handle_sigfpe=0:handle_sigill=0"),
    -- halt at the first report, so that it is the running call's
    UBSAN_OPTIONS = append_option("UBSAN_OPTIONS", "log_path=" .. REPORTS .. "/ubsan" ..
                                  ":halt_on_error=1:print_stacktrace=1"),
    LSAN_OPTIONS = append_option("LSAN_OPTIONS", "log_path=" .. REPORTS .. "/lsan"),
  }
  cmd = {env, table.unpack(cmd)}
  io.stdout:flush()
  Process.exec(table.unpack(cmd))
end

-- }}}
-- {{{ Inside: the sandbox

if Process.pid() ~= 1 then
  io.stderr:write("fuzz: BROOD_FUZZ_NS is set but this is not process 1 of a new PID namespace;\n",
                  "fuzz: run the harness without BROOD_FUZZ_NS, it creates its own namespaces\n")
  os.exit(2)
end

local function shell(cmd)
  local ok = os.execute(cmd)
  return ok == true
end

local sandbox = {}
do
  sandbox.tmpfs = shell("mount -t tmpfs -o size=1g,mode=0755 brood-fuzz " .. ROOT ..
                        " >/dev/null 2>&1")
  sandbox.lo = shell("ip link set lo up >/dev/null 2>&1")
  if sandbox.tmpfs then
    -- Everything else read-only, for this namespace: a random write can
    -- only reach the scratch tmpfs (devices such as /dev/null still work).
    local f = io.open("/proc/self/mountinfo")
    local points = {}
    if f then
      for line in f:lines() do
        local mp = line:match("^%S+ %S+ %S+ %S+ (%S+)")
        if mp then
          mp = mp:gsub("\\(%d%d%d)", function(o) return string.char(tonumber(o, 8)) end)
          if mp ~= ROOT and not mp:match("^/proc") and not mp:match("^/sys") and
             not mp:find("'", 1, true) then
            points[#points + 1] = "mount -o remount,bind,ro '" .. mp .. "' 2>/dev/null"
          end
        end
      end
      f:close()
    end
    shell(table.concat(points, "; ") .. "; true")
    local probe = io.open("/.brood-fuzz-probe", "w")
    sandbox.ro = probe == nil
    if probe then
      probe:close()
      os.remove("/.brood-fuzz-probe")
    end
  else
    ROOT = ROOT .. "/run-" .. tostring(os.time())
    shell("mkdir -p " .. ROOT)
  end
  shell("mkdir -p " .. REPORTS .. " && rm -f " .. REPORTS .. "/*")
  Process.chdir(ROOT)
end

-- }}}
-- {{{ The supervisor

local DOCS = api.harvest_docs(dir .. "../../docs/reference", pool.PROGRAMS)
local batch_mod = assert(loadfile(dir .. "batch.lua"))(dir)
local INTSIG = Signal.list()["RTMAX-1"] or Signal.list().USR2
local now = function() return Process.clock_gettime("MONOTONIC") end
local started = now()
local run_deadline = started + opts.seconds

local function batch_params(k)
  local s = rng.mix(opts.seed, k)
  local n = 50 + ((s >> 3) % 750)
  -- three batches in four run with the trap; one in eight stresses the collector
  return s, n, (s >> 17) & 3 ~= 0, (s >> 23) & 7 == 0
end

-- What the probe (batch 0) learnt about each function's arguments; the
-- batches, forked afterwards, inherit it.
local LEARNED = {}

-- Runs in the forked child: stdio, scratch directory, the log at a high
-- descriptor (out of reach of the pool's small fd numbers), then calls.
local function child(k, p, logw, errw, logr, errr, bdir)
  logr:close()
  errr:close()
  pcall(Process.setsid)
  IO.stdin:reopen("/dev/null", "r")
  IO.stdout:reopen("/dev/null", "w")
  IO.stderr:reopen(errw)
  Process.chdir(bdir)
  Process.env.HOME = bdir
  Process.env.TMPDIR = bdir
  local holders = {}
  for i = 1, 100 do holders[i] = io.open("/dev/null") end
  local log = assert(io.open("/proc/self/fd/" .. logw:fileno(), "w"))
  for _, h in ipairs(holders) do h:close() end
  log:setvbuf("no")
  logw:close()
  errw:close()
  local ok, err = pcall(batch_mod.run, {
    seed = p.seed, index = k, ncalls = p.ncalls, deadline = run_deadline, log = log,
    logfd = IO.fileno(log), scratch = bdir, interruptible = p.interruptible, intsig = INTSIG,
    gcstress = p.gcstress,
    docs = DOCS, ro = sandbox.ro, echo = bdir .. "/bin/echo", probe = k == 0, learned = LEARNED,
    only = k > 0 and opts.only or nil,
  })
  if not ok then
    if err == "not enough memory" then  -- a resource limit the fuzz set: 98
      pcall(log.write, log, "I\tthe batch ran out of memory\n")
      Process._exit(98)
    end
    pcall(log.write, log, "I\tharness error: " .. (tostring(err):gsub("[\t\n]", " ")) .. "\n")
  end
  Process._exit(99)
end

local results = {
  calls = 0, batches = 0, outcomes = {}, time = {}, blocked = {}, findings = {}, order = {},
  harness = {}, targets = 0, probe = 0,
}

local function add_finding(kind, key, detail, b, call)
  local f = results.findings[key]
  if not f then
    f = {kind = kind, key = key, detail = detail, count = 0, examples = {}, targets = {}}
    results.findings[key] = f
    results.order[#results.order + 1] = key
    -- a new finding is told at once (a long run's summary comes last)
    io.stderr:write(("fuzz: finding: %s (batch %d%s): %s\n"):format(key, b.index,
      call and call.repro and ", call " .. tostring(call.idx) .. " " .. call.repro or "",
      tostring(detail):sub(1, 300)))
  end
  f.count = f.count + 1
  local target = call and call.target
  if target and not f.targets[target] then
    f.targets[target] = true
    f.targets[#f.targets + 1] = target
  end
  if #f.examples < 1 then
    f.examples[#f.examples + 1] = {batch = b.index, call = call and {
      idx = call.idx, target = call.target, repro = call.repro, flags = call.flags}}
  end
end

local function statm_mb(pid)
  local f = io.open("/proc/" .. pid .. "/statm")
  if not f then return 0 end
  local s = f:read("l")
  f:close()
  local pages = s and tonumber(s:match("^%d+ (%d+)"))
  return pages and pages * 4096 / 1048576 or 0
end

local function proc_state(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return nil end
  local s = f:read("l")
  f:close()
  return s and s:match("%) (%a)")
end

local function slurp(path, max)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read(max or 4096)
  f:close()
  return s
end

-- Where a process is blocked, for a hang's report: its state and kernel
-- wait channel, the top of its kernel stack, and the same for its children.
local function where(pid)
  local function one(p)
    local stat = slurp("/proc/" .. p .. "/stat") or ""
    local comm, state = stat:match("%((.*)%) (%a)")
    local wchan = slurp("/proc/" .. p .. "/wchan") or "?"
    local stack = slurp("/proc/" .. p .. "/stack") or ""
    local frames = {}
    for fn in stack:gmatch("%] ([%w_%.]+)") do
      if #frames < 4 then frames[#frames + 1] = fn end
    end
    return ("%s %s[%s] in %s%s"):format(tostring(comm), tostring(p), tostring(state), wchan,
      #frames > 0 and " (" .. table.concat(frames, " < ") .. ")" or "")
  end
  local parts = {one(pid)}
  local p = io.popen("cat /proc/[0-9]*/stat 2>/dev/null")
  for line in p:lines() do
    local kid, ppid = line:match("^(%d+) %(.*%) %a (%d+)")
    if ppid and tonumber(ppid) == pid and #parts < 6 then
      parts[#parts + 1] = "child " .. one(kid)
    end
  end
  p:close()
  return table.concat(parts, "; ")
end

local function reap_all(limit)
  local t0 = now()
  while true do
    local ok, pid = pcall(Process.wait, -1, Process.WNOHANG)
    if not ok then return end         -- ECHILD: nothing left
    if not pid then
      if now() - t0 > limit then return end
      Process.sleep(0.005)
    end
  end
end

local function learned_for(name)
  local L = LEARNED[name]
  if not L then
    L = {types = {}, good = {}}
    LEARNED[name] = L
  end
  return L
end

local function run_batch(k)
  local bseed, ncalls, interruptible, gcstress = batch_params(k)
  if k == 0 then ncalls, interruptible = math.maxinteger, true end
  if opts.calls and k > 0 then
    ncalls = math.min(ncalls, opts.calls - (results.calls - results.probe))
  end
  if opts.batch and opts.calls then ncalls = opts.calls end
  local bdir = ROOT .. "/b" .. k
  shell(("mkdir -p %s/d1 %s/bin && cp /bin/echo %s/bin/echo"):format(bdir, bdir, bdir))
  local logr, logw = IO.pipe()
  local errr, errw = IO.pipe()
  local pid = Process.fork()
  if pid == nil then
    child(k, {seed = bseed, ncalls = ncalls, interruptible = interruptible, gcstress = gcstress},
          logw, errw, logr, errr, bdir)
  end
  logw:close()
  errw:close()
  local b = {index = k, seed = bseed, pid = pid, calls = 0, sent = {}, intsig = INTSIG,
             t0 = now(), t_line = now(), stderr = {}, stderr_len = 0}
  local open = {logr, errr}
  local pending = ""
  local function on_line(line)
    local tag = line:sub(1, 1)
    b.t_line = now()
    if opts.verbose then io.stderr:write(("[%d] %s\n"):format(k, line)) end
    if tag == "C" then
      local idx, flags, target, repro = line:match("^C\t(%d+)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local rec = {idx = tonumber(idx), flags = flags, target = target, repro = repro, t0 = now(),
                   interrupts = 0, last_int = now()}
      for f in (flags or ""):gmatch("[^,]+") do
        if f == "B" then rec.B = true
        elseif f == "L" then b.rlimit = true
        elseif f == "U" then b.identity = true
        elseif f == "T" then b.exit_trap = true
        elseif f:match("^S%d+$") then b.sent[tonumber(f:sub(2))] = true end
      end
      b.current, b.last = rec, rec
      b.calls = b.calls + 1
      b.in_gc = false
    elseif tag == "R" then
      b.in_gc = false
      local dt = tonumber(line:match("^R\t%d+\t%a+\t([%d%.]+)"))
      if dt and b.current then
        local tt = results.time[b.current.target] or {0, 0}
        tt[1], tt[2] = tt[1] + dt, tt[2] + 1
        results.time[b.current.target] = tt
      end
      b.current = nil
    elseif tag == "F" then
      local _, kind, key, detail = line:match("^F\t(%d+)\t([^\t]*)\t([^\t]*)\t(.*)$")
      if kind then add_finding(kind, key, detail, b, b.last) end
    elseif tag == "E" then
      b.ended, b.t_end = true, now()
    elseif tag == "K" then   -- the probe: argument i of a function takes these types
      local name, i, types = line:match("^K\t([^\t]*)\t(%d+)\t(.*)$")
      if name then
        local list = {}
        for ty in types:gmatch("[^,]+") do list[#list + 1] = ty end
        learned_for(name).types[tonumber(i)] = list
      end
    elseif tag == "M" then   -- ... takes at most n arguments
      local name, n = line:match("^M\t([^\t]*)\t(%d+)$")
      if name then learned_for(name).maxn = tonumber(n) end
    elseif tag == "G" then   -- ... and this value passed
      local name, i, repro = line:match("^G\t([^\t]*)\t(%d+)\t(.*)$")
      local f = repro and load("return " .. repro, "=learned", "t", {math = math})
      local ok, v = false, nil
      if f then ok, v = pcall(f) end
      if ok and v ~= nil then
        local L = learned_for(name)
        local g = L.good[tonumber(i)] or {}
        L.good[tonumber(i)] = g
        g[#g + 1] = {v = v, repro = repro}
      end
    elseif tag == "P" then   -- a probe child died of a signal
      local name, sig = line:match("^P\t([^\t]*)\t(.*)$")
      local num = name and Signal.list()[sig]
      if num and judge.FAULTS[sig] and not b.sent[num] then
        add_finding("crash", "crash: " .. name .. " (SIG" .. sig .. ", in the probe)",
                    "the probe's child for " .. name .. " was killed by SIG" .. sig, b, b.last)
      end
    elseif tag == "I" then
      if line:find("^I\tfinalizer: closing") then b.in_gc = true end
      if line:find("^I\tfinalizer: done") then b.in_gc = false end
      local nt = tonumber(line:match("^I\tbatch %d+: (%d+) targets"))
      if nt and nt > results.targets then results.targets = nt end
      local h = line:match("^I\tharness error: (.*)")
      if h and #results.harness < 20 then
        results.harness[#results.harness + 1] = ("batch %d: %s"):format(k, h)
      end
    end
  end
  local function feed(r, s)
    if r == logr then
      -- (plain finds: a pattern would backtrack quadratically over a
      -- long line still without its newline)
      pending = pending .. s
      local pos = 1
      while true do
        local nl = pending:find("\n", pos, true)
        if not nl then break end
        on_line(pending:sub(pos, nl - 1))
        pos = nl + 1
      end
      pending = pending:sub(pos)
    elseif b.stderr_len < 262144 then
      b.stderr[#b.stderr + 1] = s
      b.stderr_len = b.stderr_len + #s
    end
  end
  local function drain(r)
    while true do
      local ok, s, e = pcall(r.read_nonblock, r, 65536)
      if not ok or s == nil then return e == "EAGAIN" end   -- false: end of file
      feed(r, s)
    end
  end
  local status, killed_for, last_mem = nil, nil, now()
  local function kill(why)
    if not killed_for then
      if why ~= "deadline" and why ~= "blocked" then b.where = where(pid) end
      killed_for = why
      pcall(Process.kill, "KILL", pid)
    end
  end
  while true do
    if #open > 0 then
      local ok, ready = pcall(IO.select, open, nil, nil, POLL)
      if ok and ready then
        for _, r in ipairs(ready) do
          if not drain(r) then
            for i, x in ipairs(open) do if x == r then table.remove(open, i) break end end
          end
        end
      end
    else
      Process.sleep(POLL)
    end
    while true do
      local ok, wpid, st = pcall(Process.wait2, -1, Process.WNOHANG)
      if not ok or not wpid then break end
      if wpid == pid then status = st end
    end
    if status then break end
    local t = now()
    local cur = b.current
    if cur then
      local age = t - cur.t0
      if cur.B and interruptible and k > 0 and t - cur.last_int >= INTERRUPT_EVERY then
        cur.interrupts = cur.interrupts + 1
        cur.last_int = t
        b.interrupted = true
        pcall(Process.kill, INTSIG, pid)
      end
      local limit = HANG_LIMIT
      if cur.B and k > 0 and not cur.busy then
        limit = interruptible and BLOCK_LIMIT or PLAIN_BLOCK_LIMIT
        -- running, not waiting (a 4 GB buffer to allocate...): not blocked;
        -- it gets the time any call gets
        if age > limit and proc_state(pid) == "R" then cur.busy, limit = true, HANG_LIMIT end
      end
      if age > limit then
        b.age = age
        -- a call that may block and is blocked in the kernel now is
        -- blocked, even if it was running when it was first looked at
        -- (the collector, the sanitizer's allocator, a busy machine)
        local running = proc_state(pid) == "R"
        local why = (cur.B and not (cur.busy and running)) and "blocked" or "hang"
        b.busy = running
        -- The harness's handler raised again and again, and the call went
        -- on: brood promises that handlers run in every blocking call.
        if cur.B and not running and interruptible and cur.interrupts >= 3
           and not judge.ENDS_BATCH[cur.target]
           and cur.target ~= "Process.kill" and proc_state(pid) ~= "T" then
          why = "uninterruptible"
          b.interrupts = cur.interrupts
        end
        kill(why)
      end
    elseif b.ended then
      if t - b.t_end > EXIT_LIMIT then kill("exit") end
    elseif b.calls == 0 then
      if t - b.t0 > SETUP_LIMIT then kill("hang") end
    elseif t - b.t_line > HANG_LIMIT then
      b.between = true   -- stuck between two calls: the harness, or a finalizer
      b.age = t - b.t_line
      kill("hang")
    end
    if t - last_mem > 0.25 then
      last_mem = t
      local mb = statm_mb(pid)
      if mb > MEMORY_LIMIT_MB then
        b.mem_mb = mb
        kill("memory")
      end
    end
    if t > run_deadline + MARGIN then kill("deadline") end
  end
  for _, r in ipairs(open) do drain(r) end
  logr:close()
  errr:close()
  -- Everything the batch left behind, in this namespace only: process 1
  -- is never signalled by kill(-1).
  pcall(Process.kill, "KILL", -1)
  reap_all(2)
  local p = io.popen(("cat %s/* 2>/dev/null; rm -rf %s/* %s"):format(REPORTS, REPORTS, bdir))
  local reports = p and p:read("a") or ""
  if p then p:close() end

  b.watchdog = killed_for
  b.status = {exited = status.exited, exitstatus = status.exitstatus, signaled = status.signaled,
              termsig = status.termsig, signame = status.termsig and Signal.signame(status.termsig)}
  results.calls = results.calls + b.calls
  results.batches = results.batches + 1
  if k == 0 then results.probe = b.calls end
  local stderr = table.concat(b.stderr)
  if opts.verbose then
    if reports ~= "" then io.stderr:write(("[%d] sanitizer reports:\n%s\n"):format(k, reports)) end
    if stderr ~= "" then
      io.stderr:write(("[%d] stderr (%d bytes), last 2000:\n%s\n"):format(k, #stderr,
                                                                        stderr:sub(-2000)))
    end
  end
  local found = judge.reports(reports .. "\n" .. stderr)
  do  -- a deadly signal a fuzzed kill sent, which ASan reported as a crash
    local kept, sigs = {}, Signal.list()
    for _, f in ipairs(found) do
      if not (f.signal and b.sent[sigs[f.signal]]) then kept[#kept + 1] = f end
    end
    if #kept < #found and #kept == 0 then
      results.outcomes["killed by a signal it sent (ASan report)"] =
        (results.outcomes["killed by a signal it sent (ASan report)"] or 0) + 1
      return
    end
    found = kept
  end
  if b.rlimit then   -- after setrlimit, running out of memory is what was asked for
    local kept = {}
    for _, f in ipairs(found) do if f.kind ~= "out of memory" then kept[#kept + 1] = f end end
    if #kept < #found then
      results.outcomes["out of memory after setrlimit"] =
        (results.outcomes["out of memory after setrlimit"] or 0) + 1
      return
    end
  end
  if #found > 0 then
    b.current = b.current or (not b.ended and b.last) or nil
    for _, f in ipairs(found) do
      add_finding(f.kind, f.key, f.text:sub(1, 3000), b, b.current)
    end
    local o = "sanitizer or panic report"
    results.outcomes[o] = (results.outcomes[o] or 0) + 1
    return
  end
  b.lsan_fatal = reports:find("LeakSanitizer has encountered a fatal error", 1, true) ~= nil
  local outcome, f = judge.classify_end(b)
  results.outcomes[outcome] = (results.outcomes[outcome] or 0) + 1
  if opts.verbose then
    io.stderr:write(("[%d] outcome: %s%s\n"):format(k, outcome, b.where and "; " .. b.where or ""))
  end
  if outcome == "blocked (allowed)" and b.current then
    local name = b.current.target .. (interruptible and "" or " (no trap)")
    results.blocked[name] = (results.blocked[name] or 0) + 1
  end
  if f then
    local cur = b.current or (not b.ended and b.last) or nil
    local key = f.kind .. ": " .. (cur and cur.target or "between calls") ..
                (f.keypart and " (" .. f.keypart .. ")" or "")
    if b.where then f.detail = f.detail .. "; blocked: " .. b.where end
    if f.kind == "unexpected exit" then
      local tail = stderr:sub(-400):gsub("%s+$", "")
      f.detail = f.detail .. (tail ~= "" and ("; stderr ends: " .. tail) or "")
    end
    add_finding(f.kind, key, f.detail, b, cur)
  end
end

-- }}}
-- {{{ Summary

local function shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

local MODULES = {{"Process", "brood.process"}, {"Signal", "brood.signal"}, {"IO", "brood.io"},
                 {"Socket", "brood.socket"}, {"Open3", "brood.open3"}, {"brood", "brood"}}

-- The require lines a repro needs.
local function prelude(code)
  local lines = {}
  for _, m in ipairs(MODULES) do
    if code:find("%f[%w_]" .. m[1] .. "[%.:]") then
      lines[#lines + 1] = ("local %s = require %q; "):format(m[1], m[2])
    end
  end
  return table.concat(lines)
end

local function summary()
  local elapsed = now() - started
  local learnt = 0
  for _ in pairs(LEARNED) do learnt = learnt + 1 end
  print(("brood fuzz: seed %d, %.1f s, %d calls in %d batches"):format(
    opts.seed, elapsed, results.calls, results.batches))
  print(("  probe: %d calls, signatures of %d functions and methods learnt"):format(
    results.probe, learnt))
  print(("  sandbox: PID, network and mount namespaces; scratch on %s; / %s"):format(
    sandbox.tmpfs and "tmpfs" or "a directory", sandbox.ro and "read-only" or "writable"))
  print(("  targets: %d callables found by introspection%s"):format(results.targets,
    DOCS.from_docs and " (names from docs/reference)" or " (built-in names: docs not found)"))
  local names = {}
  for name in pairs(results.outcomes) do names[#names + 1] = name end
  table.sort(names, function(a, b) return results.outcomes[a] > results.outcomes[b] end)
  local parts = {}
  for _, name in ipairs(names) do parts[#parts + 1] = name .. " " .. results.outcomes[name] end
  print("  batch endings: " .. table.concat(parts, ", "))
  if opts.verbose then
    local slow = {}
    for name in pairs(results.time) do slow[#slow + 1] = name end
    table.sort(slow, function(a, b) return results.time[a][1] > results.time[b][1] end)
    for i = 1, math.min(15, #slow) do
      local tt = results.time[slow[i]]
      print(("  time: %-24s %7.2f s in %5d calls"):format(slow[i], tt[1], tt[2]))
    end
    local blocked = {}
    for name, count in pairs(results.blocked) do blocked[#blocked + 1] = name .. " " .. count end
    table.sort(blocked)
    print("  blocked: " .. table.concat(blocked, ", "))
  end
  for _, h in ipairs(results.harness) do print("  harness error (not a finding): " .. h) end
  print(("findings: %d"):format(#results.order))
  for i, key in ipairs(results.order) do
    local f = results.findings[key]
    print(("\n%d. [%s] %s"):format(i, f.kind, key))
    local detail = f.detail
    if #detail > 1200 then detail = detail:sub(1, 1200) .. "…" end
    print("   observed: " .. detail:gsub("\n", "\n             "))
    for _, ex in ipairs(f.examples) do
      if ex.call then
        print(("   call: batch %d, call #%d [%s]: %s"):format(ex.batch, ex.call.idx,
          ex.call.flags, ex.call.target))
        print("     " .. ex.call.repro)
        print("   repro: brood -e " .. shell_quote(prelude(ex.call.repro) .. ex.call.repro) ..
              (ex.call.repro:find("--[[", 1, true) and "   (approximate)" or ""))
        print(("   replay: brood spec/fuzz/fuzz.lua --seed %d --batch %d --calls %d --verbose")
          :format(opts.seed, ex.batch, ex.call.idx))
      else
        print(("   batch %d (no call was running)"):format(ex.batch))
      end
    end
    print(("   seen %d time%s%s"):format(f.count, f.count == 1 and "" or "s",
      #f.targets > 1 and ", in calls to " ..
        table.concat(f.targets, ", ", 1, math.min(#f.targets, 12)) ..
        (#f.targets > 12 and ", …" or "") or ""))
  end
end

-- }}}

do  -- count the targets once, as a batch sees them
  local reg = api.registry(DOCS.idents)
  for _, mod in ipairs(api.modules()) do reg:add_module(mod, {}) end
  results.targets = #reg.targets
end

local last_progress = now()
local function progress()
  if now() - last_progress >= 60 then
    last_progress = now()
    io.stderr:write(("fuzz: %.0f s, %d calls in %d batches, %d findings so far\n"):format(
      now() - started, results.calls, results.batches, #results.order))
  end
end

run_batch(0)   -- the probe: learns the functions' signatures, deterministically
local probe_calls = results.calls
if opts.batch then
  if opts.batch ~= 0 then run_batch(opts.batch) end
else
  local k = 0
  while now() < run_deadline and (not opts.calls or results.calls - probe_calls < opts.calls) do
    k = k + 1
    run_batch(k)
    progress()
  end
end
summary()
io.stdout:flush()
Process._exit(#results.order > 0 and 1 or 0)
