--[[go
c := make(chan os.Signal, 1)
signal.Notify(c, syscall.SIGKILL, syscall.SIGSTOP)
--]]
-- SIGKILL and SIGSTOP cannot be caught. Go accepts the Notify call and it has
-- no effect; brood's trap refuses it with an error, printed here. Added: a
-- child is then stopped by STOP (state T in /proc) and killed by KILL anyway.
local Process = require "brood.process"
local Signal = require "brood.signal"
local IO = require "brood.io"

local c = {}  -- the "channel": signals the handler received
local function notify(signo) c[#c + 1] = signo end
for _, name in ipairs({"KILL", "STOP"}) do
  local ok, err = pcall(Signal.trap, name, notify)
  print("trap " .. name .. ": " .. (ok and "accepted" or tostring(err)))
end

local r, w = IO.pipe()
local pid = Process.fork(function()
  r:close()
  w:write("ready")
  Process.sleep(10)
  print("child: not reached")
end)
w:close()
r:read(5)

local function state(p)
  return io.open("/proc/" .. p .. "/stat"):read("a"):match("%) (%a) ")
end

Process.kill("STOP", pid)
local _, status = Process.wait2(pid, Process.WUNTRACED)
print("child: " .. tostring(status) .. ", /proc state " .. state(pid))
Process.kill("KILL", pid)
_, status = Process.wait2(pid)
print("child: " .. tostring(status))
