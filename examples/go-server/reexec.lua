--[[text
Go 语言中，运行时会保证 init 一定会在 main 之前执行。初次执行程序的时候，os.Args[0] 是可执行文件的名字，不过我们利用 `reexec.Command("函数名")
` 修改子进程的 os.Args[0]，修改为 reexec.Register 注册过的函数。所以子进程能够找到 `reexec.Init` 上注册的函数，然后执行，返回 true，
最后调用 os.Exit(0)，因此就能达到传统的 fork 之后，子进程执行另外一个函数的效果。

编译运行：

```shell
cd fork && go run main.go
```

运行结果：

```
init start, os.Args = [/tmp/go-build3239152249/b001/exe/main]
main start, os.Args = [/tmp/go-build3239152249/b001/exe/main]
init start, os.Args = [childProcess]
childProcess
main exit
```
--]]
-- Docker's reexec: the "fork" is this script run again (Process.spawn(arg[-1], arg[0])) with
-- REEXEC_NAME naming a registered function -- in Go, os.Args[0] carries the name. The child's
-- init finds the function, runs it and exits before main; the parent's init finds none.
local Process = require "brood.process"

-- reexec: Register, Init, Command
local registeredInitializers = {}
local function Register(name, initializer)
  registeredInitializers[name] = initializer
end
local function Init()
  local initializer = registeredInitializers[os.getenv("REEXEC_NAME") or ""]
  if initializer then
    initializer()
    return true
  end
  return false
end
local function Command(name)  -- the same program again, with a registered name
  return {Path = arg[-1], Args = {arg[0]}, Env = {REEXEC_NAME = name}}
end

local function Args()  -- os.Args: in a re-executed child, [0] is the registered name
  return "[" .. (os.getenv("REEXEC_NAME") or arg[0]) .. "]"
end

local function childProcess()
  print("childProcess")
end

-- init
print("init start, os.Args = " .. Args())
Register("childProcess", childProcess)
if Init() then
  Process.exit(0)
end

-- main
print("main start, os.Args = " .. Args())
local cmd = Command("childProcess")
local pid = Process.spawn(cmd.Env, cmd.Path, table.unpack(cmd.Args))
local _, status = Process.wait2(pid)
if not status.success then
  error("failed to run command: " .. tostring(status))
end
print("main exit")
