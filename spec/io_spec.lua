-- brood.io against real pipes, files and processes.
local U = require "spec.helpers.util"
local IO = require "brood.io"
local P = require "brood.process"
local S = require "brood.signal"

local function now() return P.clock_gettime("MONOTONIC") end

local function script(code, opts)
  return U.script("local IO = require 'brood.io'\nlocal P = require 'brood.process'\n" ..
    "local S = require 'brood.signal'\n" .. code, nil, opts)
end

local function tmpname()
  local name = os.tmpname()
  os.remove(name)
  return name
end

describe("IO.pipe", function()
  U.guard(before_each, after_each)

  it("carries data from the writer to the reader, EOF once the writer is closed", function()
    local reader, writer = IO.pipe()
    assert.matches("^#<IO:fd %d+>$", tostring(reader))
    writer:write("Into the pipe I go...")
    writer:close()
    assert.are.equal("Into the pipe I go...", reader:read("a"))
    assert.is_nil(reader:read("l"))
    assert.are.equal("", reader:read("a"))  -- as Lua's files: "a" never fails
    reader:close()
  end)

  it("is one-way", function()
    local reader, writer = IO.pipe()
    assert.has_error(function() reader:write("x") end, "not opened for writing")
    assert.has_error(function() writer:read("a") end, "not opened for reading")
    reader:close()
    writer:close()
  end)

  it("makes both ends close-on-exec", function()
    local reader, writer = IO.pipe()
    local f = io.popen("ls /proc/self/fd")
    local listed = f:read("a")
    f:close()
    for fd in listed:gmatch("%d+") do
      assert.is_true(tonumber(fd) ~= reader:fileno() and tonumber(fd) ~= writer:fileno() or
        tonumber(fd) <= 2)
    end
    reader:close()
    writer:close()
  end)

  it("shows the book's four-descriptor lesson: EOF once every writer copy is closed", function()
    local reader, writer = IO.pipe()
    local pid = P.fork(function()
      reader:close()
      for _ = 1, 10 do writer:puts("Another one bites the dust") end
    end)
    writer:close()  -- else our own copy would keep the pipe open forever
    local lines = {}
    for line in reader:lines("L") do lines[#lines + 1] = line end
    assert.are.equal(10, #lines)
    assert.are.equal("Another one bites the dust\n", lines[1])
    P.wait(pid)
    reader:close()
  end)

  it("never sees EOF while this process still holds a writer", function()
    local reader, writer = IO.pipe()
    local pid = P.fork(function() writer:write("data") end)
    P.wait(pid)
    assert.are.equal("data", reader:readpartial(100))
    assert.are.same({}, (select(1, IO.select({reader}, nil, nil, 0.1)) or {}))
    writer:close()
    assert.is_nil(reader:readpartial(100))
    reader:close()
  end)

  it("moves more than a pipe buffer (>64 KiB) through a child, intact", function()
    local reader, writer = IO.pipe()
    local chunk = {}
    for i = 0, 255 do chunk[#chunk + 1] = string.char(i) end
    local data = string.rep(table.concat(chunk), 4096)  -- 1 MiB
    local pid = P.fork(function()
      reader:close()
      writer:write(data)
    end)
    writer:close()
    local got = reader:read("a")
    P.wait(pid)
    reader:close()
    assert.are.equal(#data, #got)
    assert.is_true(got == data)
  end)

  it("IO.pipe(fn) passes both ends and closes them after", function()
    local r0, w0
    local v = IO.pipe(function(r, w)
      r0, w0 = r, w
      w:write("x")
      return r:read(1)
    end)
    assert.are.equal("x", v)
    assert.is_true(r0:closed())
    assert.is_true(w0:closed())
  end)
end)

describe("IO reading like a Lua file", function()
  U.guard(before_each, after_each)
  local name
  before_each(function()
    name = tmpname()
    local f = io.open(name, "w")
    f:write("line one\nline two\n42 3.5 0x10\nrest")
    f:close()
  end)
  after_each(function() os.remove(name) end)

  it("reads lines, numbers, counts and everything, several formats at once", function()
    local f = IO.open(name)
    assert.are.equal("line one", f:read())
    assert.are.equal("line two\n", f:read("L"))
    assert.are.same({42, 3.5, 16}, {f:read("n", "n", "n")})
    assert.are.equal("\nre", f:read(3))
    assert.are.equal("st", f:read("a"))
    assert.is_nil(f:read(1))
    assert.are.equal("", f:read("a"))
    assert.is_nil(f:read(0))
    f:close()
  end)

  it("reads what comes when asked for far more (2^53, math.maxinteger bytes)", function()
    local r, w = IO.pipe()
    w:write("hello")
    w:close()
    assert.are.equal("hello", r:read(2 ^ 53))
    assert.is_nil(r:read(math.maxinteger))
    r:close()
    -- more than a pipe holds, in pieces: every byte, in order
    local want = {}
    for i = 1, 300000 do want[i] = ("%9d\n"):format(i) end
    want = table.concat(want)
    r, w = IO.pipe()
    local pid = P.fork(function()
      r:close()
      for i = 1, #want, 70000 do w:write(want:sub(i, i + 69999)) w:flush() end
    end)
    w:close()
    local got = r:read(math.maxinteger)
    r:close()
    P.wait(pid)
    assert.are.equal(#want, #got)
    assert.is_true(got == want)
  end)

  it("accepts the old *l *a forms and rejects bad formats", function()
    local f = IO.open(name)
    assert.are.equal("line one", f:read("*l"))
    assert.has_error(function() f:read("x") end)
    assert.has_error(function() f:read(-1) end)
    f:close()
  end)

  it("iterates with lines(), with formats", function()
    local f = IO.open(name)
    local got = {}
    for l in f:lines() do got[#got + 1] = l end
    assert.are.same({"line one", "line two", "42 3.5 0x10", "rest"}, got)
    f:close()
    f = IO.open(name)
    local a, b = f:lines(4, "l")()
    assert.are.same({"line", " one"}, {a, b})
    f:close()
  end)

  it("gets keeps the newline, as Ruby; gets(sep) and gets(nil)", function()
    local f = IO.open(name)
    assert.are.equal("line one\n", f:gets())
    assert.are.equal("line ", f:gets(" "))
    assert.are.equal("two\n42 3.5 0x", f:gets(" 0x"))
    assert.are.equal("10\nrest", f:gets(nil))
    assert.is_nil(f:gets())
    f:close()
  end)

  it("seeks, with buffered input accounted for", function()
    local f = IO.open(name)
    assert.are.equal("line one", f:read("l"))
    assert.are.equal(9, f:seek())
    assert.are.equal(0, f:seek("set"))
    assert.are.equal("line", f:read(4))
    assert.are.equal(5, f:seek("cur", 1))
    assert.are.equal("one", f:read(3))
    assert.are.equal(#"line one\nline two\n42 3.5 0x10\nrest", f:seek("end"))
    f:close()
  end)

  it("eof() and closed()", function()
    local f = IO.open(name)
    assert.is_false(f:eof())
    f:read("a")
    assert.is_true(f:eof())
    assert.is_false(f:closed())
    f:close()
    assert.is_true(f:closed())
    assert.is_true(f:close())  -- closing twice does nothing, as in Ruby
    assert.has_error(function() f:read() end, "attempt to use a closed IO")
  end)
end)

describe("IO writing", function()
  U.guard(before_each, after_each)

  it("write returns the object; puts and print as Ruby", function()
    local name = tmpname()
    local f = IO.open(name, "w")
    assert.are.equal(f, f:write("a", 1, "\n"))
    f:puts("x", "y\n", {"z", {"w"}}, nil)
    f:puts()
    f:print("p", 2, true)
    f:close()
    assert.are.equal("a1\nx\ny\nz\nw\n\n\np2true", U.slurp(name))
    os.remove(name)
  end)

  it("puts writes a line and its newline at once: lines from two processes never mix", function()
    local r, w = IO.pipe()
    local line = {a = ("a"):rep(60), b = ("b"):rep(60)}
    local pids = {}
    for _, k in ipairs{"a", "b"} do
      pids[k] = P.fork(function()
        r:close()
        for _ = 1, 20000 do w:puts(line[k]) end
      end)
    end
    w:close()
    local counts, bad = {a = 0, b = 0}, 0
    for l in r:lines() do
      if l == line.a then counts.a = counts.a + 1
      elseif l == line.b then counts.b = counts.b + 1
      else bad = bad + 1 end
    end
    r:close()
    P.wait(pids.a)
    P.wait(pids.b)
    assert.are.same({a = 20000, b = 20000, bad = 0}, {a = counts.a, b = counts.b, bad = bad})
  end)

  it("puts refuses arrays nested too deep, in a coroutine too (no crash)", function()
    -- each level took a Lua stack slot it never asked for: a coroutine's
    -- small stack overflowed into the heap
    local r = U.script([[
      local IO = require "brood.io"
      local _, w = IO.pipe()
      local t = "x"
      for _ = 1, 300 do t = {t} end
      print(pcall(coroutine.wrap(function() w:puts(t) end)))
      print(pcall(w.puts, w, t))
      local ok = pcall(coroutine.wrap(function()
        local u = "y"
        for _ = 1, 90 do u = {u} end
        w:puts(u)
      end))
      print(ok)
    ]])
    assert.are.equal(0, r.code, r.err)
    local deep = "false\t[^\n]*puts: nesting too deep\n"
    assert.matches("^" .. deep .. deep .. "true\n$", r.out)
  end)

  it("a lines iterator with many formats works in a fresh coroutine (no crash)", function()
    local r = U.script([[
      local IO = require "brood.io"
      local rd, wr = IO.pipe()
      wr:write(("x\n"):rep(600)) wr:close()
      local fmts = {}
      for i = 1, 240 do fmts[i] = "l" end
      local it = rd:lines(table.unpack(fmts))
      for _ = 1, 2 do
        print(coroutine.wrap(function() return select("#", it()) end)())
      end
    ]])
    assert.are.equal(0, r.code, r.err)
    assert.are.equal("240\n240\n", r.out)
  end)

  it("opens files with Lua's modes and a permission", function()
    local name = tmpname()
    local old = P.umask(0)
    IO.open(name, "w", "640"):write("one"):close()
    P.umask(old)
    assert.are.equal("rw-r-----", require("lfs").attributes(name, "permissions"))
    IO.open(name, "a"):write(" two"):close()
    assert.are.equal("one two", U.slurp(name))
    local rw = IO.open(name, "r+")
    rw:write("ONE")
    rw:seek("set")
    assert.are.equal("ONE two", rw:read("a"))
    rw:close()
    assert.are.equal("EEXIST", select(2, pcall(IO.open, name, "wx")).errno)
    os.remove(name)
    local err = select(2, pcall(IO.open, "/nonexistent/x"))
    assert.are.equal("ENOENT", err.errno)
    assert.are.equal("open /nonexistent/x: No such file or directory (ENOENT)", tostring(err))
    assert.has_error(function() IO.open(name, "q") end)
  end)

  it("buffers files and flushes before fork: nothing is written twice", function()
    local name = tmpname()
    local f = IO.open(name, "w")
    f:write("before fork\n")
    P.wait(P.fork(function() f:write("child\n") end))
    f:write("parent\n")
    f:close()
    assert.are.equal("before fork\nchild\nparent\n", U.slurp(name))
    os.remove(name)
  end)

  it("flushes at exit and at collection, but not at _exit", function()
    local name = tmpname()
    local r = script(([[
      local f = IO.open(%q, "w")
      f:write("at exit")
      local g = IO.open(%q .. ".gc", "w")
      g:write("at gc")
      g = nil
      collectgarbage()
      local h = IO.open(%q .. ".x", "w")
      h:write("lost")
      P._exit(0)]]):format(name, name, name))
    assert.are.equal(0, r.code, r.err)
    assert.are.equal("", U.slurp(name))  -- _exit: nothing flushed
    assert.are.equal("at gc", U.slurp(name .. ".gc"))
    assert.are.equal("", U.slurp(name .. ".x"))
    r = script(([[IO.open(%q, "w"):write("at exit") P.exit(0)]]):format(name))
    assert.are.equal(0, r.code)
    assert.are.equal("at exit", U.slurp(name))
    os.remove(name)
    os.remove(name .. ".gc")
    os.remove(name .. ".x")
  end)

  it("setvbuf and sync control buffering", function()
    local name = tmpname()
    local f = IO.open(name, "w")
    assert.is_false(f.sync)
    f:write("buffered")
    assert.are.equal("", U.slurp(name))
    f.sync = true
    assert.is_true(f.sync)
    assert.are.equal("buffered", U.slurp(name))
    f:write("+direct")
    assert.are.equal("buffered+direct", U.slurp(name))
    f:setvbuf("line")
    f:write("a")
    f:write("b\nc")
    assert.are.equal("buffered+directab\n", U.slurp(name))
    f:flush()
    assert.are.equal("buffered+directab\nc", U.slurp(name))
    f:close()
    assert.has_error(function() f.other = 1 end)
    os.remove(name)
  end)

  it("raises EPIPE, instead of dying of SIGPIPE, when the reader is gone", function()
    local r = script([[
      local reader, writer = IO.pipe()
      reader:close()
      local ok, err = pcall(writer.write, writer, "x")
      print(ok, err.errno)]])
    assert.are.equal(0, r.code)
    assert.are.equal("false\tEPIPE\n", r.out)
  end)

  it("still lets print die of SIGPIPE once brood's pipe guard is in place", function()
    local r, w = IO.pipe()
    local pid = P.fork(function()
      local r2, w2 = IO.pipe()
      r2:close()
      pcall(w2.write, w2, "x")          -- EPIPE, and the guard is installed
      IO.stdout:reopen(w)               -- print now goes into our pipe;
      r:close()                         -- once the parent has closed its
      w:close()                         -- reader too, print gets SIGPIPE
      while true do print("into a closed pipe") end
    end)
    r:close()
    w:close()
    local _, st = P.wait2(pid)
    assert.are.equal(13, st.termsig)    -- SIGPIPE, as without brood
  end)

  it("leaves Lua's print to the Unix default: a filter stops when its reader goes", function()
    local r = U.sh(U.quote(U.BROOD) .. " -e 'while true do print(\"y\") end' | head -n 2")
    assert.are.equal("y\ny\n", r.out)
  end)
end)

describe("IO objects and descriptors", function()
  U.guard(before_each, after_each)

  it("has stdin, stdout and stderr on fds 0-2, in step with print", function()
    assert.are.equal(0, IO.stdin:fileno())
    assert.are.equal(1, IO.stdout:fileno())
    assert.are.equal(2, IO.stderr:fileno())
    local r = script([[
      io.write("a")
      IO.stdout:write("b")
      print("c")
      IO.stdout:puts("d")
      IO.stderr:write("e")]])
    assert.are.equal("abc\nd\n", r.out)
    assert.are.equal("e", r.err)
  end)

  it("IO.fileno takes IO objects, Lua files and numbers", function()
    assert.are.equal(1, IO.fileno(io.stdout))
    assert.are.equal(2, IO.fileno(IO.stderr))
    assert.are.equal(7, IO.fileno(7))
    local f = io.open("/etc/hosts")
    assert.is_true(IO.fileno(f) > 2)
    f:close()
    assert.has_error(function() IO.fileno(f) end)
  end)

  it("for_fd wraps a descriptor; a Lua file's fd passes to a program", function()
    local f = io.open("/etc/hosts")  -- Lua's files are inherited across exec
    local fd = IO.fileno(f)
    local p = io.popen(("cat <&%d | head -c 5"):format(fd))
    assert.are.equal(U.slurp("/etc/hosts"):sub(1, 5), p:read("a"))
    p:close()
    f:close()
    local reader, writer = IO.pipe()
    local w2 = IO.for_fd(writer:dup():fileno(), "w")
    w2:write("via for_fd")
    w2:close()
    writer:close()
    assert.are.equal("via for_fd", reader:read("a"))
    reader:close()
    assert.has_error(function() IO.for_fd(999) end)
  end)

  it("reopen redirects the descriptor for the whole process, print included", function()
    local name = tmpname()
    local r = script(([[
      print("to the terminal")
      IO.stdout:reopen(%q, "a")
      print("to the file")
      IO.stdout:puts("also to the file")
      os.execute("echo from a child")]]):format(name))
    assert.are.equal("to the terminal\n", r.out)
    assert.are.equal("to the file\nalso to the file\nfrom a child\n", U.slurp(name))
    os.remove(name)
  end)

  it("reopen(other_io) points one object at another's file", function()
    local name = tmpname()
    local a = IO.open(name, "w")
    local r, w = IO.pipe()
    w:reopen(a)
    w:write("through w")
    w:close()
    a:close()
    r:close()
    assert.are.equal("through w", U.slurp(name))
    os.remove(name)
  end)

  it("dup gives an independent descriptor to the same file", function()
    local r, w = IO.pipe()
    local w2 = w:dup()
    assert.are_not.equal(w:fileno(), w2:fileno())
    w:close()
    w2:write("still open")
    w2:close()
    assert.are.equal("still open", r:read("a"))
    r:close()
  end)

  it("isatty: true on a terminal, false on a pipe, a file and /dev/null", function()
    local src = U.tmpfile([[
      local IO = require "brood.io"
      local r, w = IO.pipe()
      local f = IO.open("/dev/null")
      print("tty " .. tostring(IO.stdout:isatty()) .. " " .. tostring(IO.stdin:isatty()),
            "others " .. tostring(r:isatty() or w:isatty() or f:isatty()))
    ]])
    local r = U.pty({U.BROOD, src}, {"eof"})
    os.remove(src)
    assert.matches("tty true true\tothers false", r.transcript)
    local piped = U.sh("echo | " .. U.quote(U.BROOD) ..
      " -e 'print(require(\"brood.io\").stdin:isatty())' | cat")
    assert.are.equal("false\n", piped.out)
    local a, b = IO.pipe()
    a:close()
    b:close()
    assert.has_error(function() a:isatty() end, "attempt to use a closed IO")
  end)

  it("close_on_exec: on for what brood opens; cleared, the descriptor reaches a program", function()
    local r, w = IO.pipe()
    assert.is_true(w:close_on_exec())
    local out = P.capture("sh", "-c", "echo through >&" .. w:fileno() .. " 2>/dev/null; echo done")
    assert.are.equal("done\n", out)
    assert.is_true(w:close_on_exec(false))  -- what it was
    assert.is_false(w:close_on_exec())
    out = P.capture("sh", "-c", "echo through >&" .. w:fileno() .. "; echo done",
                    {close_others = false})
    assert.are.equal("done\n", out)
    w:close()
    assert.are.equal("through\n", r:read("a"))
    r:close()
    assert.has_error(function() r:close_on_exec() end, "attempt to use a closed IO")
    local a, b = IO.pipe()
    assert.has_error(function() a:close_on_exec(1) end)
    a:close()
    b:close()
  end)

  it("readpartial returns what is there; read_nonblock never waits", function()
    local r, w = IO.pipe()
    assert.are.same({nil, "EAGAIN"}, {r:read_nonblock(10)})
    w:write("abcdef")
    assert.are.equal("abc", r:readpartial(3))
    assert.are.equal("def", r:read_nonblock(10))
    w:close()
    assert.is_nil(r:read_nonblock(10))
    assert.is_nil(r:readpartial(10))
    r:close()
  end)

  it("set_nonblock switches the descriptor's mode; reads work either way", function()
    local r, w = IO.pipe()
    r:set_nonblock(false)
    w:set_nonblock(false)
    local pid = P.fork(function() P.sleep(0.05) w:write("late") end)
    assert.are.equal("late", r:read(4))
    P.wait(pid)
    r:close()
    w:close()
  end)

  it("waits right when a dup changed the open file's mode: no spin, handlers run", function()
    -- set_nonblock acts on the open file, which a dup shares: each object
    -- must cope with the mode another one left it in
    local function reader(trap, mode)
      local r, w = IO.pipe()
      -- set before the fork: the child has it from its first instruction
      if trap then S.trap("USR1", function() error("interrupted", 0) end) end
      local pid = P.fork(function()
        w:close()
        r:set_nonblock(not mode)
        r:dup():set_nonblock(mode)
        local ok, err = pcall(r.read, r, 1)
        P.exit(((ok and not trap) or err == "interrupted") and 0 or 1)
      end)
      if trap then S.trap("USR1", "SYSTEM_DEFAULT") end
      r:close()
      -- it waits in the kernel (S), not in a loop of reads (R)
      assert.is_truthy(U.eventually(function() return U.procstate(pid) == "S" end, 5))
      return pid, w
    end
    -- made non-blocking behind its back, no handlers: a plain read sees
    -- EAGAIN, and must wait, not spin
    local pid, w = reader(false, true)
    assert.are.equal("S", U.procstate(pid))
    w:close()
    assert.is_true(select(2, P.wait2(pid)).success)
    -- made blocking behind its back, with a trap: the handler runs
    pid, w = reader(true, false)
    P.kill("USR1", pid)
    local st = U.eventually(function() return select(2, P.wait2(pid, P.WNOHANG)) end, 5)
    if not st then P.kill("KILL", pid) P.wait(pid) end
    w:close()
    assert.is_truthy(st, "the read went on after the handler raised")
    assert.is_true(st.success)
  end)

  it("raises EMFILE past RLIMIT_NOFILE, and does not crash", function()
    local r = script([[
      P.setrlimit("NOFILE", 8)
      local t, ok, err = {}, true, nil
      while ok do
        ok, err = pcall(IO.pipe)
        if ok then t[#t + 1] = err end
      end
      print(err.errno, err.syscall)]])
    assert.are.equal("EMFILE\tpipe2\n", r.out)
  end)
end)

describe("IO.select", function()
  U.guard(before_each, after_each)

  it("returns the ready objects, or nil on timeout", function()
    local r1, w1 = IO.pipe()
    local r2, w2 = IO.pipe()
    assert.is_nil(IO.select({r1, r2}, nil, nil, 0.05))
    w2:write("x")
    local rr, ww = IO.select({r1, r2}, {w1}, nil, 1)
    assert.are.same({r2}, rr)
    assert.are.same({w1}, ww)
    for _, io in ipairs{r1, w1, r2, w2} do io:close() end
  end)

  it("takes the readers alone, or the readers and writers (the book's IO.select([r]))", function()
    local r, w = IO.pipe()
    w:write("x")
    local rr, ww, ee = IO.select({r})
    assert.are.same({r}, rr)
    assert.are.same({}, ww)
    assert.are.same({}, ee)
    assert.are.same({w}, select(2, IO.select({}, {w})))
    r:close()
    w:close()
  end)

  it("waits as long as the timeout says", function()
    local r, w = IO.pipe()
    local t0 = now()
    assert.is_nil(IO.select({r}, nil, nil, 0.3))
    assert.is_true(now() - t0 >= 0.3)
    r:close()
    w:close()
  end)

  it("counts buffered input as readable", function()
    local r, w = IO.pipe()
    w:write("one\ntwo\n")
    assert.are.equal("one", r:read("l"))
    assert.are.same({r}, IO.select({r}, nil, nil, 0))
    r:close()
    w:close()
  end)

  it("handles hundreds of descriptors (no FD_SETSIZE limit)", function()
    local r = script([[
      P.setrlimit("NOFILE", 4096)
      local readers, writers = {}, {}
      for i = 1, 1200 do readers[i], writers[i] = IO.pipe() end
      writers[1111]:write("!")
      local ready = IO.select(readers, nil, nil, 1)
      print(#ready, ready[1] == readers[1111], readers[1111]:fileno() > 1024)]])
    assert.are.equal("1\ttrue\ttrue\n", r.out, r.err)
  end)

  it("runs trap handlers while waiting, then waits the time left", function()
    local at
    local start = now()
    S.trap("USR1", function() at = now() - start end)
    local pid = P.fork(function() P.sleep(0.1) P.kill("USR1", P.ppid()) end)
    local r, w = IO.pipe()
    assert.is_nil(IO.select({r}, nil, nil, 0.5))
    assert.is_true(now() - start >= 0.5)
    assert.is_truthy(at and at < 0.45)
    P.wait(pid)
    r:close()
    w:close()
    S.trap("USR1", "SYSTEM_DEFAULT")
  end)
end)

describe("blocking IO and signals", function()
  U.guard(before_each, after_each)
  after_each(function() S.trap("USR1", "SYSTEM_DEFAULT") end)

  it("runs handlers during a blocking pipe read, which then goes on", function()
    local hits = 0
    S.trap("USR1", function() hits = hits + 1 end)
    local r, w = IO.pipe()
    local pid = P.fork(function()
      for _ = 1, 3 do P.sleep(0.05) P.kill("USR1", P.ppid()) end
      w:write("finally")
    end)
    assert.are.equal("finally", r:read(7))
    assert.are.equal(3, hits)
    P.wait(pid)
    r:close()
    w:close()
  end)

  it("lets a handler's error interrupt the read", function()
    S.trap("USR1", function() error("stop reading") end)
    local r, w = IO.pipe()
    local pid = P.fork(function() P.sleep(0.05) P.kill("USR1", P.ppid()) end)
    local ok, err = pcall(r.read, r, "a")
    assert.is_false(ok)
    assert.matches("stop reading", err)
    P.wait(pid)
    r:close()
    w:close()
  end)

  it("runs handlers while a write waits for a full pipe", function()
    local hits = 0
    S.trap("USR1", function() hits = hits + 1 end)
    local r, w = IO.pipe()
    local pid = P.fork(function()
      w:close()  -- our copy of the writer would keep EOF away
      P.kill("USR1", P.ppid())
      P.sleep(0.2)
      local n = 0
      while true do
        local s = r:read(65536)
        if not s then break end
        n = n + #s
      end
      P.exit(n == 1048576 and 0 or 1)
    end)
    w:write(string.rep("x", 1048576))
    w:close()
    r:close()
    local _, st = P.wait2(pid)
    assert.are.equal(0, st.exitstatus)
    assert.are.equal(1, hits)
  end)
end)

describe("IO.copy_stream, mkfifo, flock and pidfile", function()
  U.guard(before_each, after_each)

  it("copy_stream copies between files, pipes and paths", function()
    local src = tmpname()
    local data = string.rep("0123456789", 100000)
    IO.open(src, "w"):write(data):close()
    local dst = tmpname()
    assert.are.equal(#data, IO.copy_stream(src, dst))
    assert.is_true(U.slurp(dst) == data)
    local r, w = IO.pipe()
    local pid = P.fork(function() r:close() IO.copy_stream(src, w, 100) end)
    w:close()
    assert.are.equal(data:sub(1, 100), r:read("a"))
    P.wait(pid)
    r:close()
    os.remove(src)
    os.remove(dst)
  end)

  it("mkfifo makes a named pipe two processes can talk through", function()
    local path = tmpname()
    IO.mkfifo(path)
    local pid = P.fork(function() IO.open(path, "w"):write("through the fifo"):close() end)
    local f = IO.open(path)
    assert.are.equal("through the fifo", f:read("a"))
    f:close()
    P.wait(pid)
    os.remove(path)
    assert.are.equal("EEXIST", select(2, pcall(IO.mkfifo, "/tmp")).errno)
  end)

  it("flock excludes other processes; nonblock reports false", function()
    local path = tmpname()
    local f = IO.open(path, "w")
    assert.is_true(f:flock("EX"))
    local _, st = P.wait2(P.fork(function()
      local g = IO.open(path, "r")
      P.exit(g:flock("EX", true) == false and 0 or 1)
    end))
    assert.are.equal(0, st.exitstatus)
    assert.is_true(IO.flock(f, "UN"))
    _, st = P.wait2(P.fork(function()
      local g = io.open(path)
      P.exit(IO.flock(g, "SH", true) and 0 or 1)
    end))
    assert.are.equal(0, st.exitstatus)
    f:close()
    os.remove(path)
    assert.has_error(function() IO.flock(IO.stdin, "SIDEWAYS") end)
  end)

  it("pidfile locks a pid file; a second taker learns the holder's pid", function()
    local path = tmpname()
    local lock = IO.pidfile(path)
    assert.are.equal(tostring(P.pid()) .. "\n", U.slurp(path))
    local _, st = P.wait2(P.fork(function()
      local ok, err = pcall(IO.pidfile, path)
      P.exit((not ok and err.errno == "EAGAIN" and err.pid == P.ppid()) and 0 or 1)
    end))
    assert.are.equal(0, st.exitstatus)
    lock:close()
    local again = IO.pidfile(path)
    again:close()
    os.remove(path)
  end)
end)

describe("IO.shared", function()
  U.guard(before_each, after_each)

  it("lets forked processes count together", function()
    local mem = IO.shared(64)
    local pids = {}
    for i = 1, 4 do
      pids[i] = P.fork(function()
        for _ = 1, 1000 do mem:add(8, 1) end
      end)
    end
    for i = 1, 4 do P.wait(pids[i]) end
    assert.are.equal(4000, mem:load(8))
    assert.are.equal(0, mem:load(0))
    mem:close()
  end)

  it("reads and writes bytes, checks bounds and alignment", function()
    local mem = IO.shared(16)
    assert.are.equal(16, #mem)
    assert.are.equal(16, mem:size())
    mem:write(2, "hey")
    P.wait(P.fork(function() mem:write(5, "!") end))
    assert.are.equal("\0\0hey!", mem:read(0, 6))
    mem:store(8, -5)
    assert.are.equal(-3, mem:add(8, 2))
    assert.has_error(function() mem:read(10, 7) end)
    assert.has_error(function() mem:add(3, 1) end)
    assert.has_error(function() mem:write(-1, "x") end)
    mem:close()
    assert.has_error(function() mem:read(0, 1) end)
  end)
end)

describe("IO under bad input and broken pipes", function()
  U.guard(before_each, after_each)

  it("copy_stream raises EPIPE when the destination's reader is gone, trapped or not", function()
    -- sendfile and splice cannot say MSG_NOSIGNAL: they used to die of SIGPIPE
    local r = script([[
local Socket = require "brood.socket"
local src = os.tmpname()
IO.open(src, "w"):write(string.rep("x", 300000)):close()
for _, trapped in ipairs{false, true} do
  if trapped then S.trap("USR2", function() end) end
  for _, into in ipairs{"pipe", "socket"} do
    for _, from in ipairs{"file", "pipe", "socket"} do
      local rd, wr
      if into == "pipe" then rd, wr = IO.pipe() else rd, wr = Socket.pair("UNIX", "STREAM") end
      rd:close()
      local s, feed
      if from == "file" then s = IO.open(src)
      elseif from == "pipe" then s, feed = IO.pipe()
      else s, feed = Socket.pair("UNIX", "STREAM") end
      if feed then feed:write(string.rep("y", 1000)) feed:close() end
      local ok, err = pcall(IO.copy_stream, s, wr)
      print(trapped, from, into, ok or err.errno)
      s:close() wr:close()
    end
  end
end
os.remove(src)
]])
    assert.are.equal("", r.err)
    assert.are.equal(0, r.code)
    local want = {}
    for _, trapped in ipairs{"false", "true"} do
      for _, into in ipairs{"pipe", "socket"} do
        for _, from in ipairs{"file", "pipe", "socket"} do
          want[#want + 1] = ("%s\t%s\t%s\tEPIPE"):format(trapped, from, into)
        end
      end
    end
    assert.are.equal(table.concat(want, "\n") .. "\n", r.out)
  end)

  it("copy_stream from a socket into a pipe leaves the pipe usable by others meanwhile", function()
    -- splice(socket -> pipe) holds the pipe's lock while it waits for a
    -- datagram: another reader of the pipe would hang, unkillable
    local Socket = require "brood.socket"
    local a, b = Socket.pair("UNIX", "DGRAM")
    local r, w = IO.pipe()
    local copier = P.fork(function() IO.copy_stream(b, w, 5) end)
    local reader = P.fork(function()
      P.sleep(0.2)  -- the copier waits by now
      local data, err = r:read_nonblock(10)
      P._exit(data == nil and err == "EAGAIN" and 0 or 1)
    end)
    local state
    assert(U.eventually(function()
      state = U.procstate(reader)
      return state == "Z" or state == "D"
    end, 10))
    a:send("hello")  -- ends the copy either way: nothing stays stuck
    local _, st = P.wait2(reader)
    P.wait(copier)
    a:close()
    b:close()
    local copied = r:read_nonblock(10)
    r:close()
    w:close()
    assert.are_not.equal("D", state, "the reader hung in the kernel")
    assert.is_true(st.success)
    assert.are.equal("hello", copied)
  end)

  it("keeps guarding writes after a SIGPIPE it could not die of (PID 1 of a namespace)", function()
    -- the first broken-pipe write installs the guard; a SIGPIPE sent by
    -- kill then means "die as by default" -- which PID 1 does not. Its
    -- next writes, and its children's (they inherit its dispositions),
    -- must still get EPIPE, not be killed
    local r = U.sh("unshare --pid --fork " .. U.quote(U.BROOD) .. " -e " .. U.quote([[
      local IO, P = require "brood.io", require "brood.process"
      local function broken() local r, w = IO.pipe() r:close() return w end
      print(P.pid(), select(2, pcall(broken().write, broken(), "x")).errno)
      P.kill("PIPE", P.pid())
      print(select(2, pcall(broken().write, broken(), "x")).errno)
      local _, st = P.wait2(P.fork(function()
        print(select(2, pcall(broken().write, broken(), "x")).errno)
      end))
      print(st)]]))
    assert.are.equal("", r.err)
    assert.matches("^1\tEPIPE\nEPIPE\nEPIPE\npid %d+ exit 0\n$", r.out)
  end)

  it("copy_stream closes the files it opened when it raises", function()
    local src = tmpname()
    IO.open(src, "w"):write("data"):close()
    local ok, err = pcall(IO.copy_stream, src, "/dev/full")
    os.remove(src)
    assert.is_false(ok)
    assert.are.equal("ENOSPC", err.errno)
    -- U.guard: no descriptor left open
  end)

  it("refuses paths and modes with a zero byte instead of cutting them short", function()
    local dir = tmpname()
    assert.is_true(os.execute("mkdir " .. dir))
    for _, call in ipairs{
      function() return IO.open(dir .. "/x\0y", "w") end,
      function() return IO.open(dir .. "/x", "w\0") end,
      function() return IO.mkfifo(dir .. "/x\0y") end,
      function() return IO.pidfile(dir .. "/x\0y") end,
      function() return IO.copy_stream("/dev/null", dir .. "/x\0y") end,
    } do
      local ok, err = pcall(call)
      assert.is_false(ok)
      assert.matches("contains a zero byte", err)
    end
    assert.is_nil(io.open(dir .. "/x"))  -- nothing was created
    os.remove(dir)
  end)

  it("pidfile never follows a symbolic link, nor opens anything but a file", function()
    local dir = tmpname()
    assert.is_true(os.execute("mkdir " .. dir))
    local victim = dir .. "/victim"
    IO.open(victim, "w"):write("precious\n"):close()
    assert.is_true(os.execute(("ln -s %s %s/a.pid"):format(victim, dir)))
    assert.is_true(os.execute(("ln -s %s/nowhere %s/b.pid"):format(dir, dir)))
    local ok, err = pcall(IO.pidfile, dir .. "/a.pid")
    assert.is_false(ok)
    assert.are.equal("ELOOP", err.errno)
    assert.are.equal("precious\n", U.slurp(victim))
    ok, err = pcall(IO.pidfile, dir .. "/b.pid")
    assert.is_false(ok)
    assert.are.equal("ELOOP", err.errno)
    assert.is_nil(io.open(dir .. "/nowhere"))  -- a dangling link's target is not created
    IO.mkfifo(dir .. "/c.pid")
    ok, err = pcall(IO.pidfile, dir .. "/c.pid")
    assert.is_false(ok)
    assert.are.equal("EINVAL", err.errno)
    local pf = IO.pidfile(dir .. "/d.pid")
    assert.are.equal(P.pid() .. "\n", U.slurp(dir .. "/d.pid"))
    pf:close()
    os.execute("rm -r " .. dir)
  end)

  it("refuses descriptor numbers beyond int instead of wrapping them", function()
    for _, fd in ipairs{4294967296, 4294967297, -1, math.mininteger} do
      local ok, err = pcall(IO.for_fd, fd)
      assert.is_false(ok)
      assert.matches("file descriptor out of range", err)
    end
  end)

  it("select waits without limit for math.huge and 1e308, and refuses NaN", function()
    local r, w = IO.pipe()
    for _, forever in ipairs{math.huge, 1e308} do
      local pid = P.fork(function() P.sleep(0.05) w:write("x") end)
      local rr = IO.select({r}, nil, nil, forever)
      P.wait(pid)
      assert.are.equal(r, rr[1])
      assert.are.equal("x", r:readpartial(10))
    end
    local ok, err = pcall(IO.select, {r}, nil, nil, 0 / 0)
    assert.is_false(ok)
    assert.matches("NaN", err)
    r:close() w:close()
  end)

  it("select reads its sets raw: a lying __len cannot make it overrun", function()
    local r, w = IO.pipe()
    w:write("x")
    local calls = 0
    local set = setmetatable({r}, {__len = function() calls = calls + 1 return calls * 1000 end,
                                   __index = function() return r end})
    local rr = IO.select(set, nil, nil, 0)
    assert.are.equal(1, #rr)
    r:close() w:close()
  end)
end)

describe("IO opening a FIFO", function()
  U.guard(before_each, after_each)

  it("runs trap handlers while it waits for the other end, and honours their errors", function()
    local dir = tmpname()
    assert.is_true(os.execute("mkdir " .. dir))
    local fifo = dir .. "/f"
    IO.mkfifo(fifo)
    S.trap("USR1", function() error("interrupted", 0) end)
    local function interrupted(fn, ...)
      local pid = P.fork(function() P.sleep(0.1) P.kill("USR1", P.ppid()) end)
      local ok, err = pcall(fn, ...)
      P.wait(pid)
      return not ok and err
    end
    assert.are.equal("interrupted", interrupted(IO.open, fifo))
    assert.are.equal("interrupted", interrupted(IO.open, fifo, "w"))
    assert.are.equal("interrupted", interrupted(IO.copy_stream, fifo, "/dev/null"))
    assert.are.equal("interrupted", interrupted(P.spawn, "true", {["in"] = fifo}))
    S.trap("USR1", "SYSTEM_DEFAULT")
    -- and with a trap set, opening still waits for the writer and reads it
    S.trap("USR2", function() end)
    local pid = P.fork(function() IO.open(fifo, "w"):write("through"):close() end)
    local f = IO.open(fifo)
    assert.are.equal("through", f:read("a"))
    f:close()
    P.wait(pid)
    S.trap("USR2", "SYSTEM_DEFAULT")
    os.execute("rm -r " .. dir)
  end)
end)

describe("IO calls that never wait", function()
  U.guard(before_each, after_each)

  it("still let trap handlers in: copy_stream and read('a') from /dev/zero", function()
    local r = script([[
S.trap("USR1", function() error("interrupted", 0) end)
for _, call in ipairs{
  function() return IO.copy_stream("/dev/zero", "/dev/null") end,
  function() local f <close> = IO.open("/dev/zero") return f:read("a") end,
} do
  local pid = P.fork(function() P.sleep(0.1) P.kill("USR1", P.ppid()) end)
  print(pcall(call))
  P.wait(pid)
end
]], {limit = 20})
    assert.are.equal("", r.err)
    assert.are.equal("false\tinterrupted\nfalse\tinterrupted\n", r.out)
  end)

  it("puts flattens arrays read raw: a lying __len cannot make it run for ever", function()
    local f <close> = IO.open("/dev/null", "w")
    f:puts(setmetatable({"a"}, {__len = function() return math.maxinteger end}))
  end)

  it("reads what another object's reopen put under its descriptor the right way", function()
    -- IO.stdin took fd 0 for a file; fd 0 is now a socket with no data,
    -- which a plain read would wait on where no handler runs
    local r = script([[
local Socket = require "brood.socket"
local a, b = Socket.pair("UNIX", "STREAM")
local zero = IO.for_fd(0)  -- kept: collected, it would close fd 0
zero:reopen(a)
S.trap("USR1", function() error("interrupted", 0) end)
local pid = P.fork(function() P.sleep(0.1) P.kill("USR1", P.ppid()) end)
print(pcall(IO.stdin.gets, IO.stdin))
P.wait(pid)
b:close()
]], {limit = 10})
    assert.are.equal("", r.err)
    assert.are.equal("false\tinterrupted\n", r.out)
  end)
end)

describe("error objects", function()
  it("print whole, whatever their length", function()
    for n = 480, 520 do
      local path = ("d/"):rep(n)
      local ok, err = pcall(IO.open, path)
      assert.is_false(ok)
      assert.are.equal("open " .. path .. ": No such file or directory (ENOENT)", tostring(err))
    end
  end)
end)

describe("IO.shared arithmetic", function()
  it("wraps around at the ends of the integers, as Lua's own", function()
    local mem = IO.shared(8)
    mem:store(0, math.maxinteger)
    assert.are.equal(math.mininteger, mem:add(0, 1))
    assert.are.equal(math.maxinteger, mem:add(0, -1))
    mem:store(0, math.mininteger)
    assert.are.equal(math.maxinteger, mem:add(0, -1))
    mem:close()
  end)
end)
