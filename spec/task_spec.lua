-- brood.task against real processes, pipes, sockets and signals.
local U = require "spec.helpers.util"
local P = require "brood.process"
local S = require "brood.signal"
local IO = require "brood.io"
local Socket = require "brood.socket"
local Open3 = require "brood.open3"
local Task = require "brood.task"

local function now() return P.clock_gettime("MONOTONIC") end

-- Lets every other ready task run until it blocks.
local function settle()
  for _ = 1, 3 do Task.yield() end
end

-- Runs a brood script (see U.script) with the modules at hand.
local function script(code, opts)
  return U.script("local P, S, IO = require 'brood.process', require 'brood.signal', " ..
    "require 'brood.io'\nlocal Task = require 'brood.task'\n" .. code, nil, opts)
end

-- Needs n descriptors: raises the soft limit for this process.
local function want_fds(n)
  local soft, hard = P.getrlimit("NOFILE")
  if soft < n then P.setrlimit("NOFILE", math.min(n, hard), hard) end
  assert(select(1, P.getrlimit("NOFILE")) >= n, "not enough descriptors for this test")
end

describe("Task.run", function()
  U.guard(before_each, after_each)

  it("returns the function's results, called with the extra arguments", function()
    local a, b, c = Task.run(function(x, y) return x + y, "two", nil end, 1, 2)
    assert.are.equal(3, a)
    assert.are.equal("two", b)
    assert.is_nil(c)
    assert.are.equal(3, select("#", Task.run(function() return 1, nil, nil end)))
  end)

  it("returns only when every task started inside it has ended", function()
    local ended = false
    Task.run(function()
      Task.spawn(function() Task.sleep(0.05) ended = true end)
      return "root returns first"
    end)
    assert.is_true(ended)
  end)

  it("runs blocked tasks side by side: five sleeps of 0.3 s take about 0.3 s", function()
    local t0 = now()
    Task.run(function()
      for _ = 1, 4 do Task.spawn(P.sleep, 0.3) end
      P.sleep(0.3)
    end)
    assert.is_true(now() - t0 < 1.2, "the sleeps ran one after another")
  end)

  it("suspends only the task that reads: the reader waits while another task writes", function()
    local log = {}
    Task.run(function()
      local r, w = IO.pipe()
      local reader = Task.spawn(function()
        log[#log + 1] = "reading"
        local line = r:gets()
        log[#log + 1] = "read " .. line
        r:close()
      end)
      settle()
      log[#log + 1] = "writing"
      w:puts("hello")
      w:close()
      reader:wait()
    end)
    assert.are.same({"reading", "writing", "read hello\n"}, log)
  end)

  it("suspends inside coroutines, metamethods, pcall and sort comparators", function()
    local order = {}
    Task.run(function()
      local r, w = IO.pipe()
      local t = Task.spawn(function()
        local co = coroutine.wrap(function() coroutine.yield(r:read(1)) end)
        local lazy = setmetatable({}, {__index = function(_, k) return r:read(1) .. k end})
        local _, x = pcall(function() return r:read(1) end)
        local list = {3, 1, 2}
        table.sort(list, function(p, q)
          if #order == 0 then order[1] = r:read(1) end
          return p < q
        end)
        return co(), lazy.k, x, order[1], table.concat(list)
      end)
      settle()
      for _, c in ipairs{"a", "b", "c", "d"} do
        w:write(c)
        settle()
      end
      w:close()
      -- read in the order the task ran: the pcall, the comparator, the
      -- coroutine, the metamethod
      assert.are.same({"c", "dk", "a", "b", "123"}, {t:wait()})
      r:close()
    end)
  end)

  it("spawns and captures 1000 children at once from 1000 tasks, each its own output", function()
    want_fds(4096)
    local outs = Task.run(function()
      local tasks = {}
      for i = 1, 1000 do
        tasks[i] = Task.spawn(function() return P.capture("echo", "job " .. i) end)
      end
      local got = {}
      for i = 1, 1000 do got[i] = tasks[i]:wait() end
      return got
    end)
    for i = 1, 1000 do assert.are.equal("job " .. i .. "\n", outs[i]) end
  end)

  it("serves 1000 concurrent TCP clients with a task per connection, in one process", function()
    want_fds(4096)
    local served = 0
    Task.run(function()
      local server = Socket.tcp_server("127.0.0.1", 0)
      local _, port = server:local_address()
      Task.spawn(function()
        for _ = 1, 1000 do
          local c = server:accept()
          Task.spawn(function()
            local line = c:gets()
            c:write(line:upper())
            c:close()
            served = served + 1
          end)
        end
        server:close()
      end)
      local clients = {}
      for i = 1, 1000 do
        clients[i] = Task.spawn(function()
          local s = Socket.tcp_connect("127.0.0.1", port)
          s:write("hello " .. i .. "\n")
          local reply = s:read("a")
          s:close()
          return reply
        end)
      end
      for i = 1, 1000 do assert.are.equal("HELLO " .. i .. "\n", clients[i]:wait()) end
    end)
    assert.are.equal(1000, served)
  end)

  it("wakes a task blocked on an IO object that another task closes, with an error", function()
    Task.run(function()
      local r, w = IO.pipe()
      local reader = Task.spawn(function() return r:read(1) end)
      settle()
      r:close()
      local ok, err = pcall(reader.wait, reader)
      assert.is_false(ok)
      assert.matches("closed while waiting", tostring(err))
      w:close()
    end)
  end)

  it("waits on a descriptor number that was closed and reused, as on a new one", function()
    Task.run(function()
      local keep = Task.spawn(Task.sleep, 5)  -- more than one task: waits go to the scheduler
      for i = 1, 50 do
        local r, w = IO.pipe()
        local t = Task.spawn(function() return r:gets() end)
        settle()
        w:puts("line " .. i)
        assert.are.equal("line " .. i .. "\n", t:wait())
        r:close()
        w:close()
      end
      keep:cancel()
    end)
  end)

  it("waits for one child without taking another's status", function()
    Task.run(function()
      local slow = P.spawn("sh", "-c", "exit 3")
      local fast = P.spawn("sh", "-c", "exit 4")
      local a = Task.spawn(function() local _, st = P.wait2(slow) return st.exitstatus end)
      local b = Task.spawn(function() local _, st = P.wait2(fast) return st.exitstatus end)
      assert.are.equal(3, a:wait())
      assert.are.equal(4, b:wait())
    end)
  end)

  it("runs trap handlers while the scheduler waits, and they can wake tasks", function()
    local q
    S.trap("USR1", function() q:push("usr1") end)
    local got = Task.run(function()
      q = Task.queue()
      local parent = P.pid()
      local pid = P.spawn("sh", "-c", "kill -USR1 " .. parent)
      local v = Task.timeout(10, q.pop, q)
      P.wait(pid)
      return v
    end)
    S.trap("USR1", "SYSTEM_DEFAULT")
    assert.are.equal("usr1", got)
  end)

  it("refuses a nested run with a clear error", function()
    local ok, err = pcall(Task.run, function() return Task.run(function() end) end)
    assert.is_false(ok)
    assert.matches("nested runs are refused", err)
  end)

  it("raises a deadlock when every task waits for another and nothing can wake them", function()
    local ok, err = pcall(Task.run, function()
      local q = Task.queue(1)
      return Task.spawn(function() return q:pop() end):wait()
    end)
    assert.is_false(ok)
    assert.matches("deadlock", err)
  end)
end)

describe("a task's failure", function()
  U.guard(before_each, after_each)

  it("raised in a task nobody waits for cancels the others and comes out of Task.run", function()
    local cleaned = false
    local t0 = now()
    local ok, err = pcall(Task.run, function()
      Task.spawn(function()
        local _ <close> = setmetatable({}, {__close = function() cleaned = true end})
        P.sleep(30)
      end)
      Task.spawn(function() Task.sleep(0.01) error("boom") end)
      P.sleep(30)
    end)
    assert.is_false(ok)
    assert.matches("boom", err)
    assert.matches("stack traceback", err)
    assert.matches("in a task", err)
    assert.is_true(cleaned, "the sibling's to-be-closed variable was not closed")
    assert.is_true(now() - t0 < 10)
  end)

  it("goes to the task that waits for it, unchanged", function()
    local v = Task.run(function()
      local t = Task.spawn(function() Task.sleep(0.01) error({code = 7}) end)
      local ok, err = pcall(t.wait, t)
      assert.is_false(ok)
      assert.are.equal(7, err.code)
      assert.are.equal("failed", t:status())
      return "handled"
    end)
    assert.are.equal("handled", v)
  end)

  it("of the root function comes out of Task.run as raised", function()
    local ok, err = pcall(Task.run, function() error({code = 9}) end)
    assert.is_false(ok)
    assert.are.equal(9, err.code)
  end)
end)

describe("t:cancel()", function()
  U.guard(before_each, after_each)

  -- Starts op in a task, lets it block, cancels it: the task must end
  -- with the cancellation error raised where it was blocked.
  local function cancelled_at(op, setup)
    return Task.run(function()
      local ctx = setup and setup() or {}
      local t = Task.spawn(op, ctx)
      settle()
      assert.are.equal("suspended", t:status())
      t:cancel()
      local ok, err = pcall(t.wait, t)
      if ctx.cleanup then ctx.cleanup() end
      assert.is_false(ok)
      assert.are.equal("ECANCELED", err.errno)
      assert.are.equal("cancelled", t:status())
      return true
    end)
  end

  local function pipe()
    local c = {}
    c.r, c.w = IO.pipe()
    c.cleanup = function() c.r:close() c.w:close() end
    return c
  end

  it("stops a read, a gets, a lines loop and a readpartial", function()
    assert.is_true(cancelled_at(function(c) return c.r:read(1) end, pipe))
    assert.is_true(cancelled_at(function(c) return c.r:gets() end, pipe))
    assert.is_true(cancelled_at(function(c) return c.r:lines()() end, pipe))
    assert.is_true(cancelled_at(function(c) return c.r:readpartial(10) end, pipe))
  end)

  it("stops a write to a full pipe", function()
    assert.is_true(cancelled_at(function(c) c.w:write(("x"):rep(1 << 20)) end, pipe))
  end)

  it("stops accept, recv and IO.select", function()
    local function server()
      local c = {s = Socket.tcp_server("127.0.0.1", 0)}
      c.cleanup = function() c.s:close() end
      return c
    end
    assert.is_true(cancelled_at(function(c) return c.s:accept() end, server))
    local function pair()
      local c = {}
      c.a, c.b = Socket.pair("UNIX", "STREAM")
      c.cleanup = function() c.a:close() c.b:close() end
      return c
    end
    assert.is_true(cancelled_at(function(c) return c.a:recv(10) end, pair))
    assert.is_true(cancelled_at(function(c) return IO.select({c.a}) end, pair))
  end)

  it("stops a connect that waits (a listener whose queue is full) and a copy_stream", function()
    local function full()
      local c = {s = Socket.tcp_server("127.0.0.1", 0, 0)}
      local _, port = c.s:local_address()
      c.port = port
      c.queued = {}
      -- fill the accept queue: further SYNs are dropped and connect waits
      for i = 1, 3 do
        local ok, sock = pcall(Socket.tcp_connect, "127.0.0.1", port, 0.2)
        if ok then c.queued[i] = sock end
      end
      c.cleanup = function()
        for _, q in pairs(c.queued) do q:close() end
        c.s:close()
      end
      return c
    end
    assert.is_true(cancelled_at(function(c) return Socket.tcp_connect("127.0.0.1", c.port) end,
                                full))
    local function pipes()
      local c = {name = os.tmpname()}
      local f = assert(io.open(c.name, "w"))
      f:write(("x"):rep(1 << 20))  -- more than the destination pipe holds
      f:close()
      c.src = IO.open(c.name)
      c.r, c.w = IO.pipe()
      c.cleanup = function()
        for _, k in ipairs{"src", "r", "w"} do c[k]:close() end
        os.remove(c.name)
      end
      return c
    end
    assert.is_true(cancelled_at(function(c) return IO.copy_stream(c.src, c.w) end, pipes))
  end)

  it("stops sleeps, pauses and signal waits", function()
    assert.is_true(cancelled_at(function() P.sleep(30) end))
    assert.is_true(cancelled_at(function() Task.sleep(30) end))
    assert.is_true(cancelled_at(function() S.pause(0) S.pause(30) end))
    assert.is_true(cancelled_at(function() S.wait("USR2", 30) end))
    S.trap("USR2", "SYSTEM_DEFAULT")
  end)

  it("stops a wait for a child; the child goes on and is reaped later", function()
    local pid
    assert.is_true(cancelled_at(function() pid = P.spawn("sleep", "30") P.wait(pid) end))
    P.kill("KILL", pid)
    P.wait(pid)
  end)

  it("kills and reaps what a capture, system or Open3 capture had started", function()
    -- U.guard fails the test if a child is left, running or as a zombie
    assert.is_true(cancelled_at(function() P.capture("sleep 30") end))
    assert.is_true(cancelled_at(function() P.system("sleep", "30") end))
    assert.is_true(cancelled_at(function() Open3.capture3("sleep", "30") end))
    assert.is_true(cancelled_at(function() P.capture("sleep", "30", {pgroup = true}) end))
  end)

  it("stops t:wait, a queue's pop and push and a semaphore's acquire", function()
    assert.is_true(cancelled_at(function() Task.spawn(Task.sleep, 0.2):wait() end))
    assert.is_true(cancelled_at(function() Task.queue(1):pop() end))
    assert.is_true(cancelled_at(function() local q = Task.queue(1) q:push(1) q:push(2) end))
    assert.is_true(cancelled_at(function() Task.semaphore(0):acquire() end))
  end)

  it("of a task that has not started yet: it never runs", function()
    local ran = false
    Task.run(function()
      local t = Task.spawn(function() ran = true end)
      t:cancel()
      assert.are.equal("ECANCELED", select(2, pcall(t.wait, t)).errno)
    end)
    assert.is_false(ran)
  end)

  it("lets a task that catches the cancellation go on", function()
    local v = Task.run(function()
      local t = Task.spawn(function()
        local ok, err = pcall(Task.sleep, 30)
        return ok, err.errno, "went on"
      end)
      settle()
      t:cancel()
      return {t:wait()}
    end)
    assert.are.same({false, "ECANCELED", "went on"}, v)
  end)
end)

describe("Task.timeout", function()
  U.guard(before_each, after_each)

  it("returns the function's results when it ends in time", function()
    local function two() return 1, 2 end
    assert.are.same({1, 2}, {Task.run(function() return Task.timeout(5, two) end)})
  end)

  it("raises a timeout error at the blocking point: read, wait, capture, pop", function()
    Task.run(function()
      local r, w = IO.pipe()
      local ok, err = pcall(Task.timeout, 0.05, r.read, r, 1)
      assert.is_false(ok)
      assert.are.equal("ETIMEDOUT", err.errno)
      assert.are.equal("Task.timeout", err.syscall)
      r:close() w:close()
      local pid = P.spawn("sleep", "30")
      assert.are.equal("ETIMEDOUT", select(2, pcall(Task.timeout, 0.05, P.wait, pid)).errno)
      P.kill("KILL", pid)
      P.wait(pid)
      local _, e = pcall(Task.timeout, 0.05, P.capture, "sleep 30")
      assert.are.equal("ETIMEDOUT", e.errno)
      local q = Task.queue(1)
      assert.are.equal("ETIMEDOUT", select(2, pcall(Task.timeout, 0.05, q.pop, q)).errno)
    end)
  end)

  it("nests: the earlier deadline wins; an outer one fires after an inner one ended", function()
    Task.run(function()
      local t0 = now()
      local ok, err = pcall(Task.timeout, 10, function()
        return Task.timeout(0.05, Task.sleep, 10)
      end)
      assert.is_false(ok)
      assert.are.equal("ETIMEDOUT", err.errno)
      assert.is_true(now() - t0 < 5)
      ok = pcall(Task.timeout, 0.1, function()
        Task.timeout(5, Task.sleep, 0.01)
        Task.sleep(10)
      end)
      assert.is_false(ok)
    end)
  end)
end)

describe("queues, semaphores and helpers", function()
  U.guard(before_each, after_each)

  it("a bounded queue blocks push when full and pop when empty; close ends both", function()
    Task.run(function()
      local q = Task.queue(2)
      local log = {}
      local producer = Task.spawn(function()
        for i = 1, 5 do q:push(i) log[#log + 1] = "pushed " .. i end
        q:close()
      end)
      settle()
      assert.are.same({"pushed 1", "pushed 2"}, log)
      assert.are.equal(2, #q)
      local got = {}
      for v in function() return q:pop() end do got[#got + 1] = v end
      producer:wait()
      assert.are.same({1, 2, 3, 4, 5}, got)
      assert.is_true(q:closed())
      assert.is_nil(q:pop())
      assert.matches("closed", select(2, pcall(q.push, q, 1)))
      local ok, err = pcall(Task.queue(1).pop, Task.queue(1), 0.01)
      assert.is_false(ok)
      assert.are.equal("ETIMEDOUT", err.errno)
    end)
  end)

  it("close wakes every waiting pop (nil) and push (an error)", function()
    Task.run(function()
      local empty, full = Task.queue(1), Task.queue(1)
      full:push(0)
      local pops = {Task.spawn(empty.pop, empty), Task.spawn(empty.pop, empty)}
      local push = Task.spawn(function() return pcall(full.push, full, 1) end)
      settle()
      empty:close()
      full:close()
      assert.is_nil(pops[1]:wait())
      assert.is_nil(pops[2]:wait())
      assert.is_false((push:wait()))
    end)
  end)

  it("a semaphore bounds how many tasks run a section at once", function()
    local inside, most = 0, 0
    Task.run(function()
      local sem = Task.semaphore(3)
      local ts = {}
      for i = 1, 10 do
        ts[i] = Task.spawn(sem.with, sem, function()
          inside = inside + 1
          most = math.max(most, inside)
          Task.sleep(0.01)
          inside = inside - 1
        end)
      end
      Task.all(ts)
    end)
    assert.are.equal(3, most)
  end)

  it("Task.all returns every task's results in order; Task.first the first to end", function()
    Task.run(function()
      local a = Task.spawn(function() Task.sleep(0.05) return "a", 1 end)
      local b = Task.spawn(function() return "b" end)
      local r = Task.all{a, b}
      assert.are.same({"a", 1, n = 2}, r[1])
      assert.are.same({"b", n = 1}, r[2])
      local slow = Task.spawn(Task.sleep, 5)
      local quick = Task.spawn(Task.sleep, 0.01)
      assert.are.equal(quick, Task.first{slow, quick})
      slow:cancel()
      local ok, err = pcall(Task.first, {Task.spawn(Task.sleep, 5)}, 0.01)
      assert.is_false(ok)
      assert.are.equal("ETIMEDOUT", err.errno)
    end)
  end)
end)

describe("Signal.wait", function()
  U.guard(before_each, after_each)
  after_each(function()
    for _, s in ipairs{"USR1", "USR2", "HUP"} do S.trap(s, "SYSTEM_DEFAULT") end
  end)

  it("returns each arrival once, lowest number first, none lost between waits", function()
    assert.is_nil(S.wait({"USR1", "USR2"}, 0))  -- starts watching
    P.kill("USR2", P.pid())
    P.kill("USR1", P.pid())
    P.kill("USR2", P.pid())
    assert.are.equal("USR1", S.wait{"USR1", "USR2"})
    assert.are.equal("USR2", S.wait{"USR1", "USR2"})
    assert.are.equal("USR2", S.wait("USR2"))
    assert.is_nil(S.wait({"USR1", "USR2"}, 0.01))
  end)

  it("waits inside a task while the others run, and a trap handler still runs", function()
    local ran = 0
    S.trap("HUP", function() ran = ran + 1 end)
    local got = Task.run(function()
      local w = Task.spawn(function() return S.wait({"HUP", "USR1"}, 10) end)
      settle()
      local pid = P.spawn("sh", "-c", "kill -HUP " .. P.pid())
      P.wait(pid)
      return w:wait()
    end)
    assert.are.equal("HUP", got)
    assert.are.equal(1, ran)
  end)

  it("refuses what it cannot wait for", function()
    assert.matches("no process can catch it", select(2, pcall(S.wait, "KILL")))
    assert.matches("unknown signal 'NOPE'", select(2, pcall(S.wait, {"HUP", "NOPE"})))
    assert.matches("no signal given", select(2, pcall(S.wait, {})))
    assert.matches("bad argument #2", select(2, pcall(S.wait, "HUP", 0 / 0)))
  end)
end)

describe("brood.task misused", function()
  U.guard(before_each, after_each)

  it("outside Task.run gives clear errors", function()
    assert.matches("no Task.run under way", select(2, pcall(Task.spawn, print)))
    assert.matches("not inside a task", select(2, pcall(Task.sleep, 1)))
    assert.matches("not inside a task", select(2, pcall(Task.yield)))
    assert.matches("not inside a task", select(2, pcall(Task.timeout, 1, print)))
    assert.matches("not inside a task", select(2, pcall(Task.queue(1).pop, Task.queue(1))))
    assert.is_nil(Task.current())
  end)

  it("survives a task's __gc called by hand while it is suspended", function()
    -- it used to unmap the stack the task would resume on: a crash
    local r = script([[
      print(Task.run(function()
        local t = Task.spawn(function() Task.sleep(0.05) return "alive" end)
        Task.yield()
        getmetatable(t).__gc(t)
        return t:wait()
      end))]])
    assert.are.equal(0, r.code, r.err)
    assert.are.equal("alive\n", r.out)
  end)

  it("refuses bad arguments, naming them", function()
    Task.run(function()
      assert.matches("bad argument #1", select(2, pcall(Task.sleep, -1)))
      assert.matches("bad argument #1", select(2, pcall(Task.sleep, 0 / 0)))
      assert.matches("bad argument #1", select(2, pcall(Task.spawn, 42)))
      assert.matches("bad argument #1", select(2, pcall(Task.queue, 0)))
      assert.matches("bad argument #1", select(2, pcall(Task.queue(1).push, Task.queue(1), nil)))
      assert.matches("bad argument #1", select(2, pcall(Task.semaphore, -1)))
      assert.matches("bad argument #1", select(2, pcall(Task.all, {1})))
      local me = Task.current()
      assert.matches("cannot wait for itself", select(2, pcall(me.wait, me)))
    end)
    assert.matches("bad argument #1", select(2, pcall(Task.run, "nope")))
  end)
end)

describe("Process.fork inside a task", function()
  it("runs only the forking code in the child, which then exits", function()
    local r = script([[
      local rd, wr = IO.pipe()
      Task.run(function()
        local other = Task.spawn(function()
          for _ = 1, 3 do wr:puts("other " .. P.pid()) Task.sleep(0.01) end
        end)
        local pid = P.fork()
        if pid == nil then
          wr:puts("child")
          P.sleep(0.05)  -- blocks for real: no scheduler here
          assert(not pcall(Task.sleep, 0.01))
          return
        end
        local _, st = P.wait2(pid)
        other:wait()
        wr:puts("child status " .. st.exitstatus)
      end)
      wr:close()
      local parent = P.pid()
      for line in rd:lines() do
        local pid = line:match("^other (%d+)")
        print(pid and (tonumber(pid) == parent and "other in parent" or "other in CHILD") or line)
      end]])
    assert.are.equal(0, r.code, r.err)
    assert.is_nil(r.out:find("CHILD"), r.out)
    assert.matches("\nchild\n", "\n" .. r.out)
    assert.matches("child status 0\n", r.out)
  end)

  it("lets the child start a run of its own, which runs none of the parent's tasks", function()
    local r = script([[
      Task.run(function()
        local waiter = Task.spawn(function() return Task.sleep(30) end)  -- suspended here
        local pid = P.fork(function()
          local got = Task.run(function()
            local t = Task.spawn(function() Task.sleep(0.01) return "child's task" end)
            return t:wait()
          end)
          print(got)
        end)
        P.wait(pid)
        waiter:cancel()
      end)
      print("parent done")]], {limit = 15})
    assert.are.equal(0, r.code, r.err)
    assert.are.equal("child's task\nparent done\n", r.out)
  end)
end)
