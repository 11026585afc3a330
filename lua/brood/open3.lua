--- brood.open3: Ruby's Open3 -- run a program with pipes to its
-- stdin, stdout and stderr.
local Open3 = {}

return Open3
