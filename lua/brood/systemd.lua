--- brood.systemd: talking to systemd (or any service manager that speaks
-- its protocols) without libsystemd. notify is sd_notify(3): one
-- datagram of "KEY=value" lines to $NOTIFY_SOCKET. listen_fds is
-- sd_listen_fds(3): the sockets a socket unit opened for us, from fd 3
-- on. watchdog_interval is sd_watchdog_enabled(3).
local Process = require "brood.process"
local Socket = require "brood.socket"
local IO = require "brood.io"

local M = {}

local LISTEN_FDS_START = 3

-- "bad argument" at the user's line, past this module's own frames
local argerror = require("brood._run").argerror

-- "KEY=value\n..." from a string, or from a table (keys sorted, values
-- turned to strings; a newline inside a value is refused).
local function message(fname, state)
  if type(state) == "string" then
    if state == "" then argerror(fname, 1, "empty state") end
    return state
  end
  if type(state) ~= "table" then argerror(fname, 1, "string or table expected") end
  local keys = {}
  for k, v in next, state do  -- raw: a metatable's __pairs runs nothing
    if type(k) ~= "string" or not k:match("^[%u%d_]+$") then
      argerror(fname, 1, "keys must be names such as READY or STATUS")
    end
    if type(v) ~= "string" and type(v) ~= "number" and type(v) ~= "boolean" then
      argerror(fname, 1, ("value of %s must be a string or a number"):format(k))
    end
    keys[#keys + 1] = k
  end
  if #keys == 0 then argerror(fname, 1, "empty state") end
  table.sort(keys)
  local lines = {}
  for i, k in ipairs(keys) do
    local v = rawget(state, k)
    if v == true then v = "1" elseif v == false then v = "0" end
    v = tostring(math.tointeger(v) or v)
    if v:find("\n", 1, true) then argerror(fname, 1, ("value of %s has a newline"):format(k)) end
    lines[i] = k .. "=" .. v
  end
  return table.concat(lines, "\n")
end

-- Sends state for the function the user called (fname).
local function send(fname, state, unset)
  local msg = message(fname, state)
  local path = Process.env.NOTIFY_SOCKET
  if unset then Process.env.NOTIFY_SOCKET = nil end
  if path == nil or path == "" then return false end
  if not (path:sub(1, 1) == "/" or path:sub(1, 1) == "@") then
    error(require("brood._core").error{errno = "EINVAL", code = 22, syscall = "sd_notify",
      subject = path, message = "NOTIFY_SOCKET must be a path or an @abstract name"}, 3)
  end
  local sock <close> = Socket.unix_dgram()
  sock:send(msg, 0, path)
  return true
end

--- systemd.notify(state[, unset]) -> true if sent; false when there is
-- no $NOTIFY_SOCKET (not started by systemd: nothing to do, as
-- sd_notify). state: "READY=1\nSTATUS=up" or {READY = 1, STATUS = "up"}.
-- With unset, $NOTIFY_SOCKET is removed from the environment first, so
-- children do not inherit it. A path or "@abstract" name; anything else
-- raises EINVAL.
function M.notify(state, unset)
  return send("notify", state, unset)
end

local function optstring(fname, v)
  if v ~= nil and type(v) ~= "string" then argerror(fname, 1, "string expected") end
  return v
end

--- Shorthands for the usual states.
function M.ready(status)
  status = optstring("ready", status)
  return send("ready", status and {READY = 1, STATUS = status} or {READY = 1})
end
function M.reloading()
  -- systemd 253 and later also want the time, to match the reload up
  local usec = math.floor(Process.clock_gettime("MONOTONIC") * 1e6)
  return send("reloading", {RELOADING = 1, MONOTONIC_USEC = usec})
end
function M.stopping() return send("stopping", {STOPPING = 1}) end
function M.status(text)
  if type(text) ~= "string" then argerror("status", 1, "string expected") end
  return send("status", {STATUS = text})
end
function M.watchdog() return send("watchdog", {WATCHDOG = 1}) end

--- systemd.watchdog_interval([unset]) -> seconds, or nil: how often the
-- service manager wants WATCHDOG=1 ($WATCHDOG_USEC; nil when it is not
-- set, or $WATCHDOG_PID names another process). Send it at half that.
function M.watchdog_interval(unset)
  local usec, pid = Process.env.WATCHDOG_USEC, Process.env.WATCHDOG_PID
  if unset then
    Process.env.WATCHDOG_USEC = nil
    Process.env.WATCHDOG_PID = nil
  end
  usec = tonumber(usec)
  if not usec or usec <= 0 or usec ~= math.floor(usec) then return nil end
  if pid and tonumber(pid) ~= Process.pid() then return nil end
  return usec / 1e6
end

--- systemd.listen_fds([keep]) -> list of IO objects, list of names.
-- The sockets passed by socket activation: $LISTEN_FDS of them from fd
-- 3, when $LISTEN_PID is this process (else none: they were meant for
-- another); names from $LISTEN_FDNAMES ("unknown" when absent). They
-- are made close-on-exec, and the variables are removed (unless keep),
-- as sd_listen_fds(1) does, so that children do not take them for theirs.
function M.listen_fds(keep)
  local pid, n, names = Process.env.LISTEN_PID, Process.env.LISTEN_FDS, Process.env.LISTEN_FDNAMES
  if not keep then
    Process.env.LISTEN_PID, Process.env.LISTEN_FDS, Process.env.LISTEN_FDNAMES = nil, nil, nil
  end
  local fds, list = {}, {}
  pid, n = math.tointeger(tonumber(pid)), math.tointeger(tonumber(n))
  if not pid or pid ~= Process.pid() or not n or n <= 0 then return fds, list end
  local namelist = {}
  for name in ((names or "") .. ":"):gmatch("([^:]*):") do namelist[#namelist + 1] = name end
  for i = 1, n do
    local io = IO.for_fd(LISTEN_FDS_START + i - 1)
    io:close_on_exec(true)
    fds[i] = io
    list[i] = (namelist[i] ~= nil and namelist[i] ~= "") and namelist[i] or "unknown"
  end
  return fds, list
end

return M
