# N children exit at once; a CHLD handler reaps them in a WNOHANG loop.
# Prints seconds from the kill to the last reap. usage: N
n = (ARGV[0] || 500).to_i
reaped = 0
rd, wr = IO.pipe
trap("CHLD") do
  begin
    while Process.wait(-1, Process::WNOHANG)
      reaped += 1
    end
  rescue Errno::ECHILD
  end
  wr.write_nonblock("x") if reaped == n
end
first = nil
n.times do
  pid = fork { Process.setpgid(0, first || 0); sleep }
  first ||= pid
  Process.setpgid(pid, first)
end
t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
Process.kill("TERM", -first)
rd.readpartial(1)
puts "result #{Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0}"
