--[[ruby
# 这个例子会返回一个文件描述符(IO 对象)
# 对其进行读取会返回该 shell 命令打印到 STDOUT 中的内容
IO.popen('ls')

# 一个 IO 对象被传递到代码块中。在本例中我们打开 stream 进行写入，
# 因此将stream设置为生成进程的STDIN。
#
# 如果打开stream进行读取(默认操作)，那么将stream设置为生成进程的STDOUT。
IO.popen('less', 'w') { |stream|
  stream.puts "some\ndata"
}

# 使用 IO.popen 时必须选择访问哪个流。你无法一次访问所有的流。
--]]
-- `cat` stands in for `less`, which pages only on a terminal. The
-- object from the first call is read and closed here (Ruby leaves it to
-- the garbage collector).
local IO = require "brood.io"
local ls = IO.popen('ls /')
io.write(ls:gets())                          -- the first entry of /
ls:close()

IO.popen('cat', 'w', function(stream)
  stream:puts "some\ndata"
end)
