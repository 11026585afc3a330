# SIGUSR1 ping-pong between parent and child. usage: N
# Waits with signal.sigwaitinfo, Python's race-free way to block for a
# signal (its handler-based waits -- pause, wakeup fd -- proved flaky
# here); no Python handler runs at all.
import os, signal, sys, time
n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
parent = os.getpid()
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
child = os.fork()
if child == 0:
    while True:
        signal.sigwaitinfo({signal.SIGUSR1})
        os.kill(parent, signal.SIGUSR1)
t0 = time.monotonic()
for _ in range(n):
    os.kill(child, signal.SIGUSR1)
    signal.sigwaitinfo({signal.SIGUSR1})
print("result", n / (time.monotonic() - t0))
os.kill(child, signal.SIGKILL)
os.waitpid(child, 0)
