# Soak: many round trips of each kind in one process, then a look at what
# is left behind. usage: [SCALE] -- the same phases and output as soak.lua.
require "open3"
require "socket"

$stdout.sync = true
SCALE = (ARGV[0] || 1).to_f
PID = Process.pid

def fd_count
  Dir.children("/proc/self/fd").size - 1  # less the listing's own
end

def children
  kids = (File.read("/proc/self/task/#{PID}/children") rescue "").split
  zombies = kids.count do |child|
    (File.read("/proc/#{child}/stat") rescue "").rpartition(")")[2].split[0] == "Z"
  end
  [kids.size, zombies]
end

def rss
  GC.start
  GC.start
  status = File.read("/proc/self/status")
  [status[/VmRSS:\s*(\d+)/, 1].to_i, status[/VmHWM:\s*(\d+)/, 1].to_i]
end

def now = Process.clock_gettime(Process::CLOCK_MONOTONIC)

$start = nil
$failed = false

def checkpoint(name, ops, mid = nil, secs = 0.0)
  rss_kb, hwm_kb = rss
  fds = fd_count
  kids, zombies = children
  puts format("phase %s %d fds %d children %d zombies %d rss %d hwm %d mid %s secs %.3f",
              name, ops, fds, kids, zombies, rss_kb, hwm_kb, mid || "-", secs)
  now_state = [fds, kids, zombies]
  if $start.nil?
    $start = now_state
  elsif now_state != $start
    $failed = true
    puts format("FAIL after %s: fds %d -> %d, children %d -> %d, zombies %d -> %d",
                name, $start[0], fds, $start[1], kids, $start[2], zombies)
  end
end

def phase(name, n)
  n = [2, (n * SCALE).to_i].max
  t0 = now
  (n / 2).times { yield }
  secs = now - t0
  mid = rss[0]  # the half-way look is not timed
  t0 = now
  (n - n / 2).times { yield }
  checkpoint(name, n, mid, secs + now - t0)
end

checkpoint("start", 0)
phase("fork", 20000) do
  Process.wait(fork { exit!(0) })
end
phase("spawn", 5000) do
  Process.wait(Process.spawn("true"))
  raise unless $?.success?
end
phase("capture", 5000) do
  raise unless `echo x` == "x\n"
end
phase("socketpair", 5000) do
  a, b = UNIXSocket.pair(:STREAM)
  a.send("ping", 0)
  raise unless b.recv(16) == "ping"
  a.close
  b.close
end
phase("pipe", 5000) do
  r, w = IO.pipe
  w.write("x")
  w.close
  raise unless r.read == "x"
  r.close
end
phase("capture3", 1000) do
  out, err, status = Open3.capture3("echo x")
  raise unless out == "x\n" && err == "" && status.success?
end
puts($failed ? "FAIL" : "ok")
exit($failed ? 1 : 0)
