--[[ruby
hosts = File.open('/etc/hosts')

exec 'python', '-c', "import os; print os.fdopen(#{hosts.fileno}).read()"
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
