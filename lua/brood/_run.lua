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

-- Seconds a timed-out child gets between TERM and KILL.
M.GRACE = 1

local function now()
  return Process.clock_gettime("MONOTONIC")
end

--- Splits ([env,] command...[, options]) into the command (a packed
-- list, env included), spawn's options and brood's own.
function M.args(...)
  local n = select("#", ...)
  local a = {...}
  local opts, extra = {}, {}
  local last = a[n]
  if n >= 2 and type(last) == "table" and last[1] == nil then
    for k, v in pairs(last) do
      if type(k) == "string" and EXTRA[k] then extra[k] = v else opts[k] = v end
    end
    n = n - 1
  end
  local cmd = {n = n}
  for i = 1, n do cmd[i] = a[i] end
  if extra.stdin_data ~= nil and extra.input == nil then extra.input = extra.stdin_data end
  if extra.input ~= nil and type(extra.input) ~= "string" then
    error("input must be a string", 3)
  end
  if extra.timeout ~= nil and (type(extra.timeout) ~= "number" or extra.timeout < 0) then
    error("timeout must be a number of seconds", 3)
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
      for _, w in ipairs(v) do parts[#parts + 1] = w end
    end
  end
  return table.concat(parts, " ")
end

--- Process.spawn with the command and options.
function M.spawn(cmd, opts)
  local t = {}
  for i = 1, cmd.n do t[i] = cmd[i] end
  t[cmd.n + 1] = opts
  return Process.spawn(table.unpack(t, 1, cmd.n + 1))
end

-- Whom a timeout signals: the whole group when the child leads one.
local function target(pid, opts)
  if opts.setsid or opts.new_pgroup or opts.pgroup == true or opts.pgroup == 0 then
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

--- After a run: the timeout error, or the check error, or nothing.
function M.verdict(fname, cmd, extra, status, killed, out, err)
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

--- Redirects the named streams of 'opts' ("in", "out", "err", or
-- "out+err" for both on one pipe) to new pipes. Returns our ends (the
-- writer for "in", readers otherwise), in order, and the child's ends.
function M.pipes(opts, streams)
  local ours, theirs = {}, {}
  for _, s in ipairs(streams) do
    local r, w = IO.pipe()
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

--- Spawns with the pipes of M.pipes: the child's ends are closed here
-- in any case, ours too if the command cannot run (which raises).
function M.launch(cmd, opts, ours, theirs)
  local ok, pid = pcall(M.spawn, cmd, opts)
  for _, t in ipairs(theirs) do t:close() end
  if not ok then
    for _, o in ipairs(ours) do o:close() end
    error(pid, 0)
  end
  return pid
end

--- Process.system: true (exit 0), false (other exit, or a signal), or
-- nil with the error when the command could not run; the status second.
function M.system(...)
  local cmd, opts, extra = M.args(...)
  local deadline = deadline_of(extra)
  local ours, theirs = M.pipes(opts, extra.input and {"in"} or {})
  local ok, pid = pcall(M.launch, cmd, opts, ours, theirs)
  if not ok then
    if extra.check then error(pid, 0) end
    return nil, pid
  end
  if ours[1] then M.collect({}, ours[1], extra.input, deadline) end
  local status, killed = M.finish(pid, deadline, opts)
  M.verdict("system", cmd, extra, status, killed)
  return status.success == true, status
end

--- Runs a command to its end with the named output streams on pipes
-- (as M.pipes) and its stdin on a pipe when there is input or 'pipe_in'
-- (then no input is end of file at once); feeds the input, reads all,
-- waits, then applies timeout and check. Returns the texts read, in the
-- order of 'streams', and the status.
function M.run(fname, streams, pipe_in, ...)
  local cmd, opts, extra = M.args(...)
  local deadline = deadline_of(extra)
  local all = {}
  if pipe_in or extra.input then all[1] = "in" end
  for _, s in ipairs(streams) do all[#all + 1] = s end
  local ours, theirs = M.pipes(opts, all)
  local pid = M.launch(cmd, opts, ours, theirs)
  local in_w = all[1] == "in" and table.remove(ours, 1) or nil
  local texts, timedout = M.collect(ours, in_w, extra.input, deadline)
  local status, killed = M.finish(pid, timedout and now() or deadline, opts)
  local err
  for i, s in ipairs(streams) do
    if s == "err" or s == "out+err" then err = texts[i] end
  end
  M.verdict(fname, cmd, extra, status, killed, texts[1], err)
  return texts, status
end

--- Process.capture: the command's stdout and its status (Ruby's
-- backticks). A command that cannot run raises.
function M.capture(...)
  local texts, status = M.run("capture", {"out"}, false, ...)
  return texts[1], status
end

return M
