-- Startup time and memory of an empty script: what every `brood script`
-- pays before the first line runs. Goal: within 1.2x of stock lua5.4.
local function impls(programs)
  return {
    c = {"@bench-empty"},
    brood = {"@brood", "bench/programs/" .. programs.lua},
    lua54 = {"lua5.4", "bench/programs/" .. programs.lua54},
    ruby = {"ruby", "bench/programs/" .. programs.ruby},
    python = {"@python", "bench/programs/" .. programs.python},
    luaposix = {"lua5.3", "bench/programs/" .. programs.luaposix},
  }
end

local empty = impls{lua = "empty.lua", lua54 = "empty.lua", ruby = "empty.rb",
                    python = "empty.py", luaposix = "empty.lua"}

local function near_lua54(limit)
  return function(v)
    if not (v.brood and v.lua54) then return nil end
    local r = v.brood / v.lua54
    return r <= limit, ("brood = %.2f× lua5.4"):format(r)
  end
end

return {
  {
    name = "startup, empty script",
    kind = "external", metric = "time",
    impls = empty,
    goal = "≤ 1.2× lua5.4", check = near_lua54(1.2),
  },
  {
    name = "peak RSS, empty script",
    kind = "external", metric = "rss",
    impls = empty,
    goal = "≤ 1.2× lua5.4", check = near_lua54(1.2),
  },
  {
    name = "startup, loading the process module",
    kind = "external", metric = "time",
    impls = impls{lua = "require_brood.lua", lua54 = "empty.lua", ruby = "require_process.rb",
                  python = "require_os.py", luaposix = "require_posix.lua"},
    goal = "≤ 1.2× lua5.4 (empty)", check = near_lua54(1.2),
  },
}
