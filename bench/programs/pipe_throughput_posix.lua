-- luaposix: pipe throughput, MB megabytes parent -> child in 64 KiB chunks.
local unistd = require "posix.unistd"
local wait = require "posix.sys.wait"
local time = require "posix.time"
local mb = tonumber(arg[1] or 1024)
local chunk = string.rep("x", 65536)
local function now()
  local t = time.clock_gettime(time.CLOCK_MONOTONIC)
  return t.tv_sec + t.tv_nsec * 1e-9
end
local r, w = unistd.pipe()
local t0 = now()
local child = unistd.fork()
if child == 0 then
  unistd.close(w)
  local total = 0
  while true do
    local s = unistd.read(r, 65536)
    if not s or #s == 0 then break end
    total = total + #s
  end
  unistd._exit(total == mb * 1048576 and 0 or 1)
end
unistd.close(r)
for _ = 1, mb * 16 do
  local off = 1
  while off <= #chunk do
    off = off + unistd.write(w, off == 1 and chunk or chunk:sub(off))
  end
end
unistd.close(w)
wait.wait(child)
print("result", mb * 1048576 / (now() - t0))
