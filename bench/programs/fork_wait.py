# fork + wait round trips; the child exits at once. usage: N [MB]
import os, sys, time
n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
mb = int(sys.argv[2]) if len(sys.argv) > 2 else 0
big = list(range(mb * 1048576 // 36))  # an int object and a list slot: ~36 bytes
t0 = time.monotonic()
for _ in range(n):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
rss = [l.split()[1] for l in open("/proc/self/status") if l.startswith("VmRSS")][0]
print("result", (time.monotonic() - t0) / n, "rss_kb", rss, len(big))
