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
  local last = n > 0 and select(n, ...)
  if n >= 2 and type(last) == "function" then
    return last, table.pack(select(1, table.unpack({...}, 1, n - 1)))
  end
  return nil, table.pack(...)
end

-- Starts the command with the given streams on new pipes (see
-- run.pipes). Returns our ends, then a wait handle.
local function start(fname, args, streams)
  local cmd, opts = run.args(fname, table.unpack(args, 1, args.n))
  local pids, ends = {}, {}
  local guard <close> = run.guard(pids, opts, ends)
  local ours, theirs = run.pipes(opts, streams, ends)
  local pid = run.launch(fname, cmd, opts, theirs, pids)
  ours[#ours + 1] = Process.detach(pid)
  guard.done()
  return ours
end

-- The block form: fn(...) runs; then, even if it raised, our pipe ends
-- are closed and the wait handles waited for. fn's results are returned.
local function finish_block(fn, ends, handles, ...)
  local results = table.pack(pcall(fn, ...))
  for _, e in ipairs(ends) do e:close() end
  for _, t in ipairs(handles) do t:value() end
  if not results[1] then error(results[2], 0) end
  return table.unpack(results, 2, results.n)
end

-- popen3 and its kin: the block form gets the pipes and the handle.
local function popen(fname, args, fn, streams)
  local ours = start(fname, args, streams)
  if fn then
    local handle = ours[#ours]
    return finish_block(fn, {table.unpack(ours, 1, #ours - 1)}, {handle}, table.unpack(ours))
  end
  return table.unpack(ours)
end

--- Open3.popen3([env,] command...[, options][, fn]) -> stdin, stdout,
-- stderr, wait_thr (wait_thr.pid, wait_thr:value() -> status).
function Open3.popen3(...)
  local fn, args = block(...)
  return popen("brood.open3.popen3", args, fn, {"in", "out", "err"})
end

--- Open3.popen2(...) -> stdin, stdout, wait_thr.
function Open3.popen2(...)
  local fn, args = block(...)
  return popen("brood.open3.popen2", args, fn, {"in", "out"})
end

--- Open3.popen2e(...) -> stdin, stdout and stderr merged, wait_thr.
function Open3.popen2e(...)
  local fn, args = block(...)
  return popen("brood.open3.popen2e", args, fn, {"in", "out+err"})
end

-- The capture functions: stdin always on a pipe (no input: end of file).
local function capture(fname, streams, ...)
  return run.run(fname, streams, true, ...)
end

--- Open3.capture3(...) -> stdout, stderr, status.
function Open3.capture3(...)
  local t, status = capture("brood.open3.capture3", {"out", "err"}, ...)
  return t[1], t[2], status
end

--- Open3.capture2(...) -> stdout, status.
function Open3.capture2(...)
  local t, status = capture("brood.open3.capture2", {"out"}, ...)
  return t[1], status
end

--- Open3.capture2e(...) -> stdout and stderr merged, status.
function Open3.capture2e(...)
  local t, status = capture("brood.open3.capture2e", {"out+err"}, ...)
  return t[1], status
end

-- Reads pipeline arguments: commands (strings or argv tables), then an
-- optional options table.
local function commands(fname, ...)
  local n = select("#", ...)
  local a = {...}
  local opts = {}
  if n >= 2 and type(a[n]) == "table" and rawget(a[n], 1) == nil then
    opts = a[n]
    n = n - 1
  end
  if n < 1 then run.argerror(fname, 1, "command expected") end
  for i = 1, n do
    if type(a[i]) ~= "string" and type(a[i]) ~= "table" then
      run.argerror(fname, i, "command (a string or an argv table) expected, got " .. type(a[i]))
    end
  end
  return a, n, opts
end

-- Starts cmds[1] | cmds[2] | ...; 'first_in' and 'last_out' are the
-- pipeline's ends (nil: inherited). The pids go into 'pids' and every
-- pipe end into 'ends' as soon as they exist: the caller's run.guard
-- stops the commands already started (none left running, nor a zombie)
-- if one cannot start or a pipe cannot be made. Spawn's errors are
-- raised as fname's.
local function start_pipeline(fname, a, n, opts, first_in, last_out, pids, ends)
  local prev = first_in
  for i = 1, n do
    local o = {}
    for k, v in next, opts do o[k] = v end
    local r, w
    if i < n then
      r, w = IO.pipe()
      ends[#ends + 1], ends[#ends + 2] = r, w
    end
    if prev then o["in"] = prev end
    if i < n then o.out = w elseif last_out then o.out = last_out end
    local cmd = type(a[i]) == "table" and a[i] or {a[i]}
    -- an argv table is read raw, as spawn reads it: no __len or __index
    local packed = {n = rawlen(cmd)}
    for k = 1, packed.n do packed[k] = rawget(cmd, k) end
    if packed.n == 0 then run.argerror(fname, i, "empty command") end
    local ok, err = pcall(run.spawn, pids, packed, o)
    if w then w:close() end
    if prev and prev ~= first_in then prev:close() end
    if not ok then
      -- spawn's arguments (after pids): the command's pieces, all from
      -- the user's argument i, then the options (the user's last)
      run.reraise(err, fname, function(k) return k - 1 <= math.max(packed.n, 1) and i or n + 1 end)
    end
    prev = r
  end
end

--- Open3.pipeline(cmd1, cmd2, ...[, options]) -> the statuses, in order:
-- cmd1 | cmd2 | ... without a shell; the last writes to our stdout.
function Open3.pipeline(...)
  local fname = "brood.open3.pipeline"
  local a, n, opts = commands(fname, ...)
  local pids, ends = {}, {}
  local guard <close> = run.guard(pids, opts, ends)
  start_pipeline(fname, a, n, opts, nil, nil, pids, ends)
  local statuses = {}
  for i, pid in ipairs(pids) do
    local _, status = Process.wait2(pid)
    pids[i] = false  -- reaped: the guard leaves it be
    statuses[i] = status
  end
  guard.done()
  return statuses
end

local function waiters(pids)
  local t = {}
  for i, pid in ipairs(pids) do t[i] = Process.detach(pid) end
  return t
end

-- pipeline_r, _w, _rw and _start: starts (cmd1, ...[, options][, fn])
-- with pipes to the first command's stdin and from the last one's stdout
-- as asked. Returns our ends and the wait handles, or with fn, fn's
-- results after everything is closed and waited for.
local function piped(fname, want_in, want_out, ...)
  local fn, args = block(...)
  local a, n, opts = commands(fname, table.unpack(args, 1, args.n))
  local pids, ends = {}, {}
  local guard <close> = run.guard(pids, opts, ends)
  local ours, theirs, first_in, last_out = {}, {}, nil, nil
  if want_in then
    local r, w = IO.pipe()
    ends[#ends + 1], ends[#ends + 2] = r, w
    first_in, ours[#ours + 1], theirs[#theirs + 1] = r, w, r
  end
  if want_out then
    local r, w = IO.pipe()
    ends[#ends + 1], ends[#ends + 2] = r, w
    last_out, ours[#ours + 1], theirs[#theirs + 1] = w, r, w
  end
  start_pipeline(fname, a, n, opts, first_in, last_out, pids, ends)
  for _, t in ipairs(theirs) do t:close() end
  local ts = waiters(pids)
  guard.done()
  local handles = {table.unpack(ours)}
  handles[#handles + 1] = ts
  if fn then return finish_block(fn, ours, ts, table.unpack(handles)) end
  return table.unpack(handles)
end

--- Open3.pipeline_r(cmd1, ...[, options][, fn]) -> the last command's
-- stdout, the wait handles.
function Open3.pipeline_r(...) return piped("brood.open3.pipeline_r", false, true, ...) end

--- Open3.pipeline_w(cmd1, ...[, options][, fn]) -> the first command's
-- stdin, the wait handles.
function Open3.pipeline_w(...) return piped("brood.open3.pipeline_w", true, false, ...) end

--- Open3.pipeline_rw(cmd1, ...[, options][, fn]) -> the first command's
-- stdin, the last command's stdout, the wait handles.
function Open3.pipeline_rw(...) return piped("brood.open3.pipeline_rw", true, true, ...) end

--- Open3.pipeline_start(cmd1, ...[, options][, fn]) -> the wait handles:
-- the pipeline runs with the script's stdin and stdout at its ends.
function Open3.pipeline_start(...) return piped("brood.open3.pipeline_start", false, false, ...) end

return Open3
