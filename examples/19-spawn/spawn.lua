--[[ruby
# starts rails server with RAILS_ENV set to test
Process.spawn({'RAILS_ENV' => 'test'}, 'rails server')

# merges STDERR into STDOUT while running ls --help
Process.spawn('ls', '--help', STDERR => STDOUT)

# system blocks; Process.spawn does not
system 'sleep 5'

Process.spawn 'sleep 5'

# blocking with Process.spawn: it returns the child's pid
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
