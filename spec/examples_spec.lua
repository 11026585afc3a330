-- Every example runs under brood and does what its .expect file says
-- (see spec/helpers/expect.lua for the format). An example without an
-- expectation fails.
local U = require "spec.helpers.util"
local E = require "spec.helpers.expect"

local ROOT = U.SOURCE_ROOT .. "/examples"

local examples = E.examples(ROOT)

local function run(rel, e)
  local path = ROOT .. "/" .. rel
  local env = {}
  for k, v in pairs(e.env) do env[k] = v end
  local cmd
  if e.run then
    env.BROOD, env.EXAMPLE = U.BROOD, path
    cmd = e.run
  else
    local parts = {U.quote(U.BROOD), U.quote(path)}
    for _, a in ipairs(e.args) do parts[#parts + 1] = U.quote(a) end
    cmd = table.concat(parts, " ")
  end
  return U.sh(cmd, {env = env, stdin = e.stdin, limit = e.timeout})
end

describe("examples", function()
  it("were found", function()
    assert.is_true(#examples >= 40)
  end)

  for _, rel in ipairs(examples) do
    local expect = ROOT .. "/" .. rel:gsub("%.lua$", ".expect")
    it(rel, function()
      assert.is_truthy(io.open(expect), rel .. " has no expectation (" .. expect .. ")")
      local e = E.read(expect)
      local r = run(rel, e)
      local detail = ("\n--- stdout:\n%s--- stderr:\n%s"):format(r.out, r.err)
      if e.signal then
        assert.are.equal(e.signal, r.signal, "killed by signal" .. detail)
      else
        assert.are.equal(e.exit, r.code, "exit status" .. detail)
      end
      local mode = e.unordered and "unordered" or e.subset and "subset" or nil
      local ok, why = E.compare(e.out, E.lines(r.out), mode)
      assert(ok, (why or "") .. detail)
      if not e.anyerr then
        ok, why = E.compare(e.err, E.lines(r.err), mode)
        assert(ok, "stderr: " .. (why or "") .. detail)
      end
    end)
  end
end)
