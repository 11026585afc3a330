-- The man pages: docs/man.lua turns each docs/reference/NAME.md into
-- brood-NAME(3) (brood.md into brood(3)), and docs/meson.build installs
-- them. Every page must format without a warning from groff, and have its
-- NAME line, the functions of its module and SEE ALSO.
--
-- Needs groff with tbl and the man macros (Debian: groff-base) and
-- LuaFileSystem (lua-filesystem); stock lua5.4 (lua5.4) for the check
-- that the converter needs nothing but the standard library.
local U = require "spec.helpers.util"
local lfs = require "lfs"

local REFERENCE = U.SOURCE_ROOT .. "/docs/reference"
local CONVERTER = U.SOURCE_ROOT .. "/docs/man.lua"

-- the module each reference page documents, and the prefix its headings use
local MODULES = {
  brood = {"brood", "brood"},
  process = {"brood.process", "Process"},
  signal = {"brood.signal", "Signal"},
  io = {"brood.io", "IO"},
  socket = {"brood.socket", "Socket"},
  open3 = {"brood.open3", "Open3"},
  task = {"brood.task", "Task"},
  supervisor = {"brood.supervisor", "Supervisor"},
  systemd = {"brood.systemd", "systemd"},
}

local pages = {}
for file in lfs.dir(REFERENCE) do
  local base = file:match("^(.+)%.md$")
  if base then pages[#pages + 1] = base end
end
table.sort(pages)

local function page_name(base)
  return base == "brood" and "brood" or "brood-" .. base
end

-- The names a reference page's headings show how to call.
local function heading_names(base)
  local names = {}
  for line in io.lines(REFERENCE .. "/" .. base .. ".md") do
    if line:match("^#+ ") then
      for name in line:gmatch("`([%w_%.:]+)[%(`%s]") do names[#names + 1] = name end
    end
  end
  return names
end

local function have(program)
  return U.sh("command -v " .. program).code == 0
end

describe("man pages", function()
  local dir
  local made = {}          -- base -> the roff source of its page

  setup(function()
    assert(have("groff") and have("tbl"), "groff is missing: apt-get install groff-base")
    dir = U.sh("mktemp -d").out:match("%S+") or error("mktemp -d failed")
  end)

  teardown(function()
    if not dir then return end
    for file in lfs.dir(dir) do
      if file ~= "." and file ~= ".." then os.remove(dir .. "/" .. file) end
    end
    os.remove(dir)
  end)

  -- The page, converted once; its file name.
  local function convert(base)
    local out = dir .. "/" .. page_name(base) .. ".3"
    if not made[base] then
      local r = U.brood({CONVERTER, REFERENCE .. "/" .. base .. ".md", out})
      assert(r.code == 0, ("man.lua failed on %s.md:\n%s%s"):format(base, r.out, r.err))
      made[base] = U.slurp(out)
    end
    return out
  end

  -- The page as a reader sees it, in plain ASCII on wide lines (so that
  -- names are never split).
  local function rendered(base)
    local r = U.sh("groff -t -man -Tascii -P-cbou -rLL=200n " .. U.quote(convert(base)))
    assert(r.code == 0, r.err)
    return r.out
  end

  for _, base in ipairs(pages) do
    local name = page_name(base)

    describe(name .. "(3)", function()
      it("formats without a warning", function()
        local file = convert(base)
        for _, options in ipairs{"-Tutf8", "-Tutf8 -rLL=80n", "-Tascii"} do
          local r = U.sh(("groff -t -man %s -ww -z %s"):format(options, U.quote(file)))
          assert.are.equal("", r.err, "groff " .. options .. " on " .. name .. ".3")
          assert.are.equal(0, r.code)
        end
      end)

      it("asks man for tbl when it has a table", function()
        local source = made[base] or U.slurp(convert(base))
        if source:find("\n.TS\n", 1, true) then
          assert.are.equal([['\" t]], source:match("^[^\n]*"))
        end
      end)

      it("has a NAME line, and a SYNOPSIS requiring its module", function()
        local text = rendered(base)
        local line = text:match("\nNAME\n +([^\n]+)")
        assert.is_truthy(line, "no NAME section")
        assert.is_truthy(line:find("^" .. name:gsub("%-", "%%-") .. " %- %S"), line)
        local m = MODULES[base]
        if m then
          local synopsis = text:match("\nSYNOPSIS\n(.-)\n%u")
          assert.is_truthy(synopsis, "no SYNOPSIS section")
          assert.is_truthy(synopsis:find('require "' .. m[1] .. '"', 1, true), synopsis)
        end
      end)

      it("shows every name its reference headings show", function()
        local text = rendered(base)
        local missing = {}
        for _, n in ipairs(heading_names(base)) do
          if not text:find(n, 1, true) then missing[#missing + 1] = n end
        end
        assert.are.same({}, missing)
      end)

      if MODULES[base] then
        it("names every function and field of " .. MODULES[base][1], function()
          local text = rendered(base)
          local modname, prefix = MODULES[base][1], MODULES[base][2]
          local missing = {}
          for k in pairs(require(modname)) do
            local full = prefix .. "." .. k
            if type(k) == "string" and not text:find(full, 1, true) then
              missing[#missing + 1] = full
            end
          end
          table.sort(missing)
          assert.are.same({}, missing)
        end)
      end

      it("lists brood(1) and every other page in SEE ALSO", function()
        local see = rendered(base):match("\nSEE ALSO\n(.-)\n%S")
        assert.is_truthy(see, "no SEE ALSO section")
        see = see:gsub("%s+", " ")
        local missing = {}
        local wanted = {"brood(1)"}
        for _, other in ipairs(pages) do
          if other ~= base then wanted[#wanted + 1] = page_name(other) .. "(3)" end
        end
        for _, ref in ipairs(wanted) do
          if not see:find(ref, 1, true) then missing[#missing + 1] = ref end
        end
        assert.are.same({}, missing, see)
        assert.is_falsy(see:find(name .. "(3)", 1, true), "a page lists itself")
      end)
    end)
  end

  it("builds and installs every page (docs/meson.build)", function()
    local build = U.slurp(U.SOURCE_ROOT .. "/docs/meson.build")
    local listed = build:match("reference_pages = (%b[])")
    assert.is_truthy(listed, "no reference_pages list in docs/meson.build")
    local missing = {}
    for _, base in ipairs(pages) do
      if not listed:find("'" .. base .. "'", 1, true) then missing[#missing + 1] = base end
    end
    assert.are.same({}, missing)
  end)

  it("turns links to other pages into page names", function()
    convert("process")
    local text = rendered("process")
    -- process.md: "A failing system call raises an [error object](errors.md)"
    assert.is_truthy(text:find("error object (brood-errors(3))", 1, true))
    assert.is_falsy(text:find("errors.md", 1, true))
  end)

  it("names brood's version in the page's header", function()
    local version = require("brood").version
    for _, base in ipairs(pages) do
      convert(base)
      local th = made[base]:match("\n(%.TH [^\n]*)")
      assert.is_truthy(th and th:find('"brood ' .. version .. '"', 1, true), th)
    end
  end)

  -- the converter uses the standard library only
  local stock = have("lua5.4") and it
    or function(desc) pending(desc .. " (lua5.4 is missing: apt-get install lua5.4)") end
  stock("gives the same page when stock lua5.4 runs the converter", function()
    for _, base in ipairs(pages) do
      local md = REFERENCE .. "/" .. base .. ".md"
      local a, b = dir .. "/stock.3", dir .. "/brood.3.cmp"
      local r = U.sh(("lua5.4 %s %s %s 9.9.9"):format(U.quote(CONVERTER), U.quote(md), U.quote(a)),
                     {env = {LUA_INIT = "", LUA_INIT_5_4 = "", LUA_PATH_5_4 = false}})
      assert.are.equal(0, r.code, r.err)
      r = U.brood({CONVERTER, md, b, "9.9.9"})
      assert.are.equal(0, r.code, r.err)
      assert(U.slurp(a) == U.slurp(b), base .. ".md: lua5.4 and brood disagree")
      assert.is_truthy(U.slurp(a):find('"brood 9.9.9"', 1, true))
      os.remove(a)
      os.remove(b)
    end
  end)
end)
