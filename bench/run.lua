-- bench/run.lua -- runs brood's comparison benchmarks and prints a
-- markdown report: for each workload, the median of every
-- implementation (plain C, brood, stock lua5.4, Ruby, Python 3, Lua 5.3 +
-- luaposix), as a ratio to C.
--
-- usage: brood bench/run.lua BUILD_DIR [--rounds R] [--runs N] [--impls c,brood,...]
--                            [--skip PATTERN] [--unpinned] [workload-file...]
--   (./dev bench does this with a release build)
--
-- Implementations run interleaved, round by round, so that a slow
-- moment of the machine hits them all alike. Every process of a workload
-- runs on CPU 0 (taskset -c 0): the figure is CPU cost, what a busy
-- machine pays; --unpinned lets the scheduler spread them, which on a
-- small machine measures cross-CPU wake-ups as much as the runtime. A workload is either
--   external: the runner times whole runs of a program (time, rss), or
--   internal: the program measures itself and prints "result <number>"
--             (metric "time" in seconds, or "rate" in operations/second).
-- A workload file that does not fit the ratio table (soak.lua) returns
-- {section = fn} instead: fn(bench) returns a markdown section, printed
-- after the table, and false when brood failed it (the exit status is 1).

local build = assert(arg[1], "usage: brood bench/run.lua BUILD_DIR [options] [workloads]")
local rounds, runs = 9, 10
local files = {}
local only   -- --impls c,brood: run just these implementations
local pinned = true  -- --unpinned: no taskset
local skip   -- --skip PATTERN: leave out the workloads whose names match
do
  local i = 2
  while arg[i] do
    if arg[i] == "--rounds" then rounds = tonumber(arg[i + 1]); i = i + 2
    elseif arg[i] == "--runs" then runs = tonumber(arg[i + 1]); i = i + 2
    elseif arg[i] == "--skip" then skip = arg[i + 1]; i = i + 2
    elseif arg[i] == "--unpinned" then pinned = false; i = i + 1
    elseif arg[i] == "--impls" then
      only = {}
      for k in (arg[i + 1] or ""):gmatch("[^,]+") do only[k] = true end
      i = i + 2
    else files[#files + 1] = arg[i]; i = i + 1 end
  end
end
if #files == 0 then
  files = {"startup", "process", "signals", "io", "spawn", "tasks", "supervise"}
end

local IMPLS = {
  {"c", "C"}, {"brood", "brood"}, {"lua54", "lua5.4"},
  {"luahost", "Lua 5.4 in a minimal C host (floor)"}, {"ruby", "Ruby"},
  {"python", "Python 3"}, {"luaposix", "Lua 5.3 + luaposix"}, {"luv", "luv (Lua 5.4)"},
}
if only then
  for i = #IMPLS, 1, -1 do
    if not only[IMPLS[i][1]] then table.remove(IMPLS, i) end
  end
end

local function quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- Every measured command gets a time limit: a broken one fails its cell
-- instead of stopping the run.
local LIMIT = 300

local function capture(cmd)
  local p = io.popen(cmd .. " 2>/dev/null")
  local out = p:read("a")
  p:close()
  return out
end

local function exists(prog)
  return capture("command -v " .. quote(prog)) ~= ""
end

-- "@name" in a command line names one of brood's own artifacts.
local python = io.open("/usr/bin/python3") and "/usr/bin/python3" or "python3"
local artifacts = {
  brood = build .. "/brood",
  python = python,
  runner = build .. "/bench/runner",
}
local function resolve(argv)
  local out = {}
  for i, a in ipairs(argv) do
    local name = a:match("^@(.+)$")
    if name then
      out[i] = artifacts[name] or (build .. "/bench/" .. name)
    else
      out[i] = a
    end
  end
  return out
end

local function cmdline(argv)
  local parts = {}
  for i, a in ipairs(argv) do parts[i] = quote(a) end
  return table.concat(parts, " ")
end

-- What a section workload gets: its commands are resolved and checked as
-- the table's are, and run with a time limit; stderr passes through.
local bench = {
  resolve = resolve,
  capture = capture,
  available = function(argv)
    return (argv[1]:find("/", 1, true) and io.open(argv[1]) or exists(argv[1])) and true
  end,
  run = function(argv, limit)
    local p = io.popen(("timeout %d "):format(limit or LIMIT) .. cmdline(argv))
    local out = p:read("a")
    return out, p:close() == true
  end,
}

local function median(t)
  table.sort(t)
  local n = #t
  if n == 0 then return nil end
  if n % 2 == 1 then return t[(n + 1) // 2] end
  return (t[n // 2] + t[n // 2 + 1]) / 2
end

-- One round of one implementation; appends its samples to 'into'.
local PIN = pinned and "taskset -c 0 " or ""

local function sample(w, argv, into)
  local pin = w.unpinned and "" or PIN  -- a spinning waiter needs a second CPU
  if w.kind == "external" then
    local out = capture(("timeout %d "):format(LIMIT) .. pin ..
      cmdline{artifacts.runner, tostring(runs)} .. " " .. cmdline(argv))
    for wall, rss, status in out:gmatch("(%S+) (%S+) (%S+)\n") do
      if tonumber(status) ~= 0 then return false end
      into[#into + 1] = w.metric == "rss" and tonumber(rss) or tonumber(wall)
    end
  else
    local out = capture(("timeout %d "):format(LIMIT) .. pin .. cmdline(argv))
    local v = tonumber(out:match("result%s+(%S+)"))
    if not v then return false end
    into[#into + 1] = v
  end
  return true
end

local function run_workload(w)
  local samples, broken = {}, {}
  local argvs = {}
  for _, impl in ipairs(IMPLS) do
    local key = impl[1]
    local argv = w.impls[key] and resolve(w.impls[key])
    if argv and (argv[1]:find("/", 1, true) and io.open(argv[1]) or exists(argv[1])) then
      argvs[key] = argv
      samples[key] = {}
    end
  end
  for _ = 1, rounds do
    for _, impl in ipairs(IMPLS) do
      local key = impl[1]
      if argvs[key] and not broken[key] then
        if not sample(w, argvs[key], samples[key]) then broken[key] = true end
      end
    end
  end
  local values = {}
  for key, s in pairs(samples) do
    if not broken[key] then values[key] = median(s) end
  end
  return values, broken
end

local function fmt_abs(metric, v)
  if metric == "rss" then return ("%.1f MiB"):format(v / 1024) end
  if metric == "rate" then
    if v >= 1e6 then return ("%.2f M/s"):format(v / 1e6) end
    if v >= 1e3 then return ("%.1f k/s"):format(v / 1e3) end
    return ("%.1f /s"):format(v)
  end
  if v < 1e-6 then return ("%.0f ns"):format(v * 1e9) end
  if v < 1e-3 then return ("%.1f µs"):format(v * 1e6) end
  if v < 1 then return ("%.2f ms"):format(v * 1e3) end
  return ("%.2f s"):format(v)
end

local function machine()
  local cpu = capture("grep -m1 'model name' /proc/cpuinfo"):match(":%s*(.-)%s*$") or "?"
  local cores = capture("nproc"):match("%d+") or "?"
  local mem = capture("grep -m1 MemTotal /proc/meminfo"):match("(%d+)")
  local kernel = capture("uname -r"):gsub("%s+$", "")
  local debian = capture("cat /etc/debian_version"):gsub("%s+$", "")
  local function ver(cmd, pat)
    return (capture(cmd):match(pat or "([%d%.]+)")) or "missing"
  end
  return table.concat({
    ("- CPU: %s, %s cores; RAM: %s GiB"):format(cpu, cores,
      mem and ("%.0f"):format(tonumber(mem) / 1048576) or "?"),
    ("- Linux %s, Debian %s"):format(kernel, debian),
    ("- brood %s (%s), stock lua5.4 %s, Ruby %s, Python %s, Lua 5.3 %s with luaposix %s,"
      .. " %s"):format(
      require("brood").version, require("brood").lua_version, ver("lua5.4 -v", "Lua ([%d%.]+)"),
      ver("ruby -v", "ruby ([%d%.]+)"), ver(python .. " --version", "Python ([%d%.]+)"),
      ver("lua5.3 -v", "Lua ([%d%.]+)"),
      ver("lua5.3 -e 'print(require(\"posix\").version)'", "luaposix ([%d%.]+)"),
      ver("cc --version", "^([^\n]*)")) ..
      (", luv (libuv %s)"):format(ver("lua5.4 -e 'print(require(\"luv\").version_string())'")),
  }, "\n")
end

local report = {
  "# brood benchmarks",
  "",
  ("Taken %s with `./dev bench` (release build; medians of %d rounds × %d runs,"
    .. " implementations interleaved; %s)."):format(os.date("!%Y-%m-%d"), rounds, runs,
    pinned and "every process of a workload pinned to CPU 0: CPU cost" or "unpinned"),
  "",
  machine(),
  "",
  "Each cell is the ratio to plain C, with the median itself in parentheses."
    .. " For time and memory lower is better; for rates (/s) higher is better.",
  "",
}
local header = {"workload"}
for _, impl in ipairs(IMPLS) do header[#header + 1] = impl[2] end
header[#header + 1] = "goal"
report[#report + 1] = "| " .. table.concat(header, " | ") .. " |"
report[#report + 1] = "|" .. string.rep(" --- |", #header)

local rows, sections, failed = 0, {}, false
for _, file in ipairs(files) do
  local workloads = dofile("bench/workloads/" .. file:gsub("%.lua$", "") .. ".lua")
  if workloads.section then
    local text, ok = workloads.section(bench)
    sections[#sections + 1] = text
    failed = failed or not ok
  end
  for _, w in ipairs(workloads) do
    if skip and w.name:find(skip) then goto next end
    rows = rows + 1
    io.stderr:write("bench: ", w.name, "\n")
    local values, broken = run_workload(w)
    local row = {w.name}
    local c = values.c
    for _, impl in ipairs(IMPLS) do
      local v = values[impl[1]]
      if v == nil then
        row[#row + 1] = broken[impl[1]] and "failed" or "n/a"
      elseif impl[1] == "c" then
        row[#row + 1] = fmt_abs(w.metric, v)
      else
        row[#row + 1] = ("%.2f× (%s)"):format(v / c, fmt_abs(w.metric, v))
      end
    end
    local met, detail = nil, nil
    if w.check then met, detail = w.check(values) end
    row[#row + 1] = w.goal .. (met == nil and "" or
      (" — %s, %s"):format(detail, met and "met" or "**not met**"))
    report[#report + 1] = "| " .. table.concat(row, " | ") .. " |"
    ::next::
  end
end

if rows > 0 then print(table.concat(report, "\n")) end
for i, text in ipairs(sections) do
  if i > 1 or rows > 0 then print() end
  print(text)
end
if failed then os.exit(1) end
