# Pipe throughput: MB megabytes parent -> child in 64 KiB chunks.
mb = (ARGV[0] || 1024).to_i
chunk = "x" * 65536
rd, wr = IO.pipe
t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
child = fork do
  wr.close
  total = 0
  buf = String.new
  total += buf.bytesize while rd.read(65536, buf)
  exit!(total == mb * 1048576 ? 0 : 1)
end
rd.close
(mb * 16).times { wr.write(chunk) }
wr.close
Process.wait(child)
puts "result #{mb * 1048576 / (Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0)}"
