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
