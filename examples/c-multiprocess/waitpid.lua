--[[c
pid_t waitpid(pid_t pid,int *status,int options);
--]]
-- wait() blocks until some child has exited; waitpid() picks the child (a pid, or -1 for any)
-- and with WNOHANG returns at once -- nil where C returns 0 -- when it has not exited yet, so
-- the parent can poll between other work. Each wait removes a zombie.
local Process = require "brood.process"
local IO = require "brood.io"

local function state(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return nil end
  local s = (f:read("a") or ""):match("%) (%a) ")  -- ("": gone since the open)
  f:close()
  return s
end

-- wait(): blocks for any child
Process.fork(function() Process.exit(1) end)
local pid, status = Process.wait2()
print("wait: child " .. pid .. " exited with " .. status.exitstatus)

-- waitpid(pid, &status, WNOHANG): the child runs until the pipe is closed
local reader, writer = IO.pipe()
local busy = Process.fork(function()
  writer:close()
  reader:read("a")
  Process.exit(2)
end)
reader:close()
print("waitpid(busy, WNOHANG) while it runs: " .. tostring(Process.waitpid(busy, Process.WNOHANG)))
writer:close()
local polls = 0
repeat
  polls = polls + 1
  pid, status = Process.waitpid2(busy, Process.WNOHANG)
  if pid == nil then Process.sleep(0.01) end  -- other work would go here
until pid ~= nil or polls == 500                -- bounded: about 5 s
print(("waitpid(busy, WNOHANG) after %d polls: %s"):format(polls, tostring(status)))

-- waitpid(pid, ...) picks one child even when another has already exited
local first = Process.fork(function() Process.exit(4) end)
local second = Process.fork(function() Process.sleep(0.2) Process.exit(3) end)
pid, status = Process.waitpid2(second)
print("waitpid(second): " .. tostring(pid == second) .. ", exit " .. status.exitstatus)
local s = state(first)
for _ = 1, 200 do  -- bounded: up to 5 s
  if s == "Z" then break end
  Process.sleep(0.025)
  s = state(first)
end
print("first meanwhile: state " .. tostring(s))
pid, status = Process.waitpid2(-1, 0)
print("waitpid(-1): " .. tostring(pid == first) .. ", exit " .. status.exitstatus)
print("first after the wait: state " .. tostring(state(first)))
