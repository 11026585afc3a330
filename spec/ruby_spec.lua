-- The line-by-line claim, tested: each example's Ruby original (the
-- --[[ruby ... --]] block at its top) runs under Debian's ruby and its
-- Lua port under brood, and their outputs agree once what varies is made
-- uniform (numbers, Ruby's Array/Status inspection brackets). Examples
-- whose original cannot run as it is say why in their .expect file
-- (@ruby skip ...); every example with a Ruby original must say one or
-- the other.
local U = require "spec.helpers.util"
local E = require "spec.helpers.expect"

local ROOT = U.SOURCE_ROOT .. "/examples"
local RUBY = U.sh("command -v ruby").out:match("[^\n]+")

-- Ruby's p and inspect against Lua's print: "[1, 2]" and "1\t2" are the
-- same listing; "#<Process::Status: pid 5 exit 3>" is brood's "pid 5 exit 3".
local function uniform(s)
  s = s:gsub("#<Process::Status: (.-)>", "%1")
  s = E.normalise(s)
  s = s:gsub("[%[%],\"]", " ")
  local out = {}
  for line in (s .. "\n"):gmatch("(.-)\n") do
    line = line:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
    out[#out + 1] = line
  end
  while out[#out] == "" do out[#out] = nil end
  return out
end

local function run(argv_prefix, path, e)
  local parts = {argv_prefix, U.quote(path)}
  for _, a in ipairs(e.args) do parts[#parts + 1] = U.quote(a) end
  return U.sh(table.concat(parts, " "), {env = e.env, stdin = e.stdin, limit = e.timeout})
end

describe("Ruby originals against their ports", function()
  it("has ruby (apt-get install ruby)", function()
    assert.is_truthy(RUBY, "ruby is a test dependency: apt-get install ruby")
  end)

  for _, rel in ipairs(E.examples(ROOT)) do
    local path = ROOT .. "/" .. rel
    local source = E.ruby_source(path)
    if source then
      it(rel, function()
        local e = E.read(path:gsub("%.lua$", ".expect"))
        assert.is_truthy(e.ruby, rel .. ": its .expect must say @ruby same or @ruby skip <why>")
        if e.ruby.how == "skip" then
          assert.is_true(#e.ruby.why > 0, rel .. ": @ruby skip needs a reason")
          return
        end
        assert.are.equal("same", e.ruby.how)
        local rb = os.tmpname()
        local f = assert(io.open(rb, "w"))
        f:write(source, "\n")
        f:close()
        local want = run(U.quote(RUBY), rb, e)
        os.remove(rb)
        local got = run(U.quote(U.BROOD), path, e)
        local detail = ("\n--- ruby:\n%s%s--- brood:\n%s%s"):format(want.out, want.err,
          got.out, got.err)
        assert.are.equal(want.code, got.code, "exit status" .. detail)
        local a, b = uniform(want.out), uniform(got.out)
        local ea, eb = uniform(want.err), uniform(got.err)
        if e.unordered then
          table.sort(a) table.sort(b) table.sort(ea) table.sort(eb)
        end
        assert.are.same(a, b, "stdout" .. detail)
        assert.are.same(ea, eb, "stderr" .. detail)
      end)
    end
  end
end)
