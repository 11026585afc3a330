-- brood.supervisor against real processes: `brood --init` as the first
-- process of a new PID namespace (unshare, as a container runs it) and
-- as a subreaper anywhere else.
local U = require "spec.helpers.util"
local P = require "brood.process"

local function init(script, opts)
  opts = opts or {}
  local file = U.tmpfile(script)
  local cmd = U.quote(U.BROOD) .. " --init " .. (opts.flags or "") .. " -- " ..
              U.quote(U.BROOD) .. " " .. U.quote(file)
  if opts.pid1 then cmd = "unshare --pid --fork --mount-proc " .. cmd end
  local r = U.sh(cmd, {limit = opts.limit or 60})
  os.remove(file)
  return r
end

-- Lua that counts the zombies in /proc (the namespace's, under unshare).
local ZOMBIES = [[
local function zombies()
  local n = 0
  local p = io.popen("cat /proc/[0-9]*/stat 2>/dev/null")
  for line in p:lines() do
    if line:match("^%d+ %b() Z") then n = n + 1 end
  end
  p:close()
  return n
end
local function settle(cond)
  local deadline = P.clock_gettime("MONOTONIC") + 30
  while not cond() and P.clock_gettime("MONOTONIC") < deadline do P.sleep(0.01) end
  return cond()
end
]]

describe("brood --init", function()
  U.guard(before_each, after_each)

  it("as PID 1: reaps 10,000 orphans, passes TERM on, exits with the command's status", function()
    local r = init([[
      local P, S = require "brood.process", require "brood.signal"
      ]] .. ZOMBIES .. [[
      assert(P.ppid() == 1, "init is not our parent")
      -- a middle process starts 10,000 children and goes: they are orphans
      local mid = P.fork(function()
        for _ = 1, 10000 do P.fork(function() P._exit(0) end) end
        P._exit(0)
      end)
      P.wait(mid)
      settle(function() return zombies() == 0 end)
      print("zombies", zombies())
      S.trap("TERM", function() print("got TERM") io.stdout:flush() P._exit(3) end)
      P.kill("TERM", 1)  -- to init, which passes it on to us
      P.sleep(30)
      print("TERM never came")
    ]], {pid1 = true, limit = 120})
    assert.are.equal("", r.err)
    assert.are.equal("zombies\t0\ngot TERM\n", r.out)
    assert.are.equal(3, r.code)
  end)

  it("exits 128 + n when the command dies of signal n", function()
    local r = init([[require("brood.process").kill("KILL", require("brood.process").pid())]],
                   {pid1 = true})
    assert.are.equal(137, r.code)
  end)

  it("elsewhere: becomes a subreaper, so orphans come to it and are reaped", function()
    local r = init([[
      local P = require "brood.process"
      ]] .. ZOMBIES .. [[
      local IO = require "brood.io"
      local init = P.ppid()
      local rd, w = IO.pipe()
      local mid = P.fork(function()
        P.fork(function() w:close() rd:read(1) P._exit(0) end)  -- lives until we close w
        P._exit(0)
      end)
      P.wait(mid)
      local orphan
      for line in io.popen("ps -o pid=,ppid= --ppid " .. init):lines() do
        local pid = line:match("^%s*(%d+)")
        if tonumber(pid) ~= P.pid() then orphan = tonumber(pid) end
      end
      print("adopted by init", orphan ~= nil)
      w:close()  -- the orphan ends now; init must reap it
      print("reaped", settle(function()
        local f = io.open("/proc/" .. orphan .. "/stat")
        if f then f:close() end
        return f == nil
      end))
    ]])
    assert.are.equal("", r.err)
    assert.are.equal("adopted by init\ttrue\nreaped\ttrue\n", r.out)
    assert.are.equal(0, r.code)
  end)

  it("-g sends the signals to the command's whole process group", function()
    local r = init([[
      local P, S = require "brood.process", require "brood.signal"
      local IO = require "brood.io"
      local rd, w = IO.pipe()
      local helper = P.fork(function()
        S.trap("USR1", function() w:puts("helper got USR1") P._exit(0) end)
        w:puts("ready")
        P.sleep(30)
      end)
      w:close()
      assert(rd:gets() == "ready\n")
      S.trap("USR1", function() end)
      P.kill("USR1", P.ppid())  -- to init, which passes it to our group
      io.write(rd:gets())
      P.wait(helper)
    ]], {flags = "-g"})
    assert.are.equal("", r.err)
    assert.are.equal("helper got USR1\n", r.out)
  end)

  it("prints its usage and exits 2 without a command or with an unknown option", function()
    local r = U.sh(U.quote(U.BROOD) .. " --init")
    assert.are.equal(2, r.code)
    assert.matches("usage: .* %-%-init %[%-g%] %[%-%-%] command %[args%]", r.err)
    r = U.sh(U.quote(U.BROOD) .. " --init -x true")
    assert.are.equal(2, r.code)
    assert.matches("unrecognized option '%-x'", r.err)
  end)

  it("Supervisor.init is the same as a library call, and checks its arguments", function()
    local Supervisor = require "brood.supervisor"
    assert.has_error(function() Supervisor.init() end)
    assert.has_error(function() Supervisor.init({}) end)
    assert.has_error(function() Supervisor.init({"true"}, {bogus = 1}) end,
                     "bad argument #2 to 'init' (unknown option 'bogus')")
    local r = U.sh(U.quote(U.BROOD) .. " -e " .. U.quote([[
      local code = require("brood.supervisor").init({"sh", "-c", "exit 5"})
      print(code, require("brood.process").subreaper())]]))
    assert.are.equal("5\ttrue\n", r.out)
    assert.is_false(P.subreaper())
  end)
end)

describe("Supervisor.new", function()
  U.guard(before_each, after_each)
  local Supervisor = require "brood.supervisor"
  local Task = require "brood.task"

  -- Polls cond (in a task) until it returns a value, for at most 10 s.
  local function waitfor(cond)
    local deadline = P.clock_gettime("MONOTONIC") + 10
    while P.clock_gettime("MONOTONIC") < deadline do
      local v = cond()
      if v then return v end
      Task.sleep(0.01)
    end
    error("waited 10 s in vain")
  end

  local function pids(sup)
    local t = {}
    for _, s in ipairs(sup:status()) do t[s.name] = s.pid end
    return t
  end

  -- Runs the supervisor beside fn(sup, lines); stops it after fn.
  local function supervise(spec, fn)
    local lines = {}
    spec.log = function(l) lines[#lines + 1] = l end
    spec.backoff = spec.backoff or {initial = 0.01, max = 0.05}
    local sup = Supervisor.new(spec)
    return Task.run(function()
      local runner = Task.spawn(sup.run, sup)
      local ok, err = pcall(fn, sup, lines)
      sup:stop()
      local code = runner:wait()
      assert(ok, err)
      return code, lines
    end)
  end

  -- The log without the stops, pids left out.
  local function starts_and_readiness(lines)
    local events = {}
    for _, l in ipairs(lines) do
      if not l:find(" stopped ") then events[#events + 1] = (l:gsub(" %(pid %d+%)", "")) end
    end
    return events
  end

  local function sleeper(name, extra)
    local c = {name = name, command = {"sleep", "30"}}
    for k, v in pairs(extra or {}) do c[k] = v end
    return c
  end

  -- Kills 'victim' once all run; returns the pids before and after the
  -- restart settled (every child running again).
  local function kill_and_see(strategy, victim)
    local before, after
    supervise({strategy = strategy, children = {sleeper("a"), sleeper("b"), sleeper("c")}},
      function(sup)
        before = waitfor(function() local p = pids(sup) return p.a and p.b and p.c and p end)
        P.kill("KILL", before[victim])
        after = waitfor(function()
          local p = pids(sup)
          return p.a and p.b and p.c and p[victim] ~= before[victim] and p
        end)
      end)
    local changed = {}
    for _, n in ipairs{"a", "b", "c"} do changed[#changed + 1] = before[n] ~= after[n] end
    return changed
  end

  it("one_for_one restarts the child that died, alone", function()
    assert.are.same({false, true, false}, kill_and_see("one_for_one", "b"))
  end)

  it("one_for_all restarts every child", function()
    assert.are.same({true, true, true}, kill_and_see("one_for_all", "b"))
  end)

  it("rest_for_one restarts the child and those started after it", function()
    assert.are.same({false, true, true}, kill_and_see("rest_for_one", "b"))
  end)

  it("permanent, transient and temporary children: who comes back", function()
    local _, lines = supervise({children = {
      {name = "perm", fn = function() P.sleep(0.05) P.exit(0) end, restart = "permanent"},
      {name = "trans_ok", fn = function() P.exit(0) end, restart = "transient"},
      {name = "trans_bad", fn = function() P._exit(2) end, restart = "transient"},
      {name = "temp", fn = function() P._exit(3) end, restart = "temporary"},
    }, intensity = 100}, function(sup)
      waitfor(function()
        local s = sup:status()
        return s[1].restarts >= 2 and s[3].restarts >= 2
      end)
      local s = sup:status()
      assert.are.equal(0, s[2].restarts)
      assert.are.equal("done", s[2].state)
      assert.are.equal("exited with status 0", s[2].last)
      assert.are.equal(0, s[4].restarts)
      assert.are.equal("exited with status 3", s[4].last)
    end)
    assert.is_truthy(table.concat(lines, "\n"):find("trans_bad exited with status 2", 1, true))
  end)

  it("gives up past the restart intensity, backing off twice as long each time", function()
    local lines = {}
    local sup = Supervisor.new{
      log = function(l) lines[#lines + 1] = l end,
      intensity = 3, period = 30, backoff = {initial = 0.05, max = 1},
      children = {sleeper("steady"), {name = "crashy", fn = function() P._exit(1) end}},
    }
    local t0 = P.clock_gettime("MONOTONIC")
    local ok, err = pcall(sup.run, sup)
    local dt = P.clock_gettime("MONOTONIC") - t0
    assert.is_false(ok)
    assert.matches("restart intensity reached: more than 3 restarts in 30 s " ..
                   "%(last: crashy exited with status 1%)", err)
    local log = table.concat(lines, "\n")
    for _, d in ipairs{"0.05", "0.1", "0.2"} do
      assert.is_truthy(log:find("restarting crashy in " .. d .. " s", 1, true), log)
    end
    assert.is_truthy(log:find("steady stopped (killed by signal TERM)", 1, true), log)
    assert.is_true(dt >= 0.35, dt)  -- 0.05 + 0.1 + 0.2 waited
    -- a command that cannot run counts as a crash, the same way
    sup = Supervisor.new{log = function() end, intensity = 1, backoff = {initial = 0.01},
                         children = {{name = "nope", command = {"/nonexistent/program"}}}}
    ok, err = pcall(sup.run, sup)
    assert.is_false(ok)
    assert.matches("nope could not start", err)
  end)

  it("starts in order, stops in reverse order, KILLs what ignores TERM past shutdown", function()
    local _, lines = supervise({children = {
      sleeper("first"),
      {name = "stubborn", shutdown = 0.3, options = {out = "/dev/null"},
       command = {"sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"}},
      sleeper("last"),
    }}, function(sup)
      waitfor(function() local p = pids(sup) return p.first and p.stubborn and p.last end)
      Task.sleep(0.1)  -- the shell has set its trap
    end)
    local order = {}
    for _, l in ipairs(lines) do
      local what, name = l:match("^(%a+) .-"), l:match("^(%S+) ")
      if l:find(" started ") then order[#order + 1] = "start " .. name end
      if l:find(" stopped ") then order[#order + 1] = "stop " .. name end
      if l:find("did not stop", 1, true) then order[#order + 1] = "KILL " .. name end
      assert(what)
    end
    assert.are.same({"start first", "start stubborn", "start last", "stop last",
                     "KILL stubborn", "stop stubborn", "stop first"}, order)
  end)

  it("TERM to the process stops everything gracefully; HUP restarts every child", function()
    local r = U.sh(U.quote(U.BROOD) .. " -", {stdin = [[
      local P = require "brood.process"
      local Supervisor = require "brood.supervisor"
      local Task = require "brood.task"
      local starts = 0
      local sup = Supervisor.new{
        log = function(l) if l:find(" started ") then starts = starts + 1 end end,
        children = {{name = "a", command = {"sleep", "30"}},
                    {name = "b", command = {"sleep", "30"}}},
      }
      local code = Task.run(function()
        local runner = Task.spawn(sup.run, sup)
        while starts < 2 do Task.sleep(0.01) end
        P.kill("HUP", P.pid())
        while starts < 4 do Task.sleep(0.01) end
        P.kill("TERM", P.pid())
        return runner:wait()
      end)
      print("starts", starts, "exit code", code)
    ]], limit = 30})
    assert.are.equal("", r.err)
    assert.are.equal("starts\t4\texit code\t0\n", r.out)
  end)

  it("output = 'prefixed': every line of every child, its name in front, aligned", function()
    local r = U.sh(U.quote(U.BROOD) .. " -", {stdin = [[
      local Supervisor = require "brood.supervisor"
      local Task = require "brood.task"
      local P = require "brood.process"
      local sup = Supervisor.new{output = "prefixed", log = function() end, children = {
        {name = "a", command = {"sh", "-c", "echo one; echo two >&2; printf three; exec sleep 30"}},
        {name = "longer", fn = function() print("from Lua") io.stdout:flush() P.sleep(30) end},
      }}
      Task.run(function()
        local runner = Task.spawn(sup.run, sup)
        Task.sleep(0.5)
        sup:stop()
        runner:wait()
      end)
    ]], limit = 30})
    assert.are.equal("", r.err)
    local lines = {}
    for l in r.out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    table.sort(lines)
    assert.are.same({"a      | one", "a      | three", "a      | two", "longer | from Lua"}, lines)
  end)

  it("ready = {fd = n}: the next child starts once this one says it is ready", function()
    local _, lines = supervise({children = {
      {name = "db", command = {"sh", "-c", "sleep 0.3; echo up >&3; exec sleep 30"},
       ready = {fd = 3}},
      {name = "web", fn = function(_, ready) ready() P.sleep(30) end, ready = {fd = 3}},
      {name = "mute", command = {"sleep", "30"}, ready = {fd = 3, timeout = 0.2}},
      sleeper("last"),
    }}, function(sup)
      waitfor(function() return pids(sup).last end)
    end)
    local events = starts_and_readiness(lines)
    assert.are.same({"db started", "db is ready", "web started", "web is ready", "mute started",
                     "mute did not say it was ready in 0.2 s", "last started"}, events)
  end)

  it("ready = {systemd = true}: READY=1 on the child's own NOTIFY_SOCKET", function()
    local _, lines = supervise({children = {
      {name = "svc", ready = {systemd = true},
       command = {U.BROOD, "-e", [[
         local P = require "brood.process"
         local systemd = require "brood.systemd"
         P.sleep(0.3)
         systemd.status("warming up")
         assert(systemd.ready("serving"), "no NOTIFY_SOCKET")
         P.sleep(30)]]}},
      {name = "lua", fn = function()
         require("brood.systemd").ready()
         P.sleep(30)
       end, ready = {systemd = true}},
      {name = "quits", command = {"true"}, ready = {systemd = true}, restart = "temporary"},
      sleeper("last"),
    }}, function(sup)
      waitfor(function() return pids(sup).last end)
    end)
    local events = starts_and_readiness(lines)
    -- (exits are handled once the children in the start order have started)
    assert.are.same({"svc started", "svc is ready", "lua started", "lua is ready",
                     "quits started", "quits ended before it was ready", "last started",
                     "quits exited with status 0"}, events)
  end)

  it("supervises supervisors: an inner one that gives up is a crash to the outer", function()
    local r = U.sh(U.quote(U.BROOD) .. " -", {stdin = [[
      local P = require "brood.process"
      local Supervisor = require "brood.supervisor"
      local outer_log = {}
      local outer = Supervisor.new{
        intensity = 1, period = 30, backoff = {initial = 0.01},
        log = function(l) outer_log[#outer_log + 1] = (l:gsub(" %(pid %d+%)", "")) end,
        children = {{name = "inner", fn = function()
          local inner = Supervisor.new{
            intensity = 1, period = 30, backoff = {initial = 0.01}, log = function() end,
            children = {{name = "crashy", fn = function() P._exit(1) end}},
          }
          inner:run()   -- gives up: raises, and this child exits 1
        end}},
      }
      local ok, err = pcall(outer.run, outer)
      print(ok, err)
      print(table.concat(outer_log, "|"))
    ]], limit = 30})
    assert.are.equal("false\trestart intensity reached: more than 1 restarts in 30 s " ..
      "(last: inner exited with status 1)\n" ..
      "inner started|inner exited with status 1|restarting inner in 0.01 s|" ..
      "inner started|inner exited with status 1\n", r.out)
    -- each inner supervisor's failure, printed by its child as it ended
    local _, n = r.err:gsub("restart intensity reached: more than 1 restarts in 30 s " ..
                            "%(last: crashy exited with status 1%)", "")
    assert.are.equal(2, n)
  end)

  it("checks the spec before anything starts, naming the child and the field", function()
    local function err(spec)
      local ok, e = pcall(Supervisor.new, spec)
      assert.is_false(ok)
      return e
    end
    assert.matches("child 'web': unknown key 'comand'",
                   err{children = {{name = "web", comand = {"x"}}}})
    assert.matches("child 'web': a second child of that name",
                   err{children = {sleeper("web"), sleeper("web")}})
    assert.matches("child 2: 'name' is missing", err{children = {sleeper("a"), {command = {"x"}}}})
    assert.matches("child 'a': give either 'command'", err{children = {{name = "a"}}})
    assert.matches("child 'a': unknown restart 'always'",
                   err{children = {sleeper("a", {restart = "always"})}})
    assert.matches("child 'a': 'shutdown' must be a number >= 0",
                   err{children = {sleeper("a", {shutdown = -1})}})
    assert.matches("unknown strategy 'all_for_one'",
                   err{strategy = "all_for_one", children = {sleeper("a")}})
    assert.matches("unknown key 'childs'", err{childs = {}})
    assert.matches("at least one child", err{children = {}})
    assert.matches("child 'a': 'ready' must be {fd = ",
                   err{children = {sleeper("a", {ready = {fd = 1}})}})
    assert.matches("unknown output 'pretty'", err{output = "pretty", children = {sleeper("a")}})
    assert.has_error(function() Supervisor.new() end)
  end)
end)
