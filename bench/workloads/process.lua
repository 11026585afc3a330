-- fork + wait: what every forking server and job worker pays per child.
-- Goal: within 1.3x of C, ahead of Ruby, Python and luaposix; and brood
-- must not touch a big heap in the child (copy-on-write).
local function impls(n, mb)
  return {
    c = {"@bench-fork_wait", n, mb},
    brood = {"@brood", "bench/programs/fork_wait.lua", n, mb},
    ruby = {"ruby", "bench/programs/fork_wait.rb", n, mb},
    python = {"@python", "bench/programs/fork_wait.py", n, mb},
    luaposix = {"lua5.3", "bench/programs/fork_wait_posix.lua", n, mb},
    luahost = {"@bench-luahost_fork_wait", n, mb},  -- the floor for any Lua runtime
  }
end

local function goal(limit)
  return function(v)
    if not (v.brood and v.c) then return nil end
    local r = v.brood / v.c
    local ahead = true
    for _, k in ipairs{"ruby", "python", "luaposix"} do
      if v[k] and v[k] <= v.brood then ahead = false end
    end
    return r <= limit and ahead, ("brood = %.2f× C%s%s"):format(r, ahead and ", fastest runtime"
      or ", not the fastest runtime",
      v.luahost and (" (%.2f× the Lua floor)"):format(v.brood / v.luahost) or "")
  end
end

return {
  {
    name = "fork + wait round trip",
    kind = "internal", metric = "time",
    impls = impls("2000", "0"),
    goal = "≤ 1.25× C, ahead of the rest", check = goal(1.25),
  },
  {
    name = "fork + wait with 100 MB of heap",
    kind = "internal", metric = "time",
    impls = impls("300", "100"),
    goal = "≤ 1.3× C, ahead of the rest", check = goal(1.3),
  },
  {
    -- the per-call cost of a binding: argument checks, the call, the
    -- result -- no allocation (an error object only on failure)
    name = "one small system call, kill(own pid, 0)",
    kind = "internal", metric = "time",
    impls = {
      c = {"@bench-kill0", "1000000"},
      brood = {"@brood", "bench/programs/kill0.lua", "1000000"},
      ruby = {"ruby", "bench/programs/kill0.rb", "1000000"},
      python = {"@python", "bench/programs/kill0.py", "1000000"},
      luaposix = {"lua5.3", "bench/programs/kill0_posix.lua", "1000000"},
    },
    goal = "≤ 1.25× C, ahead of the rest", check = goal(1.25),
  },
}
