# The cost of one small system call: os.kill(own pid, 0), N times.
import os, sys, time
n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
kill, pid = os.kill, os.getpid()
t0 = time.monotonic()
for _ in range(n):
    kill(pid, 0)
print("result", (time.monotonic() - t0) / n)
