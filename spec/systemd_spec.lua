-- brood.systemd against a real notification socket and Debian's
-- systemd-socket-activate (the socket-activation protocol as systemd
-- itself speaks it).
local U = require "spec.helpers.util"
local P = require "brood.process"
local IO = require "brood.io"
local Socket = require "brood.socket"
local systemd = require "brood.systemd"

-- Runs lua code in a new brood with env added; returns U.sh's result.
local function brood(code, env)
  return U.sh(U.quote(U.BROOD) .. " -e " .. U.quote(code), {env = env})
end

describe("systemd.notify", function()
  U.guard(before_each, after_each)
  -- each test's receiver, closed by the test's end (a to-be-closed value)
  local path, rx
  local function receiver()
    path = os.tmpname()
    os.remove(path)
    rx = Socket.unix_dgram(path)
    return setmetatable({}, {__close = function() rx:close() os.remove(path) end})
  end

  it("sends READY, STATUS, WATCHDOG, RELOADING, STOPPING, one datagram each", function()
    local _ <close> = receiver()
    local r = brood([[
      local systemd = require "brood.systemd"
      assert(systemd.ready("serving"))
      assert(systemd.watchdog())
      assert(systemd.reloading())
      assert(systemd.status("50% done"))
      assert(systemd.notify({MAINPID = 4242, STATUS = "x"}))
      assert(systemd.stopping())
      assert(systemd.notify("ERRNO=5\nSTATUS=failed", true))
      print(require("brood.process").env.NOTIFY_SOCKET)]], {NOTIFY_SOCKET = path})
    assert.are.equal("", r.err)
    assert.are.equal("nil\n", r.out)  -- removed by notify(..., true)
    assert.are.equal("READY=1\nSTATUS=serving", rx:recv(4096))
    assert.are.equal("WATCHDOG=1", rx:recv(4096))
    assert.matches("^MONOTONIC_USEC=%d+\nRELOADING=1$", rx:recv(4096))
    assert.are.equal("STATUS=50% done", rx:recv(4096))
    assert.are.equal("MAINPID=4242\nSTATUS=x", rx:recv(4096))
    assert.are.equal("STOPPING=1", rx:recv(4096))
    assert.are.equal("ERRNO=5\nSTATUS=failed", rx:recv(4096))
  end)

  it("reaches an abstract socket (@name)", function()
    local name = "@brood-spec-" .. P.pid()
    local arx = Socket.unix_dgram(name)
    local r = brood([[print(require("brood.systemd").ready())]], {NOTIFY_SOCKET = name})
    assert.are.equal("true\n", r.out)
    assert.are.equal("READY=1", arx:recv(100))
    arx:close()
  end)

  it("does nothing and returns false without NOTIFY_SOCKET, as sd_notify", function()
    local _ <close> = receiver()
    local r = brood([[
      local P = require "brood.process"
      P.env.NOTIFY_SOCKET = nil
      print(require("brood.systemd").ready())]])
    assert.are.equal("false\n", r.out)
    assert.are.same({nil, "EAGAIN"}, {rx:recv(100, Socket.MSG_DONTWAIT)})
  end)

  it("raises for an address that is no path, one nobody listens on, and bad states", function()
    local _ <close> = receiver()
    local r = brood([[
      local ok, err = pcall(require("brood.systemd").ready)
      print(err.errno, err.syscall)]], {NOTIFY_SOCKET = "relative/path"})
    assert.are.equal("EINVAL\tsd_notify\n", r.out)
    r = brood([[
      local ok, err = pcall(require("brood.systemd").ready)
      print(err.errno)]], {NOTIFY_SOCKET = path .. ".nobody"})
    assert.are.equal("ENOENT\n", r.out)
    assert.has_error(function() systemd.notify() end)
    assert.has_error(function() systemd.notify("") end)
    assert.has_error(function() systemd.notify({}) end)
    assert.has_error(function() systemd.notify({ready = 1}) end)
    assert.has_error(function() systemd.notify({STATUS = "a\nb"}) end)
    assert.has_error(function() systemd.notify({STATUS = {}}) end)
  end)
end)

describe("systemd.watchdog_interval", function()
  it("reads WATCHDOG_USEC for this process only", function()
    local code = [[print(require("brood.systemd").watchdog_interval(true),
                         require("brood.process").env.WATCHDOG_USEC)]]
    assert.are.equal("nil\tnil\n", brood(code).out)
    assert.are.equal("2.5\tnil\n", brood(code, {WATCHDOG_USEC = "2500000"}).out)
    assert.are.equal("nil\tnil\n", brood(code, {WATCHDOG_USEC = "2500000", WATCHDOG_PID = "1"}).out)
    assert.are.equal("nil\tnil\n", brood(code, {WATCHDOG_USEC = "soon"}).out)
  end)
end)

describe("systemd.listen_fds", function()
  U.guard(before_each, after_each)

  it("takes the sockets systemd-socket-activate passed, and serves curl on them", function()
    local probe = Socket.tcp_server("127.0.0.1", 0)
    local _, port = probe:local_address()
    probe:close()
    local server = U.tmpfile([[
      local systemd = require "brood.systemd"
      local P = require "brood.process"
      local socks, names = systemd.listen_fds()
      assert(P.env.LISTEN_FDS == nil and P.env.LISTEN_PID == nil, "the variables stay")
      assert(socks[1]:close_on_exec(), "not close-on-exec")
      local c = socks[1]:accept()
      repeat local line = c:read("l") until line == nil or line == "\r" or line == ""
      local body = ("%d socket(s), the first named %s\n"):format(#socks, names[1])
      c:write("HTTP/1.0 200 OK\r\nContent-Length: ", #body, "\r\n\r\n", body)
      c:close()]])
    local r, w = IO.pipe()
    local activator = P.spawn("systemd-socket-activate", "-l", "127.0.0.1:" .. port,
                              "--fdname=web", U.BROOD, server, {err = w})
    w:close()
    assert.matches("^Listening on", r:gets())  -- bound: curl may come
    local out, st = P.capture("curl", "-s", "--max-time", "20", "http://127.0.0.1:" .. port .. "/")
    r:close()
    local _, done = P.wait2(activator)
    os.remove(server)
    assert.is_true(st.success)
    assert.are.equal("1 socket(s), the first named web\n", out)
    assert.is_true(done.success)
  end)

  it("takes none meant for another process, and keeps the variables when asked", function()
    local code = [[
      local systemd = require "brood.systemd"
      local P = require "brood.process"
      if P.env.LISTEN_PID == "self" then P.env.LISTEN_PID = tostring(P.pid()) end
      local socks, names = systemd.listen_fds(P.env.KEEP == "1")
      print(#socks, names[1], names[2], P.env.LISTEN_FDS)]]
    assert.are.equal("0\tnil\tnil\tnil\n", brood(code, {LISTEN_PID = "1", LISTEN_FDS = "1"}).out)
    assert.are.equal("0\tnil\tnil\tnil\n", brood(code).out)
    -- fds 3 and 4 exist in the child: a pipe passed by spawn
    local a, b = IO.pipe()
    local out = P.capture({LISTEN_PID = "self", LISTEN_FDS = "2", LISTEN_FDNAMES = "one",
                           KEEP = "1"}, U.BROOD, "-e", code, {[3] = a, [4] = b})
    a:close()
    b:close()
    assert.are.equal("2\tone\tunknown\t2\n", out)
  end)
end)
