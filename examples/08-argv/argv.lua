--[[ruby
p ARGV
--]]
-- Run as: brood examples/08-argv/argv.lua --help -v file.txt
print(table.concat(arg, " "))
