# Echo server: asyncio streams (uvloop's loop with the argument "uvloop").
# Prints its port first.
import asyncio, sys

async def handle(reader, writer):
    while True:
        data = await reader.read(4096)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    writer.close()

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

if len(sys.argv) > 1 and sys.argv[1] == "uvloop":
    import uvloop
    uvloop.install()
asyncio.run(main())
