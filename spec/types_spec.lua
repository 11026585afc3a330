-- types/ holds the LuaLS annotation files that docs/types.lua makes from
-- the reference: they must be what the reference gives today, name every
-- entry of it and nothing else, and load as `---@meta` Lua files.
local U = require "spec.helpers.util"

local ROOT = U.SOURCE_ROOT
local TYPES = ROOT .. "/types"

-- every reference page but errors.md is a module's
local function modules()
  local list = {}
  local p = assert(io.popen("ls " .. U.quote(ROOT .. "/docs/reference")))
  for name in p:lines() do
    local m = name:match("^(.+)%.md$")
    if m and m ~= "errors" then list[#list + 1] = m end
  end
  p:close()
  table.sort(list)
  return list
end

local function types_file(m)
  return m == "brood" and "brood.lua" or "brood/" .. m .. ".lua"
end

local function files_under(dir)
  local list = {}
  local p = assert(io.popen("cd " .. U.quote(dir) .. " 2>/dev/null && find . -type f | sort"))
  for name in p:lines() do list[#list + 1] = name:sub(3) end
  p:close()
  return list
end

-- The names the reference's headings document: `Process.pid`, `io:read`,
-- `io.sync`, `Process.RLIMIT_AS`, ... (code outside fences only).
local function headings(m)
  local found, fence = {}, false
  for line in io.lines(ROOT .. "/docs/reference/" .. m .. ".md") do
    if line:match("^%s*```") then fence = not fence end
    if not fence and line:match("^###+ ") then
      for code in line:gmatch("`([^`]+)`") do
        local name = code:match("^[%w_]+[%.:][%w_]+")
        if name then found[name] = true end
      end
    end
  end
  return found
end

-- The names a types file annotates: functions and methods, fields set on
-- a table (`Process.WNOHANG = nil`) and the `---@field`s of a class whose
-- table the file names (`---@class brood.Status` ... `local status = {}`).
-- Classes bound to no table (option tables) name no entry.
local function annotated(path)
  local found, fields = {}, {}
  local f = io.open(path)
  if not f then return found end   -- the first test names the missing file
  for line in f:lines() do
    local fn = line:match("^function ([%w_]+[%.:][%w_]+)%(")
    local set = line:match("^([%w_]+%.[%w_]+) = ")
    local field = line:match("^%-%-%-@field ([%w_]+)")
    local bound = line:match("^local ([%w_]+) = {}")
    if fn or set then found[fn or set] = true end
    if field then fields[#fields + 1] = field end
    if bound then
      for _, name in ipairs(fields) do found[bound .. "." .. name] = true end
    end
    if not line:match("^%-%-%-") then fields = {} end
  end
  f:close()
  return found
end

local function sorted_keys(t)
  local list = {}
  for k in pairs(t) do list[#list + 1] = k end
  table.sort(list)
  return list
end

describe("editor type annotations (types/)", function()
  it("cover every module of the reference", function()
    local missing = {}
    for _, m in ipairs(modules()) do
      local f = io.open(TYPES .. "/" .. types_file(m))
      if f then f:close() else missing[#missing + 1] = "types/" .. types_file(m) end
    end
    assert.are.same({}, missing)
  end)

  it("are what docs/types.lua makes from the reference", function()
    local tmp = os.tmpname()
    os.remove(tmp)
    local r = U.brood({ROOT .. "/docs/types.lua", tmp})
    local fresh = files_under(tmp)
    local differ = {}
    if r.code == 0 then
      local have = files_under(TYPES)
      local set = {}
      for _, f in ipairs(have) do set[f] = true end
      for _, f in ipairs(fresh) do
        if not set[f] then
          differ[#differ + 1] = "missing: types/" .. f
        elseif U.slurp(tmp .. "/" .. f) ~= U.slurp(TYPES .. "/" .. f) then
          differ[#differ + 1] = "differs: types/" .. f
        end
        set[f] = nil
      end
      for _, f in ipairs(sorted_keys(set)) do differ[#differ + 1] = "not generated: types/" .. f end
    end
    U.sh("rm -rf " .. U.quote(tmp))
    assert(r.code == 0, "docs/types.lua failed:\n" .. r.err)
    assert(#differ == 0, "types/ is out of date: run build/brood docs/types.lua types\n"
      .. table.concat(differ, "\n"))
  end)

  it("annotate every documented function, method and constant", function()
    local missing = {}
    for _, m in ipairs(modules()) do
      local have = annotated(TYPES .. "/" .. types_file(m))
      for _, name in ipairs(sorted_keys(headings(m))) do
        if not have[name] then missing[#missing + 1] = name .. " (" .. m .. ".md)" end
      end
    end
    assert.are.same({}, missing)
  end)

  it("annotate nothing the reference does not document", function()
    -- An object whose members have no headings (`mem:read(...)` in a
    -- table, `handle.pid` in a list, a status object's fields) must name
    -- the member in its page's code.
    local extra = {}
    for _, m in ipairs(modules()) do
      local doc = headings(m)
      local text = U.slurp(ROOT .. "/docs/reference/" .. m .. ".md")
      local heading_prefixes = {}
      for name in pairs(doc) do heading_prefixes[name:match("^[%w_]+")] = true end
      for _, name in ipairs(sorted_keys(annotated(TYPES .. "/" .. types_file(m)))) do
        local prefix, sep, member = name:match("^([%w_]+)([%.:])([%w_]+)$")
        local documented
        if heading_prefixes[prefix] then
          documented = doc[name]
        else
          local spelled = prefix .. sep .. member .. (sep == ":" and "(" or "")
          documented = text:find("`" .. spelled, 1, true)
            or text:find("`" .. member .. "`", 1, true)
        end
        if not documented then extra[#extra + 1] = name .. " (types/" .. types_file(m) .. ")" end
      end
    end
    assert.are.same({}, extra)
  end)

  it("are Lua files marked ---@meta", function()
    local bad = {}
    local files = files_under(TYPES)
    assert.is_true(#files > 0, "no files in types/")
    for _, f in ipairs(files) do
      local path = TYPES .. "/" .. f
      local chunk, err = loadfile(path)
      if not chunk then bad[#bad + 1] = err end
      local fh = assert(io.open(path))
      local first = fh:read("l")
      fh:close()
      if first ~= "---@meta" then
        bad[#bad + 1] = "types/" .. f .. " does not start with ---@meta"
      end
    end
    assert.are.same({}, bad)
  end)
end)
