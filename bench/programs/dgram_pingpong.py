# A 64-byte message bounced over a UNIX DGRAM socketpair. usage: N
import os, signal, socket, sys, time
n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
child = os.fork()
if child == 0:
    a.close()
    while True:
        b.send(b.recv(64))
b.close()
msg = b"m" * 64
t0 = time.monotonic()
for _ in range(n):
    a.send(msg)
    a.recv(64)
print("result", n / (time.monotonic() - t0))
os.kill(child, signal.SIGKILL)
os.waitpid(child, 0)
