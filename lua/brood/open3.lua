--- brood.open3: Ruby's Open3 -- run a program with pipes to its stdin,
-- stdout and stderr, or capture what it writes. Every function takes
-- Process.spawn's command forms, env and options; the capture functions
-- also take input (or Ruby's stdin_data), timeout and check. They never
-- deadlock, whatever the program writes to which stream while it reads
-- its input.
local Process = require "brood.process"
local IO = require "brood.io"
local run = require "brood._run"

local Open3 = {}

-- Splits off a trailing function (the block form).
local function block(...)
  local n = select("#", ...)
  local last = select(n, ...)
  if n >= 2 and type(last) == "function" then
    return last, table.pack(select(1, table.unpack({...}, 1, n - 1)))
  end
  return nil, table.pack(...)
end

-- Starts the command with the given streams redirected to new pipes.
-- Returns our ends (stdin writer, then readers) and a wait handle.
local function start(args, streams)
  local cmd, opts = run.args(table.unpack(args, 1, args.n))
  local ours, theirs = {}, {}
  for _, s in ipairs(streams) do
    local r, w = IO.pipe()
    if s == "in" then
      opts["in"] = r
      ours[#ours + 1], theirs[#theirs + 1] = w, r
    else
      if s == "out+err" then opts[{"out", "err"}] = w
      else opts[s] = w end
      ours[#ours + 1], theirs[#theirs + 1] = r, w
    end
  end
  local ok, pid = pcall(run.spawn, cmd, opts)
  for _, t in ipairs(theirs) do t:close() end
  if not ok then
    for _, o in ipairs(ours) do o:close() end
    error(pid, 0)
  end
  ours[#ours + 1] = Process.detach(pid)
  return ours
end

-- The block form: fn(...) with the streams, then everything closed and
-- waited for; fn's results returned.
local function with_block(fn, ours)
  local results = table.pack(pcall(fn, table.unpack(ours)))
  for i = 1, #ours - 1 do ours[i]:close() end
  ours[#ours]:value()
  if not results[1] then error(results[2], 0) end
  return table.unpack(results, 2, results.n)
end

--- Open3.popen3([env,] command...[, options][, fn]) -> stdin, stdout,
-- stderr, wait_thr (wait_thr.pid, wait_thr:value() -> status).
function Open3.popen3(...)
  local fn, args = block(...)
  local ours = start(args, {"in", "out", "err"})
  if fn then return with_block(fn, ours) end
  return table.unpack(ours)
end

--- Open3.popen2(...) -> stdin, stdout, wait_thr.
function Open3.popen2(...)
  local fn, args = block(...)
  local ours = start(args, {"in", "out"})
  if fn then return with_block(fn, ours) end
  return table.unpack(ours)
end

--- Open3.popen2e(...) -> stdin, stdout and stderr merged, wait_thr.
function Open3.popen2e(...)
  local fn, args = block(...)
  local ours = start(args, {"in", "out+err"})
  if fn then return with_block(fn, ours) end
  return table.unpack(ours)
end

-- The capture functions: run, feed, collect, wait, check.
local function capture(fname, streams, ...)
  local cmd, opts, extra = run.args(...)
  local deadline = extra.timeout and Process.clock_gettime("MONOTONIC") + extra.timeout
  local readers = {}
  local r, in_w = IO.pipe()
  local theirs = {r}
  opts["in"] = r
  for _, s in ipairs(streams) do
    local rr, ww = IO.pipe()
    if s == "out+err" then opts[{"out", "err"}] = ww else opts[s] = ww end
    readers[#readers + 1], theirs[#theirs + 1] = rr, ww
  end
  local ok, pid = pcall(run.spawn, cmd, opts)
  for _, t in ipairs(theirs) do t:close() end
  if not ok then
    for _, x in ipairs(readers) do x:close() end
    in_w:close()
    error(pid, 0)
  end
  local texts, timedout = run.collect(readers, in_w, extra.input or "", deadline)
  local status, killed = run.finish(pid, timedout and Process.clock_gettime("MONOTONIC")
    or deadline, opts)
  run.verdict(fname, cmd, extra, status, killed, texts[1], texts[2] or texts[1])
  return texts, status
end

--- Open3.capture3(...) -> stdout, stderr, status.
function Open3.capture3(...)
  local t, status = capture("capture3", {"out", "err"}, ...)
  return t[1], t[2], status
end

--- Open3.capture2(...) -> stdout, status.
function Open3.capture2(...)
  local t, status = capture("capture2", {"out"}, ...)
  return t[1], status
end

--- Open3.capture2e(...) -> stdout and stderr merged, status.
function Open3.capture2e(...)
  local t, status = capture("capture2e", {"out+err"}, ...)
  return t[1], status
end

-- Reads pipeline arguments: commands (strings or argv tables), then an
-- optional options table.
local function commands(...)
  local n = select("#", ...)
  local a = {...}
  local opts = {}
  if n >= 2 and type(a[n]) == "table" and a[n][1] == nil then
    opts = a[n]
    n = n - 1
  end
  return a, n, opts
end

-- Starts cmds[1] | cmds[2] | ...; 'first_in' and 'last_out' are the
-- pipeline's ends (nil: inherited). Returns the pids.
local function start_pipeline(a, n, opts, first_in, last_out)
  local pids, prev = {}, first_in
  for i = 1, n do
    local o = {}
    for k, v in pairs(opts) do o[k] = v end
    local r, w
    if i < n then r, w = IO.pipe() end
    if prev then o["in"] = prev end
    if i < n then o.out = w elseif last_out then o.out = last_out end
    local cmd = type(a[i]) == "table" and a[i] or {a[i]}
    local packed = {n = #cmd}
    for k = 1, #cmd do packed[k] = cmd[k] end
    local ok, pid = pcall(run.spawn, packed, o)
    if w then w:close() end
    if prev and prev ~= first_in then prev:close() end
    if not ok then
      if r then r:close() end
      for _, p in ipairs(pids) do pcall(Process.kill, "TERM", p) Process.wait(p) end
      error(pid, 0)
    end
    pids[i] = pid
    prev = r
  end
  return pids
end

--- Open3.pipeline(cmd1, cmd2, ...[, options]) -> the statuses, in order:
-- cmd1 | cmd2 | ... without a shell; the last writes to our stdout.
function Open3.pipeline(...)
  local a, n, opts = commands(...)
  local pids = start_pipeline(a, n, opts)
  local statuses = {}
  for i, pid in ipairs(pids) do
    local _, status = Process.wait2(pid)
    statuses[i] = status
  end
  return statuses
end

local function waiters(pids)
  local t = {}
  for i, pid in ipairs(pids) do t[i] = Process.detach(pid) end
  return t
end

--- Open3.pipeline_r(cmd1, ...[, options][, fn]) -> the last command's
-- stdout, the wait handles.
function Open3.pipeline_r(...)
  local fn, args = block(...)
  local a, n, opts = commands(table.unpack(args, 1, args.n))
  local r, w = IO.pipe()
  local ok, pids = pcall(start_pipeline, a, n, opts, nil, w)
  w:close()
  if not ok then r:close() error(pids, 0) end
  local ts = waiters(pids)
  if fn then
    local res = table.pack(pcall(fn, r, ts))
    r:close()
    for _, t in ipairs(ts) do t:value() end
    if not res[1] then error(res[2], 0) end
    return table.unpack(res, 2, res.n)
  end
  return r, ts
end

--- Open3.pipeline_w(cmd1, ...[, options][, fn]) -> the first command's
-- stdin, the wait handles.
function Open3.pipeline_w(...)
  local fn, args = block(...)
  local a, n, opts = commands(table.unpack(args, 1, args.n))
  local r, w = IO.pipe()
  local ok, pids = pcall(start_pipeline, a, n, opts, r, nil)
  r:close()
  if not ok then w:close() error(pids, 0) end
  local ts = waiters(pids)
  if fn then
    local res = table.pack(pcall(fn, w, ts))
    w:close()
    for _, t in ipairs(ts) do t:value() end
    if not res[1] then error(res[2], 0) end
    return table.unpack(res, 2, res.n)
  end
  return w, ts
end

--- Open3.pipeline_rw(cmd1, ...[, options][, fn]) -> the first command's
-- stdin, the last command's stdout, the wait handles.
function Open3.pipeline_rw(...)
  local fn, args = block(...)
  local a, n, opts = commands(table.unpack(args, 1, args.n))
  local in_r, in_w = IO.pipe()
  local out_r, out_w = IO.pipe()
  local ok, pids = pcall(start_pipeline, a, n, opts, in_r, out_w)
  in_r:close()
  out_w:close()
  if not ok then in_w:close() out_r:close() error(pids, 0) end
  local ts = waiters(pids)
  if fn then
    local res = table.pack(pcall(fn, in_w, out_r, ts))
    in_w:close()
    out_r:close()
    for _, t in ipairs(ts) do t:value() end
    if not res[1] then error(res[2], 0) end
    return table.unpack(res, 2, res.n)
  end
  return in_w, out_r, ts
end

--- Open3.pipeline_start(cmd1, ...[, options][, fn]) -> the wait handles:
-- the pipeline runs with the script's stdin and stdout at its ends.
function Open3.pipeline_start(...)
  local fn, args = block(...)
  local a, n, opts = commands(table.unpack(args, 1, args.n))
  local ts = waiters(start_pipeline(a, n, opts))
  if fn then
    local res = table.pack(pcall(fn, ts))
    for _, t in ipairs(ts) do t:value() end
    if not res[1] then error(res[2], 0) end
    return table.unpack(res, 2, res.n)
  end
  return ts
end

return Open3
