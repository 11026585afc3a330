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
	fmt.Printf("My pid is: %d\n", os.Getpid())
	time.Sleep(30 * time.Second)
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

	go func() {
		if err := cmd.Wait(); err != nil {
			fmt.Printf("failed to wait command: %s", err)
		}
	}()

	time.Sleep(60 * time.Second)

	fmt.Println("End parent process.")
}
--]]
-- Reaping without blocking: instead of a goroutine in Wait, the parent polls waitpid(WNOHANG)
-- in its 60 s sleep, cut to a bounded loop. Child 1.5 s, parent 0.3 s (30 s, 5 s in the
-- original). Added: /proc while the child runs and after the reaping.
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
  print(("My pid is: %d"):format(Process.pid()))
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
Process.sleep(0.3)
print("Parent end sleeping...")
local pid = cmd.Process.Pid
print(("ps -A | grep %d: %s"):format(pid, state(pid) and "found" or "none"))

-- instead of the goroutine: poll, doing other work in between
local polls, reaped = 0, nil
while polls < 1000 do  -- bounded: about 10 s
  polls = polls + 1
  reaped = Process.waitpid(pid, Process.WNOHANG)
  if reaped then break end
  Process.sleep(0.01)  -- the parent's other work
end
print(("reaped %d after %d polls, not blocked: %s"):format(reaped, polls, tostring(polls > 1)))
print(("ps -A | grep %d: %s"):format(pid, state(pid) and "found" or "none"))

print("End parent process.")
