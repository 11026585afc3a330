# A preforking "Hello" HTTP server: 4 workers accept on one socket.
# usage: PORT; prints "ready" once listening.
import os, socket, sys
response = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n"
            b"Connection: close\r\n\r\nHello\n")
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen(1024)
for _ in range(4):
    if os.fork() == 0:
        while True:
            connection, _ = server.accept()
            request = b""
            while b"\r\n\r\n" not in request:
                data = connection.recv(4096)
                if not data:
                    break
                request += data
            connection.sendall(response)
            connection.close()
print("ready", flush=True)
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
