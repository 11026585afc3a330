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
-- The same as reexec.lua without the re-execution: brood can fork, and the child runs the
-- function directly with everything the parent had, so no name is needed to find it again.
local Process = require "brood.process"

local function Args() return "[" .. arg[0] .. "]" end

local function childProcess()
  print("childProcess")
end

-- init: runs once; the forked child does not start the program again
print("init start, os.Args = " .. Args())

-- main
print("main start, os.Args = " .. Args())
local pid = Process.fork(childProcess)
local _, status = Process.wait2(pid)
if not status.success then
  error("failed to run command: " .. tostring(status))
end
print("main exit")
