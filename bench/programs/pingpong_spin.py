# SIGUSR1 ping-pong, busy-waiting on a counter the handler bumps. usage: N
import os, signal, sys, time
n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
parent = os.getpid()
got = 0
def on_usr1(s, f):
    global got
    got += 1
signal.signal(signal.SIGUSR1, on_usr1)  # the parent's part, first
child = os.fork()
if child == 0:
    # CPython forgets signals that reach a child before its after-fork
    # cleanup; say "ready" so that the parent starts only after it.
    signal.signal(signal.SIGUSR1, lambda s, f: os.kill(parent, signal.SIGUSR1))
    os.kill(parent, signal.SIGUSR1)
    while True:
        pass
while got < 1:
    pass
got = 0
t0 = time.monotonic()
for i in range(1, n + 1):
    os.kill(child, signal.SIGUSR1)
    while got < i:
        pass
print("result", n / (time.monotonic() - t0))
os.kill(child, signal.SIGKILL)
os.waitpid(child, 0)
