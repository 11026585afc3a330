--[[go
// 注册子进程函数
func init() {
	Register("childProcess", childProcess)
	if Init() {
		os.Exit(0)
	}
}

// 子进程调用的函数
func childProcess() {
	fmt.Println("Hi, I am a child Process.")
	fmt.Printf("My pid is: %d\n", os.Getpid())
	fmt.Println("End child process.")
}

func main() {
	cmd := Command("childProcess")
	cmd.Stdin = os.Stdin
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr

	if err := cmd.Start(); err != nil { // 创建子进程
		fmt.Printf("failed to run command: %s", err)
	}

	time.Sleep(30 * time.Second)

	fmt.Println("End parent process.")
}
--]]
-- The child prints and exits while the parent sleeps without waiting for it: until the parent
-- waits (or ends) the child is a zombie. The parent sleeps ZOMBIE_SECONDS (default 0.5, 30 in
-- the original); added: it prints the child's state from /proc, then reaps it.
local Process = require "brood.process"

-- The fork wrapper the document leaves out, after Docker's reexec: Command runs this script
-- again (Process.spawn(arg[-1], arg[0])) with REEXEC_NAME naming the registered function, and
-- Init in that child runs it.
local registered = {}
local function Register(name, fn) registered[name] = fn end
local function Init()
  local fn = registered[os.getenv("REEXEC_NAME") or ""]
  if fn then fn() return true end
  return false
end
local Cmd = {}
Cmd.__index = Cmd
local function Command(name) return setmetatable({name = name}, Cmd) end
function Cmd:Start()  -- returns an error message or nil, as Go's err
  local ok, pid = pcall(Process.spawn, {REEXEC_NAME = self.name}, arg[-1], arg[0],
    {["in"] = self.Stdin, out = self.Stdout, err = self.Stderr})
  if not ok then return tostring(pid) end
  self.Process = {Pid = pid}
end
function Cmd:Wait()
  local _, status = Process.wait2(self.Process.Pid)
  self.ProcessState = status
  if not status.success then return tostring(status) end
end
local os_Stdin, os_Stdout, os_Stderr = "in", "out", "err"  -- the parent's own streams

local function state(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return nil end
  local s = (f:read("a") or ""):match("%) (%a) ")  -- ("": gone since the open)
  f:close()
  return s
end

-- the function the child runs
local function childProcess()
  print("Hi, I am a child Process.")
  print(("My pid is: %d"):format(Process.pid()))
  print("End child process.")
end

-- init: register the child's function
Register("childProcess", childProcess)
if Init() then
  Process.exit(0)
end

-- main
local cmd = Command("childProcess")
cmd.Stdin = os_Stdin
cmd.Stdout = os_Stdout
cmd.Stderr = os_Stderr

local err = cmd:Start()  -- create the child
if err ~= nil then
  io.write(("failed to run command: %s"):format(err))
end

Process.sleep(tonumber(os.getenv("ZOMBIE_SECONDS") or "0.5"))

-- added: what `ps au` shows meanwhile (waiting, bounded, in case the child is slow)
local s = state(cmd.Process.Pid)
for _ = 1, 200 do
  if s == "Z" then break end
  Process.sleep(0.025)
  s = state(cmd.Process.Pid)
end
print(("child %d state: %s"):format(cmd.Process.Pid, tostring(s)))

print("End parent process.")
cmd:Wait()  -- added: reap it (Go leaves that to init once the parent has exited)
