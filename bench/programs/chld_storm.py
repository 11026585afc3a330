# N children exit at once; a CHLD handler reaps them in a WNOHANG loop.
# Prints seconds from the kill to the last reap. usage: N
import os, signal, sys, time
n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
reaped = 0
r, w = os.pipe()
os.set_blocking(w, False)

def on_chld(s, f):
    global reaped
    try:
        while True:
            pid, _ = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            reaped += 1
    except ChildProcessError:
        pass
    if reaped == n:
        os.write(w, b"x")

signal.signal(signal.SIGCHLD, on_chld)
first = 0
for _ in range(n):
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, first)
        while True:
            signal.pause()
    if not first:
        first = pid
    os.setpgid(pid, first)
t0 = time.monotonic()
os.kill(-first, signal.SIGTERM)
os.read(r, 1)
print("result", time.monotonic() - t0)
