-- Signal delivery: a SIGUSR1 ping-pong between parent and child (round
-- trips per second; goal: within 1.4x of C, ahead of the others), and a
-- SIGCHLD storm: 500 children exit at once and a CHLD handler reaps them.
local function impls(name, n, posix, luv)
  return {
    c = {"@bench-" .. name, n},
    brood = {"@brood", "bench/programs/" .. name .. ".lua", n},
    ruby = {"ruby", "bench/programs/" .. name .. ".rb", n},
    python = {"@python", "bench/programs/" .. name .. ".py", n},
    luaposix = posix and {"lua5.3", "bench/programs/" .. posix .. ".lua", n},
    luv = luv and {"lua5.4", "bench/programs/" .. luv .. ".lua", n},
  }
end

local function pingpong_check(v)
  if not (v.brood and v.c) then return nil end
  local r = v.c / v.brood
  local a = true
  for _, k in ipairs{"ruby", "python", "luaposix", "luv"} do
    if v[k] and v[k] >= v.brood then a = false end
  end
  return r <= 1.4 and a, ("C = %.2f× brood%s"):format(r, a and ", fastest runtime" or "")
end

local function ahead(v, better)
  for _, k in ipairs{"ruby", "python", "luaposix", "luv"} do
    if v[k] and not better(v.brood, v[k]) then return false end
  end
  return true
end

return {
  {
    name = "SIGUSR1 ping-pong, blocking (round trips)",
    kind = "internal", metric = "rate",
    impls = impls("pingpong", "20000", nil, "pingpong_luv"),  -- luaposix cannot block race-free
    goal = "≥ 1/1.4 of C, ahead of the rest", check = pingpong_check,
  },
  {
    name = "SIGUSR1 ping-pong, busy-waiting, unpinned (round trips)",
    kind = "internal", metric = "rate",
    -- both sides spin: on one CPU each round trip would wait for the
    -- scheduler's time slice, which is all it would measure
    unpinned = true,
    impls = impls("pingpong_spin", "50000", "pingpong_posix"),
    goal = "≥ 1/1.4 of C, ahead of the rest", check = pingpong_check,
  },
  {
    name = "SIGCHLD storm, 500 children",
    kind = "internal", metric = "time",
    -- luahost: Lua children under a C parent, the floor for any Lua runtime
    impls = (function()
      local t = impls("chld_storm", "500", "chld_storm_posix")
      t.luahost = {"@bench-luahost_chld_storm", "500"}
      return t
    end)(),
    goal = "≤ 1.3× C, ahead of the rest",
    check = function(v)
      if not (v.brood and v.c) then return nil end
      local a = ahead(v, function(b, o) return b < o end)
      return a and v.brood / v.c <= 1.3,
        ("brood = %.2f× C%s%s"):format(v.brood / v.c, a and ", fastest runtime" or "",
          v.luahost and (" (%.2f× the Lua floor)"):format(v.brood / v.luahost) or "")
    end,
  },
}
