# Job runner: N runs of /bin/true, at most K at a time, each one's output
# captured -- asyncio subprocesses (uvloop's loop with a third argument).
import asyncio, sys

async def main(n, k):
    slots = asyncio.Semaphore(k)
    async def one():
        async with slots:
            p = await asyncio.create_subprocess_exec("/bin/true", stdout=asyncio.subprocess.PIPE)
            await p.communicate()
    await asyncio.gather(*(one() for _ in range(n)))

if len(sys.argv) > 3 and sys.argv[3] == "uvloop":
    import uvloop
    uvloop.install()
asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
