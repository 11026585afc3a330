# fork + wait round trips; the child exits at once. usage: N [MB]
n = (ARGV[0] || 1000).to_i
mb = (ARGV[1] || 0).to_i
big = Array.new(mb * 131072) { |i| i }  # 8 bytes a slot
t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
n.times do
  pid = fork { exit!(0) }
  Process.wait(pid)
end
rss = File.read("/proc/self/status")[/VmRSS:\s*(\d+)/, 1]
puts "result #{(Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0) / n} rss_kb #{rss} #{big.size}"
