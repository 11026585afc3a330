-- brood.process's identity changes: each test drops privileges in a
-- forked child (the test process stays root) or in a separate brood.
-- They need root, as a daemon that binds low ports has it.
local U = require "spec.helpers.util"
local P = require "brood.process"

local ROOT = P.euid() == 0

-- Runs fn in a child; returns what it returned (a string) or the error.
local function in_child(fn)
  local IO = require "brood.io"
  local r, w = IO.pipe()
  local pid = P.fork(function()
    r:close()
    local ok, v = pcall(fn)
    w:write(ok and tostring(v) or "error: " .. tostring(v))
    w:close()
    P._exit(0)
  end)
  w:close()
  local out = r:read("a")
  r:close()
  P.wait(pid)
  return out
end

-- "uid gid | ruid euid suid | rgid egid sgid | groups" of this process.
local IDS = [[
local function ids()
  local f = io.open("/proc/self/status")
  local s = f:read("a")
  f:close()
  local u = s:match("Uid:%s*([%d%s]-)\n"):gsub("%s+", " ")
  local g = s:match("Gid:%s*([%d%s]-)\n"):gsub("%s+", " ")
  local gr = (s:match("Groups:%s*([%d%s]-)\n") or ""):gsub("%s+$", "")
  return (("uid %s | gid %s | groups %s"):format(u, g, gr):gsub("%s+$", ""))
end
]]
local ids = load(IDS .. "return ids")()

describe("Process.change_privilege", function()
  U.guard(before_each, after_each)
  if not ROOT then
    pending("needs root (run the suite as root)")
    return
  end

  it("becomes the user for good: groups, gids, uids, in one call", function()
    assert.are.equal("65534 65534 | uid 65534 65534 65534 65534 | gid 65534 65534 65534 65534"
                     .. " | groups 65534 | cannot return: EPERM", in_child(function()
      local uid, gid = P.change_privilege("nobody")
      local after = ids()
      local ok, err = pcall(P.change_privilege, "root")
      assert(not ok and ids() == after, "changed by a refused call")
      local ok2, err2 = pcall(P.setuid, 0)
      assert(not ok2 and err2.errno == "EPERM")
      return ("%d %d | %s | cannot return: %s"):format(uid, gid, after, err.errno)
    end))
  end)

  it("takes ids and names, and an explicit group", function()
    assert.are.equal("uid 4242 4242 4242 4242 | gid 65534 65534 65534 65534 | groups 65534",
                     in_child(function()
      P.change_privilege(4242, "nogroup")  -- a uid with no user entry: groups = {gid}
      return ids()
    end))
    assert.are.equal("uid 65534 65534 65534 65534 | gid 0 0 0 0 | groups 0", in_child(function()
      P.change_privilege("nobody", 0)
      return ids()
    end))
  end)

  it("is all or nothing: a uid change refused after the groups changed puts them back", function()
    -- without CAP_SETUID (but with CAP_SETGID) the last step fails
    local r = U.sh("setpriv --bounding-set -setuid " .. U.quote(U.BROOD) .. " -", {stdin = IDS .. [[
      local P = require "brood.process"
      P.setgroups({1, 2, 3})
      local before = ids()
      local ok, err = pcall(P.change_privilege, "nobody")
      print(ok, err.errno, err.syscall, ids() == before, before)
    ]]})
    assert.are.equal("", r.err)
    assert.are.equal("false\tEPERM\tsetresuid\ttrue\tuid 0 0 0 0 | gid 0 0 0 0 | groups 1 2 3\n",
                     r.out)
  end)

  it("succeeds without privilege for the user the process already is", function()
    assert.are.equal("65534 65534", in_child(function()
      P.change_privilege("nobody")
      return table.concat({P.change_privilege("nobody")}, " ")
    end))
  end)

  it("refuses unknown users and groups, and a uid without an entry with no group", function()
    assert.has_error(function() P.change_privilege("no such user here") end,
                     "bad argument #1 to 'change_privilege' (no such user: no such user here)")
    assert.has_error(function() P.change_privilege("nobody", "no such group here") end,
                     "bad argument #2 to 'change_privilege' (no such group: no such group here)")
    assert.has_error(function() P.change_privilege(4242) end,
      "bad argument #2 to 'change_privilege' (a group is needed: the uid has no user entry)")
    assert.has_error(function() P.change_privilege(-1) end)
    assert.has_error(function() P.change_privilege(2 ^ 32 - 1) end)
    assert.has_error(function() P.change_privilege("no\0body") end)
    assert.has_error(function() P.change_privilege({}) end)
    assert.has_error(function() P.change_privilege("nobody", "nogroup", 1) end)
    assert.are.equal(0, P.uid())
  end)
end)

describe("Process.setuid, seteuid, setgid, setegid, groups, setgroups, initgroups", function()
  U.guard(before_each, after_each)
  if not ROOT then
    pending("needs root (run the suite as root)")
    return
  end

  it("sets the ids the system calls set, by name or id", function()
    assert.are.equal("uid 0 65534 0 65534 | gid 0 65534 0 65534 | groups 0 65534 |"
                     .. " uid 0 0 0 0 | gid 0 0 0 0", in_child(function()
      assert(P.setgroups({0, "nogroup"})[2] == 65534)
      assert(P.setegid("nogroup") == 65534)
      assert(P.seteuid("nobody") == 65534)
      local dropped = ids()
      -- the saved id is still root: the effective one can come back
      P.seteuid(0)
      P.setegid(0)
      P.setgroups({})
      return dropped .. " | " .. ids():gsub(" | groups.*", "")
    end))
    assert.are.equal("uid 65534 65534 65534 65534 | gid 65534 65534 65534 65534 | groups",
                     in_child(function()
      P.setgroups({})
      P.setgid(65534)
      P.setuid(65534)
      return ids()
    end))
  end)

  it("groups() lists, initgroups sets the user's groups (nobody has none) plus one", function()
    assert.are.equal("3", in_child(function()
      local g = P.initgroups("nobody", 3)
      table.sort(g, function(a, b) return a > b end)
      local now = P.groups()
      table.sort(now, function(a, b) return a > b end)
      assert(table.concat(now, ",") == table.concat(g, ","))
      return table.concat(g, ",")
    end))
  end)

  it("refuses bad ids and groups", function()
    assert.has_error(function() P.setuid(-1) end, "bad argument #1 to 'setuid' (uid out of range)")
    assert.has_error(function() P.setgid(2 ^ 32 - 1) end,
                     "bad argument #1 to 'setgid' (gid out of range)")
    assert.has_error(function() P.setgroups({0, "no such group here"}) end,
                     "bad argument #1 to 'setgroups' (no such group: no such group here)")
    assert.has_error(function() P.setgroups({0, -5}) end,
                     "bad argument #1 to 'setgroups' (group 2: gid out of range)")
    assert.has_error(function() P.setgroups({0, {}}) end)
    assert.has_error(function() P.setgroups(0) end)
    assert.has_error(function() P.initgroups("nobody") end)
    assert.has_error(function() P.seteuid("no\0body") end)
    assert.are.equal(0, P.euid())
  end)
end)

describe("identity changes without privilege", function()
  U.guard(before_each, after_each)

  it("raise EPERM and change nothing", function()
    local cmd = U.quote(U.BROOD) .. " -"
    if ROOT then cmd = "setpriv --reuid=nobody --regid=nogroup --clear-groups " .. cmd end
    local r = U.sh(cmd, {stdin = IDS .. [[
      local P = require "brood.process"
      local before = ids()
      for _, f in ipairs{function() return P.change_privilege("root") end,
                         function() return P.setuid(0) end,
                         function() return P.setgroups({0}) end,
                         function() return P.initgroups("root", 0) end} do
        local ok, err = pcall(f)
        io.write(tostring(ok), " ", tostring(err.errno), " ")
      end
      print(ids() == before)
    ]]})
    assert.are.equal("", r.err)
    assert.are.equal("false EPERM false EPERM false EPERM false EPERM true\n", r.out)
  end)
end)
