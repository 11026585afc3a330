--[[ruby
hosts = File.open('/etc/hosts')

exec 'python', '-c', "import os; print os.fdopen(#{hosts.fileno}).read()"

# 我们启动了一个 Ruby 程序并打开文件/etc/hosts。
# 然后 exec(2)产生一个 python 进程，告诉它文件 /etc/hosts 打开时 Ruby 所获得的文件描述符编号。
# python 识别出了此文件描述符(因为它通过 exec(2)共享)，并能从中进行读取，而无需再次打开文件。
--]]
-- The other program reads /etc/hosts through the descriptor number it is
-- given, without opening the file again. The book's Ruby (1.9) let every
-- descriptor through exec; brood, like Ruby 2+, passes only the ones a
-- redirect names, so {[fd] = hosts} (Ruby 2: {fd => hosts}) is added.
-- brood itself (arg[-1]) stands in for Python 2, which Debian no longer
-- ships; IO.for_fd is its os.fdopen.
local IO = require "brood.io"
local Process = require "brood.process"
local hosts = io.open('/etc/hosts')

Process.exec(arg[-1], '-e', "io.write(require('brood.io').for_fd(" .. IO.fileno(hosts) ..
  "):read('a'))", {[IO.fileno(hosts)] = hosts})
