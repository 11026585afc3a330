# Pipe throughput: MB megabytes parent -> child in 64 KiB chunks.
import os, sys, time
mb = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
chunk = b"x" * 65536
r, w = os.pipe()
t0 = time.monotonic()
child = os.fork()
if child == 0:
    os.close(w)
    total = 0
    while True:
        s = os.read(r, 65536)
        if not s:
            break
        total += len(s)
    os._exit(0 if total == mb * 1048576 else 1)
os.close(r)
for _ in range(mb * 16):
    view = memoryview(chunk)
    while view:
        view = view[os.write(w, view):]
os.close(w)
os.waitpid(child, 0)
print("result", mb * 1048576 / (time.monotonic() - t0))
