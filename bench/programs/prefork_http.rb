# A preforking "Hello" HTTP server: 4 workers accept on one socket.
# usage: PORT; prints "ready" once listening.
require "socket"
response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n" \
  "Connection: close\r\n\r\nHello\n"
server = TCPServer.new("127.0.0.1", ARGV[0].to_i)
server.listen(1024)
4.times do
  fork do
    loop do
      connection = server.accept
      connection.gets("\r\n\r\n")
      connection.write(response)
      connection.close
    end
  end
end
puts "ready"
$stdout.flush
Process.waitall
