# SIGUSR1 ping-pong, busy-waiting on a counter the handler bumps. usage: N
n = (ARGV[0] || 10000).to_i
parent = Process.pid
trap("USR1") { Process.kill("USR1", parent) }  # the child's part
child = fork { loop {} }
got = 0
trap("USR1") { got += 1 }
t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
i = 0
while i < n
  i += 1
  Process.kill("USR1", child)
  nil while got < i
end
puts "result #{n / (Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0)}"
Process.kill("KILL", child)
Process.wait(child)
