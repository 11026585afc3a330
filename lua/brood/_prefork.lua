--- brood._prefork: Supervisor.prefork, a preforking master in the
-- manner of Unicorn's: listeners opened once, N workers forked to accept
-- on them, signals to grow, shrink, replace and re-execute without ever
-- closing a listener.
local Process = require "brood.process"
local Signal = require "brood.signal"
local IO = require "brood.io"
local Socket = require "brood.socket"
local Task = require "brood.task"
local systemd = require "brood.systemd"
local run = require "brood._run"

local M = {}

-- What a re-executed master finds in its environment: the descriptors of
-- the listeners it inherits (Unicorn's UNICORN_FD) and the master that
-- started it, which steps aside once the new one is ready.
local FDS_VAR, OLD_VAR = "BROOD_PREFORK_FDS", "BROOD_PREFORK_OLD"

local KEYS = {listen = "table", workers = "number", timeout = "number", handle = "function",
              before_fork = "function", after_fork = "function", before_exec = "function",
              pidfile = "string", log = "function", backlog = "number", shutdown = "number",
              exec = "table"}

local function now() return Process.clock_gettime("MONOTONIC") end

local function keyname(k)
  if type(k) == "string" or math.type(k) == "integer" then return tostring(k) end
  return "(a " .. type(k) .. ")"
end

local function specerror(msg) run.argerror("prefork", 1, msg) end

local words = run.words  -- "exited with status 1", "killed by signal TERM"

-- A listen entry as an address: {tcp = true, host =, port =} or
-- {path = ...}; nil, why when it is none.
local function address(s)
  if s:find("^/") or s:find("^@") then return {path = s} end
  if s:find("^unix:") then return {path = s:sub(6)} end
  local host, port = s:match("^%[(.*)%]:(%d+)$")
  if not host then host, port = s:match("^(.*):(%d+)$") end
  if not host then host, port = "0.0.0.0", s:match("^(%d+)$") end
  port = math.tointeger(tonumber(port))
  if not port or port < 0 or port > 65535 then return nil end
  if host == "" or host == "*" then host = "0.0.0.0" end
  return {host = host, port = port}
end

-- Does the open socket io listen on addr?
local function listens_on(io, addr)
  local ok, a, b = pcall(io.local_address, io)
  if not ok then return false end
  if addr.path then return a == addr.path end
  local port_ok = b == addr.port or (addr.port == 0 and b ~= nil)
  return port_ok and a == addr.host
end

local function describe(io)
  local ok, a, b = pcall(io.local_address, io)
  if not ok then return "fd " .. io:fileno() end
  if b then return (a:find(":") and "[%s]:%d" or "%s:%d"):format(a, b) end
  return a
end

local Server = {}
Server.__index = Server
Server.__name = "brood.PreforkServer"

-- The master's and the workers' own steps: not methods, so no script
-- (or stray call) runs a worker's loop in the master.
local I = {}

--- Supervisor.prefork(spec) -> a server; spec checked before anything
-- is opened or started (see docs/reference/supervisor.md).
function M.new(spec)
  if type(spec) ~= "table" then run.argerror("prefork", 1, "table expected") end
  for k, v in next, spec do
    local want = KEYS[k]
    if not want then specerror(("unknown key '%s'"):format(keyname(k))) end
    if want == "number" then
      if type(v) ~= "number" or v ~= v or v < 0 or v == math.huge then
        specerror(("'%s' must be a number >= 0"):format(k))
      end
    elseif type(v) ~= want then
      specerror(("'%s' must be a %s, not %s"):format(k, want, type(v)))
    end
  end
  local function field(k) return rawget(spec, k) end
  if not field("handle") then specerror("'handle' is missing: function(client, worker)") end
  local workers = field("workers") or 1
  if math.type(workers) ~= "integer" and workers ~= math.floor(workers) or workers > 10000 then
    specerror("'workers' must be a whole number from 0 to 10000")
  end
  local listen = {}
  local list = field("listen") or {}
  for i = 1, math.min(rawlen(list), 1000) do
    local v = rawget(list, i)
    if type(v) == "string" then
      local a = address(v)
      if not a then
        specerror(("listen entry %d: '%s' is no address (\"8080\", \"host:port\", " ..
                   "\"/path\", \"@name\")"):format(i, v))
      end
      a.text = v
      listen[#listen + 1] = a
    elseif type(v) == "userdata" and getmetatable(v) == getmetatable(IO.stdin) then
      listen[#listen + 1] = {io = v}
    else
      specerror(("listen entry %d must be an address string or a socket, not %s")
                :format(i, type(v)))
    end
  end
  local exec = field("exec")
  if exec then
    local n = rawlen(exec)
    if n == 0 then specerror("'exec' must list a program and its arguments") end
    for i = 1, n do
      if type(rawget(exec, i)) ~= "string" then
        specerror(("element %d of 'exec' must be a string"):format(i))
      end
    end
  end
  local timeout = field("timeout") or 60
  if timeout <= 0 then specerror("'timeout' must be more than 0") end
  return setmetatable({
    listen = listen, target = math.tointeger(workers), timeout = timeout,
    handle = field("handle"), before_fork = field("before_fork"),
    after_fork = field("after_fork"), before_exec = field("before_exec"),
    pidfile = field("pidfile"), backlog = field("backlog"),
    shutdown = field("shutdown") or timeout,
    exec = exec and {table.unpack(exec, 1, rawlen(exec))},
    log = field("log") or function(line)
      io.stderr:write(("prefork[%d]: %s\n"):format(Process.pid(), line))
    end,
    workers = {}, listeners = {}, tasks = {}, crashes = {}, waited = {},
    state = "new",
    -- a worker checks in at most this often (and at least, when idle)
    interval = math.min(1, timeout / 4),
  }, Server)
end

-- {{{ the worker

-- A worker's life: default signal dispositions (the fork gave them),
-- QUIT to stop after the request in hand, the master's group signals
-- ignored; accept, handle, check in, until told to stop. QUIT closes the
-- worker's copies of the listeners (as Unicorn's workers do): a blocked
-- accept ends, a client already accepted is still served, and the
-- connections waiting in the queue stay there for the other workers --
-- the master holds the listeners open.
function I.work(self, w, beat)
  local quitting = false
  local listeners = self.listeners
  local wake_r, wake_w
  if #listeners > 1 then wake_r, wake_w = IO.pipe() end
  Signal.trap("QUIT", function()
    quitting = true
    for _, l in ipairs(listeners) do pcall(l.close, l) end
    if wake_w then pcall(wake_w.write_nonblock, wake_w, "q") end
  end)
  for _, sig in ipairs({"HUP", "USR2", "TTIN", "TTOU", "WINCH"}) do Signal.trap(sig, "IGNORE") end
  local last = -math.huge
  local interval = self.interval
  local function checkin()
    local t = now()
    if t - last >= interval then
      last = t
      if not pcall(beat.write, beat, ".") then Process._exit(0) end  -- the master is gone
    end
  end
  w.checkin = checkin
  local handle = self.handle
  local function serve(client)
    local _ <close> = client
    local ok, err = xpcall(handle, debug.traceback, client, w)
    if not ok then io.stderr:write(("worker %d: %s\n"):format(w.number, tostring(err))) end
  end
  local ok, err = pcall(function()
    if self.after_fork then self.after_fork(self, w) end
    checkin()
    local one = #listeners == 1 and listeners[1]
    -- a client another worker took first: back to waiting, never
    -- blocked in the kernel past the next check-in
    for _, l in ipairs(listeners) do l:set_nonblock(true) end
    local set = {wake_r}
    for _, l in ipairs(listeners) do set[#set + 1] = l end
    while not quitting do
      if one then
        local fine, client = pcall(one.accept, one, interval)
        if not fine then
          if quitting then break end
          error(client, 0)
        end
        checkin()
        if client then serve(client) end
      else
        local ready = IO.select(set, nil, nil, interval)
        checkin()
        for _, l in ipairs(ready or {}) do
          if l ~= wake_r and not quitting then
            local fine, client = pcall(l.accept_nonblock, l)
            if not fine then
              if quitting then break end
              error(client, 0)
            end
            if client then serve(client) end
          end
        end
      end
    end
  end)
  if not ok then
    io.stderr:write(("worker %d: %s\n"):format(w.number, tostring(err)))
    Process._exit(1)
  end
  Process._exit(0)
end

-- }}}

-- {{{ the master

function I.event(self, e) self.events:push(e) end

-- A task of the master's; those still running when it stops are
-- cancelled (a successor's waiter, a delayed restart), so run returns.
function I.go(self, fn)
  local live = {}
  for _, t in ipairs(self.tasks) do
    local st = t:status()
    if st == "running" or st == "suspended" then live[#live + 1] = t end
  end
  local t = Task.spawn(fn)
  live[#live + 1] = t
  self.tasks = live
  return t
end

-- Starts a worker with this number, of the current generation.
function I.spawn(self, number)
  local w = {number = number, generation = self.generation, state = "starting",
             started = now()}
  w.seen = w.started
  local beat_r, beat_w = IO.pipe()
  if self.before_fork then self.before_fork(self, w) end
  local ok, pid = pcall(Process.fork, function()
    beat_r:close()
    for _, o in ipairs(self.workers) do
      if o.beat then pcall(o.beat.close, o.beat) end
    end
    w.pid = Process.pid()
    I.work(self, w, beat_w)
  end, {traps = "default", pdeathsig = "KILL"})
  beat_w:close()
  if not ok then
    beat_r:close()
    self.log(("worker %d could not start: %s"):format(number, tostring(pid)))
    return nil
  end
  w.pid, w.beat = pid, beat_r
  self.workers[#self.workers + 1] = w
  self.log(("worker %d started (pid %d)"):format(number, pid))
  I.go(self, function()  -- its check-ins
    while true do
      local ok2, data = pcall(beat_r.readpartial, beat_r, 4096)
      if not ok2 or not data then break end
      w.seen = now()
      if w.quit_on_checkin then
        w.quit_on_checkin = nil
        pcall(Process.kill, "QUIT", w.pid)
      elseif w.state == "starting" then
        w.state = "running"
        I.event(self, {ready = w})
      end
    end
  end)
  I.go(self, function()
    local _, st = Process.wait2(pid)
    w.status = st
    pcall(beat_r.close, beat_r)
    I.event(self, {exited = w})
  end)
  return w
end

function I.forget(self, w)
  local list = {}
  for _, o in ipairs(self.workers) do if o ~= w then list[#list + 1] = o end end
  self.workers = list
end

function I.live(self)
  local list = {}
  for _, w in ipairs(self.workers) do
    if not w.status then list[#list + 1] = w end
  end
  return list
end

-- A worker not yet checked in may not have its QUIT trap yet (QUIT's
-- default is to dump core): it gets the QUIT once it checks in.
local function stopworker(w, sig)
  if w.status then return end
  if sig == "QUIT" and w.state == "starting" then
    w.state, w.quit_on_checkin = "stopping", true
    return
  end
  w.state = "stopping"
  pcall(Process.kill, sig, w.pid)
end

-- Workers of the current generation, by number, for each number from 1
-- to the target; starts the missing ones (after a short pause for a
-- slot whose last worker died young, so a crash loop does not spin).
function I.maintain(self)
  if self.state ~= "running" then return end
  local have = {}
  for _, w in ipairs(I.live(self)) do
    if w.generation == self.generation and w.state ~= "stopping" then
      if w.number > self.target then
        stopworker(w, "QUIT")
      else
        have[w.number] = true
      end
    end
  end
  for n = 1, self.target do
    if not have[n] and not (self.pending and self.pending[n]) then
      local young = self.crashes[n]
      if young and young > 0 and not self.waited[n] then
        self.pending = self.pending or {}
        self.pending[n] = true
        local delay = math.min(5, 0.1 * 2 ^ (young - 1))
        I.go(self, function()
          Task.sleep(delay)
          self.pending[n], self.waited[n] = nil, true
          I.event(self, {maintain = true})
        end)
      else
        self.waited[n] = nil
        I.spawn(self, n)
      end
    end
  end
end

-- Listeners: inherited ones (a previous master's, systemd's), matched
-- to the listen entries by address; the entries left are opened.
function I.open(self)
  local inherited = {}
  local fds = Process.env[FDS_VAR]
  Process.env[FDS_VAR] = nil
  if fds then
    for fd in fds:gmatch("%d+") do
      local io = IO.for_fd(math.tointeger(tonumber(fd)))
      io:close_on_exec(true)
      inherited[#inherited + 1] = io
    end
  else
    inherited = systemd.listen_fds()
  end
  local used = {}
  for _, entry in ipairs(self.listen) do
    local sock = entry.io
    if not sock then
      for i, io in ipairs(inherited) do
        if not used[i] and listens_on(io, entry) then
          used[i], sock = true, io
          break
        end
      end
    end
    if not sock and entry.path then
      local ok, s = pcall(Socket.unix_server, entry.path, self.backlog)
      if not ok and tostring(s):find("EADDRINUSE") and entry.path:sub(1, 1) ~= "@" then
        -- a stale socket file, if nobody answers on it
        if not pcall(Socket.unix_connect, entry.path) then
          os.remove(entry.path)
          ok, s = pcall(Socket.unix_server, entry.path, self.backlog)
        end
      end
      if not ok then error(s, 0) end
      sock = s
      entry.created = true
    elseif not sock then
      sock = Socket.tcp_server(entry.host, entry.port, self.backlog)
    end
    entry.sock = sock
    self.listeners[#self.listeners + 1] = sock
  end
  for i, io in ipairs(inherited) do
    if not used[i] then
      if #self.listen == 0 then
        self.listeners[#self.listeners + 1] = io  -- no list given: take them all
      else
        io:close()
      end
    end
  end
  if #self.listeners == 0 then
    error("prefork: nothing to listen on (no 'listen' entry, nothing inherited)", 0)
  end
end

local function readpid(path)
  local f = io.open(path)
  if not f then return nil end
  local pid = math.tointeger(tonumber(f:read("l") or ""))
  f:close()
  return pid
end

local function writepid(path, pid)
  local tmp = ("%s.%d.tmp"):format(path, pid)
  local f = assert(io.open(tmp, "w"))
  f:write(pid, "\n")
  f:close()
  assert(os.rename(tmp, path))
end

local function alive(pid)
  return pid and pcall(Process.kill, 0, pid) or false
end

-- USR2: a new master, this program run again with the listeners at
-- descriptors 3, 4, ...; this one goes on until the new one is ready
-- (it sends QUIT) or fails (this one carries on as before).
function I.reexec(self)
  if self.successor then
    self.log(("USR2: a new master (pid %d) is already starting"):format(self.successor))
    return
  end
  local argv = self.exec
  if not argv then
    argv = Process.argv()
    argv[1] = Process.executable()
  end
  local fds, opts = {}, {}
  for i, l in ipairs(self.listeners) do
    fds[i] = tostring(2 + i)
    opts[2 + i] = l
  end
  if self.pidfile then
    if readpid(self.pidfile) == Process.pid() then
      os.rename(self.pidfile, self.pidfile .. ".oldbin")
    end
  end
  if self.before_exec then self.before_exec(self) end
  local cmd = {{[FDS_VAR] = table.concat(fds, ","), [OLD_VAR] = tostring(Process.pid())}}
  for _, a in ipairs(argv) do cmd[#cmd + 1] = a end
  cmd[#cmd + 1] = opts
  local ok, pid = pcall(Process.spawn, table.unpack(cmd))
  if not ok then
    self.log("USR2: the new master could not start: " .. tostring(pid))
    I.restorepid(self)
    return
  end
  self.successor = pid
  self.log(("USR2: started a new master (pid %d)"):format(pid))
  I.go(self, function()
    local _, st = Process.wait2(pid)
    I.event(self, {successor = pid, status = st})
  end)
end

function I.restorepid(self)
  if self.pidfile and readpid(self.pidfile .. ".oldbin") == Process.pid() then
    os.rename(self.pidfile .. ".oldbin", self.pidfile)
  end
end

-- Every worker of the current generation has checked in: tell whoever
-- waits (a previous master, systemd).
function I.ready(self)
  if self.announced then return end
  for n = 1, self.target do
    local found = false
    for _, w in ipairs(I.live(self)) do
      if w.number == n and w.generation == self.generation and w.state == "running" then
        found = true
      end
    end
    if not found then return end
  end
  self.announced = true
  self.log(("ready: %d worker%s on %s"):format(self.target, self.target == 1 and "" or "s",
    table.concat((function()
      local t = {}
      for i, l in ipairs(self.listeners) do t[i] = describe(l) end
      return t
    end)(), ", ")))
  local old = self.predecessor
  if old then
    self.predecessor = nil
    if Process.ppid() == old or alive(old) then
      self.log(("telling the old master (pid %d) to stop"):format(old))
      pcall(Process.kill, "QUIT", old)
    end
  end
  pcall(systemd.notify, {READY = 1, MAINPID = Process.pid()})
end

local SIGNALS = {"TTIN", "TTOU", "HUP", "QUIT", "TERM", "INT", "USR2"}

--- server:run() -> 0 once stopped (QUIT: gracefully; TERM, INT: at
-- once; server:stop()).
function Server:run()
  if getmetatable(self) ~= Server then run.argerror("run", 1, "a prefork server expected") end
  if self.state ~= "new" then error("run: this server has already run", 2) end
  self.state = "running"
  self.generation = 1
  local old = math.tointeger(tonumber(Process.env[OLD_VAR] or ""))
  Process.env[OLD_VAR] = nil
  self.predecessor = old
  if self.pidfile and not old then
    local other = readpid(self.pidfile)
    if other and other ~= Process.pid() and alive(other) then
      error(("prefork: already running (pid %d, from %s)"):format(other, self.pidfile), 2)
    end
  end
  local function body()
    -- however this ends, no worker outlives it
    local _ <close> = setmetatable({}, {__close = function()
      for _, w in ipairs(self.workers) do
        if not w.status then
          pcall(Process.kill, "KILL", w.pid)
          pcall(Process.wait, w.pid)
        end
      end
    end})
    self.events = Task.queue()
    Signal.wait(SIGNALS, 0)  -- queued from now on: none is lost while we start
    I.open(self)
    if self.pidfile then writepid(self.pidfile, Process.pid()) end
    local signals = I.go(self, function()
      while true do I.event(self, {signal = Signal.wait(SIGNALS)}) end
    end)
    local watchdog = I.go(self, function()
      while true do
        Task.sleep(self.interval)
        local t = now()
        for _, w in ipairs(I.live(self)) do
          if w.state ~= "killed" and t - w.seen > self.timeout then
            self.log(("worker %d (pid %d) timed out after %g s: KILL")
                     :format(w.number, w.pid, self.timeout))
            w.state = "killed"
            pcall(Process.kill, "KILL", w.pid)
          end
        end
      end
    end)
    I.maintain(self)
    local how
    while not how do
      local e = self.events:pop()
      if e.signal == "TTIN" then
        self.target = self.target + 1
        self.log(("TTIN: %d workers"):format(self.target))
      elseif e.signal == "TTOU" then
        if self.target > 0 then self.target = self.target - 1 end
        self.log(("TTOU: %d workers"):format(self.target))
      elseif e.signal == "HUP" then
        -- new workers first, then the old ones finish what they hold
        self.log("HUP: replacing every worker")
        self.generation = self.generation + 1
        local old_ones = I.live(self)
        self.crashes = {}
        I.maintain(self)
        for _, w in ipairs(old_ones) do stopworker(w, "QUIT") end
      elseif e.signal == "USR2" then
        I.reexec(self)
      elseif e.signal == "QUIT" then
        how = "QUIT"
      elseif e.signal == "TERM" or e.signal == "INT" then
        how = e.signal
      elseif e.stop then
        how = e.stop
      elseif e.ready then
        self.crashes[e.ready.number] = nil
        I.ready(self)
      elseif e.successor then
        if self.successor == e.successor then
          self.successor = nil
          self.log(("the new master (pid %d) %s; carrying on"):format(e.successor,
                                                                      words(e.status)))
          I.restorepid(self)
        end
      elseif e.exited then
        local w = e.exited
        if w.state == "stopping" then
          self.log(("worker %d (pid %d) stopped (%s)"):format(w.number, w.pid, words(w.status)))
        else
          self.log(("worker %d (pid %d) %s"):format(w.number, w.pid, words(w.status)))
          if w.state ~= "killed" and now() - w.started < 1 then
            self.crashes[w.number] = (self.crashes[w.number] or 0) + 1
          end
        end
        I.forget(self, w)
      end
      I.maintain(self)
    end
    self.state = "stopping"
    local graceful = how == "QUIT" or how == "graceful"
    self.log(("%s: stopping%s"):format(how == "graceful" and "stop" or how,
                                         graceful and " gracefully" or ""))
    pcall(systemd.notify, {STOPPING = 1})
    watchdog:cancel()
    signals:cancel()
    for _, w in ipairs(I.live(self)) do stopworker(w, graceful and "QUIT" or "TERM") end
    local deadline = now() + (graceful and self.shutdown or 1)
    while #self.workers > 0 do  -- until every exit is reported
      local ok, e = pcall(self.events.pop, self.events, math.max(deadline - now(), 0))
      if ok and e and e.exited then
        local w = e.exited
        w.state = "stopped"
        self.log(("worker %d (pid %d) stopped (%s)"):format(w.number, w.pid, words(w.status)))
        I.forget(self, w)
      elseif not ok then
        if deadline == math.huge then error(e, 0) end
        for _, w in ipairs(I.live(self)) do
          self.log(("worker %d (pid %d) did not stop: KILL"):format(w.number, w.pid))
          pcall(Process.kill, "KILL", w.pid)
        end
        deadline = math.huge
      end
    end
    -- the listeners: a successor keeps them (and their paths) open
    for _, entry in ipairs(self.listen) do
      if entry.created and not self.successor then os.remove(entry.path) end
    end
    for _, l in ipairs(self.listeners) do pcall(l.close, l) end
    if self.pidfile then
      if readpid(self.pidfile) == Process.pid() then os.remove(self.pidfile) end
      if readpid(self.pidfile .. ".oldbin") == Process.pid() then
        os.remove(self.pidfile .. ".oldbin")
      end
    end
    for _, t in ipairs(self.tasks) do t:cancel() end
    self.log("stopped")
    return 0
  end
  local ok, code
  if Task.current() then ok, code = pcall(body) else ok, code = pcall(Task.run, body) end
  self.state = "done"
  if not ok then error(code, 0) end
  return code
end

--- server:stop([graceful]) -- from a task beside run or a trap handler.
function Server:stop(graceful)
  if getmetatable(self) ~= Server then run.argerror("stop", 1, "a prefork server expected") end
  if self.events then self.events:push({stop = graceful == false and "stop" or "graceful"}) end
end

--- server:status() -> list of {number =, pid =, state =, generation =}.
function Server:status()
  if getmetatable(self) ~= Server then run.argerror("status", 1, "a prefork server expected") end
  local list = {}
  for _, w in ipairs(I.live(self)) do
    list[#list + 1] = {number = w.number, pid = w.pid, state = w.state,
                       generation = w.generation}
  end
  table.sort(list, function(a, b) return a.number < b.number or
    a.number == b.number and a.generation < b.generation end)
  return list
end

-- }}}

return M
