-- Process.spawn, exec, system, capture and IO.popen, against real programs.
local U = require "spec.helpers.util"
local IO = require "brood.io"
local P = require "brood.process"
local S = require "brood.signal"
local lfs = require "lfs"

local function now() return P.clock_gettime("MONOTONIC") end

local function tmpname()
  local name = os.tmpname()
  os.remove(name)
  return name
end

local function tmpdir()
  local name = tmpname()
  assert(lfs.mkdir(name))
  return name
end

local function rmrf(dir)
  for f in lfs.dir(dir) do
    if f ~= "." and f ~= ".." then os.remove(dir .. "/" .. f) end
  end
  lfs.rmdir(dir)
end

-- Runs cmd (an argv list plus options) to its end with stdout on a pipe;
-- returns what it wrote and its status.
local function run(...)
  local r, w = IO.pipe()
  local args = table.pack(...)
  local opts = args[args.n]
  if type(opts) ~= "table" or opts[1] ~= nil then
    opts = {}
    args.n = args.n + 1
  end
  if opts.out == nil then opts.out = w end
  args[args.n] = opts
  local ok, pid = pcall(P.spawn, table.unpack(args, 1, args.n))
  w:close()
  if not ok then r:close() error(pid, 0) end
  local out = r:read("a")
  r:close()
  local _, status = P.wait2(pid)
  return out, status
end

local function fdcount()
  local n = 0
  for f in lfs.dir("/proc/self/fd") do
    if f:match("^%d+$") then n = n + 1 end
  end
  return n
end

describe("Process.spawn command forms", function()
  U.guard(before_each, after_each)

  it("returns the pid of a child it does not wait for", function()
    local pid = P.spawn("true")
    assert.is_true(math.type(pid) == "integer" and pid > 0)
    local done, status = P.wait2(pid)
    assert.are.equal(pid, done)
    assert.is_true(status.success)
  end)

  it("runs several strings as argv, never through a shell", function()
    local out = run("echo", "$HOME; true", "*")
    assert.are.equal("$HOME; true *\n", out)
  end)

  it("runs one string with shell metacharacters through /bin/sh -c", function()
    assert.are.equal("a-b\n", run("echo a-b | cat"))
    assert.are.equal("HOME is set\n", run("test -n \"$HOME\" && echo HOME is set"))
  end)

  it("runs a shell keyword or builtin given alone through the shell", function()
    local ok, status = P.system("exit 3")
    assert.is_false(ok)
    assert.are.equal(3, status.exitstatus)
  end)

  it("splits one string without metacharacters on spaces and runs it directly", function()
    assert.are.equal("a b\n", run("echo  a   b"))
    -- directly: the program is the child itself, no shell in between
    local out = run("cat /proc/self/comm")
    assert.are.equal("cat\n", out)
  end)

  it("sets argv0 with a {program, argv0} pair or the argv0 option", function()
    assert.are.equal("kitty\0/proc/self/cmdline\0", run({"cat", "kitty"}, "/proc/self/cmdline"))
    assert.are.equal("other\0/proc/self/cmdline\0",
      run("cat", "/proc/self/cmdline", {argv0 = "other"}))
    assert.has_error(function() P.spawn({"cat"}, "x") end)
  end)

  it("looks programs up in PATH, the one in env if it sets one", function()
    local dir = tmpdir()
    local f = assert(io.open(dir .. "/brood-hello", "w"))
    f:write("#!/bin/sh\necho hello from $0\n")
    f:close()
    assert(os.execute("chmod +x " .. dir .. "/brood-hello"))
    local out = run({PATH = dir .. ":/usr/bin:/bin"}, "brood-hello")
    assert.are.equal("hello from " .. dir .. "/brood-hello\n", out)
    local ok, e = pcall(P.spawn, "brood-hello")
    assert.is_false(ok)
    assert.are.equal("ENOENT", e.errno)
    rmrf(dir)
  end)

  it("runs an executable script without #! through /bin/sh, as execvp does", function()
    local name = tmpname()
    local f = assert(io.open(name, "w"))
    f:write("echo no shebang, args: \"$@\"\n")
    f:close()
    assert(os.execute("chmod +x " .. name))
    assert.are.equal("no shebang, args: x y\n", run(name, "x", "y"))
    os.remove(name)
  end)

  it("raises ENOENT in the parent, leaving no child", function()
    local ok, e = pcall(P.spawn, "/nonexistent/brood-program", "arg")
    assert.is_false(ok)
    assert.are.equal("ENOENT", e.errno)
    assert.matches("/nonexistent/brood%-program", tostring(e))
    ok, e = pcall(P.spawn, "brood-no-such-program")
    assert.is_false(ok)
    assert.are.equal("ENOENT", e.errno)
    assert.has_error(function() P.wait() end)  -- ECHILD: nothing was left behind
  end)

  it("raises EACCES for a file that is not executable", function()
    local name = U.tmpfile("echo hi\n")
    local ok, e = pcall(P.spawn, name)
    assert.is_false(ok)
    assert.are.equal("EACCES", e.errno)
    os.remove(name)
  end)

  it("rejects bad arguments with a message naming them", function()
    assert.has_error(function() P.spawn() end)
    assert.has_error(function() P.spawn(42) end)
    assert.has_error(function() P.spawn("") end)
    assert.has_error(function() P.spawn("true", {no_such_option = 1}) end)
    assert.has_error(function() P.spawn({FOO = {}}, "true") end)
    local ok, msg = pcall(P.spawn, "true", {rlimit_bogus = 1})
    assert.is_false(ok)
    assert.matches("rlimit_bogus", tostring(msg))
  end)
end)

describe("Process.spawn options", function()
  U.guard(before_each, after_each)

  it("env: sets, and unsets with false", function()
    P.env.BROOD_SPEC_OLD = "old"
    local out = run({BROOD_SPEC_NEW = "new", BROOD_SPEC_OLD = false}, "env")
    P.env.BROOD_SPEC_OLD = nil
    assert.matches("\nBROOD_SPEC_NEW=new\n", "\n" .. out)
    assert.is_nil(out:match("BROOD_SPEC_OLD"))
    assert.matches("\nPATH=", "\n" .. out)  -- the rest is inherited
    assert.is_nil(P.env.BROOD_SPEC_NEW)      -- and ours is untouched
  end)

  it("unsetenv_others: only what env gives", function()
    assert.are.equal("ONLY=1\n", run({ONLY = "1"}, "/usr/bin/env", {unsetenv_others = true}))
  end)

  it("chdir", function()
    assert.are.equal("/tmp\n", run("pwd", {chdir = "/tmp"}))
    local ok, e = pcall(P.spawn, "pwd", {chdir = "/nonexistent/dir"})
    assert.is_false(ok)
    assert.are.equal("ENOENT", e.errno)
    assert.are.equal("chdir", e.syscall)
  end)

  it("umask: an octal string, or its number", function()
    assert.are.equal("0027\n", run("sh", "-c", "umask", {umask = "027"}))
    assert.are.equal("0027\n", run("sh", "-c", "umask", {umask = 23}))
    assert.are.equal("0077\n", run("sh", "-c", "umask", {umask = "0077"}))
    assert.has_error(function() P.spawn("true", {umask = "9"}) end)
    assert.has_error(function() P.spawn("true", {umask = 512}) end)
  end)

  it("rlimit_<name>: a limit, or {soft, hard}", function()
    assert.are.equal("64\n", run("sh", "-c", "ulimit -n", {rlimit_nofile = 64}))
    assert.are.equal("32 48\n", run("sh", "-c", "echo $(ulimit -S -n) $(ulimit -H -n)",
      {rlimit_nofile = {32, 48}}))
    assert.are.equal("0\n", run("sh", "-c", "ulimit -c", {rlimit_core = 0}))
  end)

  it("pgroup = true: the child leads a new group in our session", function()
    local out = run("sh", "-c", "echo $$ $(ps -o pgid=,sid= -p $$)", {pgroup = true})
    local pid, pgid, sid = out:match("^(%d+) +(%d+) +(%d+)")
    assert.are.equal(pid, pgid)
    assert.are.equal(P.getsid(), tonumber(sid))
    out = run("sh", "-c", "echo $$ $(ps -o pgid= -p $$)", {new_pgroup = true})
    pid, pgid = out:match("^(%d+) +(%d+)")
    assert.are.equal(pid, pgid)
  end)

  it("pgroup = pgid: the child joins that group", function()
    local r, w = IO.pipe()
    local leader = P.spawn("sh", "-c", "read x", {pgroup = true, ["in"] = r})
    r:close()
    local out = run("sh", "-c", "ps -o pgid= -p $$", {pgroup = leader})
    assert.are.equal(leader, tonumber(out))
    w:close()
    P.wait(leader)
  end)

  it("without pgroup the child stays in our group", function()
    local out = run("sh", "-c", "ps -o pgid= -p $$")
    assert.are.equal(P.getpgrp(), tonumber(out))
  end)

  it("setsid: a new session", function()
    local out = run("sh", "-c", "echo $$ $(ps -o pgid=,sid= -p $$)", {setsid = true})
    local pid, pgid, sid = out:match("^(%d+) +(%d+) +(%d+)")
    assert.are.equal(pid, pgid)
    assert.are.equal(pid, sid)
  end)

  it("pdeathsig: the program gets the signal when the process that started it dies", function()
    local r, w = IO.pipe()
    local script = "trap 'echo term >&3; exit 0' TERM; echo ready >&3; " ..
                   "while :; do sleep 0.05; done"
    local pids = {}
    finally(function()
      for _, pid in ipairs(pids) do pcall(P.kill, "KILL", pid) end  -- ours, or our child's
      pcall(P.waitall)
      r:close()
      if not w:closed() then w:close() end
    end)
    local function line()
      assert(IO.select({r}, nil, nil, 10), "nothing came")
      return (r:gets():gsub("\n$", ""))
    end
    -- a middle process starts the program, reports its pid, and is killed
    local function started(opts)
      local mid = P.fork(function()
        local pid = P.spawn("sh", "-c", script, opts)
        w:write(pid, "\n")
        P.sleep()
      end)
      pids[#pids + 1] = mid
      local got = {line(), line()}
      table.sort(got)
      assert.are.equal("ready", got[2])
      pids[#pids + 1] = tonumber(got[1])
      P.kill("KILL", mid)
      P.wait(mid)
    end
    started({[3] = w, pdeathsig = "TERM"})
    assert.are.equal("term", line())
    started({[3] = w, pdeathsig = false})  -- none: it runs on
    assert.is_nil(IO.select({r}, nil, nil, 0.3))
  end)

  it("pdeathsig refuses what is not a signal", function()
    for _, v in ipairs{"NOPE", 0, 65, true, 1.5, "TERM\0"} do
      local ok, err = pcall(P.spawn, "true", {pdeathsig = v})
      assert.is_false(ok)
      assert.matches("option 'pdeathsig' must be a signal name or number", tostring(err), 1, true)
    end
  end)

  it("foreground: the program's own group becomes the terminal's foreground group", function()
    local src = U.tmpfile([[
      local P = require "brood.process"
      local fg = P.capture("sh", "-c", "ps -o tpgid=,pgid= -p $$", {foreground = true})
      local tpgid, pgid = fg:match("(%d+)%s+(%d+)")
      print("foreground group is the program's:", tpgid == pgid, pgid ~= tostring(P.getpgrp()))
    ]])
    local r = U.pty({U.BROOD, src}, {"eof"})
    os.remove(src)
    assert.matches("foreground group is the program's:\ttrue\ttrue", r.transcript)
    -- without a terminal, only a group of its own
    local out = P.capture("sh", "-c", "ps -o pgid= -p $$", {foreground = true})
    assert.are_not.equal(P.getpgrp(), tonumber(out))
    assert.has_error(function() P.spawn("true", {foreground = 1}) end)
  end)

  it("close_others (default): only 0-2 and redirected fds reach the child", function()
    local f = assert(io.open("/dev/null"))  -- a stdio FILE: not close-on-exec
    local fd = IO.fileno(f)
    local r, w = IO.pipe()
    -- ls's own directory is the lowest free fd: 3
    assert.are.equal("0\n1\n2\n3\n", run("ls", "/proc/self/fd"))
    assert.are.equal("0\n1\n2\n3\n", run("ls", "/proc/self/fd", {close_others = true}))
    local all = run("ls", "/proc/self/fd", {close_others = false})
    assert.matches("\n" .. fd .. "\n", "\n" .. all)
    assert.is_nil(("\n" .. all):match("\n" .. r:fileno() .. "\n"))  -- close-on-exec stays shut
    f:close()
    r:close()
    w:close()
  end)

  it("an fd redirect makes that fd reach the child", function()
    local r, w = IO.pipe()
    local ok, status = P.system("sh", "-c", "echo through fd 5 >&5", {[5] = w})
    w:close()
    assert.is_true(ok)
    assert.is_true(status.success)
    assert.are.equal("through fd 5\n", r:read("a"))
    r:close()
  end)
end)

describe("Process.spawn redirects", function()
  U.guard(before_each, after_each)
  local name
  before_each(function() name = tmpname() end)
  after_each(function() os.remove(name) end)

  it("out to a path (created, truncated)", function()
    U.sh("echo old old old > " .. U.quote(name))
    P.wait(P.spawn("echo", "new", {out = name}))
    assert.are.equal("new\n", U.slurp(name))
  end)

  it("stdin, stdout and stderr are the names of in, out and err ({in = r} is not Lua)", function()
    P.wait(P.spawn("sh", "-c", "cat; echo err >&2", {stdin = "/etc/hostname", stdout = name,
                                                    stderr = {"child", 1}}))
    assert.are.equal(U.slurp("/etc/hostname") .. "err\n", U.slurp(name))
    assert.are.equal("x", (P.capture("cat", {stdin = "/dev/null", input = "x"})))
    assert.are.equal("both\n", (P.capture("sh", "-c", "echo both >&2",
                                           {stderr = {"child", "stdout"}})))
    assert.has_error(function() P.capture("cat", {stdin = name, ["in"] = name}) end,
      "bad argument #2 to 'brood.process.capture' (options 'stdin' and 'in' name the same stream)")
  end)

  it("out to {path, 'a'} appends", function()
    P.wait(P.spawn("echo", "one", {out = {name, "a"}}))
    P.wait(P.spawn("echo", "two", {out = {name, "a"}}))
    assert.are.equal("one\ntwo\n", U.slurp(name))
  end)

  it("out to {path, 'w', perm} creates with that mode", function()
    P.wait(P.spawn("echo", "x", {out = {name, "w", tonumber("600", 8)}}))
    assert.are.equal("rw-------", lfs.attributes(name, "permissions"))
    assert.are.equal("x\n", U.slurp(name))
  end)

  it("a path that cannot be opened raises in the parent", function()
    local ok, e = pcall(P.spawn, "echo", {out = "/nonexistent/dir/file"})
    assert.is_false(ok)
    assert.are.equal("ENOENT", e.errno)
  end)

  it("in from a path, an IO object and a Lua file", function()
    local f = assert(io.open(name, "w"))
    f:write("from a file\n")
    f:close()
    assert.are.equal("from a file\n", run("cat", {["in"] = name}))
    local r, w = IO.pipe()
    w:write("from a pipe\n")
    w:close()
    assert.are.equal("from a pipe\n", run("cat", {["in"] = r}))
    r:close()
    f = assert(io.open(name))
    assert.are.equal("from a file\n", run("cat", {["in"] = f}))
    f:close()
  end)

  it("out to a Lua file handle", function()
    local f = assert(io.open(name, "w"))
    P.wait(P.spawn("echo", "to a Lua file", {out = f}))
    f:close()
    assert.are.equal("to a Lua file\n", U.slurp(name))
  end)

  it("err = {'child', 1} follows the child's stdout (2>&1)", function()
    local cmd = "echo to-out; echo to-err >&2"
    assert.are.equal("to-out\nto-err\n", run("sh", "-c", cmd, {err = {"child", 1}}))
    assert.are.equal("to-out\nto-err\n", run("sh", "-c", cmd, {err = {"child", "out"}}))
  end)

  it("err = 'out' and [2] = 1 mean our stdout, as Ruby's :out, whatever out becomes", function()
    local r = U.script([[
      local P = require "brood.process"
      local cmd = "echo to-out; echo to-err >&2"
      P.wait(P.spawn("sh", "-c", cmd, {out = "/dev/null", err = "out"}))
      P.wait(P.spawn("sh", "-c", cmd, {[2] = 1, [1] = "/dev/null"}))
      P.wait(P.spawn("sh", "-c", "echo swapped >&2", {out = "err", err = "out"}))
    ]])
    assert.are.equal("to-err\nto-err\nswapped\n", r.out)
    assert.are.equal("", r.err)
  end)

  it("[{'out', 'err'}] = target sends both there", function()
    local r, w = IO.pipe()
    P.wait(P.spawn("sh", "-c", "echo A; echo B >&2", {[{"out", "err"}] = w}))
    w:close()
    assert.are.equal("A\nB\n", r:read("a"))
    r:close()
  end)

  it("keys can be IO objects and Lua files: their fd numbers", function()
    local r, w = IO.pipe()
    P.wait(P.spawn("sh", "-c", "echo via-key >&2", {[IO.stderr] = w}))
    w:close()
    assert.are.equal("via-key\n", r:read("a"))
    r:close()
    r, w = IO.pipe()
    P.wait(P.spawn("echo", "via-lua-key", {[io.stdout] = w}))
    w:close()
    assert.are.equal("via-lua-key\n", r:read("a"))
    r:close()
  end)

  it("'close' closes the fd in the child", function()
    assert.are.equal("failed\n", run("sh", "-c", "echo x >&2 && echo wrote || echo failed",
      {err = "close"}))
  end)
end)

describe("Process.exec", function()
  it("flushes output, then replaces the script with the program", function()
    local r = U.script([[
      local P = require "brood.process"
      io.write("before ")
      P.exec("echo", "after")
      print("not reached")
    ]])
    assert.are.equal("before after\n", r.out)
    assert.are.equal(0, r.code)
  end)

  it("raises when the program cannot run, and the script goes on", function()
    local r = U.script([[
      local P = require "brood.process"
      local ok, e = pcall(P.exec, "/nonexistent/program")
      print(ok, e.errno, e.syscall)
      ok, e = pcall(P.exec, "true", {chdir = "/nonexistent"})
      print(ok, e.errno, e.syscall, P.getcwd() ~= "/nonexistent")
    ]])
    assert.are.equal("false\tENOENT\texec\nfalse\tENOENT\tchdir\ttrue\n", r.out)
  end)

  it("passes an open Lua file by fd number, as the book's {fd => file}", function()
    local r = U.script([[
      local P = require "brood.process"
      local IO = require "brood.io"
      local hosts = io.open("/etc/hosts")
      local fd = IO.fileno(hosts)
      P.exec(arg[-1], "-e", "io.write(require('brood.io').for_fd(" .. fd .. "):read('a'))",
        {[fd] = hosts})
    ]])
    assert.are.equal(U.slurp("/etc/hosts"), r.out)
  end)

  it("applies env and the other options to the new program", function()
    local r = U.script([[
      local P = require "brood.process"
      P.exec({GREETING = "hi"}, "sh", "-c", 'echo $GREETING from $(pwd); umask',
        {chdir = "/", umask = "077"})
    ]])
    assert.are.equal("hi from /\n0077\n", r.out)
  end)
end)

describe("Process.system", function()
  U.guard(before_each, after_each)

  it("returns true or false and the status, and sets last_status", function()
    local ok, status = P.system("true")
    assert.is_true(ok)
    assert.is_true(status.success)
    ok, status = P.system("sh", "-c", "exit 7")
    assert.is_false(ok)
    assert.are.equal(7, status.exitstatus)
    assert.are.equal(7, P.last_status().exitstatus)
    assert.are.equal(status.pid, P.last_status().pid)
  end)

  it("returns false for a program killed by a signal", function()
    local ok, status = P.system("sh", "-c", "kill -TERM $$")
    assert.is_false(ok)
    assert.are.equal(15, status.termsig)
  end)

  it("returns nil and the error when the program cannot run", function()
    local ok, e = P.system("/nonexistent/program")
    assert.is_nil(ok)
    assert.are.equal("ENOENT", e.errno)
    assert.has_error(function() P.system("/nonexistent/program", {check = true}) end)
  end)

  it("feeds input", function()
    local name = tmpname()
    assert.is_true(P.system("tr", "a-z", "A-Z", {input = "shout\n", out = name}))
    assert.are.equal("SHOUT\n", U.slurp(name))
    os.remove(name)
  end)

  it("check raises on a non-zero exit", function()
    local ok, e = pcall(P.system, "sh", "-c", "exit 4", {check = true})
    assert.is_false(ok)
    assert.are.equal(4, e.status.exitstatus)
    assert.matches("exit 4", tostring(e))
  end)
end)

describe("Process.capture", function()
  U.guard(before_each, after_each)

  it("returns stdout and the status, as Ruby's backticks", function()
    local out, status = P.capture("echo hello; exit 2")
    assert.are.equal("hello\n", out)
    assert.are.equal(2, status.exitstatus)
    assert.are.equal(2, P.last_status().exitstatus)
    assert.are.equal("brood\n", P.capture("echo", "brood"))
  end)

  it("raises when the program cannot run", function()
    local ok, e = pcall(P.capture, "/nonexistent/program")
    assert.is_false(ok)
    assert.are.equal("ENOENT", e.errno)
  end)

  it("feeds input", function()
    assert.are.equal("ABC", P.capture("tr", "a-z", "A-Z", {input = "abc"}))
  end)

  it("takes 10 MB of input while the program writes as much back", function()
    local big = ("0123456789abcdef"):rep(655360)
    local out, status = P.capture("cat", {input = big})
    assert.is_true(status.success)
    assert.are.equal(#big, #out)
    assert.is_true(out == big)
  end)

  it("check raises with the status and the tail of stderr", function()
    local ok, e = pcall(P.capture, "sh", "-c", "echo partial; echo it broke >&2; exit 2",
      {check = true, err = "/dev/null"})
    assert.is_false(ok)
    assert.are.equal(2, e.status.exitstatus)
    assert.are.equal("partial\n", e.stdout)
  end)

  it("timeout: TERM to a sleeping child, reported as ETIMEDOUT", function()
    local t0 = now()
    local ok, e = pcall(P.capture, "sleep", "30", {timeout = 0.2})
    assert.is_false(ok)
    assert.are.equal("ETIMEDOUT", e.errno)
    assert.matches("timed out after 0.2 s", tostring(e))
    assert.are.equal(15, e.status.termsig)
    assert.is_true(now() - t0 < 10)
  end)

  it("timeout with pgroup: the grandchild dies too", function()
    local ok, e = pcall(P.capture, "sleep 30 & echo $!; wait", {timeout = 0.3, pgroup = true})
    assert.is_false(ok)
    assert.are.equal("ETIMEDOUT", e.errno)
    local grandchild = tonumber(e.stdout)
    assert.is_number(grandchild)
    assert.is_truthy(U.eventually(function()
      local st = U.procstate(grandchild)
      return st == nil or st == "Z"
    end))
  end)

  it("timeout: KILL after the grace period when TERM is ignored", function()
    local ok, e = pcall(P.capture, "sh", "-c",
      "trap '' TERM; echo ready; while :; do sleep 0.05; done",
      {timeout = 0.3, err = "/dev/null"})
    assert.is_false(ok)
    assert.are.equal("ETIMEDOUT", e.errno)
    assert.are.equal(9, e.status.termsig)
    assert.are.equal("ready\n", e.stdout)
  end)

  it("runs trapped signal handlers while it waits", function()
    local returned, during = false, nil
    S.trap("USR1", function() during = not returned end)
    local out = P.capture("sh", "-c", "kill -USR1 " .. P.pid() .. "; sleep 0.1; echo done")
    returned = true
    S.trap("USR1", "SYSTEM_DEFAULT")
    assert.are.equal("done\n", out)
    assert.is_true(during)
  end)

  it("leaks no fd and no child over 1,000 spawns, failures included", function()
    local before = fdcount()
    for i = 1, 1000 do
      if i % 10 == 0 then
        assert.is_false(pcall(P.spawn, "/nonexistent/program"))
        assert.is_false(pcall(P.capture, "true", {chdir = "/nonexistent"}))
      else
        local pid = P.spawn("true")
        P.wait(pid)
      end
    end
    for _ = 1, 20 do assert.are.equal("x\n", (P.capture("echo x"))) end
    assert.are.equal(before, fdcount())
  end)
end)

describe("IO.popen", function()
  U.guard(before_each, after_each)

  it("'r' reads the program's stdout; close waits and returns os.execute's results", function()
    local p = IO.popen("echo one; echo two; exit 3")
    assert.are.equal("one\n", p:gets())  -- Ruby's gets keeps the newline
    assert.are.equal("two\n", p:read("a"))
    local ok, how, code = p:close()
    assert.is_nil(ok)
    assert.are.equal("exit", how)
    assert.are.equal(3, code)
    assert.are.equal(3, P.last_status().exitstatus)
  end)

  it("'w' writes the program's stdin", function()
    local name = tmpname()
    local p = IO.popen({"tr", "a-z", "A-Z"}, "w", {out = name})
    p:write("quiet\n")
    assert.is_true((p:close()))
    assert.are.equal("QUIET\n", U.slurp(name))
    os.remove(name)
  end)

  it("'r+' both ways, close_write for the end of input", function()
    local p = IO.popen("tr a-z A-Z", "r+")
    p:write("both ways\n")
    p:close_write()
    assert.are.equal("BOTH WAYS\n", p:read("a"))
    assert.is_true((p:close()))
  end)

  it("takes an env table first in an argv table", function()
    local p = IO.popen({{WHO = "env"}, "sh", "-c", "echo $WHO"})
    assert.are.equal("env\n", p:read("a"))
    p:close()
  end)

  it("with fn: returns fn's results after closing and waiting", function()
    local a, b = IO.popen("echo hi; exit 5", function(p) return p:read("l"), "more" end)
    assert.are.equal("hi", a)
    assert.are.equal("more", b)
    assert.are.equal(5, P.last_status().exitstatus)
  end)

  it("with fn that raises: closes, waits and re-raises", function()
    local ok, e = pcall(IO.popen, "cat", "w", function() error("inside") end)
    assert.is_false(ok)
    assert.matches("inside", tostring(e))
  end)

  it("raises when the program cannot run", function()
    local ok, e = pcall(IO.popen, {"/nonexistent/program"})
    assert.is_false(ok)
    assert.are.equal("ENOENT", e.errno)
    assert.has_error(function() IO.popen("true", "x") end,
      "bad argument #2 to 'popen' (mode must be \"r\", \"w\" or \"r+\")")
  end)

  it("a popen object dropped without close is still reaped, in the background", function()
    local p = IO.popen("sleep 0.2")
    local pid = p:pid()
    assert.is_true(pid > 0)
    p = nil  -- luacheck: ignore
    local t0 = now()
    collectgarbage()
    collectgarbage()
    assert.is_true(now() - t0 < 0.15, "the collector waited for the program")
    assert.is_true(U.eventually(function() return U.procstate(pid) == nil end))
    assert.is_nil(IO.stdin:pid())
  end)
end)

describe("io.popen and os.execute", function()
  U.guard(before_each, after_each)

  it("keep Lua's results", function()
    local p = io.popen("echo lua")
    assert.are.equal("lua\n", p:read("a"))
    assert.are.same({true, "exit", 0}, {p:close()})
    assert.are.same({nil, "exit", 1}, {os.execute("exit 1")})
    assert.is_true(os.execute())
  end)
end)

describe("spawn's arguments and errors", function()
  U.guard(before_each, after_each)

  it("refuses a zero byte in the program, its arguments, env and options", function()
    local dir = tmpdir()
    for _, call in ipairs{
      function() return P.spawn("echo\0rm") end,
      function() return P.spawn("echo", "a\0b") end,
      function() return P.spawn({"echo", "e\0cho"}) end,
      function() return P.spawn({X = "a\0b"}, "true") end,
      function() return P.spawn({["X\0Y"] = "1"}, "true") end,
      function() return P.spawn("true", {chdir = "/tmp\0/etc"}) end,
      function() return P.spawn("true", {out = dir .. "/x\0y"}) end,
      function() return P.spawn("true", {out = {dir .. "/x\0y", "w"}}) end,
      function() return P.spawn("true", {argv0 = "a\0b"}) end,
      function() return P.spawn("true", {["chdir\0x"] = "/"}) end,
      function() return IO.popen({"echo", "a\0b"}) end,
      function() return P.capture("echo", "a\0b") end,
    } do
      local ok, err = pcall(call)
      assert.is_false(ok)
      assert.matches("zero byte", err)
    end
    assert.is_nil(io.open(dir .. "/x"))
    rmrf(dir)
  end)

  it("names the function the script called, at the script's line", function()
    local r = U.script([[
local P, O = require "brood.process", require "brood.open3"
-- (no tail calls: Lua keeps no line for a frame a tail call replaced)
for _, f in ipairs{
  function() local r = P.capture("echo", {bogus = 1}) return r end,
  function() local r = P.system("echo", {bogus = 1}) return r end,
  function() local r = O.capture3("echo", {timeout = -1}) return r end,
  function() local r = O.capture2e("echo", {input = 5}) return r end,
  function() local r = O.popen3("echo", {umask = "9"}) return r end,
  function() local r = O.pipeline("true", {"echo", {}}) return r end,
  function() local r = O.pipeline_r("echo", {bogus = 1}) return r end,
} do
  print((select(2, pcall(f))))
end
]])
    assert.are.equal("", r.err)
    local p = r.path
    local want = {
      "bad argument #2 to 'brood.process.capture' (unknown option 'bogus')",
      "bad argument #2 to 'brood.process.system' (unknown option 'bogus')",
      "bad argument #2 to 'brood.open3.capture3' (option 'timeout' must be a number of seconds)",
      "bad argument #2 to 'brood.open3.capture2e' (option 'input' must be a string)",
      "bad argument #2 to 'brood.open3.popen3' " ..
        "(umask must be 0-511 or an octal string such as \"027\")",
      "bad argument #2 to 'brood.open3.pipeline' (argument must be a string, not table)",
      "bad argument #2 to 'brood.open3.pipeline_r' (unknown option 'bogus')",
    }
    local lines = {}
    for line in r.out:gmatch("[^\n]+") do lines[#lines + 1] = line end
    for i, w in ipairs(want) do
      assert.are.equal(("%s:%d: %s"):format(p, i + 3, w), lines[i])
    end
  end)

  it("Process.system raises for bad arguments, and returns nil for a program not found", function()
    assert.has_error(function() P.system("true", {bogus = 1}) end)
    local ok, err = P.system("no-such-program-anywhere")
    assert.is_nil(ok)
    assert.are.equal("ENOENT", err.errno)
  end)

  it("capture waits for math.huge, and a trap handler's error leaves no child behind", function()
    assert.are.equal("x\n", (P.capture("echo x", {timeout = math.huge})))
    S.trap("USR1", function() error("stop", 0) end)
    local ok, err = pcall(P.capture, "sh", "-c", "kill -USR1 $PPID; exec sleep 10")
    S.trap("USR1", "SYSTEM_DEFAULT")
    assert.is_false(ok)
    assert.are.equal("stop", err)
    -- U.guard: the sleeping program was killed and reaped, its pipe closed
  end)
end)

describe("IO.popen's wait, cut short", function()
  U.guard(before_each, after_each)

  it("a handler's error during close goes on, and the program is still reaped", function()
    S.trap("USR1", function() error("stop", 0) end)
    -- the signal comes once close has ended the program's input
    local p = IO.popen({"sh", "-c", "read x; kill -USR1 $PPID; sleep 0.2"}, "w")
    local pid = p:pid()
    local ok, err = pcall(p.close, p)
    S.trap("USR1", "SYSTEM_DEFAULT")
    assert.is_false(ok)
    assert.are.equal("stop", err)
    assert.is_true(U.eventually(function() return U.procstate(pid) == nil end))
  end)

  it("a to-be-closed popen object waits for its program", function()
    local pid
    do
      local p <close> = IO.popen("sleep 0.1")
      pid = p:pid()
    end
    assert.is_nil(U.procstate(pid))
  end)
end)
