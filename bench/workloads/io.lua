-- IPC: pipe throughput (1 GiB parent -> child, in 64 KiB writes), a
-- 64-byte datagram ping-pong over a socketpair, and a preforking "Hello"
-- HTTP server (4 workers) loaded by wrk. Goals (CPU cost, pinned): pipe
-- <= 1.25x C's with strings and <= 1.1x with a reusable buffer, datagram
-- ping-pong <= 1.4x, server >= 0.8x C -- and ahead of the rest.
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

local function rate_goal(limit)
  return function(v)
    if not (v.brood and v.c) then return nil end
    local r = v.brood / v.c
    local ahead = true
    for _, k in ipairs{"ruby", "python", "luaposix", "luv"} do
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
    name = "pipe throughput, 1 GiB (bytes/s)",
    kind = "internal", metric = "rate",
    impls = (function()
      local t = impls("pipe_throughput", "1024")
      t.luv = {"lua5.4", "bench/programs/pipe_throughput_luv.lua", "1024"}
      return t
    end)(),
    goal = "≥ 0.8× C (cost ≤ 1.25×), ahead of the rest", check = rate_goal(0.8),
  },
  {
    name = "pipe throughput, 1 GiB, into a reusable IO.buffer (bytes/s)",
    kind = "internal", metric = "rate",
    impls = {c = {"@bench-pipe_throughput", "1024"},
             brood = {"@brood", "bench/programs/pipe_throughput.lua", "1024", "buffer"}},
    goal = "≥ 0.91× C (cost ≤ 1.1×)", check = rate_goal(0.91),
  },
  {
    name = "socketpair datagram ping-pong (round trips)",
    kind = "internal", metric = "rate",
    impls = impls("dgram_pingpong", "100000"),
    goal = "≥ 0.71× C (cost ≤ 1.4×), ahead of the rest", check = rate_goal(1 / 1.4),
  },
  {
    name = "preforking HTTP server, wrk (requests)",
    kind = "internal", metric = "rate",
    impls = served(18080),
    goal = "≥ 0.8× C, ahead of the rest", check = rate_goal(0.8),
  },
}
