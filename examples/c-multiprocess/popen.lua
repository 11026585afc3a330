--[[c
FILE *popen(const char *command, const char *type);
--]]
-- popen runs a shell command in a child with a pipe to it: type "r" reads the command's stdout,
-- "w" writes its stdin. IO.popen takes the same two arguments; close() is pclose: it waits for
-- the child and gives its exit status.
local IO = require "brood.io"

local fp = IO.popen("echo first line; echo second line; exit 5", "r")
for line in fp:lines() do
  print("read from the pipe: " .. line)
end
local _, how, code = fp:close()
print("pclose: " .. how .. " " .. code)

fp = IO.popen("tr a-z A-Z", "w")
fp:write("written into the pipe\n")
_, how, code = fp:close()
print("pclose: " .. how .. " " .. code)
