--[[ruby
# returns an IO object; reading it reads what the command prints to STDOUT
IO.popen('ls')

# the block gets the IO object; opened for writing, it is the spawned
# process's STDIN
IO.popen('less', 'w') { |stream|
  stream.puts "some\ndata"
}
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
