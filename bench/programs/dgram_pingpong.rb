# A 64-byte message bounced over a UNIX DGRAM socketpair. usage: N
require "socket"
n = (ARGV[0] || 100000).to_i
a, b = Socket.pair(:UNIX, :DGRAM, 0)
child = fork do
  a.close
  loop { b.send(b.recv(64), 0) }
end
b.close
msg = "m" * 64
t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
n.times do
  a.send(msg, 0)
  a.recv(64)
end
puts "result #{n / (Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0)}"
Process.kill(:KILL, child)
Process.wait(child)
