-- The module mechanism, seen from a script run by brood.
local U = require "spec.helpers.util"

local names = {"brood", "brood.process", "brood.signal", "brood.io",
               "brood.socket", "brood.open3"}

describe("brood modules", function()
  it("are all requirable and return tables", function()
    for _, name in ipairs(names) do
      assert.are.equal("table", type(require(name)), name)
    end
  end)

  it("come from brood's preload, not from the file system", function()
    for _, name in ipairs(names) do
      package.loaded[name] = nil
      local _, where = require(name)
      assert.are.equal(":preload:", where, name)
    end
  end)

  it("do not touch the global table", function()
    local r = U.brood({"-e", [[
      local before = {}
      for k in pairs(_G) do before[k] = true end
      for _, m in ipairs{"brood", "brood.process", "brood.signal", "brood.io",
                         "brood.socket", "brood.open3"} do require(m) end
      local added = {}
      for k in pairs(_G) do if not before[k] then added[#added + 1] = k end end
      print(#added, table.concat(added, ","))
    ]]})
    assert.are.equal("0\t\n", r.out)
  end)

  it("brood holds version strings and loads submodules on first access", function()
    local brood = require "brood"
    assert.matches("^%d+%.%d+%.%d+$", brood.version)
    assert.matches("^Lua 5%.4", brood.lua_version)
    assert.are.equal("integer", math.type(brood.version_num))
    assert.are.equal(require "brood.process", brood.process)
    assert.are.equal(require "brood.open3", brood.open3)
    assert.is_nil(brood.nonexistent)
  end)

  it("Process.pid() is this process's pid", function()
    local r = U.sh("echo $$; exec " .. U.quote(U.BROOD) ..
      " -e 'print(require(\"brood.process\").pid())'")
    local shell, brood = r.out:match("^(%d+)\n(%d+)\n$")
    assert.are.equal(shell, brood)  -- exec keeps the pid
  end)
end)
