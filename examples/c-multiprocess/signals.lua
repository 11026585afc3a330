--[[text
也可以执行`kill -l`列出各种信号量。

##### 信号处理
进程接受到信号后的处理方案：（1）忽略信号，即对信号不做任何处理，其中，有两个信号不能忽略：`SIGKILL`（相当于执行`kill -9`）及`SIGSTOP`；（2）捕捉信号。定义信号处理函数，
当信号发生时，执行相应的处理函数；（3）执行缺省操作，Linux对每种信号都规定了默认操作。

##### 信号发送与安装
发送信号的主要函数有：`kill()`、`raise()`、 `sigqueue()`、`alarm()`、`setitimer()`以及`abort()`。linux主要有两个函数实现信号的安装：
`signal()`、`sigaction()`。
--]]
-- The three ways to handle a signal and the ways to send one. signal()/sigaction() become
-- Signal.trap; kill() and raise() are Process.kill (to another pid or to our own). brood has no
-- alarm(), setitimer() or sigqueue(): a helper child plays the alarm clock.
local Process = require "brood.process"
local Signal = require "brood.signal"

-- kill -l
local names = {}
for i = 1, 15 do names[i] = i .. ") SIG" .. Signal.signame(i) end
print(table.concat(names, " "))

-- (2) catch: a handler; raise() sends the signal to this process
local caught = {}
Signal.trap("USR1", function(signo) caught[#caught + 1] = Signal.signame(signo) end)
Process.kill("USR1", Process.pid())
print("caught: SIG" .. table.concat(caught, ", SIG"))

-- (1) ignore: nothing happens
Signal.trap("USR2", "IGNORE")
Process.kill("USR2", Process.pid())
print("SIGUSR2 ignored, still running")

-- SIGKILL and SIGSTOP can be neither caught nor ignored
for _, name in ipairs({"KILL", "STOP"}) do
  local ok = pcall(Signal.trap, name, "IGNORE")
  print("ignore SIG" .. name .. ": " .. (ok and "allowed" or "refused"))
end

-- (3) default action: SIGTERM ends a child that did not install anything; kill -9 cannot fail
local child = Process.fork(function() Process.sleep(5) end)
Process.kill("TERM", child)
print("default action of SIGTERM: " .. tostring(select(2, Process.wait2(child))))
child = Process.fork(function() Signal.trap("TERM", "IGNORE") Process.sleep(5) end)
Process.kill("KILL", child)
print("kill -9: " .. tostring(select(2, Process.wait2(child))))

-- abort(): the process sends itself SIGABRT, whose default action ends it (no core file here)
child = Process.fork(function()
  Process.setrlimit("CORE", 0)
  Process.kill("ABRT", Process.pid())
end)
print("abort(): " .. tostring(select(2, Process.wait2(child))))

-- alarm(1): SIGALRM arrives later, while the process does something else
local alarmed = false
Signal.trap("ALRM", function() caught[#caught + 1] = "ALRM" alarmed = true end)
local parent = Process.pid()
local clock = Process.fork(function() Process.sleep(0.2) Process.kill("ALRM", parent) end)
local t0 = Process.clock_gettime("MONOTONIC")
while not alarmed and Process.clock_gettime("MONOTONIC") - t0 < 5 do  -- bounded: 5 s
  Signal.pause(5)  -- returns after any handler has run
end
print("the alarm rang after 0.2 s: " .. tostring(alarmed and
  Process.clock_gettime("MONOTONIC") - t0 >= 0.15))
print("caught: SIG" .. table.concat(caught, ", SIG"))
Process.wait(clock)
