-- Starting programs with luv (libuv) on stock Lua 5.4: "spawn" runs
-- /bin/true and waits (the exit callback), "capture" reads the output of
-- `echo hi` through a pipe. usage: spawn|capture N
local uv = require "luv"
local mode, n = arg[1], tonumber(arg[2] or 1000)
local done = 0
local t0 = uv.hrtime()

local function one()
  if done == n then return end
  if mode == "capture" then
    local out, got, pending = uv.new_pipe(false), {}, 2
    local function finished()
      pending = pending - 1
      if pending == 0 then
        assert(table.concat(got) == "hi\n")
        done = done + 1
        one()
      end
    end
    local handle
    handle = uv.spawn("echo", {args = {"hi"}, stdio = {nil, out, nil}}, function()
      handle:close()
      finished()
    end)
    out:read_start(function(err, data)
      assert(not err, err)
      if data then got[#got + 1] = data else out:close() finished() end
    end)
  else
    local handle
    handle = uv.spawn("/bin/true", {args = {}}, function()
      handle:close()
      done = done + 1
      one()
    end)
  end
end

one()
uv.run()
print("result", (uv.hrtime() - t0) / 1e9 / n)
