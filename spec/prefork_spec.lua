-- Supervisor.prefork: a real master, real workers, real HTTP clients
-- (curl, wrk) on loopback.
local U = require "spec.helpers.util"
local P = require "brood.process"
local IO = require "brood.io"
local Socket = require "brood.socket"
local Supervisor = require "brood.supervisor"

local function now() return P.clock_gettime("MONOTONIC") end

local EXAMPLE = U.SOURCE_ROOT .. "/examples/supervise/hello_server.lua"

-- Is pid gone (or a zombie nobody has reaped yet)?
local function gone(pid)
  local st = U.procstate(pid)
  return st == nil or st == "Z"
end

-- Starts `brood args...` (env added; another program in front of brood's
-- arguments if 'program' is given) with its stderr -- the master's log --
-- in a pipe. s:waitfor(pattern) returns the captures of the first log
-- line that matches and that no earlier waitfor took, reading more lines
-- until one comes (two masters write to the log at once: the order of
-- their lines is not theirs to keep); s:stop() ends whatever master runs now.
local function start(args, env, program)
  local r, w = IO.pipe()
  local cmd = {env or {}, program or U.BROOD}
  for _, a in ipairs(args) do cmd[#cmd + 1] = a end
  cmd[#cmd + 1] = {err = w}
  local pid = P.spawn(table.unpack(cmd))
  w:close()
  local s = {pid = pid, master = pid, log = {}, taken = {}, helpers = {}}
  -- a test that fails leaves nothing running: the masters are killed
  -- (their workers die with them: pdeathsig)
  setmetatable(s, {__close = function()
    for _, helper in ipairs(s.helpers) do  -- a client the test started (wrk)
      if not gone(helper) then pcall(P.kill, "KILL", helper) end
      pcall(P.wait, helper)
    end
    if not s.done then
      for _, m in ipairs({s.successor or false, s.master, s.pid}) do
        if m and not gone(m) then pcall(P.kill, "KILL", m) end
      end
      pcall(P.wait, s.pid)
    end
    if not r:closed() then r:close() end
  end})
  function s.waitfor(pattern, limit)
    local deadline = now() + (limit or 20)
    while true do
      for i = 1, #s.log do
        local c = not s.taken[i] and table.pack(s.log[i]:match(pattern))
        if c and c[1] then
          s.taken[i] = true
          return table.unpack(c, 1, c.n)
        end
      end
      local left = deadline - now()
      if left <= 0 or r:closed() then
        error(("no line matching '%s' in the log:\n%s")
              :format(pattern, table.concat(s.log, "\n")), 2)
      end
      if IO.select({r}, nil, nil, left) then
        local line = r:gets()
        if line then s.log[#s.log + 1] = line:gsub("\n$", "") else r:close() end
      end
    end
  end
  function s.stop(sig)
    local m = s.master
    if not gone(m) then pcall(P.kill, sig or "QUIT", m) end
    -- a bounded wait: a master that does not stop fails the test (and is
    -- killed), rather than holding the whole spec until its time limit
    assert(U.eventually(function() return gone(m) end, 20), "the master did not stop")
    s.done = true
    if m == s.pid then P.wait(pid) end
    if s.pid ~= m and not gone(s.pid) then P.kill("KILL", s.pid) end
    if s.pid ~= m then pcall(P.wait, s.pid) end
    if not r:closed() then r:close() end
  end
  return s
end

-- A server script: Supervisor.prefork with the given fields (Lua source)
-- and a handler that answers "/slow" after a second, hangs on "/hang",
-- and says which worker it is otherwise.
local function script(fields)
  return U.tmpfile(([[
    local Supervisor = require "brood.supervisor"
    local P = require "brood.process"
    local server = Supervisor.prefork{
      listen = {"127.0.0.1:0"},
      handle = function(client, worker)
        local path = client:gets():match("^GET (%%S+)")
        repeat local line = client:gets() until line == nil or line == "\r\n"
        if path ~= "/" then io.stderr:write("request ", path, "\n") end
        if path == "/slow" then P.sleep(1) end
        if path == "/hang" then P.sleep(1000) end
        local body = ("worker %%d %%d\n"):format(worker.number, P.pid())
        client:write("HTTP/1.1 200 OK\r\nContent-Length: ", #body,
                     "\r\nConnection: close\r\n\r\n", body)
      end,
      %s
    }
    os.exit(server:run())]]):format(fields))
end

local function get(port, path, limit)
  return P.capture("curl", "-s", "--max-time", tostring(limit or 20),
                   ("http://127.0.0.1:%d%s"):format(port, path or "/"))
end

describe("Supervisor.prefork", function()
  U.guard(before_each, after_each)

  it("serves with no error through five USR2 re-executions and five HUPs (wrk)", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(P.capture("mkdir", dir))
    local pidfile = dir .. "/server.pid"
    local s <close> = start({EXAMPLE, "127.0.0.1:0", "2"}, {PIDFILE = pidfile})
    local port = tonumber(s.waitfor("ready: 2 workers on 127%.0%.0%.1:(%d+)"))
    local wrkout = dir .. "/wrk.txt"
    local wrk = P.spawn("wrk", "-t2", "-c8", "-d120s", "http://127.0.0.1:" .. port .. "/",
                        {out = wrkout})
    s.helpers[1] = wrk  -- killed if the test fails
    -- wrk ignores SIGINT until its threads run, then catches it to print
    -- its report: on a busy machine the five rounds below can be over
    -- before that (its INT then lost, it ran its whole 120 s)
    local function catches_int(pid)
      local f = io.open("/proc/" .. pid .. "/status")
      local st = f and f:read("a")
      if f then f:close() end
      local caught = st and tonumber(st:match("SigCgt:%s*(%x+)"), 16)
      return caught and caught & 2 ~= 0
    end
    assert(U.eventually(function() return catches_int(wrk) end, 20), "wrk did not start")
    local function pidof(path)
      local f = io.open(path)
      local pid = f and tonumber(f:read("l"))
      if f then f:close() end
      return pid
    end
    assert.are.equal(s.pid, pidof(pidfile))
    for i = 1, 5 do
      local old = s.master
      P.kill("USR2", old)
      local new = tonumber(s.waitfor("USR2: started a new master %(pid (%d+)%)"))
      s.successor = new  -- killed if the test fails before it is the master
      assert.are.equal(old, pidof(pidfile .. ".oldbin"))
      s.waitfor("^prefork%[" .. new .. "%]: ready: 2 workers")
      s.waitfor("^prefork%[" .. old .. "%]: stopped$")
      assert(U.eventually(function() return gone(old) end), "the old master did not stop")
      if i == 1 then P.wait(old) end
      s.master, s.successor = new, nil
      assert.are.equal(new, pidof(pidfile))
      assert.is_nil(io.open(pidfile .. ".oldbin"))
      P.kill("HUP", new)
      s.waitfor("^prefork%[" .. new .. "%]: HUP: replacing every worker")
      s.waitfor("^prefork%[" .. new .. "%]: worker 2 %(pid %d+%) stopped")
    end
    assert.is_nil(U.procstate(wrk) == "Z" and "wrk ended early" or nil)
    P.kill("INT", wrk)  -- wrk prints its summary
    assert(U.eventually(function() return U.procstate(wrk) == "Z" end, 20), "wrk did not stop")
    P.wait(wrk)
    s.helpers[1] = nil
    local report = U.slurp(wrkout)
    s.stop()
    assert.is_nil(io.open(pidfile))
    os.remove(wrkout)
    os.remove(dir)
    local requests = tonumber(report:match("(%d+) requests in"))
    assert.is_truthy(requests and requests > 100, report)
    assert.is_nil(report:match("Socket errors[^\n]*"), report)
    assert.is_nil(report:match("Non%-2xx[^\n]*"), report)
  end)

  it("kills a worker that has not checked in for 'timeout' seconds, and replaces it", function()
    local path = script("workers = 1, timeout = 1,")
    local s <close> = start({path})
    local port = tonumber(s.waitfor("ready: 1 worker on 127%.0%.0%.1:(%d+)"))
    local pid = tonumber(s.waitfor("worker 1 started %(pid (%d+)%)"))
    local curl = P.spawn("curl", "-s", "--max-time", "20", "http://127.0.0.1:" .. port .. "/hang",
                         {out = "/dev/null"})
    -- the request is in hand once the worker stops checking in; from its
    -- last check-in, timeout + 1 s at most
    local t0 = now()
    s.waitfor("worker 1 %(pid " .. pid .. "%) timed out after 1 s: KILL", 5)
    local took = now() - t0
    assert.is_true(took < 2, ("killed after %.2f s"):format(took))  -- timeout + 1 s
    s.waitfor("worker 1 %(pid " .. pid .. "%) killed by signal KILL")
    local new = tonumber(s.waitfor("worker 1 started %(pid (%d+)%)"))
    assert.are_not.equal(pid, new)
    P.wait(curl)
    local out = get(port)
    assert.are.equal(("worker 1 %d\n"):format(new), out)
    s.stop()
    os.remove(path)
  end)

  it("leaves no worker serving when the master is killed with KILL", function()
    local path = script("workers = 2,")
    local s <close> = start({path})
    local port = tonumber(s.waitfor("ready: 2 workers on 127%.0%.0%.1:(%d+)"))
    local w1 = tonumber(table.concat(s.log, "\n"):match("worker 1 started %(pid (%d+)%)"))
    assert.matches("^worker %d %d+\n$", get(port))
    P.kill("KILL", s.pid)
    s.stop()
    assert.is_true(U.eventually(function() return gone(w1) end, 5), "a worker outlived its master")
    for line in table.concat(s.log, "\n"):gmatch("worker %d started %(pid (%d+)%)") do
      assert.is_true(U.eventually(function() return gone(tonumber(line)) end, 5))
    end
    -- nobody holds the listener: connections are refused
    local ok, err = pcall(Socket.tcp_connect, "127.0.0.1", port, 5)
    assert.is_false(ok)
    assert.matches("ECONNREFUSED", tostring(err))
    os.remove(path)
  end)

  it("grows with TTIN, shrinks with TTOU, finishes requests in hand on QUIT", function()
    local path = script("workers = 1,")
    local s <close> = start({path})
    local port = tonumber(s.waitfor("ready: 1 worker on 127%.0%.0%.1:(%d+)"))
    P.kill("TTIN", s.pid)
    s.waitfor("TTIN: 2 workers")
    local w2 = tonumber(s.waitfor("worker 2 started %(pid (%d+)%)"))
    P.kill("TTOU", s.pid)
    s.waitfor("TTOU: 1 workers")
    s.waitfor("worker 2 %(pid " .. w2 .. "%) stopped %(exited with status 0%)")
    -- a slow request, then QUIT: it is answered, then everything stops
    local out = os.tmpname()
    local curl = P.spawn("curl", "-s", "--max-time", "20", "http://127.0.0.1:" .. port .. "/slow",
                         {out = out})
    s.waitfor("^request /slow$")
    P.kill("QUIT", s.pid)
    s.waitfor("QUIT: stopping gracefully")
    s.waitfor("worker 1 %(pid %d+%) stopped %(exited with status 0%)")
    s.waitfor("stopped$")
    s.stop()
    P.wait(curl)
    assert.matches("^worker 1 %d+\n$", U.slurp(out))
    os.remove(out)
    os.remove(path)
  end)

  it("serves on several listeners at once (TCP and UNIX), and stops on QUIT", function()
    local sock = os.tmpname()
    os.remove(sock)
    local path = script(('workers = 2, listen = {"127.0.0.1:0", %q},'):format(sock))
    local s <close> = start({path})
    local escaped = sock:gsub("%p", "%%%0")
    local port = tonumber(s.waitfor("ready: 2 workers on 127%.0%.0%.1:(%d+), " .. escaped .. "$"))
    assert.matches("^worker %d %d+\n$", get(port))
    local out = P.capture("curl", "-s", "--max-time", "20", "--unix-socket", sock, "http://x/")
    assert.matches("^worker %d %d+\n$", out)
    s.stop()
    assert.is_nil(io.open(sock), "the socket file stays")
    os.remove(path)
  end)

  it("takes the listener systemd-socket-activate passes when 'listen' is not given", function()
    local probe = Socket.tcp_server("127.0.0.1", 0)
    local _, port = probe:local_address()
    probe:close()
    local path = script("workers = 1, listen = nil,")
    local s <close> = start({"-l", "127.0.0.1:" .. port, U.BROOD, path}, nil,
                            "systemd-socket-activate")
    s.waitfor("^Listening on")
    local out, st = get(port)
    assert.is_true(st.success)
    assert.matches("^worker 1 %d+\n$", out)
    -- it became the master (exec); a QUIT sent before its worker's first
    -- check-in reached it would stop it before it is ready
    s.waitfor("ready: 1 worker on 127%.0%.0%.1:" .. port .. "$")
    P.kill("QUIT", s.pid)
    assert(U.eventually(function() return gone(s.pid) end, 20), "the master did not stop")
    s.done = true
    local _, done = P.wait2(s.pid)
    assert.is_true(done.success)
    s.waitfor("stopped$")
    os.remove(path)
  end)

  it("restarts a worker that keeps crashing after a growing pause", function()
    local path = script("workers = 1, after_fork = function() error('no database') end,")
    local s <close> = start({path})
    local t0 = now()
    s.waitfor("worker 1 started")
    for _ = 1, 4 do s.waitfor("worker 1 %(pid %d+%) exited with status 1") end
    -- pauses of 0.1, 0.2 and 0.4 s between the four starts at least
    assert.is_true(now() - t0 >= 0.7, ("four crashes in %.2f s"):format(now() - t0))
    assert.matches("no database", table.concat(s.log, "\n"))
    s.stop()
    os.remove(path)
  end)

  it("refuses a bad spec before anything starts, naming the field", function()
    local function refused(spec, pattern)
      local ok, err = pcall(Supervisor.prefork, spec)
      assert.is_false(ok)
      assert.matches("bad argument #1 to 'prefork'", tostring(err), 1, true)
      assert.matches(pattern, tostring(err))
    end
    local h = function() end
    refused(nil, "table expected")
    refused({handle = h, bogus = 1}, "unknown key 'bogus'")
    refused({}, "'handle' is missing")
    refused({handle = h, workers = 1.5}, "'workers' must be a whole number")
    refused({handle = h, workers = -1}, "'workers' must be a number >= 0")
    refused({handle = h, timeout = 0}, "'timeout' must be more than 0")
    refused({handle = h, listen = {"localhost:http"}},
            "listen entry 1: 'localhost:http' is no address")
    refused({handle = h, listen = {42}}, "listen entry 1 must be an address string or a socket")
    refused({handle = h, exec = {}}, "'exec' must list a program")
    refused({handle = "no"}, "'handle' must be a function, not string")
  end)

  it("offers run, stop and status, not its inner steps", function()
    -- a worker's loop run in the master (fuzz: server:work(...)) exits it
    local server = Supervisor.prefork{handle = function() end}
    for _, name in ipairs{"work", "spawn", "maintain", "open", "reexec", "ready", "event"} do
      assert.is_nil(server[name], name)
    end
    assert.is_function(server.run)
    assert.is_function(server.stop)
    assert.is_function(server.status)
  end)
end)
