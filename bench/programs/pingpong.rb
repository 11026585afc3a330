# SIGUSR1 ping-pong between parent and child. usage: N
n = (ARGV[0] || 10000).to_i
parent = Process.pid
trap("USR1") { Process.kill("USR1", parent) }  # the child's part
child = fork { loop { sleep } }
rd, wr = IO.pipe
trap("USR1") { wr.write_nonblock("x") }  # self-pipe: wake the main loop
t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
n.times do
  Process.kill("USR1", child)
  rd.readpartial(1)
end
puts "result #{n / (Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0)}"
Process.kill("KILL", child)
Process.wait(child)
