--- brood._run: the engine behind Process.system, Process.capture and
-- brood.open3 -- spawning with pipes, feeding input and collecting output
-- without ever deadlocking, timeouts and checks. Not for scripts: use
-- those functions.
local Process = require "brood.process"
local IO = require "brood.io"
local core = require "brood._core"

local M = {}

-- The options that are brood's own, not spawn's.
local EXTRA = {timeout = true, input = true, stdin_data = true, check = true, binmode = true}

-- Option names that stand for Ruby's :in, :out and :err ({in = r} is
-- not valid Lua).
local ALIASES = {stdin = "in", stdout = "out", stderr = "err"}

-- Seconds a timed-out child gets between TERM and KILL.
M.GRACE = 1

local function now()
  return Process.clock_gettime("MONOTONIC")
end

local has_debug, debug = pcall(require, "debug")

-- The level, as error() counts from the function that calls this one's
-- caller, of the first function outside brood's own Lua modules and C
-- functions: the user's code, where an argument error belongs.
local function user_level()
  if not has_debug then return 0 end
  local level = 3
  while true do
    local info = debug.getinfo(level, "S")
    if not info then return 0 end
    if info.what ~= "C" and not info.short_src:match("brood/[%w_]+%.lua$") then
      return level - 1
    end
    level = level + 1
  end
end

--- Raises "bad argument #n to 'fname' (msg)" at the user's line, as if
-- fname were the C function the user called.
function M.argerror(fname, n, msg)
  error(("bad argument #%d to '%s' (%s)"):format(n, fname, msg), user_level())
end

--- Raises again an error from Process.spawn as fname's: error objects
-- unchanged; messages without brood's own position, naming fname and,
-- through 'map' (spawn's argument number -> the caller's), the
-- argument the user gave.
function M.reraise(err, fname, map)
  -- only spawn's own argument errors carry brood's position: anything
  -- else (a trap handler's error raised on the way) goes on untouched
  if type(err) ~= "string" then error(err, 0) end
  local n, rest = err:match("^[^:\n]*brood/[%w_]+%.lua:%d+: bad argument #(%d+) to '[^']*' (.*)$")
  if not n then error(err, 0) end
  n = tonumber(n)
  error(("bad argument #%d to '%s' %s"):format(map and map(n) or n, fname, rest), user_level())
end

--- Splits ([env,] command...[, options]) into the command (a packed
-- list, env included), spawn's options and brood's own; fname names the
-- function the user called, for errors.
function M.args(fname, ...)
  local n = select("#", ...)
  local a = {...}
  local opts, extra = {}, {}
  local last = a[n]
  if n >= 2 and type(last) == "table" and rawget(last, 1) == nil then
    for k, v in next, last do
      if type(k) == "string" and EXTRA[k] then extra[k] = v else opts[k] = v end
    end
    n = n - 1
    -- one name for each standard stream, so that the pipes made here
    -- and the user's own redirects meet
    for alias, name in pairs(ALIASES) do
      if opts[alias] ~= nil then
        if opts[name] ~= nil then
          M.argerror(fname, n + 1,
                     ("options '%s' and '%s' name the same stream"):format(alias, name))
        end
        opts[name], opts[alias] = opts[alias], nil
      end
    end
  end
  if n < 1 then M.argerror(fname, 1, "command expected") end
  local cmd = {n = n}
  for i = 1, n do cmd[i] = a[i] end
  if extra.stdin_data ~= nil and extra.input == nil then extra.input = extra.stdin_data end
  if extra.input ~= nil and type(extra.input) ~= "string" then
    M.argerror(fname, n + 1, "option 'input' must be a string")
  end
  local t = extra.timeout
  if t ~= nil and (type(t) ~= "number" or t ~= t or t < 0) then
    M.argerror(fname, n + 1, "option 'timeout' must be a number of seconds")
  end
  return cmd, opts, extra
end

--- The command as one string, for messages.
function M.describe(cmd)
  local parts = {}
  for i = 1, cmd.n do
    local v = cmd[i]
    if type(v) == "string" then parts[#parts + 1] = v
    elseif type(v) == "table" and type(v[1]) == "string" then
      for k = 1, rawlen(v) do parts[#parts + 1] = tostring(rawget(v, k)) end
    end
  end
  return table.concat(parts, " ")
end

--- Process.spawn with the command and options; the pid is also
-- appended to 'pids' before the call returns (see M.guard). Errors
-- number the arguments as the command and options came.
function M.spawn(pids, cmd, opts)
  local t = {pids}
  for i = 1, cmd.n do t[i + 1] = cmd[i] end
  t[cmd.n + 2] = opts
  return core.spawn(table.unpack(t, 1, cmd.n + 2))
end

-- spawn's argument numbers through core.spawn, which takes pids first
local function shifted(k) return k - 1 end
M.shifted = shifted

-- Whom a timeout signals: the whole group when the child leads one.
local function target(pid, opts)
  if opts.setsid or opts.new_pgroup or opts.pgroup == true or opts.pgroup == 0
     or (opts.foreground and opts.pgroup == nil) then
    return -pid
  elseif type(opts.pgroup) == "number" then
    return -opts.pgroup
  end
  return pid
end

--- Waits for pid, until the monotonic 'deadline' if any. Past it, TERM
-- goes to the child (or its group), then KILL after M.GRACE seconds.
-- Returns the status, and true when it had to be killed.
function M.finish(pid, deadline, opts)
  if not deadline then
    local _, status = Process.wait2(pid)
    return status
  end
  local _, status = core.wait_timeout(pid, math.max(0, deadline - now()))
  if status then return status end
  local who = target(pid, opts)
  pcall(Process.kill, "TERM", who)
  _, status = core.wait_timeout(pid, M.GRACE)
  if not status then
    pcall(Process.kill, "KILL", who)
    _, status = Process.wait2(pid)
  end
  if who < 0 then pcall(Process.kill, "KILL", who) end  -- stragglers of the group
  return status, true
end

--- Reads every reader to its end while writing 'input' to 'writer' bit
-- by bit, waiting on all of them at once: a child that fills one pipe
-- while we write another never deadlocks. Returns the texts read, and
-- true if the deadline passed first. Closes everything it was given.
function M.collect(readers, writer, input, deadline)
  local chunks, open, index = {}, {}, {}
  for i, r in ipairs(readers) do
    chunks[i] = {}
    open[i] = r
    index[r] = i
  end
  local pos = 1
  if writer and (input == nil or #input == 0) then
    writer:close()
    writer = nil
  end
  if writer then writer:set_nonblock(true) end  -- our private end: whole chunks per write
  local timedout = false
  if #open == 1 and not writer and not deadline then  -- the simple case
    chunks[1][1] = open[1]:read("a")
    open[1]:close()
    open = {}
  end
  while #open > 0 or writer do
    local timeout = deadline and math.max(0, deadline - now())
    local rr, ww = IO.select(open, writer and {writer} or nil, nil, timeout)
    if not rr then
      timedout = true
      break
    end
    for _, r in ipairs(rr) do
      local s = r:readpartial(65536)
      if s then
        local c = chunks[index[r]]
        c[#c + 1] = s
      else
        r:close()
        for i, x in ipairs(open) do
          if x == r then table.remove(open, i) break end
        end
      end
    end
    if ww and ww[1] then
      local ok, n = pcall(writer.write_nonblock, writer, input:sub(pos, pos + 65535))
      if not ok then  -- the program stopped reading (EPIPE): that is its business
        writer:close()
        writer = nil
      elseif n then
        pos = pos + n
        if pos > #input then
          writer:close()
          writer = nil
        end
      end
    end
  end
  for _, r in ipairs(open) do r:close() end
  if writer then writer:close() end
  local out = {}
  for i = 1, #readers do out[i] = table.concat(chunks[i]) end
  return out, timedout
end

-- The last few lines of stderr, for a check failure's message.
local function tail(s)
  if not s or #s == 0 then return nil end
  if #s > 2000 then s = "..." .. s:sub(-2000) end
  return (s:gsub("%s+$", ""))
end

--- A process's end in words, for logs: "exited with status 1",
-- "killed by signal TERM (core dumped)"; a string (a start that failed)
-- as "could not start: ...".
function M.words(st)
  if type(st) == "string" then return "could not start: " .. st end
  if st.exitstatus then return "exited with status " .. st.exitstatus end
  if st.termsig then
    return "killed by signal " .. (require("brood.signal").signame(st.termsig) or st.termsig) ..
           (st.coredump and " (core dumped)" or "")
  end
  return tostring(st)
end

--- After a run: the timeout error, or the check error, or nothing.
function M.verdict(fname, cmd, extra, status, killed, out, err)
  fname = fname:match("[^.]+$")  -- the error's syscall: "capture3"
  if killed then
    error(core.error{
      errno = "ETIMEDOUT", code = 110, syscall = fname, subject = M.describe(cmd),
      message = ("timed out after %g s"):format(extra.timeout), status = status,
      stdout = out, stderr = err,
    }, 0)
  end
  if extra.check and not status.success then
    local t = tail(err)
    error(core.error{
      syscall = fname, subject = M.describe(cmd),
      message = tostring(status) .. (t and (": " .. t) or ""), status = status,
      stdout = out, stderr = err,
    }, 0)
  end
end

local function deadline_of(extra)
  return extra.timeout and now() + extra.timeout
end

local function closeall(list)
  for _, x in ipairs(list) do x:close() end
end

--- Redirects the named streams of 'opts' ("in", "out", "err", or
-- "out+err" for both on one pipe) to new pipes. Returns our ends (the
-- writer for "in", readers otherwise), in order, and the child's ends;
-- every end is also added to 'ends' as soon as it exists (M.guard
-- closes them if anything raises).
function M.pipes(opts, streams, ends)
  local ours, theirs = {}, {}
  for _, s in ipairs(streams) do
    local r, w = IO.pipe()
    ends[#ends + 1], ends[#ends + 2] = r, w
    if s == "in" then
      opts["in"] = r
      ours[#ours + 1], theirs[#theirs + 1] = w, r
    else
      if s == "out+err" then opts[{"out", "err"}] = w else opts[s] = w end
      ours[#ours + 1], theirs[#theirs + 1] = r, w
    end
  end
  return ours, theirs
end

--- Spawns with the pipes of M.pipes (the pid goes into 'pids' too): the
-- child's ends are closed here in any case. A command that cannot run
-- raises as fname's error.
function M.launch(fname, cmd, opts, theirs, pids)
  local ok, pid = pcall(M.spawn, pids, cmd, opts)
  closeall(theirs)
  if not ok then M.reraise(pid, fname, shifted) end
  return pid
end

--- A to-be-closed guard over the children started into 'pids': if the
-- code under it raises before g.done() -- a trap handler's error, no
-- memory left, a command that cannot run -- each child (or its group,
-- when it leads one) is killed with KILL and reaped, and the pipe ends
-- in 'ends' are closed: nothing is left running, as a zombie, or open.
-- The error itself goes on unchanged, traceback included.
function M.guard(pids, opts, ends)
  local g = {finished = false}
  function g.done() g.finished = true end
  return setmetatable(g, {__close = function()
    if g.finished then return end
    for _, e in ipairs(ends or {}) do pcall(e.close, e) end
    for _, pid in ipairs(pids) do
      if math.type(pid) == "integer" then
        pcall(Process.kill, "KILL", target(pid, opts))
        pcall(Process.wait, pid)
      end
    end
  end})
end

--- Process.system: true (exit 0), false (other exit, or a signal), or
-- nil with the error when the command could not run; the status second.
-- Bad arguments raise.
function M.system(...)
  local cmd, opts, extra = M.args("brood.process.system", ...)
  local deadline = deadline_of(extra)
  local pids, ends = {}, {}
  local guard <close> = M.guard(pids, opts, ends)
  local ours, theirs = M.pipes(opts, extra.input and {"in"} or {}, ends)
  local ok, pid = pcall(M.launch, "brood.process.system", cmd, opts, theirs, pids)
  if not ok then
    if extra.check or type(pid) ~= "table" or not pid.errno then error(pid, 0) end
    return nil, pid
  end
  if ours[1] then M.collect({}, ours[1], extra.input, deadline) end
  local status, killed = M.finish(pid, deadline, opts)
  guard.done()
  M.verdict("brood.process.system", cmd, extra, status, killed)
  return status.success == true, status
end

--- Runs a command to its end with the named output streams on pipes
-- (as M.pipes) and its stdin on a pipe when there is input or 'pipe_in'
-- (then no input is end of file at once); feeds the input, reads all,
-- waits, then applies timeout and check. Returns the texts read, in the
-- order of 'streams', and the status.
function M.run(fname, streams, pipe_in, ...)
  local cmd, opts, extra = M.args(fname, ...)
  local deadline = deadline_of(extra)
  local all = {}
  if pipe_in or extra.input then all[1] = "in" end
  for _, s in ipairs(streams) do all[#all + 1] = s end
  local pids, ends = {}, {}
  local guard <close> = M.guard(pids, opts, ends)
  local ours, theirs = M.pipes(opts, all, ends)
  local pid = M.launch(fname, cmd, opts, theirs, pids)
  local in_w = all[1] == "in" and table.remove(ours, 1) or nil
  local texts, timedout = M.collect(ours, in_w, extra.input, deadline)
  local status, killed = M.finish(pid, timedout and now() or deadline, opts)
  guard.done()
  local err
  for i, s in ipairs(streams) do
    if s == "err" or s == "out+err" then err = texts[i] end
  end
  M.verdict(fname, cmd, extra, status, killed, texts[1], err)
  return texts, status
end

-- Seconds Process.terminate waits between TERM and KILL by default.
M.TERMINATE_GRACE = 10

--- Process.terminate(pid or -pgid[, grace]), its arguments checked by
-- the C side: TERM (and CONT, so that a stopped process gets it), up to
-- 'grace' seconds for the child (or every process of the group) to end,
-- then KILL; reaps. Returns the child's status (a group's: its leader's,
-- when the leader is our child; else nil).
function M.terminate(who, grace)
  local _
  grace = grace or M.TERMINATE_GRACE
  if who > 0 then
    local wpid, status = Process.wait2(who, Process.WNOHANG)  -- ECHILD: not ours
    if wpid then return status end
    Process.kill("TERM", who)
    pcall(Process.kill, "CONT", who)
    _, status = core.wait_timeout(who, grace)
    if status then return status end
    pcall(Process.kill, "KILL", who)
    _, status = Process.wait2(who)
    return status
  end
  local leader, status = -who, nil
  -- reaps what of ours in the group has ended; false when none is left
  local function reap(flags)
    while true do
      local ok, wpid, st = pcall(Process.wait2, who, flags)
      if not ok or not wpid then return ok end
      if wpid == leader then status = st end
    end
  end
  Process.kill("TERM", who)  -- ESRCH: no such group
  pcall(Process.kill, "CONT", who)
  local deadline, nap = now() + grace, 0.001
  local alive
  while true do
    reap(Process.WNOHANG)
    alive = pcall(Process.kill, 0, who)
    if not alive or now() >= deadline then break end
    Process.sleep(math.min(nap, deadline - now()))
    nap = math.min(nap * 2, 0.05)
  end
  if alive then pcall(Process.kill, "KILL", who) end
  reap(0)
  return status
end

--- Process.capture: the command's stdout and its status (Ruby's
-- backticks). A command that cannot run raises.
function M.capture(...)
  local texts, status = M.run("brood.process.capture", {"out"}, false, ...)
  return texts[1], status
end

return M
