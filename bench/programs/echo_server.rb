# Echo server: the async gem (Ruby's fiber scheduler). Prints its port first.
require 'async'
require 'socket'

Async do |task|
  server = TCPServer.new('127.0.0.1', 0)
  server.listen(4096)
  puts server.addr[1]
  $stdout.flush
  loop do
    c = server.accept
    task.async do
      while (data = c.readpartial(4096) rescue nil)
        c.write(data)
      end
      c.close
    end
  end
end
