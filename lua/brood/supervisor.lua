--- brood.supervisor: running other programs and keeping them running.
-- Supervisor.init is what `brood --init -- command...` runs: the first
-- process of a container (tini's job) or a subreaper anywhere else.
local Process = require "brood.process"
local Signal = require "brood.signal"
local IO = require "brood.io"
local Socket = require "brood.socket"

local M = {}

-- Signals init never forwards: the ones the kernel sends a process for
-- its own faults, the terminal's stop-on-read/write ones, the ones no
-- process can catch, and CHLD, which is init's own business (tini's
-- list).
local KEEP = {SEGV = true, BUS = true, ILL = true, FPE = true, ABRT = true, IOT = true,
              TRAP = true, SYS = true, TTIN = true, TTOU = true, KILL = true, STOP = true,
              CHLD = true, CLD = true, EXIT = true}

-- Every signal init passes on, sorted by number (one name per number).
local function forwarded()
  local bynum = {}
  for name, num in pairs(Signal.list()) do
    if not KEEP[name] and num > 0 and (not bynum[num] or #name < #bynum[num]) then
      bynum[num] = name
    end
  end
  local list = {}
  for num in pairs(bynum) do list[#list + 1] = num end
  table.sort(list)
  for i, num in ipairs(list) do list[i] = bynum[num] end
  return list
end

local run = require "brood._run"

-- A key for a message: a string as it is, anything else by its type (no
-- __tostring of the caller's runs here).
local function keyname(k)
  if type(k) == "string" or math.type(k) == "integer" then return tostring(k) end
  return "(a " .. type(k) .. ")"
end
local function argerror(n, msg) run.argerror("init", n, msg) end

--- Supervisor.init(argv[, options]) -> the exit code to end with.
-- Runs the command (a list: program and arguments) in a process group
-- of its own -- the terminal's foreground group when there is one --
-- passes every signal it gets on to it, reaps every child (its own and
-- the orphans the kernel gives it: it is PID 1 or becomes a subreaper),
-- and returns once the command has ended: its exit status, or 128 + the
-- signal that killed it, as a shell reports it. options.group = true
-- sends the signals to the command's whole process group instead.
-- A copy of the list at arg (raw reads: no metamethod runs), every
-- element a string; what is wrong raises for function fname.
local function strings(fname, arg, list, what)
  if type(list) ~= "table" or rawlen(list) == 0 then
    run.argerror(fname, arg, what .. " expected: {program, args...}")
  end
  local n = rawlen(list)
  if n > 65536 then run.argerror(fname, arg, "too many arguments") end
  local copy = {}
  for i = 1, n do
    local v = rawget(list, i)
    if type(v) ~= "string" then
      run.argerror(fname, arg, ("element %d of %s must be a string"):format(i, what))
    end
    copy[i] = v
  end
  return copy
end

function M.init(argv, opts, ...)
  local cmd = strings("init", 1, argv, "a command")
  if select("#", ...) > 0 then argerror(3, "no value expected") end
  if opts ~= nil and type(opts) ~= "table" then argerror(2, "options table expected") end
  local group = false
  for k, v in next, opts or {} do
    if k ~= "group" then argerror(2, ("unknown option '%s'"):format(keyname(k))) end
    group = v and true or false
  end
  if Process.pid() ~= 1 then Process.subreaper(true) end
  local signals = forwarded()
  signals[#signals + 1] = "CHLD"
  -- from here on every one of them is queued for Signal.wait, so none
  -- that comes while the command starts is lost
  Signal.wait(signals, 0)
  cmd[#cmd + 1] = {foreground = true}
  local child = Process.spawn(table.unpack(cmd))
  local target = group and -child or child
  local status
  while true do
    -- reap whatever has ended: the command, and orphans adopted
    while true do
      local ok, pid, st = pcall(Process.wait2, -1, Process.WNOHANG)
      if not ok or not pid then break end
      if pid == child then status = st end
    end
    if status then break end
    local sig = Signal.wait(signals)
    if sig ~= "CHLD" then pcall(Process.kill, sig, target) end
  end
  if status.exitstatus then return status.exitstatus end
  return 128 + status.termsig
end

-- {{{ Supervisor.new: an Erlang/OTP-style supervisor

local Task = require "brood.task"

local Sup = {}
Sup.__index = Sup
Sup.__name = "brood.Supervisor"

local STRATEGIES = {one_for_one = true, one_for_all = true, rest_for_one = true}
local RESTARTS = {permanent = true, transient = true, temporary = true}
local TOP_KEYS = {children = "table", strategy = "string", intensity = "number",
                  period = "number", backoff = "table", log = "function", output = "string"}
local CHILD_KEYS = {name = "string", command = "table", fn = "function", restart = "string",
                    shutdown = "number", options = "table", ready = "table"}

local function now() return Process.clock_gettime("MONOTONIC") end

local function specerror(what, msg)
  run.argerror("new", 1, what .. ": " .. msg)
end

local function checktype(what, key, v, want)
  if want == "number" then
    if type(v) ~= "number" or v ~= v or v < 0 then
      specerror(what, ("'%s' must be a number >= 0"):format(key))
    end
  elseif type(v) ~= want then
    specerror(what, ("'%s' must be a %s, not %s"):format(key, want, type(v)))
  end
end

local words = run.words  -- "exited with status 1", "killed by signal TERM"

--- Supervisor.new(spec) -> a supervisor, its spec checked before anything
-- starts: spec.children (a list, started in order; each {name =,
-- command = {spawn's arguments...} or fn = function, restart =
-- "permanent" (default) / "transient" / "temporary", shutdown = seconds
-- between TERM and KILL (default 5), options = spawn options}),
-- spec.strategy ("one_for_one" (default), "one_for_all",
-- "rest_for_one"), spec.intensity and spec.period (more than intensity
-- restarts within period seconds: stop everything and fail; default 3
-- in 5), spec.backoff ({initial = 0.1, max = 10}: seconds before a
-- restart, doubling for a child that keeps crashing), spec.log (a
-- function given each event as a line; default: stderr).
function M.new(spec)
  if type(spec) ~= "table" then run.argerror("new", 1, "table expected") end
  for k, v in next, spec do
    if not TOP_KEYS[k] then
      specerror("the supervisor", ("unknown key '%s'"):format(keyname(k)))
    end
    checktype("the supervisor", k, v, TOP_KEYS[k])
  end
  local function field(k) return rawget(spec, k) end
  if field("strategy") and not STRATEGIES[field("strategy")] then
    specerror("the supervisor", ("unknown strategy '%s'"):format(field("strategy")))
  end
  local children, names = {}, {}
  local list = rawget(spec, "children") or {}
  for i = 1, math.min(rawlen(list), 100000) do
    local c = rawget(list, i)
    local what = ("child %d"):format(i)
    if type(c) ~= "table" then specerror(what, "a table expected") end
    local function f(k) return rawget(c, k) end  -- raw: no metamethod runs
    if type(f("name")) == "string" then what = ("child '%s'"):format(f("name")) end
    for k, v in next, c do
      if not CHILD_KEYS[k] then specerror(what, ("unknown key '%s'"):format(keyname(k))) end
      checktype(what, k, v, CHILD_KEYS[k])
    end
    if not f("name") then specerror(what, "'name' is missing") end
    if names[f("name")] then specerror(what, "a second child of that name") end
    names[f("name")] = true
    if (f("command") == nil) == (f("fn") == nil) then
      specerror(what, "give either 'command' (a list) or 'fn' (a function)")
    end
    if f("command") then
      -- spawn's forms: strings, the first of which may be an environment
      -- table or a {program, argv0} pair
      local n = rawlen(f("command"))
      if n == 0 then specerror(what, "'command' is empty") end
      for j = 1, n do
        local v = rawget(f("command"), j)
        if type(v) ~= "string" and not (j == 1 and type(v) == "table" and n > 1) and
           not (j == 1 and type(v) == "table" and type(rawget(v, 1)) == "string") then
          specerror(what, ("element %d of 'command' must be a string"):format(j))
        end
      end
    end
    if f("ready") then
      local fd, sd = rawget(f("ready"), "fd"), rawget(f("ready"), "systemd")
      if not (sd == true and fd == nil) and
         (math.type(fd) ~= "integer" or fd < 3 or fd > 1023 or sd ~= nil) then
        specerror(what, "'ready' must be {fd = a descriptor number from 3 on} or " ..
                        "{systemd = true}, with an optional timeout")
      end
      local t = rawget(f("ready"), "timeout")
      if t ~= nil then checktype(what, "ready.timeout", t, "number") end
    end
    if f("restart") and not RESTARTS[f("restart")] then
      specerror(what, ("unknown restart '%s'"):format(f("restart")))
    end
    local ready = f("ready")
    local options = {}
    for k, v in next, f("options") or {} do options[k] = v end
    children[i] = {name = f("name"), command = f("command"), fn = f("fn"),
                   restart = f("restart") or "permanent", shutdown = f("shutdown") or 5,
                   options = options, index = i, restarts = 0, crashes = 0,
                   state = "stopped",
                   ready = ready and {fd = rawget(ready, "fd"), systemd = rawget(ready, "systemd"),
                                      timeout = rawget(ready, "timeout")}}
  end
  if #children == 0 then specerror("the supervisor", "'children' must list at least one child") end
  local output = field("output")
  if output and output ~= "prefixed" and output ~= "inherit" then
    specerror("the supervisor",
              ("unknown output '%s' (\"prefixed\" or \"inherit\")"):format(output))
  end
  local width = 0
  for _, c in ipairs(children) do width = math.max(width, #c.name) end
  local backoff = field("backoff") or {}
  for k, v in next, backoff do
    if k ~= "initial" and k ~= "max" then
      specerror("the supervisor", ("unknown key '%s' in 'backoff'"):format(keyname(k)))
    end
    checktype("the supervisor", "backoff." .. k, v, "number")
  end
  return setmetatable({
    children = children, strategy = field("strategy") or "one_for_one",
    intensity = field("intensity") or 3, period = field("period") or 5,
    initial = rawget(backoff, "initial") or 0.1, max = rawget(backoff, "max") or 10,
    log = field("log") or function(line) io.stderr:write("supervisor: ", line, "\n") end,
    history = {}, stopping = false, readers = {},
    prefixed = output == "prefixed", width = width,
    colour = output == "prefixed" and IO.stdout:isatty(),
  }, Sup)
end

local COLOURS = {36, 33, 32, 35, 34, 31}  -- cyan, yellow, green, magenta, blue, red

-- One line of a child's output, with its name in front (aligned, and
-- coloured when our stdout is a terminal).
function Sup:emit(c, line)
  if line:sub(-1) ~= "\n" then line = line .. "\n" end
  local name = c.name .. (" "):rep(self.width - #c.name)
  if self.colour then
    name = ("\27[%dm%s |\27[0m "):format(COLOURS[(c.index - 1) % #COLOURS + 1], name)
  else
    name = name .. " | "
  end
  IO.stdout:write(name, line)
end

-- Starts child c (one run of it); its watcher reports the exit. With
-- c.ready, waits until the child says it is ready (or ends, or the time
-- runs out) before returning.
function Sup:start(c)
  local out_r, out_w, ready_r, ready_w, notify, notify_name
  local ok, pid = pcall(function()
    if self.prefixed then out_r, out_w = IO.pipe() end
    if c.ready and c.ready.fd then ready_r, ready_w = IO.pipe() end
    if c.ready and c.ready.systemd then
      -- a notification socket of its own, in the abstract namespace
      self.serial = (self.serial or 0) + 1
      notify_name = ("@brood-supervisor-%d-%d"):format(Process.pid(), self.serial)
      notify = Socket.unix_dgram(notify_name)
    end
    if c.command then
      local argv = {table.unpack(c.command)}
      if notify_name then
        local env = {}
        if type(argv[1]) == "table" and rawget(argv[1], 1) == nil then
          for k, v in pairs(table.remove(argv, 1)) do env[k] = v end
        end
        env.NOTIFY_SOCKET = notify_name
        table.insert(argv, 1, env)
      end
      local opts = {}
      for k, v in pairs(c.options) do opts[k] = v end
      if opts.pgroup == nil and not opts.setsid then opts.pgroup = true end
      if out_w then opts.out, opts.err = out_w, out_w end
      if ready_w then opts[c.ready.fd] = ready_w end
      argv[#argv + 1] = opts
      return Process.spawn(table.unpack(argv))
    end
    local pid = Process.fork(function()
      Process.setpgid(0, 0)
      if out_w then
        out_r:close()
        IO.stdout:reopen(out_w)
        IO.stderr:reopen(out_w)
        out_w:close()
      end
      if ready_r then ready_r:close() end
      if notify then
        notify:close()
        Process.env.NOTIFY_SOCKET = notify_name
      end
      c.fn(c.name, function()
        if ready_w and not ready_w:closed() then
          ready_w:write("ready\n")
          ready_w:close()
        end
      end)
    end, {traps = "default", pdeathsig = "TERM"})
    -- in both, as the book says: whichever runs first, the group exists
    -- before anyone signals it
    pcall(Process.setpgid, pid, pid)
    return pid
  end)
  if out_w then out_w:close() end
  if ready_w then ready_w:close() end
  local r = {child = c, started = now()}
  c.run = r
  if not ok then
    if out_r then out_r:close() end
    if ready_r then ready_r:close() end
    if notify then notify:close() end
    r.status = type(pid) == "table" and tostring(pid.message or pid) or tostring(pid)
    self.log(("%s %s"):format(c.name, words(r.status)))
    self.events:push({run = r})
    return
  end
  r.pid = pid
  r.exited = Task.queue(1)
  c.state = "running"
  self.log(("%s started (pid %d)"):format(c.name, pid))
  if out_r then
    local live = {}
    for _, t in ipairs(self.readers) do
      if t:status() == "running" or t:status() == "suspended" then live[#live + 1] = t end
    end
    self.readers = live
    self.readers[#self.readers + 1] = Task.spawn(function()
      local rd <close> = out_r
      for line in rd:lines("L") do self:emit(c, line) end
    end)
  end
  Task.spawn(function()
    local _, st = Process.wait2(pid)
    r.status = st
    r.exited:push(st)
    self.events:push({run = r})
  end)
  if notify then
    local sock <close> = notify
    c.state = "starting"
    local deadline = now() + (c.ready.timeout or 30)
    local said = false
    -- until it says READY=1, ends, or the time runs out
    while not said and not r.status and now() < deadline do
      if IO.select({sock}, nil, nil, math.min(0.05, deadline - now())) then
        local msg = sock:recv(4096)
        said = ("\n" .. msg .. "\n"):find("\nREADY=1\n", 1, true) ~= nil
      end
    end
    if said then
      c.state = "running"
      self.log(("%s is ready"):format(c.name))
    elseif r.status then
      self.log(("%s ended before it was ready"):format(c.name))
    else
      self.log(("%s did not say it was ready in %g s"):format(c.name, c.ready.timeout or 30))
    end
  end
  if ready_r then
    local rd <close> = ready_r
    c.state = "starting"
    local fine, line = pcall(Task.timeout, c.ready.timeout or 30, rd.read, rd, "l")
    if fine and line then
      c.state = "running"
      self.log(("%s is ready"):format(c.name))
    elseif fine then
      self.log(("%s closed its readiness descriptor without a word"):format(c.name))
    else
      self.log(("%s did not say it was ready in %g s"):format(c.name, c.ready.timeout or 30))
    end
  end
end

-- Stops the current run of c: TERM to its group, shutdown seconds, KILL.
function Sup:stopchild(c)
  local r = c.run
  if not r or not r.pid or r.status then
    c.state = "stopped"
    return
  end
  r.stopped = true
  c.state = "stopping"
  -- the group (a child that left it still gets the signal itself)
  pcall(Process.kill, "TERM", -r.pid)
  pcall(Process.kill, "TERM", r.pid)
  pcall(Process.kill, "CONT", -r.pid)
  local ok = pcall(r.exited.pop, r.exited, c.shutdown)
  if not ok then
    self.log(("%s did not stop in %g s: KILL"):format(c.name, c.shutdown))
    pcall(Process.kill, "KILL", -r.pid)
    pcall(Process.kill, "KILL", r.pid)
    r.exited:pop()
  end
  pcall(Process.kill, "KILL", -r.pid)  -- what the group left behind
  c.state = "stopped"
  self.log(("%s stopped (%s)"):format(c.name, words(r.status)))
end

-- Whether this exit calls for a restart, by the child's restart type.
local function wants_restart(c, st)
  if c.restart == "temporary" then return false end
  if c.restart == "permanent" then return true end
  return type(st) == "string" or st.exitstatus ~= 0  -- transient: only abnormal ends
end

function Sup:restart_intensity()
  local t = now()
  local list = self.history
  list[#list + 1] = t
  while list[1] and list[1] < t - self.period do table.remove(list, 1) end
  return #list > self.intensity
end

-- The children a restart of c takes with it, in start order.
function Sup:affected(c)
  if self.strategy == "one_for_one" then return {c} end
  local from = self.strategy == "one_for_all" and 1 or c.index
  local list = {}
  for i = from, #self.children do list[#list + 1] = self.children[i] end
  return list
end

function Sup:stopall(list)
  for i = #list, 1, -1 do self:stopchild(list[i]) end
end

function Sup:exited(r)
  local c = r.child
  if r.stopped or c.run ~= r or self.stopping then return end
  c.state = "exited"
  local st = r.status
  self.log(("%s %s"):format(c.name, words(st)))
  if not wants_restart(c, st) then
    c.state = "done"
    for _, o in ipairs(self.children) do
      if o.state ~= "done" then return end
    end
    self.log("every child is done")
    self.events:push({stop = true})  -- nothing is left to supervise
    return
  end
  if self:restart_intensity() then
    self.failure = ("restart intensity reached: more than %d restarts in %g s (last: %s %s)")
      :format(self.intensity, self.period, c.name, words(st))
    return
  end
  -- a child that ran long enough is not crashing: its backoff starts over
  if now() - r.started > self.period then c.crashes = 0 end
  c.crashes = c.crashes + 1
  local delay = math.min(self.max, self.initial * 2 ^ (c.crashes - 1))
  local list = self:affected(c)
  local others = {}
  for _, o in ipairs(list) do if o ~= c then others[#others + 1] = o end end
  self:stopall(others)
  for _, o in ipairs(list) do o.state = "backoff" end
  self.log(("restarting %s in %g s"):format(#list == 1 and c.name or
    (#list .. " children from " .. list[1].name), delay))
  local generation = {}
  for _, o in ipairs(list) do o.pending = generation end  -- a later restart replaces it
  Task.spawn(function()
    Task.sleep(delay)
    self.events:push({start = list, generation = generation})
  end)
end

--- sup:run() -> 0 once stopped (sup:stop(), or TERM or INT to this
-- process); raises when the restart intensity is reached, after
-- stopping every child. HUP restarts every child. Runs its own
-- Task.run, or inside the calling task.
function Sup:run()
  if getmetatable(self) ~= Sup then run.argerror("run", 1, "a supervisor expected") end
  if self.running then error("run: this supervisor is already running", 2) end
  self.running = true
  local function body()
    -- however this ends (an error, a cancellation), no child outlives it
    local _ <close> = setmetatable({}, {__close = function(_, err)
      if err == nil then return end
      for _, c in ipairs(self.children) do
        local r = c.run
        if r and r.pid and not r.status then
          pcall(Process.kill, "KILL", -r.pid)
          pcall(Process.wait, r.pid)
        end
      end
    end})
    self.events = Task.queue()
    local signals = Task.spawn(function()
      while true do
        local sig = Signal.wait({"TERM", "INT", "HUP"})
        self.events:push({signal = sig})
      end
    end)
    for _, c in ipairs(self.children) do self:start(c) end
    while not self.failure do
      local e = self.events:pop()
      if e == nil or e.stop then break end
      if e.signal == "HUP" then
        self.log("HUP: restarting every child")
        self:stopall(self.children)
        for _, c in ipairs(self.children) do
          c.pending = nil
          self:start(c)
        end
      elseif e.signal then
        self.log(e.signal .. ": stopping")
        break
      elseif e.run then
        self:exited(e.run)
      elseif e.start then
        for _, c in ipairs(e.start) do
          if c.pending == e.generation then
            c.pending = nil
            c.restarts = c.restarts + 1
            self:start(c)
          end
        end
      end
    end
    self.stopping = true
    self:stopall(self.children)
    signals:cancel()
    -- the output already written comes out; a reader held open by a
    -- process that left the child's group is cut off after a second
    for _, reader in ipairs(self.readers) do
      if not pcall(reader.wait, reader, 1) then reader:cancel() end
    end
    return 0
  end
  local ok, code
  if Task.current() then ok, code = pcall(body) else ok, code = pcall(Task.run, body) end
  self.running = false
  if not ok then error(code, 0) end
  if self.failure then error(self.failure, 2) end
  return code
end

--- sup:stop() -- from a task beside run, or a trap handler: stops every
-- child, last first, and makes run return.
function Sup:stop()
  if getmetatable(self) ~= Sup then run.argerror("stop", 1, "a supervisor expected") end
  if self.events then self.events:push({stop = true}) end
end

--- sup:status() -> a list, in start order, of {name =, state =, pid =,
-- restarts =, last = the last exit in words}.
function Sup:status()
  if getmetatable(self) ~= Sup then run.argerror("status", 1, "a supervisor expected") end
  local list = {}
  for i, c in ipairs(self.children) do
    local r = c.run
    list[i] = {name = c.name, state = c.state, pid = r and not r.status and r.pid or nil,
               restarts = c.restarts, last = r and r.status and words(r.status) or nil}
  end
  return list
end

-- }}}

--- Supervisor.prefork(spec) -> a preforking server (Unicorn's master):
-- see brood/_prefork.lua.
function M.prefork(spec)
  return require("brood._prefork").new(spec)
end

return M
