# Soak: many round trips of each kind in one process, then a look at what
# is left behind. usage: [SCALE] -- the same phases and output as soak.lua.
import gc, os, socket, subprocess, sys, time

scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
pid = os.getpid()


def fd_count():
    return len(os.listdir("/proc/self/fd")) - 1  # less the listing's own


def children():
    try:
        with open("/proc/self/task/%d/children" % pid) as f:
            kids = f.read().split()
    except OSError:
        kids = []
    zombies = 0
    for child in kids:
        try:
            with open("/proc/%s/stat" % child) as f:
                if f.read().rpartition(")")[2].split()[0] == "Z":
                    zombies += 1
        except OSError:
            pass
    return len(kids), zombies


def rss():
    gc.collect()
    gc.collect()
    with open("/proc/self/status") as f:
        status = dict(line.split(":", 1) for line in f)
    return int(status["VmRSS"].split()[0]), int(status["VmHWM"].split()[0])


start = None
failed = False


def checkpoint(name, ops, mid=None, secs=0.0):
    global start, failed
    rss_kb, hwm_kb = rss()
    fds = fd_count()
    kids, zombies = children()
    print("phase %s %d fds %d children %d zombies %d rss %d hwm %d mid %s secs %.3f" % (
        name, ops, fds, kids, zombies, rss_kb, hwm_kb, "-" if mid is None else mid, secs))
    if start is None:
        start = (fds, kids, zombies)
    elif (fds, kids, zombies) != start:
        failed = True
        print("FAIL after %s: fds %d -> %d, children %d -> %d, zombies %d -> %d" % (
            name, start[0], fds, start[1], kids, start[2], zombies))
    sys.stdout.flush()


def phase(name, n, body):
    n = max(2, int(n * scale))
    t0 = time.monotonic()
    for _ in range(n // 2):
        body()
    secs = time.monotonic() - t0
    mid = rss()[0]  # the half-way look is not timed
    t0 = time.monotonic()
    for _ in range(n // 2, n):
        body()
    checkpoint(name, n, mid, secs + time.monotonic() - t0)


def fork():
    child = os.fork()
    if child == 0:
        os._exit(0)
    os.waitpid(child, 0)


def spawn():
    assert subprocess.Popen(["true"]).wait() == 0


def capture():
    assert subprocess.run(["echo", "x"], stdout=subprocess.PIPE).stdout == b"x\n"


def socketpair():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    a.sendall(b"ping")
    assert b.recv(16) == b"ping"
    a.close()
    b.close()


def pipe():
    r, w = os.pipe()
    os.write(w, b"x")
    os.close(w)
    assert os.read(r, 16) == b"x"
    os.close(r)


def capture3():
    p = subprocess.run(["echo", "x"], capture_output=True)
    assert p.stdout == b"x\n" and p.stderr == b"" and p.returncode == 0


checkpoint("start", 0)
phase("fork", 20000, fork)
phase("spawn", 5000, spawn)
phase("capture", 5000, capture)
phase("socketpair", 5000, socketpair)
phase("pipe", 5000, pipe)
phase("capture3", 1000, capture3)
print("FAIL" if failed else "ok")
sys.exit(1 if failed else 0)
