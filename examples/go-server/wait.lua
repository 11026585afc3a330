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
	time.Sleep(10 * time.Second)
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

	fmt.Println("Parent start sleeping...")
	time.Sleep(5 * time.Second)
	fmt.Println("Parent end sleeping...")

	if err := cmd.Wait(); err != nil { // 父进程等待回收子进程
		fmt.Printf("failed to wait command: %s", err)
	}

	fmt.Println("End parent process.")
}
--]]
-- Wait blocks until the child has ended and reaps it: the parent sleeps less than the child
-- but prints "End parent process." only after the child's line. Times: 1.5 s and 0.5 s
-- (10 s and 5 s in the original). Added: the child's state before and after Wait.
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
  Process.sleep(1.5)
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

print("Parent start sleeping...")
Process.sleep(0.5)
print("Parent end sleeping...")
local st = state(cmd.Process.Pid)  -- S asleep, R still starting on a busy machine
print("(child still there, not a zombie: " .. tostring(st ~= nil and st ~= "Z") .. ")")

err = cmd:Wait()  -- the parent waits for the child and reaps it
if err ~= nil then
  io.write(("failed to wait command: %s"):format(err))
end
print("(child after Wait: " .. (state(cmd.Process.Pid) and "still there" or "gone") .. ")")

print("End parent process.")
