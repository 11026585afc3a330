# The cost of one small system call: Process.kill(0, own pid), N times.
n = (ARGV[0] || 1000000).to_i
pid = Process.pid
t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
n.times { Process.kill(0, pid) }
puts "result #{(Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0) / n}"
