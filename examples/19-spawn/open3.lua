--[[ruby
# Open3 是标准库的一员
require 'open3'

Open3.popen3('grep', 'data') { |stdin, stdout, stderr|
  stdin.puts "some\ndata"
  stdin.close
  puts stdout.read
}

# 在可行的情况下，Open3 会使用 Process.spawn
# 可以像这样将选项传递给Process.spawn:
Open3.popen3('ls', '-uhh', :err => :out) { |stdin, stdout, stderr|
  puts stdout.read
}
--]]
-- Ruby's block form is a function as the last argument.
local Open3 = require "brood.open3"

Open3.popen3('grep', 'data', function(stdin, stdout, stderr)  -- luacheck: no unused
  stdin:puts "some\ndata"
  stdin:close()
  io.write(stdout:read("a"))
end)

Open3.popen3('ls', '-uhh', {err = 'out'}, function(stdin, stdout, stderr)  -- luacheck: no unused
  io.write(stdout:read("a"))
end)
