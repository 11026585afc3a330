# Starting programs: "spawn" runs /bin/true and waits; "capture" returns
# the output of `echo hi`. usage: spawn|capture N [MB]
mode = ARGV[0]
n = (ARGV[1] || 1000).to_i
mb = (ARGV[2] || 0).to_i
big = Array.new(mb * 131072) { |i| i }  # 8 bytes a slot
t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
if mode == "capture"
  n.times { raise unless `echo hi` == "hi\n" }
else
  n.times { Process.wait(Process.spawn("/bin/true")) }
end
puts "result #{(Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0) / n} #{big.size}"
