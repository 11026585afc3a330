-- Every example in the reference runs: each ```lua block of
-- docs/reference/*.md is run as a script by brood, in a fresh empty
-- directory with stdin from /dev/null, and must exit with status 0 within
-- LIMIT seconds, leaving no process behind (its children, and whatever
-- they started, have ended by then too) and no uncaught error reported
-- on its output (a line starting "brood: ", as a forked child's is).
--
-- A block runs as if the synopses of the pages came first: brood,
-- Process, Signal, IO, Socket, Open3, Task, Supervisor and systemd are
-- locals holding the modules. Error messages name the page and the line
-- of the block's code: the script is a file named after the page, with
-- the block's code at the lines it has there.
--
-- An HTML comment on the line before a block's fence says what else to
-- do with it:
--
--   <!-- example: fragment -->
--       a piece of a program: it uses names the surrounding text defines
--       in words, or it is a server that never ends. It is only compiled
--       (load), not run.
--   <!-- example: needs root -->
--       runs only where the specs run as root (it changes user ids or
--       binds a port below 1024); elsewhere it is only compiled.
--   <!-- example: needs PROGRAM -->
--       runs only where PROGRAM (make, say) is installed.
--
-- Keep the markers few: an example that can run should, even at the
-- cost of a line or two more.
local U = require "spec.helpers.util"
local lfs = require "lfs"

local REFERENCE = U.SOURCE_ROOT .. "/docs/reference"

-- Seconds a block may take, its children included.
local LIMIT = 10

local PRELUDE = "local brood, Process, Signal, IO, Socket, Open3, Task, Supervisor, systemd = "
  .. 'require "brood", require "brood.process", require "brood.signal", require "brood.io", '
  .. 'require "brood.socket", require "brood.open3", require "brood.task", '
  .. 'require "brood.supervisor", require "brood.systemd"'

-- Whether this machine has what a "needs" marker names; if not, why.
local function lacks(need)
  if need == "root" then
    return require("brood.process").euid() ~= 0 and "not running as root"
  end
  return U.sh("command -v " .. U.quote(need)).code ~= 0 and need .. " is not installed"
end

-- The blocks of one page: {file, line (of the fence), code, marker}.
local function blocks_of(file)
  local blocks = {}
  local n, block, previous = 0, nil, ""
  for line in io.lines(REFERENCE .. "/" .. file) do
    n = n + 1
    if block then
      local indent = block.indent
      if line:match("^%s*```%s*$") then
        blocks[#blocks + 1] = block
        block = nil
      else
        if line:sub(1, #indent) == indent then line = line:sub(#indent + 1) end
        block.lines[#block.lines + 1] = line
      end
    else
      local indent, lang = line:match("^(%s*)```%s*(%S*)")
      if indent then
        local marker = previous:match("^%s*<!%-%-%s*example:%s*(.-)%s*%-%->%s*$")
        block = {file = file, line = n, indent = indent, lines = {}, marker = marker,
                 lua = lang == "lua"}
      end
      previous = line
    end
  end
  assert(not block, file .. ":" .. n .. ": a code block is not closed")
  local lua = {}
  for _, b in ipairs(blocks) do
    if b.lua then
      b.code = table.concat(b.lines, "\n") .. "\n"
      lua[#lua + 1] = b
    else
      assert(not b.marker, ("%s:%d: an example marker before a block that is not Lua")
        :format(file, b.line))
    end
  end
  return lua
end

local files = {}
for name in lfs.dir(REFERENCE) do
  if name:match("%.md$") then files[#files + 1] = name end
end
table.sort(files)

-- Runs a script under brood as a child subreaper: whatever the script
-- leaves running comes back to the runner, which waits for it until the
-- deadline and then kills it. Prints "exit N" or "signal N" (or
-- "timeout") for the script, then "left PID COMMAND" for each process
-- still running at the deadline.
local RUNNER = [[
local Process = require "brood.process"
local brood, script, dir, log, limit = arg[1], arg[2], arg[3], arg[4], tonumber(arg[5])
Process.subreaper(true)
-- outside systemd, whatever runs the specs
local pid = Process.spawn({NOTIFY_SOCKET = false, WATCHDOG_USEC = false, WATCHDOG_PID = false,
                           LISTEN_FDS = false, LISTEN_PID = false, LISTEN_FDNAMES = false},
  brood, script, {chdir = dir, ["in"] = "/dev/null", out = log, err = {"child", 1}})
local deadline = Process.clock_gettime("MONOTONIC") + limit
local result, late = "timeout", false
local function children()
  local me = Process.pid()
  local f = io.open(("/proc/%d/task/%d/children"):format(me, me))
  local list = {}
  for p in f:read("a"):gmatch("%d+") do list[#list + 1] = tonumber(p) end
  f:close()
  return list
end
local function reap()
  while true do
    local ok, p, status = pcall(Process.wait2, -1, Process.WNOHANG)
    if not ok or not p then return not ok end    -- ECHILD: no child left
    if p == pid and result == "timeout" and not late then
      result = status.exited and "exit " .. status.exitstatus or "signal " .. status.termsig
    end
  end
end
while not reap() and Process.clock_gettime("MONOTONIC") < deadline do Process.sleep(0.01) end
-- past the deadline: name what is still running, then end it
late = true
local left = {}
for _ = 1, 100 do
  local list = children()
  if #list == 0 then break end
  for _, p in ipairs(list) do
    local f = io.open("/proc/" .. p .. "/cmdline")
    local cmd = f and f:read("a"):gsub("%z", " ") or "?"
    if f then f:close() end
    if p ~= pid and not left[p] then left[#left + 1] = ("left %d %s"):format(p, cmd) end
    left[p] = true
    pcall(Process.kill, "KILL", p)
  end
  Process.sleep(0.01)
  reap()
end
print(result)
for _, line in ipairs(left) do print(line) end
]]

describe("reference examples", function()
  local base
  local count = 0

  setup(function()
    base = U.sh("mktemp -d").out:match("%S+") or error("mktemp -d failed")
    local f = assert(io.open(base .. "/runner.lua", "w"))
    f:write(RUNNER)
    f:close()
    assert(lfs.mkdir(base .. "/docs"))
    assert(lfs.mkdir(base .. "/docs/reference"))
  end)

  teardown(function()
    if base then U.sh("rm -rf " .. U.quote(base)) end
  end)

  -- Runs a block; returns the runner's report and the block's output.
  local function run(b)
    count = count + 1
    local dir = ("%s/run%d"):format(base, count)
    assert(lfs.mkdir(dir))
    -- the code at the lines it has on its page
    local script = base .. "/docs/reference/" .. b.file
    local f = assert(io.open(script, "w"))
    f:write(PRELUDE, ("\n"):rep(b.line), b.code)
    f:close()
    local log = base .. "/output"
    local r = U.sh(table.concat({U.quote(U.BROOD), U.quote(base .. "/runner.lua"),
                                 U.quote(U.BROOD), U.quote(script), U.quote(dir), U.quote(log),
                                 tostring(LIMIT)}, " "), {limit = LIMIT + 30})
    local output = io.open(log) and U.slurp(log) or "(none: the runner could not start it)\n"
    os.remove(log)
    U.sh("rm -rf " .. U.quote(dir))
    return r, output
  end

  local total = 0
  for _, file in ipairs(files) do
    for _, b in ipairs(blocks_of(file)) do
      total = total + 1
      local where = ("%s:%d"):format(file, b.line)
      local need = b.marker and b.marker:match("^needs%s+(%S+)$")

      it(where .. " compiles", function()
        local fn, err = load(("\n"):rep(b.line) .. b.code, "=" .. file, "t")
        assert(fn, where .. ": " .. tostring(err))
        assert(b.marker == nil or b.marker == "fragment" or need,
          where .. ": unknown example marker '" .. tostring(b.marker) .. "'")
      end)

      local why = need and lacks(need)
      if why then
        pending(where .. " runs (" .. why .. ")")
      elseif b.marker ~= "fragment" then
        it(where .. " runs", function()
          local r, output = run(b)
          local report = ("%s: the example\n%s--- its output:\n%s--- runner:\n%s%s"):format(
            where, b.code, output, r.out, r.err)
          assert(r.code == 0, report)
          local result = r.out:match("^[^\n]*")
          assert(result == "exit 0", ("%s: %s\n%s"):format(where, result, report))
          assert(not r.out:find("\nleft "), where .. ": processes left running\n" .. report)
          -- an uncaught error, in the script or in a process it forked
          assert(not ("\n" .. output):find("\n%S*brood: "), where .. ": an error\n" .. report)
        end)
      end
    end
  end

  it("found the examples", function()
    assert.is_true(total >= 50, total .. " examples")
  end)
end)
