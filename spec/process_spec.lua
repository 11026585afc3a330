-- brood.process against real processes. Every describe block checks that
-- its tests leave no child, no open fd and no changed directory behind.
local U = require "spec.helpers.util"
local P = require "brood.process"
local SIG = require("brood.signal").list()

-- Runs fn in a forked child and returns the child's exit status (0-255);
-- a child that raises exits 1.
local function in_child(fn)
  local pid = P.fork(function()
    local ok, code = pcall(fn)
    P._exit(ok and (code or 0) or 250)
  end)
  local _, status = P.wait2(pid)
  return status.exitstatus, status
end

-- The error object a failing call raises.
local function raised(fn, ...)
  local ok, err = pcall(fn, ...)
  assert.is_false(ok, "expected an error")
  return err
end

describe("Process identity", function()
  U.guard(before_each, after_each)

  it("pid() and ppid() agree with /proc", function()
    local stat = U.slurp("/proc/self/stat")
    local pid, ppid = stat:match("^(%d+) %b() %a (%d+)")
    assert.are.equal(tonumber(pid), P.pid())
    assert.are.equal(tonumber(ppid), P.ppid())
  end)

  it("a child's ppid is its parent's pid, and its pid is new", function()
    local parent = P.pid()
    assert.are.equal(0, in_child(function()
      return (P.ppid() == parent and P.pid() ~= parent) and 0 or 1
    end))
  end)

  it("getpgrp, getpgid and getsid agree with /proc", function()
    local stat = U.slurp("/proc/self/stat")
    local pgrp, sid = stat:match("^%d+ %b() %a %d+ (%d+) (%d+)")
    assert.are.equal(tonumber(pgrp), P.getpgrp())
    assert.are.equal(tonumber(pgrp), P.getpgid(0))
    assert.are.equal(tonumber(pgrp), P.getpgid(P.pid()))
    assert.are.equal(tonumber(sid), P.getsid())
    assert.are.equal(tonumber(sid), P.getsid(P.pid()))
  end)

  it("a child inherits the process group", function()
    local pgrp = P.getpgrp()
    assert.are.equal(0, in_child(function() return P.getpgrp() == pgrp and 0 or 1 end))
  end)

  it("setpgid moves a child into its own group", function()
    local pid = P.fork(function() P.sleep(10) end)
    assert.are.equal(0, P.setpgid(pid, pid))
    assert.are.equal(pid, P.getpgid(pid))
    P.kill("KILL", pid)
    P.wait(pid)
  end)

  it("getpgid of a process that does not exist raises ESRCH", function()
    local pid = P.fork(function() end)
    P.wait(pid)
    local err = raised(P.getpgid, pid)
    assert.are.equal("ESRCH", err.errno)
    assert.are.equal("getpgid", err.syscall)
  end)

  it("setsid raises EPERM in a process group leader, as the book warns", function()
    assert.are.equal(0, in_child(function()
      P.setpgid(0, 0)  -- now a group leader
      local ok, err = pcall(P.setsid)
      return (not ok and err.errno == "EPERM") and 0 or 1
    end))
  end)

  it("setsid in a child makes a new session and group led by the child", function()
    assert.are.equal(0, in_child(function()
      local sid = P.setsid()
      return (sid == P.pid() and P.getsid() == sid and P.getpgrp() == sid) and 0 or 1
    end))
  end)

  it("setsid leaves the child without a controlling terminal", function()
    -- On a real terminal: the parent can open /dev/tty, the child after
    -- setsid cannot.
    local script = U.tmpfile([[
      local P = require "brood.process"
      local f = io.open("/dev/tty")
      print("parent has tty: " .. tostring(f ~= nil))
      if f then f:close() end
      local pid = P.fork(function()
        P.setsid()
        local g = io.open("/dev/tty")
        P._exit(g and 1 or 0)
      end)
      local _, st = P.wait2(pid)
      print("child has tty: " .. tostring(st.exitstatus ~= 0))
    ]])
    local r = U.pty({U.BROOD, script}, {"eof"})
    os.remove(script)
    assert.matches("parent has tty: true", r.transcript)
    assert.matches("child has tty: false", r.transcript)
  end)

  it("uid, gid, euid and egid are the ids id(1) reports", function()
    local r = U.sh("id -u; id -g; id -ru; id -rg")
    local eu, eg, ru, rg = r.out:match("(%d+)\n(%d+)\n(%d+)\n(%d+)")
    assert.are.equal(tonumber(eu), P.euid())
    assert.are.equal(tonumber(eg), P.egid())
    assert.are.equal(tonumber(ru), P.uid())
    assert.are.equal(tonumber(rg), P.gid())
  end)

  it("rejects arguments it does not take", function()
    assert.has_error(function() P.pid(1) end, "bad argument #1 to 'pid' (no value expected)")
    assert.has_error(function() P.getpgid("x") end)
  end)
end)

describe("Process.executable, argv and subreaper", function()
  U.guard(before_each, after_each)

  it("executable() is the running binary; argv() the command line as started", function()
    local code = [[
      local P = require "brood.process"
      P.setproctitle("renamed")
      for _, a in ipairs(P.argv()) do io.write("<", a, ">") end
      print()
      print(P.executable())]]
    local cmd = U.quote(U.BROOD) .. " -W -e " .. U.quote(code) .. " -e 'x = 1' - a 'b c'"
    local r = U.sh(cmd .. " </dev/null")
    assert.are.equal("", r.err)
    local real = U.sh("readlink -f " .. U.quote(U.BROOD)).out
    assert.are.equal("<" .. U.BROOD .. "><-W><-e><" .. code .. "><-e><x = 1><-><a><b c>\n" .. real,
                     r.out)
  end)

  it("re-executes itself exactly from executable() and argv()", function()
    local r = U.sh(U.quote(U.BROOD) .. " -e " .. U.quote([[
      local P = require "brood.process"
      if os.getenv("AGAIN") then print("again", table.concat(arg, ",")) return end
      local argv = P.argv()
      P.exec({AGAIN = "1"}, P.executable(), table.unpack(argv, 2))]]) .. " - x y </dev/null")
    assert.are.equal("again\tx,y\n", r.out)
  end)

  it("subreaper(true): an orphaned grandchild comes to us, and we reap it", function()
    local IO = require "brood.io"
    assert.is_false(P.subreaper())
    assert.is_false(P.subreaper(true))
    local ok, err = pcall(function()
      assert.is_true(P.subreaper())
      local r, w = IO.pipe()
      local mid = P.fork(function()
        local g = P.fork(function() w:close() P.sleep(0.2) P._exit(9) end)
        w:puts(g)
        P._exit(0)
      end)
      w:close()
      local g = tonumber(r:gets())
      r:close()
      P.wait(mid)
      local got, st = P.wait2(g)  -- ECHILD unless it was reparented to us
      assert.are.equal(g, got)
      assert.are.equal(9, st.exitstatus)
    end)
    assert.is_true(P.subreaper(false))
    assert.is_false(P.subreaper())
    assert(ok, err)
    assert.has_error(function() P.subreaper(1) end)
    assert.has_error(function() P.subreaper(true, 2) end)
  end)
end)

describe("Process.env", function()
  U.guard(before_each, after_each)

  after_each(function() P.env.BROOD_SPEC_X = nil end)

  it("reads, sets and unsets variables, in agreement with os.getenv", function()
    assert.is_nil(P.env.BROOD_SPEC_X)
    P.env.BROOD_SPEC_X = "wing it"
    assert.are.equal("wing it", P.env.BROOD_SPEC_X)
    assert.are.equal("wing it", os.getenv("BROOD_SPEC_X"))
    P.env.BROOD_SPEC_X = 42
    assert.are.equal("42", P.env.BROOD_SPEC_X)
    P.env.BROOD_SPEC_X = nil
    assert.is_nil(P.env.BROOD_SPEC_X)
    assert.is_nil(os.getenv("BROOD_SPEC_X"))
  end)

  it("iterates with pairs", function()
    P.env.BROOD_SPEC_X = "listed"
    local seen = {}
    for k, v in pairs(P.env) do seen[k] = v end
    assert.are.equal("listed", seen.BROOD_SPEC_X)
    assert.are.equal(os.getenv("PATH"), seen.PATH)
  end)

  it("gives a plain copy when called", function()
    P.env.BROOD_SPEC_X = "copied"
    local copy = P.env()
    P.env.BROOD_SPEC_X = "changed"
    assert.are.equal("copied", copy.BROOD_SPEC_X)
  end)

  it("is inherited by forked children and by programs they run", function()
    P.env.BROOD_SPEC_X = "inherited"
    assert.are.equal(0, in_child(function()
      return P.env.BROOD_SPEC_X == "inherited" and 0 or 1
    end))
    local p = io.popen("echo \"$BROOD_SPEC_X\"")
    assert.are.equal("inherited\n", p:read("a"))
    p:close()
  end)

  it("rejects bad names and values", function()
    assert.has_error(function() P.env["A=B"] = "x" end)
    assert.has_error(function() P.env[""] = "x" end)
    assert.has_error(function() P.env.BROOD_SPEC_X = {} end)
    assert.has_error(function() P.env.BROOD_SPEC_X = "a\0b" end)
  end)
end)

describe("Process.setproctitle", function()
  it("shows the new title in /proc/PID/cmdline, ps and comm, keeping arg[0] and the environment",
    function()
      local r = U.script([[
        local P = require "brood.process"
        local env_before = 0
        for _ in pairs(P.env) do env_before = env_before + 1 end
        P.setproctitle("brood-worker: idle")
        local cmdline = io.open("/proc/self/cmdline"):read("a")
        local comm = io.open("/proc/self/comm"):read("l")
        local ps = io.popen("ps -o args= -p " .. P.pid()):read("l")
        local env_after = 0
        for _ in pairs(P.env) do env_after = env_after + 1 end
        print(("%q"):format(cmdline))
        print(comm)
        print(ps)
        print(arg[0], env_before == env_after, os.getenv("HOME"))
        P.setproctitle("second")
        print(("%q"):format(io.open("/proc/self/cmdline"):read("a")))
      ]], {}, {env = {HOME = "/home/x"}})
      assert.are.equal(0, r.code, r.err)
      local lines = {}
      for l in r.out:gmatch("[^\n]+") do lines[#lines + 1] = l end
      assert.are.equal('"brood-worker: idle\\0"', lines[1])
      assert.are.equal("brood-worker: i", lines[2])  -- comm keeps 15 bytes
      assert.are.equal("brood-worker: idle", lines[3])
      assert.are.equal(r.path .. "\ttrue\t/home/x", lines[4])
      assert.are.equal('"second\\0"', lines[5])
    end)

  it("raises the errno when it cannot read /proc (EMFILE past RLIMIT_NOFILE)", function()
    local r = U.script([[
      local P = require "brood.process"
      P.setrlimit("NOFILE", 3)
      local ok, err = pcall(P.setproctitle, "x")
      print(ok, err.errno, err.syscall)
    ]])
    assert.are.equal("false\tEMFILE\topen\n", r.out)
  end)
end)

describe("Process resource limits", function()
  U.guard(before_each, after_each)

  it("getrlimit returns soft and hard limits, by name or constant", function()
    local soft, hard = P.getrlimit("NOFILE")
    assert.are.equal("integer", math.type(soft))
    assert.is_true(soft <= hard)
    assert.are.same({soft, hard}, {P.getrlimit("RLIMIT_NOFILE")})
    assert.are.same({soft, hard}, {P.getrlimit(P.RLIMIT_NOFILE)})
    local r = U.sh("ulimit -Sn; ulimit -Hn")
    local s2, h2 = r.out:match("(%S+)\n(%S+)")
    assert.are.equal(tonumber(s2), soft)
    assert.are.equal(h2 == "unlimited" and math.huge or tonumber(h2), hard)
  end)

  it("knows every RLIMIT of the platform", function()
    for _, name in ipairs{"AS", "CORE", "CPU", "DATA", "FSIZE", "LOCKS", "MEMLOCK", "MSGQUEUE",
                          "NICE", "NOFILE", "NPROC", "RSS", "RTPRIO", "RTTIME",
                          "SIGPENDING", "STACK"} do
      assert.are.equal("number", type(P["RLIMIT_" .. name]), name)
      assert.are.equal("number", type((P.getrlimit(name))), name)
    end
  end)

  it("reports unlimited as Process.RLIM_INFINITY (math.huge)", function()
    assert.are.equal(math.huge, P.RLIM_INFINITY)
    local _, hard = P.getrlimit("CPU")
    assert.are.equal(math.huge, hard)
  end)

  it("setrlimit changes the limits a child and its programs see", function()
    assert.are.equal(0, in_child(function()
      P.setrlimit("NOFILE", 64, 128)
      local s, h = P.getrlimit("NOFILE")
      local out = io.popen("ulimit -Sn; ulimit -Hn"):read("a")
      return (s == 64 and h == 128 and out == "64\n128\n") and 0 or 1
    end))
  end)

  it("setrlimit without a hard limit sets both, as Ruby does", function()
    assert.are.equal(0, in_child(function()
      P.setrlimit("CORE", 0)
      local s, h = P.getrlimit("CORE")
      return (s == 0 and h == 0) and 0 or 1
    end))
  end)

  it("accepts \"INFINITY\" and math.huge", function()
    assert.are.equal(0, in_child(function()
      P.setrlimit("CPU", "INFINITY", P.RLIM_INFINITY)
      return P.getrlimit("CPU") == math.huge and 0 or 1
    end))
  end)

  it("raises for unknown resources, bad values, and what the kernel refuses", function()
    assert.has_error(function() P.getrlimit("NOPE") end,
      "bad argument #1 to 'getrlimit' (unknown resource 'NOPE')")
    assert.has_error(function() P.setrlimit("NOFILE", -1) end)
    assert.has_error(function() P.setrlimit("NOFILE", 1.5) end)
    local _, hard = P.getrlimit("NOFILE")
    local err = raised(P.setrlimit, "NOFILE", hard, hard - 1)
    assert.are.equal("EINVAL", err.errno)
  end)
end)

describe("Process umask, chdir and getcwd", function()
  U.guard(before_each, after_each)

  it("umask sets and returns the previous mask; without an argument it only reads", function()
    local old = P.umask(tonumber("027", 8))
    assert.are.equal(tonumber("027", 8), P.umask())
    assert.are.equal(tonumber("027", 8), P.umask())
    assert.are.equal(tonumber("027", 8), P.umask("022"))
    assert.are.equal(18, P.umask(old))
    assert.are.equal(old, P.umask())
    assert.has_error(function() P.umask("9") end)
    assert.has_error(function() P.umask(4096) end)
  end)

  it("umask applies to files the process creates and is inherited", function()
    local lfs = require "lfs"
    local name = os.tmpname()
    os.remove(name)
    assert.are.equal(0, in_child(function()
      P.umask("077")
      local f = io.open(name, "w")
      f:close()
      local p = io.popen("sh -c umask")
      local shown = p:read("l")
      p:close()
      return shown == "0077" and 0 or 1
    end))
    assert.are.equal("rw-------", lfs.attributes(name, "permissions"))
    os.remove(name)
  end)

  it("chdir changes the directory and getcwd reads it", function()
    local here = P.getcwd()
    assert.are.equal(0, P.chdir("/tmp"))
    assert.are.equal("/tmp", P.getcwd())
    P.chdir(here)
    assert.are.equal(here, P.getcwd())
  end)

  it("chdir(dir, fn) runs fn there, returns its results and comes back", function()
    local here = P.getcwd()
    local a, b = P.chdir("/", function() return P.getcwd(), "second" end)
    assert.are.equal("/", a)
    assert.are.equal("second", b)
    assert.are.equal(here, P.getcwd())
  end)

  it("chdir(dir, fn) comes back even when fn raises", function()
    local here = P.getcwd()
    assert.has_error(function() P.chdir("/", function() error("inside") end) end)
    assert.are.equal(here, P.getcwd())
  end)

  it("chdir() goes to HOME", function()
    local here = P.getcwd()
    local home = os.getenv("HOME")
    P.chdir()
    assert.are.equal(home, P.getcwd())
    P.chdir(here)
  end)

  it("chdir to a missing directory raises ENOENT naming it", function()
    local err = raised(P.chdir, "/nonexistent/dir")
    assert.are.equal("ENOENT", err.errno)
    assert.are.equal("chdir /nonexistent/dir: No such file or directory (ENOENT)",
      tostring(err))
  end)
end)

describe("Process priorities, clocks and times", function()
  U.guard(before_each, after_each)

  it("getpriority and setpriority work on this process", function()
    local prio = P.getpriority("PROCESS", 0)
    assert.are.equal(prio, P.getpriority(P.PRIO_PROCESS, P.pid()))
    assert.are.equal(0, in_child(function()
      P.setpriority("PROCESS", 0, prio + 3)
      return P.getpriority("PROCESS", 0) == prio + 3 and 0 or 1
    end))
    assert.has_error(function() P.getpriority("NOPE", 0) end)
  end)

  it("clock_gettime reads clocks as float seconds or in a unit", function()
    local t1 = P.clock_gettime("MONOTONIC")
    local t2 = P.clock_gettime(P.CLOCK_MONOTONIC)
    assert.are.equal("float", math.type(t1))
    assert.is_true(t2 >= t1)
    assert.is_true(math.abs(P.clock_gettime("REALTIME") - os.time()) < 2)
    assert.are.equal("integer", math.type(P.clock_gettime("CLOCK_REALTIME", "nanosecond")))
    assert.is_true(math.abs(P.clock_gettime("REALTIME", "second") - os.time()) <= 1)
    assert.is_true(P.clock_gettime("PROCESS_CPUTIME_ID") > 0)
    assert.has_error(function() P.clock_gettime("SUNDIAL") end)
    assert.has_error(function() P.clock_gettime("MONOTONIC", "fortnight") end)
  end)

  it("times reports this process's and its children's CPU time", function()
    local t = P.times()
    for _, k in ipairs{"utime", "stime", "cutime", "cstime"} do
      assert.are.equal("number", type(t[k]), k)
    end
    local pid = P.fork(function()
      local stop = P.clock_gettime("PROCESS_CPUTIME_ID") + 0.05
      while P.clock_gettime("PROCESS_CPUTIME_ID") < stop do end
    end)
    P.wait(pid)
    local t2 = P.times()
    assert.is_true(t2.cutime + t2.cstime >= t.cutime + t.cstime + 0.04)
  end)
end)

describe("Process.fork", function()
  U.guard(before_each, after_each)

  it("returns the child's pid in the parent and nil in the child", function()
    local pid = P.fork()
    if pid == nil then P._exit(42) end
    assert.are.equal("integer", math.type(pid))
    local got, status = P.wait2(pid)
    assert.are.equal(pid, got)
    assert.are.equal(42, status.exitstatus)
  end)

  it("fork(fn) runs fn in the child and exits 0", function()
    local ran = os.tmpname()
    local pid = P.fork(function() io.open(ran, "w"):write("yes"):close() end)
    local _, status = P.wait2(pid)
    assert.are.equal(0, status.exitstatus)
    assert.are.equal("yes", U.slurp(ran))
    os.remove(ran)
  end)

  it("fork(fn) exits with the status fn chose through Process.exit", function()
    local _, status = P.wait2(P.fork(function() P.exit(7) end))
    assert.are.equal(7, status.exitstatus)
  end)

  it("an error in fn prints a traceback and exits 1", function()
    local r = U.script([[
      local P = require "brood.process"
      local _, st = P.wait2(P.fork(function() local function inner() error("child broke") end
        inner() end))
      print(st.exitstatus)
    ]])
    assert.are.equal("1\n", r.out)
    assert.matches("child broke\nstack traceback:", r.err)
    assert.matches("in local 'inner'", r.err)
  end)

  it("flushes buffered output first: nothing is printed twice through a pipe", function()
    local r = U.sh(U.quote(U.BROOD) .. [[ -e '
      local P = require "brood.process"
      io.write("before fork\n")
      local pid = P.fork()
      if pid == nil then io.write("child\n") P.exit(0) end
      P.wait(pid)
      io.write("parent\n")' | cat]])
    assert.are.equal("before fork\nchild\nparent\n", r.out)
  end)

  it("reseeds math.random in each child", function()
    local files = {os.tmpname(), os.tmpname()}
    math.randomseed(1234)
    for i = 1, 2 do
      P.wait(P.fork(function()
        local f = io.open(files[i], "w")
        f:write(math.random(0, 2^40), " ", math.random(0, 2^40))
        f:close()
      end))
    end
    local a, b = U.slurp(files[1]), U.slurp(files[2])
    os.remove(files[1])
    os.remove(files[2])
    assert.are_not.equal(a, b)
  end)

  it("gives a grandchild a seed of its own, not one its parent's parent hands out next", function()
    -- seeds are drawn ahead, several forks at a time: a child's copy of
    -- what is left must never be handed out again by the child
    local IO = require "brood.io"
    local r, w = IO.pipe()
    local function say() w:write(("%d\n"):format(math.random(0, 2^52))) end
    P.wait(P.fork(function() P.wait(P.fork(say)) end))  -- a grandchild
    P.wait(P.fork(say))                                -- the next child
    w:close()
    local grandchild, child = r:read("l"), r:read("l")
    r:close()
    assert.is_truthy(grandchild and child)
    assert.are_not.equal(grandchild, child)
  end)

  it("keeps the parent's memory in the child, copy-on-write", function()
    local arr = {1, 2, 3}
    assert.are.equal(0, in_child(function()
      arr[#arr + 1] = 4
      return #arr == 4 and 0 or 1
    end))
    assert.are.equal(3, #arr)
  end)

  it("rejects a non-function", function()
    assert.has_error(function() P.fork(42) end)
  end)

  it("traps = 'default' gives the child the system's dispositions, not our traps", function()
    local S = require "brood.signal"
    local ran = false
    S.trap("USR1", function() ran = true end)
    S.trap("EXIT", function() io.stdout:write("parent's exit trap\n") end)
    local ok, err = pcall(function()
      -- kept (the default): the child's USR1 runs the parent's handler
      local _, kept = P.wait2(P.fork(function()
        P.kill("USR1", P.pid())
        P._exit(ran and 3 or 4)
      end))
      assert.are.equal(3, kept.exitstatus)
      -- default: USR1 kills the child, as in a fresh process
      local _, fresh = P.wait2(P.fork(function()
        P.kill("USR1", P.pid())
        P._exit(5)
      end, {traps = "default"}))
      assert.are.equal(SIG.USR1, fresh.termsig)
      -- and the EXIT trap is gone: a normal exit prints nothing
      local r = U.script([[
        local P, S = require "brood.process", require "brood.signal"
        S.trap("EXIT", function() print("exit trap ran") end)
        S.trap("TERM", function() end)
        local _, st = P.wait2(P.fork(function() print(S.trap("TERM", "DEFAULT")) end,
                                     {traps = "default"}))
        S.trap("EXIT", "DEFAULT")
        print(st.exitstatus)
      ]])
      assert.are.equal("SYSTEM_DEFAULT\n0\n", r.out)
    end)
    S.trap("USR1", "SYSTEM_DEFAULT")
    S.trap("EXIT", "DEFAULT")
    assert(ok, err)
  end)

  it("traps = 'default' also ends the parent's Signal.wait watches in the child", function()
    local S = require "brood.signal"
    S.wait("USR2", 0)  -- from here on USR2 is caught and queued for Signal.wait
    local ok, err = pcall(function()
      local _, st = P.wait2(P.fork(function()
        P.kill("USR2", P.pid())
        P._exit(5)
      end, {traps = "default"}))
      assert.are.equal(SIG.USR2, st.termsig)
    end)
    S.trap("USR2", "SYSTEM_DEFAULT")
    assert(ok, err)
  end)

  it("traps = 'default': a signal sent the moment the child exists takes its default action",
     function()
    -- A master signals a worker it has just forked: the signal must not
    -- reach the parent's trap or watch, copied into the child, and be lost
    -- there before the child's dispositions are reset.
    local S = require "brood.signal"
    S.wait("QUIT", 0)                     -- watched, as a master's QUIT is
    S.trap("USR1", function() end)        -- trapped
    local ok, err = pcall(function()
      for i = 1, 300 do
        local sig = i % 2 == 0 and "QUIT" or "USR1"
        local pid = P.fork(function() P.sleep(2) P._exit(7) end, {traps = "default"})
        P.kill(sig, pid)
        local _, st = P.wait2(pid)
        assert.are.equal(SIG[sig], st.termsig, ("round %d: the child %s"):format(i, tostring(st)))
      end
    end)
    S.trap("QUIT", "SYSTEM_DEFAULT")
    S.trap("USR1", "DEFAULT")
    assert(ok, err)
  end)

  it("pdeathsig: the child gets the signal when its parent dies", function()
    local IO = require "brood.io"
    -- we adopt the orphan (subreaper), so we can see how it ended
    local was = P.subreaper(true)
    local r, w = IO.pipe()
    local mid = P.fork(function()
      r:close()
      local worker = P.fork(function() P.sleep(30) end, {pdeathsig = "KILL"})
      w:puts(worker)
      w:close()
      P.sleep(30)
    end)
    w:close()
    local worker = tonumber(r:gets())
    r:close()
    P.kill("KILL", mid)
    P.wait(mid)
    -- the orphaned worker was killed by its parent's death and came to us
    local got, st = P.wait2(worker)
    P.subreaper(was)
    assert.are.equal(worker, got)
    assert.are.equal(SIG.KILL, st.termsig)
  end)

  it("checks its options: unknown keys, bad values", function()
    assert.has_error(function() P.fork(function() end, {bogus = 1}) end,
                     "bad argument #2 to 'fork' (unknown option 'bogus')")
    assert.has_error(function() P.fork({traps = "none"}) end,
      "bad argument #1 to 'fork' (option 'traps' must be \"keep\" or \"default\")")
    assert.has_error(function() P.fork(function() end, {pdeathsig = "NOPE"}) end)
    assert.has_error(function() P.fork(function() end, {}, 3) end)
  end)
end)

describe("Process.terminate", function()
  U.guard(before_each, after_each)
  local IO = require "brood.io"

  -- A child that has set its TERM disposition ('ignore' or not) and said so.
  local function child(ignore, opts)
    local r, w = IO.pipe()
    local script = (ignore and "trap '' TERM; " or "") .. "echo ready; exec sleep 30"
    local pid = P.spawn("sh", "-c", script, {out = w, pgroup = opts and opts.pgroup})
    w:close()
    assert.are.equal("ready\n", r:gets())
    r:close()
    return pid
  end

  it("ends a child with TERM and reaps it", function()
    local pid = child(false)
    local st = P.terminate(pid, 5)
    assert.are.equal(SIG.TERM, st.termsig)
    assert.are.equal(pid, st.pid)
    assert.has_error(function() P.kill(0, pid) end)  -- reaped: gone
  end)

  it("sends KILL once the grace period has passed", function()
    local pid = child(true)
    local t0 = P.clock_gettime("MONOTONIC")
    local st = P.terminate(pid, 0.3)
    local dt = P.clock_gettime("MONOTONIC") - t0
    assert.are.equal(SIG.KILL, st.termsig)
    assert.is_true(dt >= 0.3 and dt < 5, dt)
  end)

  it("reaps a child that has already ended, sending nothing", function()
    local pid = P.spawn("true")
    assert.is_truthy(U.eventually(function() return U.procstate(pid) == "Z" end, 5))
    assert.are.equal(0, P.terminate(pid).exitstatus)
  end)

  it("a stopped child gets the TERM too (CONT follows it)", function()
    local pid = child(false)
    P.kill("STOP", pid)
    assert.is_truthy(U.eventually(function() return U.procstate(pid) == "T" end, 5))
    assert.are.equal(SIG.TERM, P.terminate(pid, 5).termsig)
  end)

  it("ends a whole process group and reaps our part of it", function()
    local pid = P.spawn("sh", "-c", "sleep 30 & sleep 30 & echo ready; wait", {pgroup = true,
      out = "/dev/null"})
    assert.is_truthy(U.eventually(function()
      -- the two sleeps have started in the group
      local n = 0
      for c in U.slurp(("/proc/%d/task/%d/children"):format(pid, pid)):gmatch("%d+") do
        if c then n = n + 1 end
      end
      return n == 2
    end, 5))
    local st = P.terminate(-pid, 5)
    assert.are.equal(SIG.TERM, st.termsig)
    assert.has_error(function() P.kill(0, -pid) end)  -- nobody left in the group
  end)

  it("refuses what is not a child before sending anything, and bad arguments", function()
    local err = raised(P.terminate, 1)
    assert.are.equal("ECHILD", err.errno)
    assert.has_error(function() P.terminate(0) end)
    assert.has_error(function() P.terminate(-1) end)
    assert.has_error(function() P.terminate(2 ^ 31) end)
    assert.has_error(function() P.terminate(123, -1) end)
    assert.has_error(function() P.terminate(123, 0 / 0) end)
    assert.has_error(function() P.terminate(123, 1, 2) end)
  end)

  it("inside a task, only the calling task waits", function()
    local Task = require "brood.task"
    local pid = child(true)
    local ticks = 0
    local st = Task.run(function()
      local ticker = Task.spawn(function()
        while true do Task.sleep(0.01) ticks = ticks + 1 end
      end)
      local s = P.terminate(pid, 0.3)
      ticker:cancel()
      return s
    end)
    assert.are.equal(SIG.KILL, st.termsig)
    assert.is_true(ticks >= 5, ticks)
  end)
end)

describe("Process.exit, _exit, abort and at_exit", function()
  U.guard(before_each, after_each)

  local function status_of(code)
    return U.script("local P = require 'brood.process'\n" .. code)
  end

  it("exit() is 0, exit(n) is n, exit(true) 0 and exit(false) 1", function()
    assert.are.equal(0, status_of("P.exit()").code)
    assert.are.equal(22, status_of("P.exit(22)").code)
    assert.are.equal(0, status_of("P.exit(true)").code)
    assert.are.equal(1, status_of("P.exit(false)").code)
  end)

  it("runs at_exit functions last-registered first, then exits", function()
    local r = status_of([[
      P.at_exit(function() print("Last!") end)
      P.at_exit(function() print("second to last") end)
      P.exit(3)
      print("not reached")]])
    assert.are.equal("second to last\nLast!\n", r.out)
    assert.are.equal(3, r.code)
  end)

  it("runs at_exit functions at the normal end of a script", function()
    local r = status_of([[P.at_exit(function() print("Last!") end) print("main")]])
    assert.are.equal("main\nLast!\n", r.out)
    assert.are.equal(0, r.code)
  end)

  it("runs at_exit functions before an uncaught error is reported", function()
    local r = status_of([[P.at_exit(function() io.stderr:write("at_exit\n") end) error("boom")]])
    assert.are.equal(1, r.code)
    assert.matches("^at_exit\n.*boom", r.err)
  end)

  it("reports a failing at_exit function, runs the others, and exits 1", function()
    local r = status_of([[
      P.at_exit(function() print("first") end)
      P.at_exit(function() error("handler broke") end)
      P.at_exit(function() print("third") end)]])
    assert.are.equal("third\nfirst\n", r.out)
    assert.matches("handler broke", r.err)
    assert.are.equal(1, r.code)
  end)

  it("lets an at_exit function change the status with exit", function()
    assert.are.equal(7, status_of("P.at_exit(function() P.exit(7) end) P.exit(3)").code)
  end)

  it("runs at_exit functions in a fork(fn) child, not after _exit", function()
    local r = status_of([[
      P.at_exit(function() print("at_exit in " .. (P.pid() == MAIN and "parent" or "child")) end)
      MAIN = P.pid()
      P.wait(P.fork(function() end))
      P.wait(P.fork(function() P._exit(0) end))
      print("parent done")]])
    assert.are.equal("at_exit in child\nparent done\nat_exit in parent\n", r.out)
  end)

  it("_exit skips at_exit and buffered output, default status 1", function()
    local r = status_of([[
      P.at_exit(function() print("no") end)
      io.stdout:setvbuf("full")
      io.write("buffered")
      P._exit()]])
    assert.are.equal("", r.out)
    assert.are.equal(1, r.code)
    assert.are.equal(9, status_of("P._exit(9)").code)
  end)

  it("abort writes its message to stderr and exits 1 after at_exit", function()
    local r = status_of([[P.at_exit(function() print("ae") end) P.abort("Parent process died...")]])
    assert.are.equal("Parent process died...\n", r.err)
    assert.are.equal("ae\n", r.out)
    assert.are.equal(1, r.code)
  end)

  it("at_exit returns its function and rejects non-functions", function()
    local r = status_of([[local f = function() end print(P.at_exit(f) == f)]])
    assert.are.equal("true\n", r.out)
    assert.has_error(function() P.at_exit("x") end)
  end)

  it("runs at_exit functions under stock lua5.4 when the state closes", function()
    if os.getenv("BROOD_SANITIZED") then
      pending("stock lua5.4 cannot load a sanitized brood.so; the plain build checks this")
      return
    end
    local r = U.sh(("lua5.4 -e 'package.cpath = %q .. \";\" .. package.cpath; "
      .. "require(\"brood.process\").at_exit(function() print(\"closing\") end)'"):format(
      U.BUILD_ROOT .. "/lua/?.so"))
    assert.are.equal("closing\n", r.out)
  end)
end)

describe("Process.sleep", function()
  U.guard(before_each, after_each)

  it("sleeps for fractional seconds and returns the seconds slept, rounded", function()
    local t0 = P.clock_gettime("MONOTONIC")
    assert.are.equal(0, P.sleep(0.2))
    local slept = P.clock_gettime("MONOTONIC") - t0
    assert.is_true(slept >= 0.2 and slept < 1, tostring(slept))
    assert.are.equal(1, P.sleep(0.6))
    assert.are.equal(0, P.sleep(0))
  end)

  it("without an argument sleeps until the process is signalled", function()
    local pid = P.fork(function() P.sleep() end)
    assert.is_truthy(U.eventually(function() return U.procstate(pid) == "S" end))
    P.kill("TERM", pid)
    local _, status = P.wait2(pid)
    assert.are.equal(15, status.termsig)
  end)

  it("rejects negative and non-numeric durations", function()
    assert.has_error(function() P.sleep(-1) end)
    assert.has_error(function() P.sleep("soon") end)
  end)
end)

describe("Process.wait family", function()
  U.guard(before_each, after_each)

  it("runs trap handlers while it waits, even with CHLD ignored", function()
    -- children that reap themselves cannot wake a wait: it naps instead
    -- of sitting in the kernel, where no handler could run
    local r = U.script([[
local P, S = require "brood.process", require "brood.signal"
S.trap("CHLD", "IGNORE")
S.trap("USR1", function() error("handled", 0) end)
local slow = P.fork(function() P.sleep(5) end)
P.fork(function() P.sleep(0.1) P.kill("USR1", P.ppid()) end)
local t0 = P.clock_gettime("MONOTONIC")
local ok, err = pcall(P.wait, slow)
P.kill("KILL", slow)
print(ok, err, P.clock_gettime("MONOTONIC") - t0 < 2)
]])
    assert.are.equal("", r.err)
    assert.are.equal("false\thandled\ttrue\n", r.out)
  end)

  it("wait returns the pid of the child that exited", function()
    local pid = P.fork(function() end)
    assert.are.equal(pid, P.wait())
  end)

  it("wait2 and waitpid2 return the pid and a status", function()
    local pid = P.fork(function() P.exit(111) end)
    local got, status = P.wait2()
    assert.are.equal(pid, got)
    assert.are.equal(111, status.exitstatus)
    pid = P.fork(function() P.exit(112) end)
    got, status = P.waitpid2(pid)
    assert.are.equal(pid, got)
    assert.are.equal(112, status.exitstatus)
  end)

  it("waitpid waits for the given child only", function()
    local favourite = P.fork(function() P.exit(77) end)
    local middle = P.fork(function() P.sleep(0.2) P.exit(1) end)
    local pid, status = P.waitpid2(favourite)
    assert.are.equal(favourite, pid)
    assert.are.equal(77, status.exitstatus)
    assert.are.equal(middle, P.waitpid(middle))
  end)

  it("returns nil with WNOHANG when no child has exited yet", function()
    local pid = P.fork(function() P.sleep(10) end)
    assert.is_nil(P.wait(-1, P.WNOHANG))
    assert.is_nil(P.wait2(pid, P.WNOHANG))
    P.kill("KILL", pid)
    assert.are.equal(pid, P.wait(pid))
  end)

  it("raises ECHILD when there is nothing to wait for", function()
    local err = raised(P.wait)
    assert.are.equal("ECHILD", err.errno)
    assert.are.equal(10, err.code)
    assert.are.equal("waitpid", err.syscall)
    assert.are.equal("No child processes", err.message)
    assert.are.equal("waitpid: No child processes (ECHILD)", tostring(err))
    assert.are.equal("ECHILD", raised(P.wait, -1, P.WNOHANG).errno)
  end)

  it("queues exit statuses: two children exit while the parent sleeps, both are reaped",
    function()
      local a = P.fork(function() P.exit(1) end)
      local b = P.fork(function() P.exit(2) end)
      local first = P.wait()
      local other = first == a and b or a
      assert.is_truthy(U.eventually(function() return U.procstate(other) == "Z" end))
      local second = P.wait()
      local got = {[first] = true, [second] = true}
      assert.is_true(got[a] and got[b])
    end)

  it("waits for the own process group with 0 and for another group with -pgid", function()
    local other = P.fork(function() P.setpgid(0, 0) P.sleep(0.2) end)
    P.setpgid(other, other)
    local mine = P.fork(function() end)
    assert.are.equal(mine, P.wait(0))
    assert.are.equal(other, P.wait(-other))
  end)

  it("reports a stopped child with WUNTRACED", function()
    local pid = P.fork(function() P.sleep(10) end)
    P.kill("STOP", pid)
    local got, status = P.wait2(pid, P.WUNTRACED)
    assert.are.equal(pid, got)
    assert.is_true(status.stopped)
    assert.are.equal(19, status.stopsig)
    assert.is_nil(status.success)
    assert.is_nil(status.exitstatus)
    assert.are.equal(("pid %d stopped SIGSTOP (signal 19)"):format(pid), tostring(status))
    P.kill("KILL", pid)
    P.wait(pid)
  end)

  it("waitall reaps every child and returns {pid, status} pairs in reap order", function()
    assert.are.same({}, P.waitall())
    local pids = {}
    for i = 1, 3 do pids[i] = P.fork(function() P.exit(i) end) end
    local all = P.waitall()
    assert.are.equal(3, #all)
    local byPid = {}
    for _, r in ipairs(all) do byPid[r[1]] = r[2].exitstatus end
    for i = 1, 3 do assert.are.equal(i, byPid[pids[i]]) end
    assert.are.equal(all[3][2], P.last_status())
  end)

  it("leaves a zombie, state Z in /proc, until the wait; none after", function()
    local pid = P.fork(function() end)
    assert.is_truthy(U.eventually(function() return U.procstate(pid) == "Z" end),
      "the exited child shows as a zombie")
    P.wait(pid)
    assert.is_nil(U.procstate(pid))
  end)

  it("rejects unknown flags", function()
    assert.has_error(function() P.wait(-1, 12345) end)
  end)
end)

describe("Process status objects", function()
  U.guard(before_each, after_each)

  it("describe a normal exit", function()
    local pid = P.fork(function() P.exit(3) end)
    local _, s = P.wait2(pid)
    assert.are.equal(pid, s.pid)
    assert.are.equal(3, s.exitstatus)
    assert.is_nil(s.termsig)
    assert.is_nil(s.stopsig)
    assert.is_false(s.success)
    assert.is_true(s.exited)
    assert.is_false(s.signaled)
    assert.is_false(s.stopped)
    assert.is_false(s.coredump)
    assert.are.equal(3 * 256, s:to_i())
    assert.are.equal(("pid %d exit 3"):format(pid), tostring(s))
    assert.are.equal(("#<brood.Status: pid %d exit 3>"):format(pid), s:inspect())
  end)

  it("describe success", function()
    local _, s = P.wait2(P.fork(function() end))
    assert.is_true(s.success)
    assert.are.equal(0, s.exitstatus)
  end)

  it("describe death by a signal", function()
    local pid = P.fork(function() P.sleep(10) end)
    P.kill("KILL", pid)
    local _, s = P.wait2(pid)
    assert.are.equal(9, s.termsig)
    assert.is_true(s.signaled)
    assert.is_nil(s.exitstatus)
    assert.is_nil(s.success)
    assert.are.equal(("pid %d SIGKILL (signal 9)"):format(pid), tostring(s))
  end)

  it("say when a core was dumped", function()
    local pid = P.fork(function()
      P.setrlimit("CORE", P.RLIM_INFINITY)
      P.chdir(os.getenv("TMPDIR") or "/tmp")
      P.kill("QUIT", P.pid())
    end)
    local _, s = P.wait2(pid)
    assert.are.equal(3, s.termsig)
    if s.coredump then  -- the kernel's core_pattern may forbid dumps
      assert.are.equal(("pid %d SIGQUIT (signal 3) (core dumped)"):format(pid), tostring(s))
    end
    local _, s2 = P.wait2(P.fork(function() P.setrlimit("CORE", 0) P.kill("QUIT", P.pid()) end))
    assert.is_false(s2.coredump)
    os.remove((os.getenv("TMPDIR") or "/tmp") .. "/core")
  end)

  it("compare equal by raw status, as Ruby's ==", function()
    local _, a = P.wait2(P.fork(function() P.exit(5) end))
    local _, b = P.wait2(P.fork(function() P.exit(5) end))
    local _, c = P.wait2(P.fork(function() P.exit(6) end))
    assert.is_true(a == b)
    assert.is_false(a == c)
    assert.are.equal(a:to_i(), b:to_i())
  end)

  it("last_status is the status of the last wait", function()
    local r = U.script([[
      local P = require "brood.process"
      print(P.last_status())
      local pid = P.fork(function() P.exit(9) end)
      P.wait(pid)
      print(P.last_status().exitstatus, P.last_status().pid == pid)]])
    assert.are.equal("nil\n9\ttrue\n", r.out)
  end)
end)

describe("Process.detach", function()
  U.guard(before_each, after_each)

  it("reaps the child without anyone joining: no zombie is left", function()
    local pid = P.fork(function() end)
    local h = P.detach(pid)
    assert.are.equal(pid, h.pid)
    assert.is_truthy(U.eventually(function() return U.procstate(pid) == nil end),
      "the detached child was reaped")
    h = nil  -- luacheck: ignore
    collectgarbage()
  end)

  it("join returns the status; join(timeout) returns nil while it runs", function()
    local h = P.detach(P.fork(function() P.sleep(0.3) P.exit(4) end))
    assert.is_true(h:alive())
    assert.is_nil(h:join(0.01))
    local s = h:join()
    assert.are.equal(4, s.exitstatus)
    assert.are.equal(h.pid, s.pid)
    assert.is_false(h:alive())
    assert.are.equal(4, h:join(0).exitstatus)
  end)

  it("does not take other children's statuses", function()
    local detached = P.fork(function() P.sleep(0.1) P.exit(6) end)
    local h = P.detach(detached)
    local other = P.fork(function() P.sleep(0.2) P.exit(5) end)
    local pid, status = P.wait2(other)
    assert.are.equal(other, pid)
    assert.are.equal(5, status.exitstatus)
    assert.are.equal(6, h:join().exitstatus)
  end)

  it("lets a fork right after join start clean: the waiter thread has ended", function()
    -- join returns once the child is reaped, while the thread that reaped
    -- it may still be letting go of its memory; a fork in that moment
    -- must not give the child the thread's locks (under AddressSanitizer
    -- the child's leak check reported "Running thread ... was not
    -- suspended", and now and then hung on the allocator's lock)
    local r = U.sh(U.quote(U.BROOD) .. " -", {stdin = [[
      local P = require "brood.process"
      local core = require "brood._core"
      local function tasks()
        local f = io.open("/proc/self/status")
        local n = tonumber(f:read("a"):match("Threads:%s*(%d+)"))
        f:close()
        return n
      end
      local hung, threads = 0, 0
      for _ = 1, 100 do
        P.detach(P.fork(function() P._exit(0) end)):join()
        local pid = P.fork(function() local t = {} for k = 1, 200 do t[k] = {k} end end)
        if not core.wait_timeout(pid, 10) then
          hung = hung + 1
          P.kill("KILL", pid)
          P.wait(pid)
        end
        if tasks() > 1 then threads = threads + 1 end
      end
      print(hung, threads)]]})
    assert.are.equal("0\t0\n", r.out, r.err)
    assert.are.equal("", r.err)
  end)

  it("rejects a bad pid", function()
    assert.has_error(function() P.detach(0) end)
    assert.has_error(function() P.detach("x") end)
  end)
end)

describe("Process.kill", function()
  U.guard(before_each, after_each)

  local function killed_by(sig)
    local pid = P.fork(function() P.sleep(10) end)
    assert.are.equal(1, P.kill(sig, pid))
    local _, s = P.wait2(pid)
    return s.termsig
  end

  it("takes names with or without SIG, and numbers", function()
    assert.are.equal(15, killed_by("TERM"))
    assert.are.equal(15, killed_by("SIGTERM"))
    assert.are.equal(9, killed_by(9))
    assert.are.equal(10, killed_by("USR1"))
    assert.are.equal(34, killed_by("RTMIN"))  -- glibc keeps 32 and 33 for itself
  end)

  it("probes with signal 0 and counts the processes signalled", function()
    assert.are.equal(2, P.kill(0, P.pid(), P.pid()))
    local pid = P.fork(function() end)
    P.wait(pid)
    local err = raised(P.kill, 0, pid)
    assert.are.equal("ESRCH", err.errno)
    assert.are.equal(tostring(pid), err.subject)
  end)

  it("signals a process group with a negative pid or a negative signal", function()
    local leader = P.fork(function()
      P.setpgid(0, 0)
      P.fork(function() P.sleep(10) end)
      P.wait()  -- killed with its child before this returns
    end)
    P.setpgid(leader, leader)
    P.kill("-TERM", leader)
    local _, s = P.wait2(leader)
    assert.are.equal(15, s.termsig)
    local leader2 = P.fork(function() P.setpgid(0, 0) P.sleep(10) end)
    P.setpgid(leader2, leader2)
    P.kill("KILL", -leader2)
    _, s = P.wait2(leader2)
    assert.are.equal(9, s.termsig)
  end)

  it("rejects unknown signals and missing pids", function()
    assert.has_error(function() P.kill("SIGFOO", 1) end,
      "bad argument #1 to 'kill' (unknown signal 'SIGFOO')")
    assert.has_error(function() P.kill("TERM") end)
    assert.has_error(function() P.kill(999, 1) end)
  end)
end)

describe("Process.daemon", function()
  U.guard(before_each, after_each)

  local function daemon_report(args)
    local out = os.tmpname()
    local r = U.script(([[
      local P = require "brood.process"
      local original = P.pid()
      P.daemon(%s)
      local f = io.open(%q, "w")
      f:write(original, " ", P.pid(), " ", P.ppid(), " ", P.getsid(), " ", P.getpgrp(), " ",
        P.getcwd(), " ", io.open("/proc/self/fd/0") and
        require("lfs").symlinkattributes("/proc/self/fd/0", "target") or "none", "\n")
      f:close()]]):format(args, out))
    local line = U.eventually(function()
      local s = U.slurp(out)
      return s:match("\n$") and s
    end)
    os.remove(out)
    return r, line
  end

  it("detaches: the original exits 0, the daemon is in a new session it does not lead",
    function()
      local r, line = daemon_report("")
      assert.are.equal(0, r.code)
      assert.are.equal("", r.out)
      local original, pid, _, sid, pgrp, cwd, stdin =
        line:match("^(%d+) (%d+) (%d+) (%d+) (%d+) (%S+) (%S+)")
      assert.are_not.equal(original, pid)
      assert.are_not.equal(pid, sid)      -- not a session leader: no terminal, ever
      assert.are.equal(sid, pgrp)         -- the session the first child made
      assert.are_not.equal(original, sid)
      assert.are.equal("/", cwd)
      assert.are.equal("/dev/null", stdin)
    end)

  it("keeps the directory and streams with nochdir and noclose", function()
    local _, line = daemon_report("true, true")
    local cwd, stdin = line:match("(%S+) (%S+)\n$")
    assert.are_not.equal("/", cwd)
    assert.are_not.equal("/dev/null", stdin)
  end)
end)

describe("arguments bound for C types", function()
  U.guard(before_each, after_each)

  -- The message of an argument error, or fails if fn does not raise one.
  local function argerror(fn, ...)
    local ok, err = pcall(fn, ...)
    assert.is_false(ok, "expected an argument error")
    assert.are.equal("string", type(err), tostring(err))
    assert.is_truthy(err:match("bad argument #%d+ to '[%w._]+'"), err)
    return err
  end

  it("refuses pids beyond pid_t instead of wrapping them", function()
    -- 2^32 - 1 wrapped to -1 (every process), 2^32 to 0 (our group),
    -- -(2^32 - 1) to 1 (init).
    for _, pid in ipairs{4294967295, 4294967296, -4294967295, math.maxinteger, math.mininteger} do
      assert.matches("pid out of range", argerror(P.kill, 0, pid))
    end
    assert.matches("pid out of range", argerror(P.wait, 4294967295))
    assert.matches("pid out of range", argerror(P.wait2, -4294967297))
    assert.matches("pid out of range", argerror(P.getpgid, 4294967296))
    assert.matches("pid out of range", argerror(P.getsid, 4294967296))
    assert.matches("out of range", argerror(P.setpgid, 0, 4294967296))
    assert.matches("pid out of range", argerror(P.getpriority, "PROCESS", 4294967296))
    assert.matches("user id out of range", argerror(P.getpriority, "USER", 4294967296))
    assert.matches("pid out of range", argerror(P.detach, 4294967296))
    -- a negative pid is a process group, but never one that wraps
    assert.matches("pid out of range", argerror(P.kill, "-TERM", 2147483648))
  end)

  it("refuses signal numbers and clocks out of range, extremes included", function()
    assert.matches("invalid signal number", argerror(P.kill, math.mininteger, P.pid()))
    assert.matches("invalid signal number", argerror(P.kill, math.maxinteger, P.pid()))
    assert.matches("invalid signal number", argerror(P.kill, -65, P.pid()))
    assert.matches("unknown signal", argerror(P.kill, "RTMIN+99999999999999999999", P.pid()))
    assert.matches("out of range", argerror(P.clock_gettime, 4294967297))
  end)

  it("refuses limits beyond rlim_t instead of setting 0", function()
    assert.matches("limit out of range", argerror(P.setrlimit, "CORE", 1e300))
    assert.matches("whole number", argerror(P.setrlimit, "CORE", 0 / 0))
    local soft, hard = P.getrlimit("CORE")
    assert.are.equal(0, in_child(function()
      P.setrlimit("CORE", math.huge, hard)  -- math.huge: unlimited, where allowed
      local s = P.getrlimit("CORE")
      return (s == math.huge or s == soft) and 0 or 1
    end))
  end)

  it("refuses NaN for every time interval, and waits for math.huge", function()
    assert.matches("NaN", argerror(P.sleep, 0 / 0))
    local pid = P.fork(function() P.sleep() end)
    local h = P.detach(pid)
    local ok, err = pcall(function() return h:join(0 / 0) end)
    local early = h:join(0.01)
    P.kill("KILL", pid)
    assert.are.equal(9, h:join(math.huge).termsig)
    assert.is_false(ok)
    assert.matches("bad argument #1 to 'join' %(timeout is not a number %(NaN%)%)", err)
    assert.is_nil(early)
  end)

  it("sleeps without limit for math.huge and 1e308 until a handler raises", function()
    local S = require "brood.signal"
    for _, forever in ipairs{math.huge, 1e308} do
      S.trap("USR1", function() error("woken", 0) end)
      local pid = P.fork(function() P.sleep(0.05) P.kill("USR1", P.ppid()) end)
      local ok, err = pcall(P.sleep, forever)
      P.wait(pid)
      S.trap("USR1", "SYSTEM_DEFAULT")
      assert.is_false(ok)
      assert.are.equal("woken", err)
    end
  end)

  it("refuses names, paths and values with a zero byte inside", function()
    assert.has_error(function() return P.env["PATH\0x"] end,
      "Process.env: variable name must be non-empty, without '=' or zero bytes")
    assert.has_error(function() P.env["BROOD_T\0X"] = "1" end)
    assert.has_error(function() P.env.BROOD_T = "a\0b" end,
      "Process.env: value of 'BROOD_T' contains a zero byte")
    assert.is_nil(P.env.BROOD_T)
    assert.matches("directory contains a zero byte", argerror(P.chdir, "/tmp\0/etc"))
    assert.matches("zero byte", argerror(P.kill, "TERM\0x", P.pid()))
  end)

  it("iterates Process.env with any key, as next does", function()
    local it = pairs(P.env)
    assert.is_nil(it(nil, "NO SUCH VARIABLE"))
    assert.is_nil(it(nil, 42))
  end)
end)
