-- Starting other programs: spawn + wait of /bin/true, capturing `echo hi`,
-- and spawn + wait from a 500 MB heap. C uses posix_spawn, Ruby
-- Process.spawn and backticks, Python subprocess, luaposix fork + exec
-- (it has no posix_spawn).
-- Goals: within 1.15x of C's posix_spawn and ahead of the rest; from a
-- 500 MB heap within 1.2x of brood's small-heap time.
local function impls(mode, n, mb)
  return {
    c = {"@bench-spawn", mode, n, mb},
    brood = {"@brood", "bench/programs/spawn.lua", mode, n, mb},
    ruby = {"ruby", "bench/programs/spawn.rb", mode, n, mb},
    python = {"@python", "bench/programs/spawn.py", mode, n, mb},
    luaposix = {"lua5.3", "bench/programs/spawn_posix.lua", mode, n, mb},
    luv = mb == "0" and {"lua5.4", "bench/programs/spawn_luv.lua", mode, n} or nil,
  }
end

local function ahead(v)
  for _, k in ipairs{"ruby", "python", "luaposix", "luv"} do
    if v[k] and v[k] <= v.brood then return false end
  end
  return true
end

local function goal(limit)
  return function(v)
    if not (v.brood and v.c) then return nil end
    local r, a = v.brood / v.c, ahead(v)
    return r <= limit and a, ("brood = %.2f× C%s"):format(r, a and ", fastest runtime"
      or ", not the fastest runtime")
  end
end

local small  -- brood's spawn time from a small heap, for the large-heap goal

return {
  {
    name = "spawn + wait of /bin/true",
    kind = "internal", metric = "time",
    impls = impls("spawn", "2000", "0"),
    goal = "≤ 1.15× C, ahead of the rest",
    check = function(v)
      small = v.brood
      return goal(1.15)(v)
    end,
  },
  {
    name = "capture the output of echo",
    kind = "internal", metric = "time",
    impls = impls("capture", "2000", "0"),
    goal = "≤ 1.15× C, ahead of the rest", check = goal(1.15),
  },
  {
    name = "spawn + wait of /bin/true from a 500 MB heap",
    kind = "internal", metric = "time",
    impls = impls("spawn", "300", "500"),
    goal = "≤ 1.2× brood's small-heap time, ahead of the rest",
    check = function(v)
      if not (v.brood and small) then return nil end
      local r, a = v.brood / small, ahead(v)
      return r <= 1.2 and a, ("brood = %.2f× its small-heap time%s"):format(r,
        a and ", fastest runtime" or ", not the fastest runtime")
    end,
  },
}
