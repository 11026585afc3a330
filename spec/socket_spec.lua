-- brood.socket over socket pairs and loopback TCP and UNIX sockets.
local U = require "spec.helpers.util"
local IO = require "brood.io"
local P = require "brood.process"
local Socket = require "brood.socket"

describe("Socket.pair", function()
  U.guard(before_each, after_each)

  it("keeps message boundaries on DGRAM, both ways (the book's example)", function()
    local child_socket, parent_socket = Socket.pair("UNIX", "DGRAM", 0)
    local maxlen = 1000
    local pid = P.fork(function()
      parent_socket:close()
      for _ = 1, 4 do
        local instruction = child_socket:recv(maxlen)
        child_socket:send(instruction .. " accomplished!", 0)
      end
    end)
    child_socket:close()
    for _ = 1, 2 do parent_socket:send("Heavy lifting", 0) end
    for _ = 1, 2 do parent_socket:send("Feather lifting", 0) end
    local got = {}
    for i = 1, 4 do got[i] = parent_socket:recv(maxlen) end
    assert.are.same({"Heavy lifting accomplished!", "Heavy lifting accomplished!",
                     "Feather lifting accomplished!", "Feather lifting accomplished!"}, got)
    P.wait(pid)
    parent_socket:close()
  end)

  it("keeps boundaries on SEQPACKET, and an empty datagram is an empty string", function()
    local a, b = Socket.pair("AF_UNIX", "SOCK_SEQPACKET")
    a:send("one")
    a:send("")
    a:send("three")
    assert.are.equal("one", b:recv(100))
    assert.are.equal("", b:recv(100))
    assert.are.equal("thr", b:recv(3))  -- the rest of that message is dropped
    a:close()
    b:close()
  end)

  it("streams on STREAM: recv returns what is there, nil at end", function()
    local a, b = Socket.pair("UNIX", "STREAM")
    a:send("abc")
    a:send("def")
    assert.are.equal("abcdef", b:recv(100))
    a:puts("a line")
    assert.are.equal("a line\n", b:gets())
    a:close()
    assert.is_nil(b:recv(100))
    b:close()
  end)

  it("recv with MSG_PEEK leaves the data, with MSG_DONTWAIT never waits", function()
    local a, b = Socket.pair("UNIX", "DGRAM")
    assert.are.same({nil, "EAGAIN"}, {b:recv(10, Socket.MSG_DONTWAIT)})
    a:send("peeked")
    assert.are.equal("peeked", b:recv(10, Socket.MSG_PEEK))
    assert.are.equal("peeked", b:recv(10))
    a:close()
    b:close()
  end)

  it("shutdown ends one direction", function()
    local a, b = Socket.pair("UNIX", "STREAM")
    a:shutdown("WR")
    assert.is_nil(b:recv(10))
    b:send("still the other way")
    assert.are.equal("still the other way", a:recv(100))
    a:close_write()
    b:close_read()
    a:close()
    b:close()
  end)

  it("passes descriptors between processes with send_io / recv_io", function()
    local a, b = Socket.pair("UNIX", "STREAM")
    local name = os.tmpname()
    local pid = P.fork(function()
      b:close()
      local f = IO.open(name, "w")
      a:send_io(f)
      f:close()  -- the receiver keeps its own descriptor
      local r, w = IO.pipe()
      a:send_io(r)
      w:write("through a passed pipe")
      w:close()
      r:close()
    end)
    a:close()
    local f = b:recv_io()
    f:write("written by the parent into the child's file")
    f:close()
    local r = b:recv_io()
    assert.are.equal("through a passed pipe", r:read("a"))
    r:close()
    assert.is_nil(b:recv_io())
    P.wait(pid)
    b:close()
    assert.are.equal("written by the parent into the child's file", U.slurp(name))
    os.remove(name)
  end)

  it("runs trap handlers while recv waits, then receives", function()
    local S = require "brood.signal"
    local hits = 0
    S.trap("USR1", function() hits = hits + 1 end)
    local a, b = Socket.pair("UNIX", "DGRAM")
    local pid = P.fork(function()
      for _ = 1, 3 do P.sleep(0.03) P.kill("USR1", P.ppid()) end
      a:send("after the signals")
    end)
    assert.are.equal("after the signals", b:recv(100))
    assert.are.equal(3, hits)
    P.wait(pid)
    a:close()
    b:close()
    S.trap("USR1", "SYSTEM_DEFAULT")
  end)

  it("reads by the type of the socket under the object, after a reopen too", function()
    local d1, d2 = Socket.pair("UNIX", "DGRAM")
    local s1, s2 = Socket.pair("UNIX", "STREAM")
    d1:send("")                          -- an empty datagram: a message, not the end
    assert.are.equal("", d2:recv(100))   -- (its type looked up: a message socket)
    d2:reopen(s2)                        -- the same object, now a stream
    s2:close()
    s1:send("last words")
    s1:close()
    local got, reads = {}, 0
    repeat
      local chunk = d2:recv(100)
      reads = reads + 1
      got[#got + 1] = chunk
    until chunk == nil or reads > 100
    d1:close()
    d2:close()
    assert.are.equal("last words", table.concat(got))
    assert.is_true(reads <= 3, "the end of a stream read as empty messages")
  end)

  it("rejects unknown domains and types", function()
    assert.has_error(function() Socket.pair("MARS", "STREAM") end)
    assert.has_error(function() Socket.pair("UNIX", "RIVER") end)
  end)
end)

describe("TCP sockets on loopback", function()
  U.guard(before_each, after_each)

  it("serves and connects over IPv4, on a port the kernel picks", function()
    local server = Socket.tcp_server("127.0.0.1", 0)
    local host, port = server:local_address()
    assert.are.equal("127.0.0.1", host)
    assert.is_true(port > 0)
    local pid = P.fork(function()
      local c = server:accept()
      local line = c:gets()
      c:puts("echo: " .. line)
      c:close()
    end)
    local c = Socket.tcp_connect("127.0.0.1", port, 5)
    c:puts("hello")
    assert.are.equal("echo: hello\n", c:read("a"))
    local rhost, rport = c:remote_address()
    assert.are.same({"127.0.0.1", port}, {rhost, rport})
    c:close()
    P.wait(pid)
    server:close()
  end)

  it("works over IPv6 too", function()
    local ok, server = pcall(Socket.tcp_server, "::1", 0)
    if not ok then
      pending("no IPv6 loopback on this machine: " .. tostring(server))
      return
    end
    local _, port = server:local_address()
    local pid = P.fork(function() server:accept():puts("v6") end)
    local c = Socket.tcp_connect("::1", port)
    assert.are.equal("v6\n", c:gets())
    assert.are.equal("::1", (c:local_address()))
    c:close()
    P.wait(pid)
    server:close()
  end)

  it("refuses a connection to a closed port with ECONNREFUSED", function()
    local server = Socket.tcp_server("127.0.0.1", 0)
    local _, port = server:local_address()
    server:close()
    local ok, err = pcall(Socket.tcp_connect, "127.0.0.1", port)
    assert.is_false(ok)
    assert.are.equal("ECONNREFUSED", err.errno)
    assert.matches("connect 127.0.0.1:%d+", tostring(err))
  end)

  it("times a connection attempt out", function()
    -- a listening socket whose backlog is full does not answer SYNs
    local server = Socket.tcp_server("127.0.0.1", 0, 0)
    local _, port = server:local_address()
    local held = {}
    local ok, err
    for _ = 1, 20 do
      ok, err = pcall(Socket.tcp_connect, "127.0.0.1", port, 0.2)
      if not ok then break end
      held[#held + 1] = err
    end
    assert.is_false(ok)
    assert.are.equal("ETIMEDOUT", err.errno)
    for _, c in ipairs(held) do c:close() end
    server:close()
  end)

  it("lets a preforking server's 4 workers answer 200 connections", function()
    local server = Socket.tcp_server("127.0.0.1", 0)
    local _, port = server:local_address()
    local workers = {}
    for i = 1, 4 do
      workers[i] = P.fork(function()
        while true do
          local connection = server:accept()
          connection:puts("Hello from worker " .. i)
          connection:close()
        end
      end)
    end
    server:close()  -- the parent only keeps the workers
    local seen = {}
    for _ = 1, 200 do
      local c = Socket.tcp_connect("127.0.0.1", port, 5)
      assert.is_truthy(IO.select({c}, nil, nil, 10), "no answer within 10 s")
      local line = c:gets()
      c:close()
      local w = line:match("^Hello from worker (%d)\n$")
      assert.is_truthy(w, line)
      seen[w] = (seen[w] or 0) + 1
    end
    for _, pid in ipairs(workers) do P.kill("TERM", pid) end
    for _, pid in ipairs(workers) do P.wait(pid) end
    local total = 0
    for _, n in pairs(seen) do total = total + n end
    assert.are.equal(200, total)
  end)
end)

describe("UNIX sockets", function()
  U.guard(before_each, after_each)

  it("serves and connects through a path", function()
    local path = os.tmpname()
    os.remove(path)
    local server = Socket.unix_server(path)
    assert.are.equal(path, server:local_address())
    local pid = P.fork(function()
      local c = server:accept()
      c:send(c:recv(100):upper())
      c:close()
    end)
    local c = Socket.unix_connect(path)
    c:send("quiet")
    assert.are.equal("QUIET", c:recv(100))
    c:close()
    P.wait(pid)
    server:close()
    assert.are.equal("EADDRINUSE", select(2, pcall(Socket.unix_server, path)).errno)
    os.remove(path)
    assert.are.equal("ENOENT", select(2, pcall(Socket.unix_connect, path)).errno)
  end)

  it("runs trap handlers while accept waits", function()
    local S = require "brood.signal"
    local path = os.tmpname()
    os.remove(path)
    local server = Socket.unix_server(path)
    local hits = 0
    S.trap("USR1", function() hits = hits + 1 end)
    local pid = P.fork(function()
      P.kill("USR1", P.ppid())
      P.sleep(0.1)
      Socket.unix_connect(path):close()
    end)
    server:accept():close()
    assert.are.equal(1, hits)
    P.wait(pid)
    server:close()
    os.remove(path)
    S.trap("USR1", "SYSTEM_DEFAULT")
  end)
end)

describe("accept on a listening socket shut down for reading", function()
  it("raises EINVAL instead of spinning, with traps set and inside a task", function()
    -- such a socket polls readable for ever while accept finds nothing:
    -- a wait-then-accept loop used to spin at 100 % CPU there
    local r = U.script([[
      local Socket, S, Task = require "brood.socket", require "brood.signal", require "brood.task"
      S.trap("USR2", function() end)
      local name = os.tmpname()
      os.remove(name)
      local srv = Socket.unix_server(name)
      srv:close_read()
      local ok, err = pcall(srv.accept, srv)
      print(ok, err.errno)
      print(Task.run(function()
        local t = Task.spawn(function() local _, e = pcall(srv.accept, srv) return e.errno end)
        return t:wait()
      end))
      os.remove(name)]], nil, {limit = 20})
    assert.are.equal(0, r.code, r.err)
    assert.are.equal("false\tEINVAL\nEINVAL\n", r.out)
  end)
end)

describe("a socket whose mode a dup changed (set_nonblock acts on the shared open file)", function()
  U.guard(before_each, after_each)

  -- Runs fn in a child and returns its pid once it waits in the kernel
  -- (S), not in a loop of calls (R).
  local function waiting(fn)
    local pid = P.fork(fn)
    local settled = U.eventually(function() return U.procstate(pid) == "S" end, 5)
    if not settled then P.kill("KILL", pid) P.wait(pid) end
    assert.is_truthy(settled, "the child never settled into a wait")
    return pid
  end

  local function ended(pid)
    local st = U.eventually(function() return select(2, P.wait2(pid, P.WNOHANG)) end, 5)
    if not st then P.kill("KILL", pid) P.wait(pid) end
    assert.is_truthy(st, "the child went on waiting")
    return st
  end

  it("recv, made non-blocking behind its back, waits instead of spinning", function()
    local a, b = Socket.pair("UNIX", "STREAM")
    local pid = waiting(function()
      b:close()
      a:set_nonblock(false)
      a:dup():set_nonblock(true)
      P.exit(a:recv(10) == "hi" and 0 or 1)
    end)
    a:close()
    b:send("hi")
    assert.is_true(ended(pid).success)
    b:close()
  end)

  it("accept, made blocking behind its back, still lets a trap handler raise", function()
    local S = require "brood.signal"
    local server = Socket.tcp_server("127.0.0.1", 0)
    -- set before the fork: the child has it from its first instruction
    S.trap("USR1", function() error("interrupted", 0) end)
    local pid = waiting(function()
      server:dup():set_nonblock(false)
      local ok, err = pcall(server.accept, server)
      P.exit((not ok and err == "interrupted") and 0 or 1)
    end)
    S.trap("USR1", "SYSTEM_DEFAULT")
    server:close()
    P.kill("USR1", pid)
    assert.is_true(ended(pid).success)
  end)
end)

describe("accept with a timeout, and accept_nonblock", function()
  U.guard(before_each, after_each)

  it("accept(timeout) gives nil, 'ETIMEDOUT' when nobody comes, a socket when one does", function()
    local server = Socket.tcp_server("127.0.0.1", 0)
    local _, port = server:local_address()
    local t0 = P.clock_gettime("MONOTONIC")
    local c, err = server:accept(0.2)
    local dt = P.clock_gettime("MONOTONIC") - t0
    assert.is_nil(c)
    assert.are.equal("ETIMEDOUT", err)
    assert.is_true(dt >= 0.2 and dt < 5, dt)
    local client = Socket.tcp_connect("127.0.0.1", port)
    local conn = server:accept(5)
    client:write("hi")
    client:close()
    assert.are.equal("hi", conn:read("a"))
    conn:close()
    assert.is_nil((server:accept(0)))
    assert.has_error(function() server:accept(-1) end)
    assert.has_error(function() server:accept(0 / 0) end)
    assert.has_error(function() server:accept(1, 2) end)
    server:close()
  end)

  it("accept_nonblock never waits: nil, 'EAGAIN', then the client", function()
    local server = Socket.tcp_server("127.0.0.1", 0)
    local _, port = server:local_address()
    server:set_nonblock(false)
    assert.are.same({nil, "EAGAIN"}, {server:accept_nonblock()})
    local client = Socket.tcp_connect("127.0.0.1", port)
    local conn = U.eventually(function() return server:accept_nonblock() end, 5)
    assert.is_truthy(conn)
    client:write("x")
    assert.are.equal("x", conn:read(1))
    conn:close()
    client:close()
    -- accept still waits as before on the listener it left non-blocking
    local pid = P.fork(function() P.sleep(0.1) Socket.tcp_connect("127.0.0.1", port):close() end)
    server:accept():close()
    P.wait(pid)
    server:close()
  end)
end)

describe("UNIX datagram sockets", function()
  U.guard(before_each, after_each)

  it("unix_dgram(path) receives what send(msg, 0, path) sends, one datagram each", function()
    local path = os.tmpname()
    os.remove(path)
    local rx = Socket.unix_dgram(path)
    local tx = Socket.unix_dgram()
    assert.are.equal(5, tx:send("hello", 0, path))
    assert.are.equal(0, tx:send("", 0, path))
    assert.are.equal(6, tx:send("world!", 0, path))
    assert.are.equal("hello", rx:recv(100))
    assert.are.equal("", rx:recv(100))
    assert.are.equal("wor", rx:recv(3))  -- the rest of a datagram is dropped
    tx:close()
    rx:close()
    os.remove(path)
  end)

  it("names starting with @ are abstract: no file; unix_server/connect take them too", function()
    local name = "@brood-socket-spec-" .. P.pid()
    local rx = Socket.unix_dgram(name)
    local tx = Socket.unix_dgram()
    tx:send("x", 0, name)
    assert.are.equal("x", rx:recv(10))
    assert.is_nil(io.open(name))
    local server = Socket.unix_server(name .. "-stream")
    local c = Socket.unix_connect(name .. "-stream")
    local a = server:accept()
    c:write("y")
    assert.are.equal("y", a:read(1))
    for _, s in ipairs{rx, tx, server, c, a} do s:close() end
  end)

  it("refuses what is no address, and a path nobody binds", function()
    local tx = Socket.unix_dgram()
    assert.has_error(function() tx:send("x", 0, "") end)
    assert.has_error(function() tx:send("x", 0, ("p"):rep(200)) end)
    assert.has_error(function() tx:send("x", 0, "a\0b") end)
    assert.has_error(function() tx:send("x", 0, "/x", 1) end)
    local ok, err = pcall(tx.send, tx, "x", 0, "/nonexistent/brood.sock")
    assert.is_false(ok)
    assert.are.equal("ENOENT", err.errno)
    tx:close()
    assert.has_error(function() Socket.unix_dgram("/nonexistent/dir/sock") end)
    assert.has_error(function() Socket.unix_dgram({}) end)
  end)
end)
