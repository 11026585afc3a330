# Starting programs: "spawn" runs /bin/true and waits; "capture" returns
# the output of `echo hi`. usage: spawn|capture N [MB]
import subprocess, sys, time
mode = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
mb = int(sys.argv[3]) if len(sys.argv) > 3 else 0
big = list(range(mb * 1048576 // 36))  # an int object and a list slot: ~36 bytes
t0 = time.monotonic()
if mode == "capture":
    for _ in range(n):
        assert subprocess.run(["echo", "hi"], stdout=subprocess.PIPE).stdout == b"hi\n"
else:
    for _ in range(n):
        subprocess.Popen(["/bin/true"]).wait()
print("result", (time.monotonic() - t0) / n, len(big))
