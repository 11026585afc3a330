--- A small deterministic random number generator for the fuzz harness.
-- The harness does not use math.random: brood reseeds it in every forked
-- child, and a replay must draw exactly the same numbers as the run it
-- replays.
local M = {}

--- splitmix64: mixes a seed (and an optional stream number) into a
-- well-spread 64-bit integer.
function M.mix(seed, stream)
  local z = (seed + 0x9E3779B97F4A7C15 * ((stream or 0) + 1))
  z = (z ~ (z >> 30)) * -4658895280553007687   -- 0xBF58476D1CE4E5B9
  z = (z ~ (z >> 27)) * -7723592293110705685   -- 0x94D049BB133111EB
  return z ~ (z >> 31)
end

--- A generator: r(n) is an integer in 1..n, r() a float in [0, 1).
-- Also r.pick(list), r.chance(p) and r.weighted{w1, w2, ...}.
function M.new(seed)
  local s = M.mix(seed)
  if s == 0 then s = 1 end
  local function next64()  -- xorshift64*
    s = s ~ (s >> 12)
    s = s ~ (s << 25)
    s = s ~ (s >> 27)
    return s * 0x2545F4914F6CDD1D
  end
  local r = {}
  local function call(_, n)
    local x = next64() >> 11          -- 53 random bits, non-negative
    if n == nil then return x / 9007199254740992.0 end
    return x % n + 1
  end
  setmetatable(r, {__call = call})
  function r.pick(list) return list[call(nil, #list)] end
  function r.chance(p) return call(nil) < p end
  function r.weighted(weights)
    local total = 0
    for _, w in ipairs(weights) do total = total + w end
    local x = call(nil) * total
    for i, w in ipairs(weights) do
      if x < w then return i end
      x = x - w
    end
    return #weights
  end
  return r
end

return M
