-- Debian's Lua 5.4 builds of the modules people already use load into
-- brood and work beside it (brood links liblua dynamically, so their C
-- code shares its Lua).
local U = require "spec.helpers.util"
local P = require "brood.process"

describe("Lua modules from Debian", function()
  U.guard(before_each, after_each)

  it("LuaFileSystem (lua-filesystem): mkdir, attributes, dir -- where Ruby has File/Dir", function()
    local lfs = require "lfs"
    local dir = os.tmpname()
    os.remove(dir)
    assert.is_true(lfs.mkdir(dir))
    assert.are.equal("directory", lfs.attributes(dir, "mode"))
    -- a child made the file: the parent sees it through lfs
    local pid = P.fork(function()
      local f = assert(io.open(dir .. "/from-child", "w"))
      f:write(P.pid())
      f:close()
      P._exit(0)
    end)
    P.wait(pid)
    local names = {}
    for name in lfs.dir(dir) do names[#names + 1] = name end
    table.sort(names)
    assert.are.same({".", "..", "from-child"}, names)
    assert.are.equal(#tostring(pid), lfs.attributes(dir .. "/from-child", "size"))
    os.remove(dir .. "/from-child")
    assert.is_true(lfs.rmdir(dir))
  end)

  it("cjson (lua-cjson): a child's status crosses a pipe as JSON", function()
    local cjson = require "cjson"
    local r, w = require("brood.io").pipe()
    local pid = P.fork(function()
      r:close()
      w:write(cjson.encode({pid = P.pid(), ppid = P.ppid()}), "\n")
      P._exit(0)
    end)
    w:close()
    local msg = cjson.decode(r:read("l"))
    r:close()
    P.wait(pid)
    assert.are.equal(pid, msg.pid)
    assert.are.equal(P.pid(), msg.ppid)
  end)

  it("LPeg (lua-lpeg): parses what a spawned program printed", function()
    local lpeg = require "lpeg"
    local out = P.capture("echo", "a=1 b=22 c=333")
    local pair = lpeg.C(lpeg.R("az") ^ 1) * "=" * (lpeg.R("09") ^ 1 / tonumber)
    local pairs_ = lpeg.Cf(lpeg.Ct("") * lpeg.Cg(pair * lpeg.P(" ") ^ -1) ^ 0, rawset)
    assert.are.same({a = 1, b = 22, c = 333}, pairs_:match(out))
  end)

  it("luv (lua-luv): its event loop runs a timer inside brood", function()
    -- in a child: luv's default loop keeps its descriptors for the process
    local _, status = P.wait2(P.fork(function()
      local uv = require "luv"
      local fired = 0
      local timer = uv.new_timer()
      timer:start(10, 0, function() fired = fired + 1 timer:close() end)
      uv.run()
      -- and brood's own calls still work after it
      local _, st = P.wait2(P.fork(function() P._exit(7) end))
      P._exit(fired == 1 and st.exitstatus == 7 and 0 or 1)
    end))
    assert.are.equal(0, status.exitstatus)
  end)
end)
