--- brood.supervisor: running other programs and keeping them running.
-- Supervisor.init is what `brood --init -- command...` runs: the first
-- process of a container (tini's job) or a subreaper anywhere else.
local Process = require "brood.process"
local Signal = require "brood.signal"

local M = {}

-- Signals init never forwards: the ones the kernel sends a process for
-- its own faults, the terminal's stop-on-read/write ones, the ones no
-- process can catch, and CHLD, which is init's own business (tini's
-- list).
local KEEP = {SEGV = true, BUS = true, ILL = true, FPE = true, ABRT = true, IOT = true,
              TRAP = true, SYS = true, TTIN = true, TTOU = true, KILL = true, STOP = true,
              CHLD = true, CLD = true, EXIT = true}

-- Every signal init passes on, sorted by number (one name per number).
local function forwarded()
  local bynum = {}
  for name, num in pairs(Signal.list()) do
    if not KEEP[name] and num > 0 and (not bynum[num] or #name < #bynum[num]) then
      bynum[num] = name
    end
  end
  local list = {}
  for num in pairs(bynum) do list[#list + 1] = num end
  table.sort(list)
  for i, num in ipairs(list) do list[i] = bynum[num] end
  return list
end

local function argerror(n, msg)
  error(("bad argument #%d to 'init' (%s)"):format(n, msg), 3)
end

--- Supervisor.init(argv[, options]) -> the exit code to end with.
-- Runs the command (a list: program and arguments) in a process group
-- of its own -- the terminal's foreground group when there is one --
-- passes every signal it gets on to it, reaps every child (its own and
-- the orphans the kernel gives it: it is PID 1 or becomes a subreaper),
-- and returns once the command has ended: its exit status, or 128 + the
-- signal that killed it, as a shell reports it. options.group = true
-- sends the signals to the command's whole process group instead.
function M.init(argv, opts)
  if type(argv) ~= "table" or type(argv[1]) ~= "string" then
    argerror(1, "a command expected: {program, args...}")
  end
  if opts ~= nil and type(opts) ~= "table" then argerror(2, "options table expected") end
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "group" then argerror(2, ("unknown option '%s'"):format(tostring(k))) end
  end
  if Process.pid() ~= 1 then Process.subreaper(true) end
  local signals = forwarded()
  signals[#signals + 1] = "CHLD"
  -- from here on every one of them is queued for Signal.wait, so none
  -- that comes while the command starts is lost
  Signal.wait(signals, 0)
  local cmd = {table.unpack(argv)}
  cmd[#cmd + 1] = {foreground = true}
  local child = Process.spawn(table.unpack(cmd))
  local target = opts.group and -child or child
  local status
  while true do
    -- reap whatever has ended: the command, and orphans adopted
    while true do
      local ok, pid, st = pcall(Process.wait2, -1, Process.WNOHANG)
      if not ok or not pid then break end
      if pid == child then status = st end
    end
    if status then break end
    local sig = Signal.wait(signals)
    if sig ~= "CHLD" then pcall(Process.kill, sig, target) end
  end
  if status.exitstatus then return status.exitstatus end
  return 128 + status.termsig
end

return M
