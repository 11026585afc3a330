-- IPC: pipe throughput (1 GiB parent -> child, in 64 KiB writes), a
-- 64-byte datagram ping-pong over a socketpair, and a preforking "Hello"
-- HTTP server (4 workers) loaded by wrk. Goals: pipe >= 0.85x C,
-- ping-pong >= 0.8x C, server >= 0.8x C -- and ahead of the rest.
local function impls(name, ...)
  local a = {...}
  local function with(t) for _, v in ipairs(a) do t[#t + 1] = v end return t end
  return {
    c = with{"@bench-" .. name},
    brood = with{"@brood", "bench/programs/" .. name .. ".lua"},
    ruby = with{"ruby", "bench/programs/" .. name .. ".rb"},
    python = with{"@python", "bench/programs/" .. name .. ".py"},
    luaposix = with{"lua5.3", "bench/programs/" .. name .. "_posix.lua"},
  }
end

-- The same command on one CPU: pipe throughput otherwise swings 2x from
-- run to run with where the scheduler happens to put writer and reader.
local function pinned(t)
  local out = {}
  for k, argv in pairs(t) do out[k] = {"taskset", "-c", "1", table.unpack(argv)} end
  return out
end

local function rate_goal(limit)
  return function(v)
    if not (v.brood and v.c) then return nil end
    local r = v.brood / v.c
    local ahead = true
    for _, k in ipairs{"ruby", "python", "luaposix"} do
      if v[k] and v[k] >= v.brood then ahead = false end
    end
    return r >= limit and ahead,
      ("brood = %.2f× C%s"):format(r, ahead and ", fastest runtime" or "")
  end
end

-- Each server gets its own port; serve.sh starts it and runs wrk.
local function served(port)
  local t = impls("prefork_http")
  local out, k = {}, 0
  for _, key in ipairs{"c", "brood", "ruby", "python", "luaposix"} do
    k = k + 1
    out[key] = {"sh", "bench/serve.sh", tostring(port + k), "4", table.unpack(t[key])}
  end
  return out
end

return {
  {
    name = "pipe throughput, 1 GiB, one CPU (bytes/s)",
    kind = "internal", metric = "rate",
    impls = pinned(impls("pipe_throughput", "1024")),
    goal = "≥ 0.85× C, ahead of the rest", check = rate_goal(0.85),
  },
  {
    name = "socketpair datagram ping-pong (round trips)",
    kind = "internal", metric = "rate",
    impls = impls("dgram_pingpong", "100000"),
    goal = "≥ 0.8× C, ahead of the rest", check = rate_goal(0.8),
  },
  {
    name = "preforking HTTP server, wrk (requests)",
    kind = "internal", metric = "rate",
    impls = served(18080),
    goal = "≥ 0.8× C, ahead of the rest", check = rate_goal(0.8),
  },
}
