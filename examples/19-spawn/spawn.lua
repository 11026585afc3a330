--[[ruby
# 此调用会启动 rails server 进程并将环境变量 RAILS_ENV 设置为 test
Process.spawn({'RAILS_ENV' => 'test'}, 'rails server')

# 该调用在执行 ls --help 阶段将 STDERR 与 STDOUT 进行合并
Process.spaw('ls', '--help', STDERR => STDOUT)

# Process.spawn 是非阻塞的；而 Kernel#system 却会阻塞。
# 以阻塞方式执行
system 'sleep 5'

# 以非阻塞方式执行
Process.spawn 'sleep 5'

# 使用 Process.spawn 以阻塞方式执行
# 返回子进程的pid
pid = Process.spawn 'sleep 5'
Process.waitpid(pid)
--]]
-- `rails server` becomes a shell that shows the variable; the sleeps are
-- shortened to half a second (set BROOD_SLEEP to change it). Every child
-- is waited for, so the example leaves nothing behind.
local IO = require "brood.io"
local Process = require "brood.process"
local nap = os.getenv("BROOD_SLEEP") or "0.5"
local function now() return Process.clock_gettime("MONOTONIC") end

local rails = Process.spawn({RAILS_ENV = 'test'}, 'sh', '-c',
  'echo "server running with RAILS_ENV=$RAILS_ENV"')
Process.wait(rails)

local ls = Process.spawn('ls', '--bogus-option', {[IO.stderr] = IO.stdout})
Process.wait(ls)                            -- ls's complaint came out on stdout

local t = now()
Process.system('sleep ' .. nap)
print(("system returned after %.1f s"):format(now() - t))

t = now()
local sleeper = Process.spawn('sleep ' .. nap)
print(("spawn returned after %.1f s"):format(now() - t))

local pid = Process.spawn('sleep ' .. nap)
Process.waitpid(pid)
print(("waitpid returned after %.1f s"):format(now() - t))
Process.waitpid(sleeper)
