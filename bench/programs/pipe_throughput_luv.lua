-- Pipe throughput with luv (libuv) on stock Lua 5.4: MB megabytes in
-- 64 KiB writes into a pipe to a spawned reader (this script again, as
-- "reader": it reads to end of file and exits 0 if all came).
-- usage: MB [reader]
local uv = require "luv"
local mb = tonumber(arg[1] or 1024)
local total = mb * 1048576

if arg[2] == "reader" then
  local input, got = uv.new_pipe(false), 0
  input:open(0)
  input:read_start(function(err, data)
    assert(not err, err)
    if data then got = got + #data else input:close() end
  end)
  uv.run()
  os.exit(got == total and 0 or 1)
end

local chunk = string.rep("x", 65536)
local pipe = uv.new_pipe(false)
local t0 = uv.hrtime()
local status
local child
child = uv.spawn(uv.exepath(), {args = {arg[0], tostring(mb), "reader"}, stdio = {pipe, 1, 2}},
  function(code) status = code child:close() end)
local sent = 0
-- one write in flight at a time, as a blocking writer would
local function write_next()
  if sent == mb * 16 then pipe:shutdown(function() pipe:close() end) return end
  sent = sent + 1
  pipe:write(chunk, function(err) assert(not err, err) write_next() end)
end
write_next()
uv.run()
assert(status == 0, "the reader did not get everything")
print("result", total / ((uv.hrtime() - t0) / 1e9))
