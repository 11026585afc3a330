-- Helpers shared by the specs: running brood and other commands as real
-- subprocesses, with a time limit, capturing output and exit status.
local M = {}

-- busted's TAP lines go out as each test ends: if a test hangs and the
-- runner kills the spec, the log still shows how far it got.
io.stdout:setvbuf("line")

-- meson keeps no TAP line of a spec it kills at its time limit: each test
-- is also written, as it starts, to <build>/meson-logs/<spec>.progress,
-- whose last line `./dev test` shows for a spec that timed out.
if os.getenv("BROOD_BUILD_ROOT") then
  local ok, busted = pcall(require, "busted")
  if ok and type(busted) == "table" and busted.subscribe then
    local started = {}
    busted.subscribe({"test", "start"}, function(element)
      local src = element.trace and element.trace.short_src or "spec"
      local name = src:match("([%w_]+)_spec%.lua$") or "spec"
      -- opened and closed each time: no descriptor of ours in a test's count
      local f = io.open(os.getenv("BROOD_BUILD_ROOT") .. "/meson-logs/" .. name .. ".progress",
                        started[name] and "a" or "w")
      started[name] = true
      if f then
        local names, e = {}, element
        while e and e.descriptor ~= "file" and e.name do
          table.insert(names, 1, e.name)
          e = busted.parent(e)
        end
        f:write(os.date("!%H:%M:%S "), table.concat(names, " "), "\n")
        f:close()
      end
      return nil, true
    end)
  end
end

M.BROOD = assert(os.getenv("BROOD"), "BROOD must name the brood binary under test")
M.SOURCE_ROOT = os.getenv("BROOD_SOURCE_ROOT") or "."
M.BUILD_ROOT = os.getenv("BROOD_BUILD_ROOT") or "build"
M.PTYEXPECT = os.getenv("PTYEXPECT")

-- Every command the specs run is killed if it outlives this many seconds.
M.LIMIT = 30

function M.quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function tmpfile(contents)
  local name = os.tmpname()
  local f = assert(io.open(name, "wb"))
  f:write(contents or "")
  f:close()
  return name
end
M.tmpfile = tmpfile

local function slurp(name)
  local f = assert(io.open(name, "rb"))
  local s = f:read("a")
  f:close()
  return s
end
M.slurp = slurp

-- Runs a shell command line. opts.stdin: text fed to its stdin;
-- opts.env: table of NAME = value (false unsets) set for it.
-- Returns {out = stdout, err = stderr, code = exit status, signal = n}.
function M.sh(cmd, opts)
  opts = opts or {}
  local inf = tmpfile(opts.stdin or "")
  local errf = tmpfile()
  local prefix = ""
  for k, v in pairs(opts.env or {}) do
    if v == false then prefix = prefix .. "unset " .. k .. "; "
    else prefix = prefix .. "export " .. k .. "=" .. M.quote(v) .. "; " end
  end
  -- the status goes to a file: a process the command leaves behind (an
  -- orphan, a daemon) may still write to stdout after it ends
  local rcf = tmpfile()
  local line = ("%s timeout -k 5 %d sh -c %s <%s 2>%s; echo $? >%s"):format(
    prefix, opts.limit or M.LIMIT, M.quote(cmd), M.quote(inf), M.quote(errf), M.quote(rcf))
  local p = assert(io.popen(line, "r"))
  local out = p:read("a")
  p:close()
  local code = tonumber(slurp(rcf):match("%d+"))
  local err = slurp(errf)
  os.remove(inf)
  os.remove(errf)
  os.remove(rcf)
  local r = {out = out, err = err, code = code}
  if code and code > 128 and code < 160 then r.signal = code - 128 end
  return r
end

-- Runs brood with the given arguments (a list of strings).
function M.brood(args, opts)
  local parts = {M.quote(M.BROOD)}
  for _, a in ipairs(args or {}) do parts[#parts + 1] = M.quote(a) end
  return M.sh(table.concat(parts, " "), opts)
end

-- Runs a Lua snippet as a brood script (written to a temporary file).
function M.script(code, args, opts)
  local name = tmpfile(code)
  local a = {name}
  for _, v in ipairs(args or {}) do a[#a + 1] = v end
  local r = M.brood(a, opts)
  os.remove(name)
  r.path = name
  return r
end

-- Plays a ptyexpect script (a list of lines) against argv on a new
-- terminal. Returns the transcript and whether the script completed.
function M.pty(argv, lines, opts)
  opts = opts or {}
  assert(M.PTYEXPECT, "PTYEXPECT must name the ptyexpect helper")
  local parts = {M.quote(M.PTYEXPECT), "-t", tostring(opts.timeout or 10)}
  for _, a in ipairs(argv) do parts[#parts + 1] = M.quote(a) end
  local r = M.sh(table.concat(parts, " "), {
    stdin = table.concat(lines, "\n") .. "\n",
    env = opts.env,
  })
  r.transcript = r.out:gsub("\r", "")
  r.completed = r.code == 0
  return r
end

-- What a spec must leave as it found it: open fds, child processes
-- (zombies included) and the working directory.
local warmed = false
function M.snapshot()
  local lfs = require "lfs"
  if not warmed then
    -- brood opens its signal wake-up pipe on first use, and keeps it: make
    -- that happen before the first snapshot (detach uses it).
    local P = require "brood.process"
    P.detach(P.fork(function() end)):join()
    warmed = true
  end
  local fds = {}
  for name in lfs.dir("/proc/self/fd") do
    local target = name:match("^%d+$") and lfs.symlinkattributes("/proc/self/fd/" .. name, "target")
    -- the directory iterator's own descriptor is not the spec's
    if target and not target:match("^/proc/%d+/fd$") then fds[#fds + 1] = tonumber(name) end
  end
  table.sort(fds)
  local children = {}
  local pid = M.slurp("/proc/self/stat"):match("^(%d+)")
  for c in M.slurp(("/proc/%s/task/%s/children"):format(pid, pid)):gmatch("%d+") do
    children[#children + 1] = tonumber(c)
  end
  table.sort(children)
  return {fds = fds, children = children, cwd = lfs.currentdir()}
end

-- Call inside a describe block as U.guard(before_each, after_each) (busted
-- gives those to spec files only): every test of the block must leave no
-- fd, child or directory change behind.
function M.guard(before_each, after_each)
  local luassert = require "luassert"
  local before
  -- The collector stays off during the test: a descriptor that only the
  -- collector would close is a leak every time, not when a cycle happens
  -- not to run.
  before_each(function()
    collectgarbage("stop")
    before = M.snapshot()
  end)
  after_each(function()
    local after = M.snapshot()
    collectgarbage("restart")
    luassert.are.same(before.children, after.children, "a child process was left behind")
    luassert.are.same(before.fds, after.fds, "a file descriptor was left open")
    luassert.are.equal(before.cwd, after.cwd, "the working directory was changed")
  end)
end

-- Polls cond() until it is true or 'limit' seconds pass; returns its last
-- value. For conditions another process makes true (no fixed sleeps).
function M.eventually(cond, limit)
  local P = require "brood.process"
  local deadline = P.clock_gettime("MONOTONIC") + (limit or 10)
  local v = cond()
  while not v and P.clock_gettime("MONOTONIC") < deadline do
    P.sleep(0.005)
    v = cond()
  end
  return v
end

-- The state letter of a process (R, S, Z, ...) from /proc, or nil.
function M.procstate(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s and s:match("%) (%a)")
end

return M
