--[[ruby
require 'open3'

Open3.popen3('grep', 'data') { |stdin, stdout, stderr|
  stdin.puts "some\ndata"
  stdin.close
  puts stdout.read
}

# Open3 uses Process.spawn when it can, so options pass through:
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
