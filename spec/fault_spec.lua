-- brood under real faults: descriptors, processes, disk space and memory
-- running out, readers that went away, and signal floods. Each spec
-- asserts a clean error (a brood.Error with the right errno) or the right
-- result, and that nothing leaked: descriptors, children, zombies.
--
-- The faults are made in subprocess scripts (or forked children), so that
-- this process keeps its limits and its SIGPIPE; every script runs under
-- U.script's time limit, so a hang fails its test instead of the suite.
local U = require "spec.helpers.util"
local P = require "brood.process"
local IO = require "brood.io"
local Socket = require "brood.socket"

local SANITIZED = os.getenv("BROOD_SANITIZED")

-- What every script starts with: the modules, and the checks.
local PRELUDE = [==[
local P = require "brood.process"
local IO = require "brood.io"
local S = require "brood.signal"
local Socket = require "brood.socket"
local Open3 = require "brood.open3"
local lfs = require "lfs"
io.stdout:setvbuf("line")

local function now() return P.clock_gettime("MONOTONIC") end

-- The descriptors open now (not the directory listing's own).
local function fds()
  local t = {}
  for name in lfs.dir("/proc/self/fd") do
    local target = name:match("^%d+$") and lfs.symlinkattributes("/proc/self/fd/" .. name, "target")
    if target and not target:match("^/proc/%d+/fd$") then t[#t + 1] = tonumber(name) end
  end
  table.sort(t)
  return t
end

-- The children of every thread of this process, zombies included.
local function children()
  local t = {}
  for task in lfs.dir("/proc/self/task") do
    local f = task:match("^%d+$") and io.open("/proc/self/task/" .. task .. "/children")
    if f then
      for c in f:read("a"):gmatch("%d+") do t[#t + 1] = tonumber(c) end
      f:close()
    end
  end
  table.sort(t)
  return t
end

-- nil when the descriptors are 'base' and there is no child at all (no
-- zombie, nothing for wait to reap); else what is wrong.
local function leaks(base)
  local wrong = {}
  local was, is = table.concat(base, " "), table.concat(fds(), " ")
  if was ~= is then wrong[#wrong + 1] = "descriptors " .. was .. " became " .. is end
  local kids = children()
  if #kids > 0 then
    local states = {}
    for i, pid in ipairs(kids) do
      local f = io.open("/proc/" .. pid .. "/stat")
      states[i] = pid .. (f and "(" .. f:read("a"):match("%) (%a)") .. ")" or "")
      if f then f:close() end
    end
    wrong[#wrong + 1] = "children left behind: " .. table.concat(states, " ")
  else
    local ok, err = pcall(P.wait, -1, P.WNOHANG)
    if ok then wrong[#wrong + 1] = "wait(-1, WNOHANG) found a child: " .. tostring(err)
    elseif type(err) ~= "table" or err.errno ~= "ECHILD" then
      wrong[#wrong + 1] = "wait(-1, WNOHANG) raised " .. tostring(err)
    end
  end
  return wrong[1] and table.concat(wrong, "; ")
end

-- A brood.Error with this errno?
local function is_error(e, errno)
  local mt = type(e) == "table" and getmetatable(e)
  return mt and mt.__name == "brood.Error" and e.errno == errno and type(e.code) == "number"
end

-- brood opens its signal wake-up pipe on first use and keeps it: make
-- that happen before counting descriptors.
local function warm()
  P.detach(P.fork(function() end)):join()
end

local SOFT, HARD = P.getrlimit("NOFILE")

-- Lowers the soft RLIMIT_NOFILE so that exactly k more descriptors can
-- be opened (the limit is the (k+1)-th free descriptor number).
local function headroom(k)
  local open = {}
  for _, fd in ipairs(fds()) do open[fd] = true end
  local limit, free = 0, 0
  while free < k or open[limit] do
    if not open[limit] then free = free + 1 end
    limit = limit + 1
  end
  P.setrlimit("NOFILE", limit, HARD)
end

local function unlimit()
  P.setrlimit("NOFILE", SOFT, HARD)
end

-- Runs t.op(ctx) n times (default 200) with 0, 1, ..., max (default 8)
-- descriptors free in turn. ctx is t.prep()'s, made before the limit.
-- Each attempt must succeed -- then t.done(ctx, results...) checks and
-- cleans up -- or raise a brood.Error EMFILE -- then t.undo(ctx, err) --
-- and leave the descriptors and children exactly as they were. Prints
-- "ok" and the fewest free descriptors op succeeded with; on a failure,
-- t.name and what went wrong.
local function sweep(t)
  local base = fds()
  local max, least = t.max or 8, nil
  for i = 1, t.n or 200 do
    local k = (i - 1) % (max + 1)
    local ctx = t.prep and t.prep() or {}
    headroom(k)
    local r = table.pack(pcall(t.op, ctx))
    unlimit()
    if r[1] then
      if t.done then t.done(ctx, table.unpack(r, 2, r.n)) end
      least = math.min(least or k, k)
    elseif is_error(r[2], "EMFILE") then
      if t.undo then t.undo(ctx, r[2]) end
    else
      print(("%s: attempt %d, %d free: raised %s"):format(t.name or "", i, k, tostring(r[2])))
      return
    end
    local bad = leaks(base)
    if bad then
      print(("%s: attempt %d, %d free, %s: %s"):format(t.name or "", i, k,
        r[1] and "succeeded" or "EMFILE", bad))
      return
    end
  end
  print("ok", least or "never")
end
]==]

-- Runs PRELUDE .. body as a brood script (see U.script).
local function script(body, opts)
  return U.script(PRELUDE .. body, nil, opts)
end

-- The script printed want and exited 0.
local function expect(r, want)
  local how = r.code == 124 and "timed out" or "exit status " .. tostring(r.code)
  assert.are.equal(want, r.out, r.err .. "(" .. how .. ")")
  assert.are.equal(0, r.code, r.err)
end

-- A sweep's verdict: "ok" and the fewest free descriptors the operation
-- succeeded with -- 'least' exactly, or at least 1 (it needs one, so with
-- none free it must have raised EMFILE) when 'least' is nil.
local function expect_sweep(r, least)
  assert.are.equal(0, r.code, r.err)
  local n = r.out:match("^ok\t(%d+)\n$")
  assert.is_truthy(n, "the sweep failed: " .. r.out .. r.err)
  if least then
    assert.are.equal(least, tonumber(n), r.out)
  else
    assert.is_true(tonumber(n) >= 1, "it succeeded with no descriptor free: " .. r.out)
  end
end

local function sweep(body, least, opts)
  expect_sweep(script("warm()\n" .. body, opts), least)
end

describe("descriptor exhaustion (RLIMIT_NOFILE): EMFILE, and nothing leaked", function()
  it("IO.pipe", function()
    sweep([[
      sweep{op = function() return IO.pipe() end, done = function(_, r, w) r:close() w:close() end}
    ]], 2)
  end)

  it("IO.open, reading and writing", function()
    sweep([[
      sweep{name = "open r", op = function() return IO.open("/dev/null") end,
            done = function(_, f) f:close() end}
    ]], 1)
    sweep([[
      local name = os.tmpname()
      sweep{name = "open w", op = function() return IO.open(name, "w") end,
            done = function(_, f) f:write("x") f:close() end}
      os.remove(name)]], 1)
  end)

  it("io:dup and io:reopen", function()
    sweep([[
      local f = IO.open("/dev/null")
      sweep{name = "dup", op = function() return f:dup() end,
            done = function(_, d) d:close() end}]], 1)
    sweep([[
      local name = os.tmpname()
      local f = IO.open(name, "w")
      local fd = f:fileno()
      sweep{name = "reopen", op = function() return f:reopen("/dev/null", "w") end,
            done = function() assert(f:fileno() == fd) end}
      f:close()
      os.remove(name)]], 1)
  end)

  it("Socket.pair", function()
    sweep([[
      sweep{op = function() return Socket.pair("UNIX", "STREAM") end,
            done = function(_, a, b) a:close() b:close() end}]], 2)
  end)

  it("Socket.tcp_server and tcp_connect", function()
    sweep([[
      sweep{name = "tcp_server", op = function() return Socket.tcp_server("127.0.0.1", 0) end,
            done = function(_, s) s:close() end}]], 1)
    sweep([[
      local server = Socket.tcp_server("127.0.0.1", 0)
      local _, port = server:local_address()
      sweep{name = "tcp_connect", op = function() return Socket.tcp_connect("127.0.0.1", port) end,
            done = function(_, c) c:close() server:accept():close() end}
      server:close()]], 1)
  end)

  it("sock:accept leaves the connection queued", function()
    sweep([[
      local server = Socket.tcp_server("127.0.0.1", 0)
      local _, port = server:local_address()
      sweep{prep = function() return {client = Socket.tcp_connect("127.0.0.1", port)} end,
            op = function() return server:accept() end,
            done = function(ctx, conn)
              ctx.client:write("hi") ctx.client:close()
              assert(conn:read("a") == "hi")
              conn:close()
            end,
            undo = function(ctx)  -- the connection is still there to accept
              local conn = server:accept()
              ctx.client:write("hi") ctx.client:close()
              assert(conn:read("a") == "hi")
              conn:close()
            end}
      server:close()]], 1)
  end)

  it("Process.spawn with redirects to files", function()
    sweep([[
      local name = os.tmpname()
      -- (the programs run here inherit the lowered limit: none that needs
      -- descriptors of its own)
      sweep{op = function()
              return P.spawn("echo", "out",
                {["in"] = "/dev/null", out = {name, "a"}, err = "/dev/null"})
            end,
            done = function(_, pid)
              local _, st = P.wait2(pid)
              assert(st.success, tostring(st))
            end}
      local f = io.open(name)
      local lines = 0
      for _ in f:lines() do lines = lines + 1 end
      f:close()
      os.remove(name)
      assert(lines > 0 and lines < 200, lines)]])
  end)

  it("IO.popen, every mode, and the block form", function()
    for _, mode in ipairs{"r", "w", "r+"} do
      sweep(([[
        sweep{name = "popen " .. %q, op = function() return IO.popen({"cat"}, %q) end,
              done = function(_, f)
                if %q == "r+" then
                  f:write("x")
                  f:close_write()
                  assert(f:read("a") == "x")
                end
                assert(f:close() == true)
              end}]]):format(mode, mode, mode))
    end
    sweep([[
      local function read_all(f) return f:read("a") end
      sweep{name = "popen fn", op = function() return IO.popen({"echo", "hi"}, "r", read_all) end,
            done = function(_, s) assert(s == "hi\n", s) end}]])
  end)

  it("Lua's io.popen returns nil, the message and EMFILE's number", function()
    sweep([[
      sweep{op = function()
              local f, msg, code = io.popen("echo hi")
              if f then return f end
              assert(type(msg) == "string" and code == 24, tostring(msg) .. " " .. tostring(code))
              error(setmetatable({errno = "EMFILE", code = code}, {__name = "brood.Error"}))
            end,
            done = function(_, f)
              assert(f:read("a") == "hi\n")
              assert(f:close() == true)
            end}]])
  end)

  it("Process.capture and Process.system", function()
    sweep([[
      sweep{name = "capture", op = function() return P.capture("echo", "hi") end,
            done = function(_, out, st) assert(out == "hi\n" and st.success) end}]])
    sweep([[
      sweep{name = "capture input", op = function() return P.capture("cat", {input = "data"}) end,
            done = function(_, out, st) assert(out == "data" and st.success) end}]])
    sweep([[
      sweep{name = "capture timeout",
            op = function() return P.capture("echo", "hi", {timeout = 10}) end,
            done = function(_, out, st) assert(out == "hi\n" and st.success) end}]])
    sweep([[
      sweep{name = "system input", op = function()
              local ok, st = P.system("cat", {input = "data", out = "/dev/null"})
              if ok == nil then error(st, 0) end
              return ok, st
            end,
            done = function(_, ok, st) assert(ok == true and st.success) end}]])
  end)

  it("Open3.capture3 and popen3", function()
    sweep([[
      sweep{name = "capture3", op = function()
              return Open3.capture3("cat", "-", "/nonexistent/file", {input = "in"})
            end,
            done = function(_, out, err, st)
              assert(out == "in" and err:match("nonexistent") and st.exitstatus == 1, err)
            end}]])
    sweep([[
      sweep{name = "popen3", op = function() return Open3.popen3("cat") end,
            done = function(_, i, o, e, t)
              i:write("x") i:close()
              assert(o:read("a") == "x")
              o:close() e:close()
              assert(t:value().success)
            end}]])
    sweep([[
      sweep{name = "popen3 fn", op = function()
              return Open3.popen3("cat", function(i, o, _, t)
                i:write("x") i:close()
                return o:read("a"), t:value()
              end)
            end,
            done = function(_, s, st) assert(s == "x" and st.success) end}]])
  end)

  it("Open3.pipeline", function()
    sweep([[
      sweep{name = "pipeline", op = function()
              return Open3.pipeline({"echo", "hi"}, {"cat"}, {"cat"}, {out = "/dev/null"})
            end,
            done = function(_, sts)
              assert(#sts == 3)
              for _, st in ipairs(sts) do assert(st.success) end
            end}]])
  end)

  it("Open3.pipeline_r, _w and _rw", function()
    sweep([[
      sweep{name = "pipeline_r", op = function()
              return Open3.pipeline_r({"echo", "hi"}, {"tr", "a-z", "A-Z"}, {"cat"})
            end,
            done = function(_, r, ts)
              assert(r:read("a") == "HI\n")
              r:close()
              for _, t in ipairs(ts) do assert(t:value().success) end
            end}]])
    sweep([[
      sweep{name = "pipeline_r fn", op = function()
              return Open3.pipeline_r({"echo", "hi"}, {"cat"}, function(r) return r:read("a") end)
            end,
            done = function(_, s) assert(s == "hi\n") end}]])
    sweep([[
      sweep{name = "pipeline_w",
            op = function() return Open3.pipeline_w({"cat"}, {"cat"}, {out = "/dev/null"}) end,
            done = function(_, w, ts)
              w:write("x")
              w:close()
              for _, t in ipairs(ts) do assert(t:value().success) end
            end}]])
    sweep([[
      sweep{name = "pipeline_rw", op = function() return Open3.pipeline_rw({"cat"}, {"cat"}) end,
            done = function(_, w, r, ts)
              w:write("x")
              w:close()
              assert(r:read("a") == "x")
              r:close()
              for _, t in ipairs(ts) do assert(t:value().success) end
            end}]])
  end)

  it("IO.copy_stream between paths", function()
    sweep([[
      local src, dst = os.tmpname(), os.tmpname()
      local f = io.open(src, "w") f:write(("x"):rep(10000)) f:close()
      sweep{op = function() return IO.copy_stream(src, dst) end,
            done = function(_, n) assert(n == 10000, n) end}
      os.remove(src)
      os.remove(dst)]])
  end)

  it("IO.select needs no descriptor: the right result with none free", function()
    sweep([[
      S.trap("USR1", function() end)  -- brood then waits beside its wake-up pipe
      local r, w = IO.pipe()
      w:write("x")
      local r2, w2 = IO.pipe()
      sweep{op = function()
              local rr, ww = IO.select({r, r2}, {w2}, nil, 0.001)
              return rr, ww, IO.select({r2}, nil, nil, 0.001)
            end,
            done = function(_, rr, ww, none)
              assert(#rr == 1 and rr[1] == r and #ww == 1 and ww[1] == w2 and none == nil)
            end}
      for _, x in ipairs{r, w, r2, w2} do x:close() end]], 0)
  end)

  it("Process.detach: EMFILE while it cannot open the wake-up pipe; the child stays ours",
    function()
      -- no warm(): the first detach opens the pipe
      local r = script([[
        local base = fds()
        for i = 1, 100 do
          local pid = P.spawn("true")
          headroom(0)
          local ok, err = pcall(P.detach, pid)
          unlimit()
          if ok then  -- (a detach that needs no descriptor would do too)
            assert(err:join(10).success)
          else
            assert(is_error(err, "EMFILE"), tostring(err))
            local got, st = P.wait2(pid)   -- not reaped behind our back
            assert(got == pid and st.success)
          end
          local bad = leaks(base)
          if bad then print("attempt " .. i .. ": " .. bad) return end
        end
        warm()
        base = fds()
        for i = 1, 100 do  -- the pipe is open now: a thread is all it needs
          local pid = P.spawn("true")
          headroom(0)
          local ok, h = pcall(P.detach, pid)
          unlimit()
          assert(ok, tostring(h))
          assert(h:join(10).success)
          local bad = leaks(base)
          if bad then print("attempt " .. i .. ": " .. bad) return end
        end
        print("ok")]])
      expect(r, "ok\n")
    end)

  it("a failed Signal.trap (no wake-up pipe) leaves the signal as it was, and a later trap works",
    function()
      local r = script([[
        local base = fds()
        headroom(0)
        local ok, err = pcall(S.trap, "USR1", function() end)
        unlimit()
        if not ok then
          assert(is_error(err, "EMFILE"), tostring(err))
          assert(not leaks(base), leaks(base))
          -- USR1 still has its default action: it kills a forked child
          local _, st = P.wait2(P.fork(function() P.kill("USR1", P.pid()) P.sleep(5) end))
          assert(st.termsig == 10, tostring(st))
        end
        local got = 0
        S.trap("USR1", function() got = got + 1 end)
        P.kill("USR1", P.pid())
        assert(got == 1, got)
        print("ok")]])
      expect(r, "ok\n")
    end)

  it("a forked child that cannot open its own wake-up pipe still selects and sleeps", function()
    local r = script([[
      S.trap("USR1", function() end)  -- the child inherits the trap and the parent's pipe
      local r, w = IO.pipe()
      local pid = P.fork(function()
        headroom(0)
        local t0 = now()
        assert(IO.select({r}, nil, nil, 0.2) == nil)
        local dt = now() - t0
        assert(dt >= 0.2 and dt < 5, "IO.select(0.2) took " .. dt)
        t0 = now()
        P.sleep(0.2)
        dt = now() - t0
        assert(dt >= 0.2 and dt < 5, "P.sleep(0.2) took " .. dt)
        w:write("x")
        assert(IO.select({r}, nil, nil, 5)[1] == r)
        unlimit()  -- (LeakSanitizer needs a descriptor at exit)
      end)
      local _, st = P.wait2(pid)
      r:close() w:close()
      print(st.success)]], {limit = 20})
    expect(r, "true\n")
  end)

  it("a forked child that cannot open its own wake-up pipe still waits for its children", function()
    -- with a trap set, a blocking wait sleeps on the wake-up pipe; a forked
    -- child must make its own, and with no descriptor free it cannot
    local r = script([[
      S.trap("USR1", function() end)
      local pid = P.fork(function()
        headroom(0)
        local gc = P.fork(function() unlimit() P.exit(3) end)
        local got, st = P.wait2(gc)
        unlimit()  -- (LeakSanitizer needs a descriptor at exit)
        P.exit(got == gc and st.exitstatus == 3 and 0 or 1)
      end)
      -- a watchdog that uses no blocking brood call: a hung child would
      -- hang this script too
      local deadline = now() + 5
      local got, st
      repeat got, st = P.wait2(pid, P.WNOHANG) until got or now() > deadline
      if not got then P.kill("KILL", pid) P.wait(pid) print("the child hung in wait") return end
      print(st.success)]], {limit = 20})
    expect(r, "true\n")
  end)
end)

-- Runs PRELUDE .. body as an unprivileged user: RLIMIT_NPROC binds only
-- those (as root, through setpriv, as user nobody; the script comes on
-- stdin, so nobody needs to read no file of ours).
local function unprivileged(body, limit)
  local cmd = U.quote(U.BROOD) .. " -"
  if P.uid() == 0 then cmd = "setpriv --reuid=nobody --regid=nogroup --clear-groups " .. cmd end
  return U.sh(cmd, {stdin = PRELUDE .. body, limit = limit})
end

-- The NPROC helpers of the unprivileged scripts.
local STARVE = [==[
local NSOFT, NHARD = P.getrlimit("NPROC")

-- Runs t.op(ctx) n times (default 50) with RLIMIT_NPROC at 0: each time
-- it must raise a brood.Error EAGAIN (then t.undo(ctx, err)) and leave
-- descriptors and children as they were. Then, the limit lifted, t.op
-- must work (t.done(ctx, results...) checks it) -- unless t.done is nil.
local function starve(name, t)
  local base = fds()
  for i = 1, t.n or 50 do
    local ctx = t.prep and t.prep() or {}
    P.setrlimit("NPROC", 0, NHARD)
    local r = table.pack(pcall(t.op, ctx))
    P.setrlimit("NPROC", NSOFT, NHARD)
    if r[1] then
      print(("%s: attempt %d succeeded with no process to spare"):format(name, i))
      return
    end
    if not is_error(r[2], "EAGAIN") then
      print(("%s: attempt %d raised %s"):format(name, i, tostring(r[2])))
      return
    end
    if t.undo then t.undo(ctx, r[2]) end
    local bad = leaks(base)
    if bad then print(("%s: attempt %d: %s"):format(name, i, bad)) return end
  end
  if t.done then
    local ctx = t.prep and t.prep() or {}
    t.done(ctx, t.op(ctx))
    local bad = leaks(base)
    if bad then print(("%s: with the limit lifted: %s"):format(name, bad)) return end
  end
  print(name, "ok")
end
warm()
]==]

describe("process exhaustion (RLIMIT_NPROC): EAGAIN, and nothing leaked", function()
  local function check_tools()
    if P.uid() == 0 and not U.sh("command -v setpriv").out:match("setpriv") then
      pending("setpriv (util-linux) is needed to drop root")
      return false
    end
    return true
  end

  -- Runs STARVE .. body unprivileged; each starve() must print "name ok".
  local function starving(body, names)
    if not check_tools() then return end
    local r = unprivileged(STARVE .. body)
    local want = {}
    for _, n in ipairs(names) do want[#want + 1] = n .. "\tok\n" end
    expect(r, table.concat(want))
  end

  it("runs as a user the limit binds", function()
    if not check_tools() then return end
    local r = unprivileged([[
      local soft, hard = P.getrlimit("NPROC")
      P.setrlimit("NPROC", 0, hard)
      local forked = pcall(P.fork)
      P.setrlimit("NPROC", soft, hard)  -- (LeakSanitizer needs a thread at exit)
      print(P.uid() ~= 0, forked)]])
    expect(r, "true\tfalse\n")
  end)

  it("Process.fork, with and without a function", function()
    starving([[
      starve("fork()", {op = function()
        local pid = P.fork()
        if pid == nil then P._exit(0) end  -- a fork that worked after all
        return pid
      end, done = function(_, pid) P.wait(pid) end})
      starve("fork(fn)", {op = function(ctx)
        return P.fork(function() ctx.ran = true P._exit(0) end)
      end, undo = function(ctx) assert(not ctx.ran, "the parent ran the child's function") end,
      done = function(_, pid) P.wait(pid) end})]], {"fork()", "fork(fn)"})
  end)

  it("Process.spawn, with and without redirects; Process.system", function()
    starving([[
      local name = os.tmpname()
      starve("spawn", {op = function() return P.spawn("true") end,
        done = function(_, pid) P.wait(pid) end})
      starve("spawn redirected", {op = function()
        return P.spawn("true", {["in"] = "/dev/null", out = name, err = {name, "a"}})
      end, done = function(_, pid) P.wait(pid) end})
      starve("system", {op = function()
        local ok, st = P.system("true")
        if ok == nil then error(st, 0) end
        return ok, st
      end, done = function(_, ok) assert(ok == true) end})
      starve("system check", {op = function() return P.system("true", {check = true}) end,
        done = function(_, ok) assert(ok == true) end})
      os.remove(name)]], {"spawn", "spawn redirected", "system", "system check"})
  end)

  it("Process.capture and Open3.capture3", function()
    starving([[
      starve("capture", {op = function() return P.capture("echo", "hi") end,
        done = function(_, out) assert(out == "hi\n") end})
      starve("capture input", {op = function() return P.capture("cat", {input = "x"}) end,
        done = function(_, out) assert(out == "x") end})
      starve("capture3", {op = function() return Open3.capture3("cat", {input = "x"}) end,
        done = function(_, out, err, st) assert(out == "x" and err == "" and st.success) end})
      starve("popen3", {op = function() return Open3.popen3("cat") end,
        done = function(_, i, o, e, t)
          i:close() o:close() e:close()
          assert(t:value().success)
        end})]], {"capture", "capture input", "capture3", "popen3"})
  end)

  it("IO.popen in every mode, and Lua's io.popen and os.execute", function()
    starving([[
      for _, mode in ipairs{"r", "w", "r+"} do
        starve("popen " .. mode, {op = function() return IO.popen({"cat"}, mode) end,
          done = function(_, f) assert(f:close() == true) end})
      end
      local function read_all(f) return f:read("a") end
      starve("popen fn", {op = function() return IO.popen("echo hi", read_all) end,
        done = function(_, s) assert(s == "hi\n") end})
      local function lua_result(f, msg, code)  -- Lua's convention: nil, message, errno
        if f then return f end
        assert(f == nil and type(msg) == "string" and code == 11,
          tostring(msg) .. " " .. tostring(code))
        error(setmetatable({errno = "EAGAIN", code = 11}, {__name = "brood.Error"}))
      end
      starve("io.popen", {op = function() return lua_result(io.popen("echo hi")) end,
        done = function(_, f) assert(f:read("a") == "hi\n") f:close() end})
      starve("os.execute", {op = function()
        local ok, how, code = os.execute("exit 3")
        if ok == nil and how ~= "exit" then return lua_result(ok, how, code) end
        return ok, how, code
      end, done = function(_, ok, how, code) assert(ok == nil and how == "exit" and code == 3) end})
      ]], {"popen r", "popen w", "popen r+", "popen fn", "io.popen", "os.execute"})
  end)

  it("Open3.pipeline and pipeline_r", function()
    starving([[
      starve("pipeline", {op = function()
        return Open3.pipeline({"echo", "hi"}, {"cat"}, {out = "/dev/null"})
      end, done = function(_, sts) assert(#sts == 2 and sts[1].success and sts[2].success) end})
      starve("pipeline_r", {op = function() return Open3.pipeline_r({"echo", "hi"}, {"cat"}) end,
        done = function(_, r, ts)
          assert(r:read("a") == "hi\n")
          r:close()
          for _, t in ipairs(ts) do assert(t:value().success) end
        end})]], {"pipeline", "pipeline_r"})
  end)

  it("Process.detach (no thread) and Process.daemon (no fork) raise and change nothing", function()
    starving([[
      starve("detach", {prep = function() return {pid = P.spawn("true")} end,
        op = function(ctx) return P.detach(ctx.pid) end,
        undo = function(ctx) assert(P.wait(ctx.pid) == ctx.pid, "the child was taken") end,
        done = function(_, h) assert(h:join(10).success) end})
      local pid, sid, pgrp = P.pid(), P.getsid(), P.getpgrp()
      starve("daemon", {op = function() return P.daemon(true, true) end,
        undo = function()
          assert(P.pid() == pid and P.getsid() == sid and P.getpgrp() == pgrp)
        end})]], {"detach", "daemon"})
  end)

  it("a pipeline whose second command cannot start stops and reaps the first", function()
    if not check_tools() then return end
    -- with room for exactly one more process: the first command starts
    local r = unprivileged(STARVE .. [[
      local function room_for_one()
        for n = 1, 1000 do
          P.setrlimit("NPROC", n, NHARD)
          local ok, pid = pcall(P.spawn, "true")
          P.setrlimit("NPROC", NSOFT, NHARD)
          if ok then P.wait(pid) return n end
        end
      end
      local base = fds()
      for _, start in ipairs{"pipeline", "pipeline_r", "pipeline_start"} do
        local r, dt
        for _ = 1, 5 do
          local n = room_for_one()
          P.setrlimit("NPROC", n, NHARD)
          local t0 = now()
          r = table.pack(pcall(Open3[start], {"sleep", "30"}, {"true"}))
          P.setrlimit("NPROC", NSOFT, NHARD)
          dt = now() - t0
          if not r[1] then break end
          -- both started: another process of this user ended meanwhile
          -- (tests run side by side); stop them and try again
          local handles = start == "pipeline_r" and r[3] or start == "pipeline_start" and r[2]
          for _, h in ipairs(handles or {}) do pcall(P.kill, "KILL", h.pid) h:value() end
          if start == "pipeline_r" then r[2]:close() end
        end
        if r[1] then print(start .. ": both commands started, five times") return end
        assert(is_error(r[2], "EAGAIN"), tostring(r[2]))
        local bad = leaks(base)
        if bad then print(start .. ": " .. bad) return end
        if dt > 10 then print(start .. ": the first command was waited for, not stopped") return end
        print(start, "ok")
      end]], 60)
    expect(r, "pipeline\tok\npipeline_r\tok\npipeline_start\tok\n")
  end)
end)

describe("address-space exhaustion (RLIMIT_AS): a clean error, no crash", function()
  -- Lowers RLIMIT_AS to what the script maps now plus 'slack' MB.
  local AS = [==[
    local function vmsize()
      local f = io.open("/proc/self/status")
      local kb = tonumber(f:read("a"):match("VmSize:%s*(%d+)"))
      f:close()
      return kb * 1024
    end
    local function limit_as(slack)
      local _, hard = P.getrlimit("AS")
      P.setrlimit("AS", vmsize() + slack * 2^20, hard)
    end
    -- A clean out-of-memory error: Lua's memory error, or brood's ENOMEM
    -- (or EAGAIN, what clone and pthread_create say for memory).
    local function oom(e)
      return e == "not enough memory" or is_error(e, "ENOMEM") or is_error(e, "EAGAIN")
    end
    warm()
    local base = fds()
  ]==]

  local function as_script(body)
    if SANITIZED then
      pending("the sanitizers reserve terabytes of address space: " ..
        "RLIMIT_AS is checked in the plain build")
      return nil
    end
    return script(AS .. body, {limit = 60})
  end

  it("reading more than fits: read('a'), read(n), gets of /dev/zero", function()
    local r = as_script([[
      limit_as(64)
      local f = IO.open("/dev/zero")
      for _, how in ipairs{"a", 2^40, 256 * 2^20, "l"} do
        local ok, err = pcall(f.read, f, how)
        assert(not ok, "read " .. how .. " worked")
        assert(oom(err), "read " .. how .. ": " .. tostring(err))
      end
      local ok, err = pcall(f.gets, f)
      assert(not ok and oom(err), tostring(err))
      collectgarbage()
      assert(#f:read(2^20) == 2^20)  -- and it works again
      f:close()
      assert(not leaks(base), leaks(base))
      print("ok")]])
    if r then expect(r, "ok\n") end
  end)

  it("IO.shared(huge): ENOMEM", function()
    local r = as_script([[
      limit_as(64)
      local ok, err = pcall(IO.shared, 2^40)
      assert(not ok and is_error(err, "ENOMEM") and err.syscall == "mmap", tostring(err))
      ok, err = pcall(IO.shared, 256 * 2^20)
      assert(not ok and is_error(err, "ENOMEM"), tostring(err))
      local m = IO.shared(4096)
      m:store(0, 42)
      assert(m:load(0) == 42)
      m:close()
      print("ok")]])
    if r then expect(r, "ok\n") end
  end)

  it("spawn, capture, popen, detach and fork with the address space full", function()
    local r = as_script([[
      limit_as(32)
      -- fill the address space with shared mappings, down to the last page:
      -- those can be given back at once (munmap), to check for leaks
      local hog = {}
      local function fill()
        for _, size in ipairs{2^24, 2^20, 2^16, 2^12} do
          while true do
            local ok, m = pcall(IO.shared, size)
            if not ok then break end
            hog[#hog + 1] = m
          end
        end
      end
      -- gives 1 MB back (the checks below open a directory, and a program
      -- started by a try must be reaped whatever happened)
      local function breathe()
        for _ = 1, 256 do
          local m = table.remove(hog)
          if m then m:close() end
        end
      end
      local function settle(pid)
        breathe()
        P.wait(pid)
      end
      fill()
      local tries = {
        spawn = function()
          local pid = P.spawn("true")
          local ok, err = pcall(P.wait, pid)
          if not ok then settle(pid) error(err, 0) end
        end,
        capture = function() assert(P.capture("echo", "hi") == "hi\n") end,
        capture3 = function() assert(Open3.capture3("echo", "hi") == "hi\n") end,
        popen = function() assert(IO.popen({"cat"}, "r+"):close()) end,
        detach = function()
          local pid = P.spawn("true")
          local ok, h = pcall(P.detach, pid)
          if not ok then settle(pid) error(h, 0) end
          h:join()
        end,
        fork = function()
          local pid = P.fork(function() P._exit(0) end)
          local ok, err = pcall(P.wait, pid)
          if not ok then settle(pid) error(err, 0) end
        end,
      }
      local names = {"spawn", "capture", "capture3", "popen", "detach", "fork"}
      local failed = 0
      for _, name in ipairs(names) do
        local verdict = "ok"
        for _ = 1, 20 do
          local ok, err = pcall(tries[name])
          if not ok then failed = failed + 1 end
          breathe()
          if not ok and not oom(err) then verdict = "raised " .. tostring(err) end
          local bad = leaks(base)
          if bad then verdict = bad end
          if verdict ~= "ok" then  -- clean up for the next one
            pcall(P.waitall)
            collectgarbage()
            break
          end
          fill()
        end
        print(name, verdict)
      end
      for _, m in ipairs(hog) do m:close() end
      hog = {}
      assert(failed > 0, "nothing ran out of memory: the address space was not full")
      for _, name in ipairs(names) do tries[name]() end  -- all work again
      assert(not leaks(base), leaks(base))]])
    if r then
      expect(r, "spawn\tok\ncapture\tok\ncapture3\tok\npopen\tok\ndetach\tok\nfork\tok\n")
    end
  end)
end)

describe("no space left on the device (/dev/full): ENOSPC", function()
  U.guard(before_each, after_each)

  local function raises(errno, f, ...)
    local ok, err = pcall(f, ...)
    assert.is_false(ok, "no error")
    assert.are.equal("table", type(err), tostring(err))
    assert.are.equal(errno, err.errno, tostring(err))
    return err
  end

  it("a write raises at once (no buffering on a device), so do puts and print", function()
    local f = IO.open("/dev/full", "w")
    local err = raises("ENOSPC", f.write, f, "x")
    assert.are.equal("write", err.syscall)
    raises("ENOSPC", f.puts, f, "x")
    raises("ENOSPC", f.print, f, "x")
    raises("ENOSPC", f.write, f, string.rep("x", 1 << 20))
    assert.is_true(f:close())
  end)

  it("buffered: flush raises, and close raises but still closes", function()
    local f = IO.open("/dev/full", "w")
    f:setvbuf("full")
    f:write("x")  -- buffered
    raises("ENOSPC", f.flush, f)
    assert.is_true(f:close())  -- the failed data was dropped, not kept to fail again
    f = IO.open("/dev/full", "w")
    f:setvbuf("full")
    f:write("x")
    raises("ENOSPC", f.close, f)
    assert.is_true(f:closed())  -- and its descriptor is gone (the guard checks)
    f = IO.open("/dev/full", "w")
    f:setvbuf("full")
    raises("ENOSPC", f.write, f, string.rep("x", 1 << 20))  -- more than the buffer
    assert.is_true(f:close())
  end)

  it("IO.copy_stream into /dev/full, from a file, a pipe and a socket", function()
    local src = os.tmpname()
    local g = io.open(src, "w")
    g:write(string.rep("y", 100000))
    g:close()
    local f = IO.open(src)
    local full = IO.open("/dev/full", "w")
    raises("ENOSPC", IO.copy_stream, f, full)
    f:close()
    local r, w = IO.pipe()
    w:write("z")
    w:close()
    raises("ENOSPC", IO.copy_stream, r, full)
    r:close()
    local a, b = Socket.pair("UNIX", "STREAM")
    a:write("z")
    a:close()
    raises("ENOSPC", IO.copy_stream, b, full)
    b:close()
    full:close()
    os.remove(src)
  end)

  it("IO.copy_stream(path, '/dev/full') closes the files it opened when it raises", function()
    local src = os.tmpname()
    local g = io.open(src, "w")
    g:write("y")
    g:close()
    raises("ENOSPC", IO.copy_stream, src, "/dev/full")  -- the guard counts the descriptors
    os.remove(src)
  end)

  it("a program whose stdout is /dev/full sees ENOSPC", function()
    local pid = P.spawn(U.BROOD, "-e", [[
      local IO = require "brood.io"
      local ok, err = pcall(IO.stdout.write, IO.stdout, "x")
      os.exit(not ok and err.errno == "ENOSPC" and 42 or 1)]], {out = "/dev/full"})
    local _, st = P.wait2(pid)
    assert.are.equal(42, st.exitstatus)
    local ok, st2 = P.system("sh", "-c", "echo hi || exit 42",
      {out = "/dev/full", err = "/dev/null"})
    assert.is_false(ok)
    assert.are.equal(42, st2.exitstatus)
  end)
end)

describe("a reader that has gone (EPIPE), with SIGPIPE at its default", function()
  -- Each script checks that SIGPIPE is at its default (brood installs its
  -- guard at its first write, by design), then prints one line per
  -- write: the errno it raised. A death by SIGPIPE is exit status 141.
  local EPIPE = [==[
    local function sigpipe_untouched()  -- neither ignored, caught nor blocked
      local f = io.open("/proc/self/status")
      local status = f:read("a")
      f:close()
      for _, field in ipairs{"SigIgn", "SigCgt", "SigBlk"} do
        if tonumber(status:match(field .. ":%s*(%x+)"), 16) & (1 << 12) ~= 0 then return false end
      end
      return true
    end
    assert(sigpipe_untouched(), "SIGPIPE is not at its default")
    warm()
    local base = fds()
    local function epipe(what, f, ...)
      local ok, err = pcall(f, ...)
      print(what, ok and "no error" or (type(err) == "table" and err.errno or tostring(err)))
    end
    local function done()
      local bad = leaks(base)
      print(bad or "clean")
    end
  ]==]

  local function epipe_script(body)
    local r = U.sh(U.quote(U.BROOD) .. " -", {stdin = PRELUDE .. EPIPE .. body})
    assert.is_nil(r.signal, "killed by signal " .. tostring(r.signal) .. "\n" .. r.out .. r.err)
    return r
  end

  it("write, puts, print and write_nonblock to a pipe", function()
    local r = epipe_script([[
      local reader, writer = IO.pipe()
      reader:close()
      epipe("write", writer.write, writer, "x")
      epipe("puts", writer.puts, writer, "x")
      epipe("print", writer.print, writer, "x")
      epipe("write_nonblock", writer.write_nonblock, writer, "x")
      writer:close()
      done()]])
    expect(r, "write\tEPIPE\nputs\tEPIPE\nprint\tEPIPE\nwrite_nonblock\tEPIPE\nclean\n")
  end)

  it("buffered output flushed before a fork or spawn into a pipe whose reader is gone", function()
    -- the flush meets EPIPE (the data is dropped); a fork that blocks
    -- every signal (traps = "default", or any trap set) must not block
    -- them before it flushes: the SIGPIPE would wait and kill once let in
    local r = epipe_script([[
      local reader, writer = IO.pipe()
      reader:close()
      writer.sync = false
      local function forks(label)
        for _, opts in ipairs{{}, {traps = "default"}, {traps = "keep"}} do
          writer:write("buffered")
          P.wait(P.fork(function() P._exit(0) end, opts))
          print(label, opts.traps or "fork", "alive")
        end
        writer:write("buffered")
        P.wait(P.spawn("true"))
        print(label, "spawn", "alive")
      end
      forks("untrapped")
      S.trap("USR1", function() end)
      forks("trapped")
      S.trap("USR1", "DEFAULT")
      writer:close()
      done()]])
    local want = {}
    for _, label in ipairs{"untrapped", "trapped"} do
      for _, how in ipairs{"fork", "default", "keep", "spawn"} do
        want[#want + 1] = label .. "\t" .. how .. "\talive\n"
      end
    end
    expect(r, table.concat(want) .. "clean\n")
  end)

  it("a big write to a pipe whose reader goes away half-way", function()
    local r = epipe_script([[
      local reader, writer = IO.pipe()
      local pid = P.fork(function()
        writer:close()
        reader:read(10)  -- then exits, closing the last reader
      end)
      reader:close()
      epipe("write", writer.write, writer, string.rep("x", 4 << 20))
      writer:close()
      P.wait(pid)
      done()]])
    expect(r, "write\tEPIPE\nclean\n")
  end)

  it("send and write to a socket whose peer closed", function()
    local r = epipe_script([[
      local a, b = Socket.pair("UNIX", "STREAM")
      b:close()
      epipe("send", a.send, a, "x")
      epipe("write", a.write, a, "x")
      epipe("puts", a.puts, a, "x")
      a:close()
      done()]])
    expect(r, "send\tEPIPE\nwrite\tEPIPE\nputs\tEPIPE\nclean\n")
  end)

  it("a TCP send after the peer closed: EPIPE or ECONNRESET, never a death", function()
    local r = epipe_script([[
      local server = Socket.tcp_server("127.0.0.1", 0)
      local _, port = server:local_address()
      local c = Socket.tcp_connect("127.0.0.1", port)
      server:accept():close()
      server:close()
      local errno
      for _ = 1, 100 do
        local ok, err = pcall(c.send, c, "x")
        if not ok then errno = err.errno break end
        P.sleep(0.01)  -- the peer's RST comes back after the first send
      end
      print(errno == "EPIPE" or errno == "ECONNRESET", errno)
      c:close()
      done()]])
    assert.are.equal(0, r.code, r.err)
    assert.matches("^true\t", r.out)
    assert.matches("\nclean\n$", r.out)
  end)

  it("IO.copy_stream from a file, a pipe and a socket into a pipe whose reader is gone", function()
    local r = epipe_script([[
      local src = os.tmpname()
      local f = io.open(src, "w") f:write(("x"):rep(100000)) f:close()
      local function sink()
        local r, w = IO.pipe()
        r:close()
        return w
      end
      local w = sink()
      local file = IO.open(src)
      epipe("file", IO.copy_stream, file, w)
      file:close()
      epipe("path", IO.copy_stream, src, w)
      local pr, pw = IO.pipe()
      pw:write("data") pw:close()
      epipe("pipe", IO.copy_stream, pr, w)
      pr:close()
      local a, b = Socket.pair("UNIX", "STREAM")
      a:write("data") a:close()
      epipe("socket", IO.copy_stream, b, w)
      b:close()
      w:close()
      os.remove(src)
      done()]])
    expect(r, "file\tEPIPE\npath\tEPIPE\npipe\tEPIPE\nsocket\tEPIPE\nclean\n")
  end)

  it("IO.copy_stream from a file, a pipe and a socket into a socket whose peer closed", function()
    local r = epipe_script([[
      local src = os.tmpname()
      local f = io.open(src, "w") f:write(("x"):rep(100000)) f:close()
      local a, b = Socket.pair("UNIX", "STREAM")
      b:close()
      local file = IO.open(src)
      epipe("file", IO.copy_stream, file, a)
      file:close()
      local pr, pw = IO.pipe()
      pw:write("data") pw:close()
      epipe("pipe", IO.copy_stream, pr, a)
      pr:close()
      local c, d = Socket.pair("UNIX", "STREAM")
      c:write("data") c:close()
      epipe("socket", IO.copy_stream, d, a)
      d:close()
      a:close()
      os.remove(src)
      done()]])
    expect(r, "file\tEPIPE\npipe\tEPIPE\nsocket\tEPIPE\nclean\n")
  end)

  it("a forked child's writes raise EPIPE too", function()
    local reader, writer = IO.pipe()
    reader:close()
    local pid = P.fork(function()
      local ok, err = pcall(IO.copy_stream, "/etc/passwd", writer)
      local ok2, err2 = pcall(writer.write, writer, "x")
      P.exit(not ok and err.errno == "EPIPE" and not ok2 and err2.errno == "EPIPE" and 0 or 1)
    end)
    writer:close()
    local _, st = P.wait2(pid)
    assert.is_nil(st.termsig, tostring(st))
    assert.are.equal(0, st.exitstatus)
  end)
end)

describe("starting a process while stdout's reader is gone", function()
  it("drops buffered output in fork, spawn, system, popen, exec: no SIGPIPE", function()
    -- Lua's io.write data waits in C stdio's buffer; brood flushes it
    -- before a child starts (else the child would write it again), and
    -- that flush is brood's, not the script's: it used to kill the
    -- script with SIGPIPE inside Process.fork(). A write through brood's
    -- own IO.stdout raises EPIPE, as every brood write does.
    local r = U.sh(U.quote(U.BROOD) .. " -", {stdin = PRELUDE .. [==[
      io.stdout:setvbuf("full")
      local out = IO.stdout:dup()
      local reader, writer = IO.pipe()
      reader:close()
      IO.stdout:reopen(writer)
      writer:close()
      local function say(what, v) out:puts(what .. "\t" .. tostring(v)) out:flush() end
      io.write("before fork")
      local pid = P.fork(function() P["exit!"](7) end)
      say("fork", P.wait2(pid) == pid)
      io.write("before spawn")
      say("spawn", P.wait2(P.spawn("true")) ~= nil)
      io.write("before system")
      say("system", P.system("true"))
      io.write("before popen")
      local f = IO.popen({"true"})
      f:close()
      say("popen", f ~= nil)
      io.write("before io.popen")
      say("io.popen", io.popen("true"):close())
      io.write("before IO.stdout")
      local ok, err = pcall(IO.stdout.write, IO.stdout, "x")
      say("IO.stdout", not ok and err.errno)
      io.write("before exec")
      P.exec("sh", "-c", "echo exec >&3", {[3] = out})]==]})
    assert.is_nil(r.signal, "killed by signal " .. tostring(r.signal) .. "\n" .. r.out .. r.err)
    expect(r, "fork\ttrue\nspawn\ttrue\nsystem\ttrue\npopen\ttrue\nio.popen\ttrue\n"
      .. "IO.stdout\tEPIPE\nexec\n")
  end)
end)

describe("a buffered file whose descriptor was closed behind its back", function()
  it("does not die of SIGPIPE when its number now names a pipe with no reader", function()
    -- the flush before fork writes the file object's buffer to whatever
    -- its number names now: a pipe whose reader is gone raises EPIPE
    -- there (the data is dropped), never kills the process
    local r = U.sh(U.quote(U.BROOD) .. " -", {stdin = PRELUDE .. [==[
      local name = os.tmpname()
      local f = IO.open(name, "w")
      local n = f:fileno()
      f:write("buffered in the file object")
      IO.for_fd(n):close()                 -- closed behind f's back
      local rd, wr = IO.pipe()
      rd:close()
      local w2 = wr:dup()                  -- the lowest free number: f's
      assert(w2:fileno() == n, "the pipe did not land on the file's number")
      local pid = P.fork(function() end)
      local _, st = P.wait2(pid)
      print("forked", st.exitstatus)
      wr:close()
      os.remove(name)]==]})
    assert.is_nil(r.signal, "killed by signal " .. tostring(r.signal) .. "\n" .. r.out .. r.err)
    expect(r, "forked\t0\n")
  end)
end)

describe("a forked child's signals", function()
  it("never make the parent's blocking calls spin", function()
    -- A forked child shares its parent's wake-up pipe until it makes its
    -- own; a CHLD it gets meanwhile must not leave the parent a byte it
    -- never drains (every wait would then return at once, forever).
    local r = script([[
      S.trap("USR1", function() end)
      P.wait(P.fork(function() end))  -- a blocking wait with a trap set: brood catches CHLD now
      warm()
      local base = fds()
      local ready_r, ready_w = IO.pipe()
      local go_r, go_w = IO.pipe()
      local child = P.fork(function()
        ready_r:close()
        go_w:close()
        local gc = P.spawn("true")  -- its end sends this child a CHLD
        local t0 = now()
        repeat  -- no brood blocking call until the CHLD has come
          local f = io.open("/proc/" .. gc .. "/stat")
          local state = f:read("a"):match("%) (%a)")
          f:close()
        until state == "Z" or now() - t0 > 10
        P.wait(gc)
        ready_w:write("x")
        IO.select({go_r}, nil, nil, 3)  -- bounded: ends a parent stuck spinning
      end)
      ready_w:close()
      go_r:close()
      assert(ready_r:read(1) == "x")
      local t0, c0 = now(), os.clock()
      P.sleep(0.2)
      local dt, cpu = now() - t0, os.clock() - c0
      go_w:close()
      P.wait(child)
      ready_r:close()
      assert(dt < 1, ("P.sleep(0.2) took %.2f s"):format(dt))
      assert(cpu < 0.1, ("P.sleep(0.2) spent %.2f s of CPU"):format(cpu))
      assert(not leaks(base), leaks(base))
      print("ok")]], {limit = 20})
    expect(r, "ok\n")
  end)
end)

describe("a trap handler that raises while a program runs", function()
  it("interrupts capture, capture3, system, popen and pipeline, leaving no pipe, no zombie",
    function()
      -- the program itself sends the signal: the handler runs while brood
      -- waits for it (feeding, reading or reaping)
      local r = script([[
        S.trap("USR1", function() error("from the handler") end)
        warm()
        local base = fds()
        local cmd = "kill -USR1 $PPID; sleep 0.3"
        local runs = {
          capture = function() return P.capture(cmd) end,
          capture_input = function() return P.capture("sh", "-c", cmd, {input = "x"}) end,
          capture3 = function() return Open3.capture3(cmd) end,
          system = function() return P.system(cmd) end,
          popen = function() return IO.popen(cmd, function(f) return f:read("a") end) end,
          pipeline = function() return Open3.pipeline({"sh", "-c", cmd}, {"cat"}) end,
        }
        for _, name in ipairs{"capture", "capture_input", "capture3", "system", "popen",
                              "pipeline"} do
          local ok, err = pcall(runs[name])
          local wrong = {}
          if ok or not tostring(err):match("from the handler") then
            wrong[#wrong + 1] = "not interrupted: " .. tostring(ok) .. " " .. tostring(err)
          end
          local was, is = table.concat(base, " "), table.concat(fds(), " ")
          if was ~= is then wrong[#wrong + 1] = "descriptors " .. was .. " became " .. is end
          -- the program (killed, or left to end) must not stay a zombie
          local deadline = now() + 2
          while #children() > 0 and now() < deadline do P.sleep(0.01) end
          local bad = leaks(base)
          if bad then wrong[#wrong + 1] = bad end
          print(name, wrong[1] and table.concat(wrong, "; ") or "ok")
          pcall(P.waitall)   -- start the next one clean
          collectgarbage()
        end]])
      expect(r, "capture\tok\ncapture_input\tok\ncapture3\tok\nsystem\tok\npopen\tok\n" ..
        "pipeline\tok\n")
    end)
end)

describe("a trap handler runs in Lua code, never inside brood's C", function()
  it("popen's program, which signals at once, is always reaped", function()
    -- The signal comes while IO.popen is still setting the object up in
    -- C (where it calls C functions such as __close metamethods): the
    -- handler must wait for Lua code -- here the block -- or the program
    -- is lost before the object holds it.
    local r = script([[
      S.trap("USR1", function() error("from the handler") end)
      warm()
      local base = fds()
      local me = tostring(P.pid())
      local raised = 0
      for _ = 1, 1000 do
        local ok, err = pcall(IO.popen, {"kill", "-USR1", me}, function(f) return f:read("a") end)
        if ok then
          pcall(S.pause, 1)  -- the handler raises here, after the block
        elseif tostring(err):match("from the handler") then
          raised = raised + 1
        else
          error(err, 0)
        end
      end
      local deadline = now() + 5
      while #children() > 0 and now() < deadline do P.sleep(0.01) end
      print(raised > 0 and "raised" or "never raised", leaks(base) or "clean")]], {limit = 60})
    expect(r, "raised\tclean\n")
  end)
end)

describe("a signal flood (USR1 and CHLD from another process)", function()
  -- flood() starts a process that sends the signals to this one as fast
  -- as it can, and returns once a handler has run (the flood is on).
  -- flooded(fn) runs fn under it and always stops the flood (killed and
  -- reaped); it returns fn's results, raising its error after cleanup.
  local FLOOD = [==[
    local handled = 0
    local function count() handled = handled + 1 end
    S.trap("USR1", count)
    S.trap("CHLD", count)
    warm()
    local base = fds()
    local function flood(sigs)
      local me = P.pid()
      local pid = P.fork(function()
        S.trap("USR1", "DEFAULT")
        S.trap("CHLD", "DEFAULT")
        while pcall(function()
          for _ = 1, 1000 do
            for _, s in ipairs(sigs) do P.kill(s, me) end
          end
        end) do end
        P._exit(0)  -- 'me' is gone
      end)
      local before = handled
      local t0 = now()
      while handled == before and now() - t0 < 10 do S.pause(1) end
      if handled == before then
        P.kill("KILL", pid)
        P.wait(pid)
        error("the flood never arrived")
      end
      return pid
    end
    local flooder
    local function flooded(fn, sigs)
      local pid = flood(sigs or {"USR1", "CHLD"})
      flooder = pid
      local r = table.pack(pcall(fn))
      flooder = nil
      P.kill("KILL", pid)
      P.wait(pid)
      if not r[1] then error(r[2], 0) end
      return table.unpack(r, 2, r.n)
    end
    -- P.fork with the flood held still: the kernel restarts a fork that
    -- a signal interrupts (as it does for C), and a flood can keep doing
    -- that for seconds on a busy machine. The specs below are about the
    -- calls that follow the fork, under the flood again.
    local function fork(fn)
      if flooder then P.kill("STOP", flooder) end
      local ok, pid = pcall(P.fork, fn)
      if flooder then P.kill("CONT", flooder) end
      assert(ok, pid)
      return pid
    end
    local function elapsed(f, ...)
      local t0 = now()
      local r = table.pack(f(...))
      return now() - t0, table.unpack(r, 1, r.n)
    end
    -- A blocking call under a flood must take 'want' seconds: never less,
    -- and not for ever (the bound leaves room for a loaded machine, where
    -- the flood and other work share the CPUs with the script).
    local function about(dt, want)
      assert(dt >= want and dt < want + 10, ("took %.3f s instead of %.3f"):format(dt, want))
    end
    local function done()
      assert(handled > 0)
      local bad = leaks(base)
      print(bad or "clean")
    end
  ]==]

  local function flood_script(body, limit)
    return script(FLOOD .. body, {limit = limit or 60})
  end

  it("the script makes progress: a busy loop ends", function()
    local r = flood_script([[
      -- Each round of handlers notes how far the loop got. When signals
      -- come faster than their handlers run, the loop gets its turn
      -- between rounds -- a quantum of instructions (about eighty
      -- iterations of this loop) -- however fast the signals come; how
      -- much CPU the kernel's deliveries leave it depends on the machine,
      -- the turn does not. (A signal that comes just after a round has
      -- ended starts the next one at once: the median gap tells.)
      local n, gaps, last, looping = 0, {}, nil, false
      local function note()
        handled = handled + 1
        if looping and n ~= last then
          if last then gaps[#gaps + 1] = n - last end
          last = n
        end
      end
      local wall, cpu
      flooded(function()
        S.trap("USR1", note)
        S.trap("CHLD", note)
        local w0, t0 = now(), os.clock()
        looping = true
        -- half a second of CPU and ten rounds (five seconds at most)
        while true do
          n = n + 1
          local c = os.clock() - t0
          if c >= 5 or c >= 0.5 and #gaps >= 10 then break end
        end
        looping = false
        wall, cpu = now() - w0, os.clock() - t0
      end)
      assert(#gaps >= 10, ("only %d rounds of handlers ran"):format(#gaps + 1))
      table.sort(gaps)
      local median = gaps[(#gaps + 1) // 2]
      assert(median >= 30, ("the loop ran a median %d iterations between rounds (%d rounds)")
        :format(median, #gaps + 1))
      assert(wall < 15 and cpu < 6, ("the loop took %.2f s (%.2f s of CPU)"):format(wall, cpu))
      done()]])
    expect(r, "clean\n")
  end)

  it("a trap handler never changes the interrupted code's values", function()
    local r = flood_script([[
      local function one() return 1 end
      local function two() return 1, 2 end
      local function count_args(...) return select("#", ...) end
      local bad = {}
      local function wrong(what) bad[what] = (bad[what] or 0) + 1 end
      flooded(function()
        for i = 1, 600000 do
          local a, b = one()
          if a ~= 1 or b ~= nil then wrong("local a, b = one()") end
          local k = i % 3
          if k == 0 then
            local c, d, e = two()
            if c ~= 1 or d ~= 2 or e ~= nil then wrong("local c, d, e = two()") end
          elseif k == 1 then
            if count_args(one()) ~= 1 then wrong("count_args(one())") end
          else
            local t = {two()}
            if #t ~= 2 then wrong("{two()}") end
          end
        end
      end)
      for what, n in pairs(bad) do print(what, n) end
      done()]], 180)
    expect(r, "clean\n")
  end)

  it("Process.capture gives the whole output and the status", function()
    local r = flood_script([[
      local want = {}
      for i = 1, 20000 do want[i] = tostring(i) end
      want = table.concat(want, "\n") .. "\n"
      flooded(function()
        for _ = 1, 10 do
          local out, st = P.capture("seq", "1", "20000")
          assert(out == want, #out)
          assert(st.success)
          out, st = P.capture("sh", "-c", "sleep 0.1; echo late; exit 3")
          assert(out == "late\n" and st.exitstatus == 3, tostring(st))
        end
      end)
      done()]])
    expect(r, "clean\n")
  end)

  it("Process.system gives the status", function()
    local r = flood_script([[
      flooded(function()
        for _ = 1, 5 do
          local dt, ok, st = elapsed(P.system, "sh", "-c", "sleep 0.2; exit 3")
          assert(ok == false and st.exitstatus == 3, tostring(st))
          about(dt, 0.2)
        end
      end)
      done()]])
    expect(r, "clean\n")
  end)

  it("Open3.capture3 gives both outputs, the input through, and the status", function()
    local r = flood_script([[
      local input = string.rep("0123456789abcdef", 65536)  -- 1 MiB
      flooded(function()
        for _ = 1, 5 do
          local out, err, st = Open3.capture3("sh", "-c", "cat; echo done >&2; exit 4",
            {input = input})
          assert(out == input, #out)
          assert(err == "done\n" and st.exitstatus == 4, tostring(st))
        end
      end)
      done()]])
    expect(r, "clean\n")
  end)

  it("IO.select waits out its timeout, and wakes for data", function()
    local r = flood_script([[
      local rd, wr = IO.pipe()
      flooded(function()
        for _ = 1, 5 do about(elapsed(IO.select, {rd}, nil, nil, 0.3), 0.3) end
        local t0 = now()  -- (before the fork: the child may start its sleep first)
        local pid = fork(function() P.sleep(0.2) wr:write("x") end)
        local ready = IO.select({rd}, nil, nil, 30)
        local dt = now() - t0
        assert(ready and ready[1] == rd)
        about(dt, 0.2)
        P.wait(pid)
      end)
      rd:close() wr:close()
      done()]])
    expect(r, "clean\n")
  end)

  it("IO.select and a read see what becomes ready while handlers keep running", function()
    local r = flood_script([[
      local rd, wr = IO.pipe()
      flooded(function()
        for _ = 1, 10 do
          local pid = fork(function() P.sleep(0.05) wr:write("x") P._exit(0) end)
          local t0 = now()
          local ready = IO.select({rd}, nil, nil, 20)
          local dt = now() - t0
          assert(ready and ready[1] == rd, "select timed out")
          assert(dt < 10, ("select took %.3f s to see the data"):format(dt))
          assert(rd:readpartial(1) == "x")
          P.wait(pid)
        end
      end)
      rd:close() wr:close()
      done()]])
    expect(r, "clean\n")
  end)

  it("Process.wait returns the child and its status", function()
    local r = flood_script([[
      flooded(function()
        for _ = 1, 5 do
          local t0 = now()
          local child = fork(function() P.sleep(0.2) P.exit(7) end)
          local pid, st = P.wait2(child)
          local dt = now() - t0
          assert(pid == child and st.exitstatus == 7, tostring(st))
          about(dt, 0.2)
        end
      end)
      done()]])
    expect(r, "clean\n")
  end)

  it("Process.sleep(0.2) sleeps 0.2 s", function()
    local r = flood_script([[
      flooded(function()
        for _ = 1, 5 do
          local dt, slept = elapsed(P.sleep, 0.2)
          about(dt, 0.2)
          -- the seconds slept, rounded; under a flood the kernel's own
          -- signal delivery can stretch the wall time past 0.5 s
          assert(math.abs(slept - dt) <= 0.51,
            ("took %.3f s and returned %s"):format(dt, tostring(slept)))
        end
      end)
      done()]])
    expect(r, "clean\n")
  end)

  it("sock:accept returns the connection", function()
    local r = flood_script([[
      local server = Socket.tcp_server("127.0.0.1", 0)
      local _, port = server:local_address()
      flooded(function()
        for _ = 1, 3 do
          local t0 = now()
          local pid = fork(function()
            P.sleep(0.2)
            local c = Socket.tcp_connect("127.0.0.1", port)
            c:write("hello")
            c:close()
          end)
          local conn = server:accept()
          local dt = now() - t0
          about(dt, 0.2)
          assert(conn:read("a") == "hello")
          conn:close()
          P.wait(pid)
        end
      end)
      server:close()
      done()]])
    expect(r, "clean\n")
  end)

  it("a pipe read returns the data; a big write goes through whole", function()
    local r = flood_script([[
      flooded(function()
        local rd, wr = IO.pipe()
        local t0 = now()
        local pid = fork(function()
          rd:close()
          P.sleep(0.2)
          wr:write("hello")
        end)
        wr:close()
        local s = rd:read("a")
        local dt = now() - t0
        assert(s == "hello", s)
        about(dt, 0.2)
        rd:close()
        P.wait(pid)
        -- a write that fills the pipe and waits for a slow reader
        rd, wr = IO.pipe()
        local data = string.rep("abcdefgh", 1 << 17)  -- 1 MiB
        pid = fork(function()
          wr:close()
          P.sleep(0.2)
          P.exit(rd:read("a") == data and 0 or 1)
        end)
        rd:close()
        wr:write(data)
        wr:close()
        local _, st = P.wait2(pid)
        assert(st.success, "the reader got other data")
      end)
      done()]])
    expect(r, "clean\n")
  end)

  it("Signal.pause(timeout): true at once while handlers run, false on timeout when none does",
    function()
      local r = flood_script([[
        flooded(function()
          local dt, got = elapsed(S.pause, 5)
          assert(got == true and dt < 2, dt)
        end)
        -- a CHLD flood with CHLD untrapped runs no handler: pause times out
        S.trap("CHLD", "DEFAULT")
        local rd, wr = IO.pipe()
        local pid = P.fork(function()
          rd:close()
          local me = P.ppid()
          for _ = 1, 1000 do P.kill("CHLD", me) end
          wr:write("x")  -- the flood is on
          wr:close()
          while pcall(P.kill, "CHLD", me) do end
          P._exit(0)
        end)
        wr:close()
        assert(rd:read(1) == "x")
        rd:close()
        S.pause(0)  -- forget handlers that ran before
        local dt, got = elapsed(S.pause, 0.3)
        P.kill("KILL", pid)
        P.wait(pid)
        assert(got == false, "pause saw a handler run")
        about(dt, 0.3)
        done()]])
      expect(r, "clean\n")
    end)
end)
