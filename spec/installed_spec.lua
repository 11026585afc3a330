-- Run by stock lua5.4 (not brood) against an installed copy of brood:
-- the modules must load through package.path/package.cpath alone.
describe("brood installed for stock lua5.4", function()
  it("runs under the stock interpreter", function()
    assert.are.equal("Lua 5.4", _VERSION)
    assert.is_nil(package.preload["brood.process"])
  end)

  it("finds every module through package.path and package.cpath", function()
    for _, name in ipairs{"brood", "brood.process", "brood.signal", "brood.io",
                          "brood.socket", "brood.open3"} do
      package.loaded[name] = nil
      local m, where = require(name)
      assert.are.equal("table", type(m), name)
      assert.is_string(where, name)
      assert.is_truthy(where:find(os.getenv("BROOD_DESTDIR"), 1, true),
        name .. " came from " .. tostring(where))
    end
  end)

  it("loads the C modules from the one brood.so", function()
    package.loaded["brood.process"] = nil
    local _, where = require "brood.process"
    assert.matches("/brood%.so$", where)
  end)

  it("loads the pure-Lua modules from .lua files", function()
    package.loaded["brood.open3"] = nil
    local _, where = require "brood.open3"
    assert.matches("/brood/open3%.lua$", where)
  end)

  it("works: Process.pid() and brood.version", function()
    local Process = require "brood.process"
    local f = assert(io.open("/proc/self/stat"))
    local pid = tonumber(f:read("a"):match("^(%d+)"))
    f:close()
    assert.are.equal(pid, Process.pid())
    assert.matches("^%d+%.%d+%.%d+$", require("brood").version)
  end)
end)
