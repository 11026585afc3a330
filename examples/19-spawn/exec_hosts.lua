--[[ruby
hosts = File.open('/etc/hosts')

exec 'python', '-c', "import os; print os.fdopen(#{hosts.fileno}).read()"
--]]
-- The other program reads /etc/hosts through the descriptor number it is
-- given, without opening the file again. The book's Ruby (1.9) let every
-- descriptor through exec; brood, like Ruby 2+, passes only the ones a
-- redirect names, so {[fd] = hosts} (Ruby 2: {fd => hosts}) is added.
-- `sh` stands in for Python 2, which Debian no longer ships.
local IO = require "brood.io"
local Process = require "brood.process"
local hosts = io.open('/etc/hosts')

Process.exec('sh', '-c', "cat <&" .. IO.fileno(hosts), {[IO.fileno(hosts)] = hosts})
