--[[ruby
dir = "/tmp/brood-files-#{Process.pid}"
Dir.mkdir(dir)
pid = fork { File.write("#{dir}/child.pid", Process.pid.to_s) }
Process.wait(pid)
stat = File.stat("#{dir}/child.pid")
puts Dir.entries(dir).sort.join(" ")
puts "child.pid: #{stat.size} bytes, a file: #{stat.file?}"
puts "written by the child: #{File.read("#{dir}/child.pid") == pid.to_s}"
File.unlink("#{dir}/child.pid")
Dir.rmdir(dir)
puts "removed: #{!File.exist?(dir)}"
--]]
-- The file-system work Ruby's File and Dir do, with LuaFileSystem
-- (Debian's lua-filesystem) beside brood: brood does not re-implement it.
local lfs = require "lfs"
local Process = require "brood.process"

local dir = "/tmp/brood-files-" .. Process.pid()
assert(lfs.mkdir(dir))
local pid = Process.fork(function()
  local f = assert(io.open(dir .. "/child.pid", "w"))
  f:write(Process.pid())
  f:close()
end)
Process.wait(pid)
local stat = lfs.attributes(dir .. "/child.pid")
local entries = {}
for name in lfs.dir(dir) do entries[#entries + 1] = name end
table.sort(entries)
print(table.concat(entries, " "))
print(("child.pid: %d bytes, a file: %s"):format(stat.size, stat.mode == "file"))
local f = assert(io.open(dir .. "/child.pid"))
print("written by the child: " .. tostring(f:read("a") == tostring(pid)))
f:close()
os.remove(dir .. "/child.pid")
lfs.rmdir(dir)
print("removed: " .. tostring(lfs.attributes(dir) == nil))
