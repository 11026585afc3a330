-- Job runner: N runs of /bin/true, at most K at a time, each one's
-- output captured -- luv (libuv) on stock Lua 5.4.
local uv = require "luv"
local n, k = tonumber(arg[1]), tonumber(arg[2])
local started = 0

local function start()
  if started >= n then return end
  started = started + 1
  local out = uv.new_pipe(false)
  local pending = 2              -- the exit and the end of the output
  local function one_done()
    pending = pending - 1
    if pending == 0 then start() end
  end
  local handle
  handle = uv.spawn("/bin/true", {args = {}, stdio = {nil, out, nil}}, function()
    handle:close()
    one_done()
  end)
  out:read_start(function(err, data)
    assert(not err, err)
    if not data then
      out:close()
      one_done()
    end
  end)
end

for _ = 1, k do start() end
uv.run()
