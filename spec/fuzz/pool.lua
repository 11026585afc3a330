--- The fuzz harness's pool of awkward values. Every value comes with a
-- repro: a Lua expression that rebuilds it, for the one-line repro of a
-- finding. Nothing here runs a program or touches a path outside the
-- batch's scratch directory except "/dev/null", "/dev/full" and
-- "/nonexistent/x" (the harness also mounts / read-only around it).
local M = {}

-- Errors raised on purpose by pool functions and hostile metatables carry
-- this marker, so that the judge can tell them from brood's own.
M.SENTINEL = "FUZZ-SENTINEL"
M.SENTINEL_TABLE = setmetatable({}, {__name = "fuzz.Sentinel",
                                      __tostring = function() return M.SENTINEL end})

--- Lua source for a value that needs no context: numbers, strings,
-- booleans, nil. Long strings are abbreviated to keep log lines short.
local function quote(s)
  return (string.format("%q", s):gsub("\\\n", "\\n"):gsub("\r", "\\r"))
end

function M.literal(v)
  local t = type(v)
  if t == "nil" or t == "boolean" then return tostring(v) end
  if t == "number" then
    if v ~= v then return "0/0" end
    if v == math.huge then return "math.huge" end
    if v == -math.huge then return "-math.huge" end
    if math.type(v) == "integer" then
      if v == math.mininteger then return "math.mininteger" end
      return string.format("%d", v)
    end
    if v == 0 and 1 / v < 0 then return "-0.0" end
    local s = string.format("%.17g", v)
    if not s:find("[%.eEn]") then s = s .. ".0" end
    return s
  end
  if t == "string" then
    if #v > 100 then
      local c = v:sub(1, 1)
      if v == c:rep(#v) then return "(" .. quote(c) .. "):rep(" .. #v .. ")" end
      return "(" .. quote(v:sub(1, 40)) .. ") --[[first 40 of " .. #v .. " bytes]]"
    end
    return quote(v)
  end
  return "nil --[[" .. t .. "]]"
end
local literal = M.literal

local function entry(v, repro) return {v = v, repro = repro or literal(v)} end

-- {{{ Scalars

local KB = 1024
local HUGE = ("a"):rep(KB * KB)  -- 1 MB

--- Numbers, strings, booleans and nil that break naive C code.
function M.scalars()
  local list = {}
  local function add(v, repro) list[#list + 1] = entry(v, repro) end
  -- integers around every width a C binding may squeeze them into
  for _, v in ipairs{math.mininteger, math.maxinteger, 2147483648, 2147483647, -2147483648,
                     -2147483647, 4294967296, 4294967295, -4294967295, 4294967296 + 15,
                     4294967296 + 9, 4294967296 + 1, 9007199254740993, 1 << 40, -1, 0, 1,
                     2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 64, 255, 256, 511, 512, 4096, 65535,
                     65536, 1000000000, -15, -9} do
    add(v)
  end
  add(2.0 ^ 63, "2^63")
  add(-(2.0 ^ 63), "-2^63")
  add(2.0 ^ 31, "2^31")
  add(2.0 ^ 32 - 1, "2^32-1")
  add(2.0 ^ 53, "2^53")
  -- floats
  add(0 / 0, "0/0")
  add(math.huge, "math.huge")
  add(-math.huge, "-math.huge")
  for _, v in ipairs{1e308, 1e300, -1e308, 0.5, 1.5, -0.5, 1e-300, 0.01, 0.25, 3.0, 2.5} do
    add(v)
  end
  add(-0.0, "-0.0")
  -- booleans and nil
  add(true)
  add(false)
  add(nil)
  add(nil)
  -- strings
  for _, v in ipairs{"", "x", "0", "-1", "1e400", "0x10", " 12 ", "077", "0777", "999",
                     "nan", "inf", "-inf", "PATH\0x", "x\0y", "\0", "=", "A=B", "\255\254",
                     "%s%n%d", "\n", "-", "+", "SIG", "true", "nil", "1.5", "-0", "8"} do
    add(v)
  end
  add(HUGE, '("a"):rep(1<<20)')
  add(("b"):rep(4097), '("b"):rep(4097)')
  add(("c"):rep(255), '("c"):rep(255)')
  return list
end

-- }}}
-- {{{ Domain strings: signals, paths, programs, names

--- Signal names: every name Signal.list() knows, with and without SIG,
-- plus bogus ones.
function M.signals(Signal)
  local list, names = {}, {}
  local ok, all = pcall(Signal.list)
  if ok and type(all) == "table" then
    for name in pairs(all) do names[#names + 1] = name end
  end
  table.sort(names)
  for _, name in ipairs(names) do
    list[#list + 1] = entry(name)
    list[#list + 1] = entry("SIG" .. name)
    list[#list + 1] = entry("-" .. name)
  end
  for _, v in ipairs{"SIGFOO", "FOO", "RTMIN+99", "RTMAX-99", "RTMIN-1", "RTMAX+1", "RTMIN+",
                     "RTMIN+x", "RTMIN+1x", "--INT", "-SIGTERM", "int", "sigint", "INT\0x",
                     "SIG", "-", "-0", "0", "64", "65", "SIGEXIT", "EXIT", "KILL", "STOP",
                     "SEGV", "ZERO", " INT", "INT "} do
    list[#list + 1] = entry(v)
  end
  return list
end

--- Paths: relative to the batch's scratch directory, plus the three
-- absolute ones that are safe anywhere and the scratch directory itself.
function M.paths(scratch)
  local list = {}
  for _, v in ipairs{"f1", "f2", "d1", "d1/f3", "fifo1", "sock1", "lf1", ".", "d1/",
                     "nonexistent/x", "/dev/null", "/dev/full", "/nonexistent/x", "PATH\0x",
                     "f1\0/etc/passwd"} do
    list[#list + 1] = entry(v)
  end
  if scratch then list[#list + 1] = entry(scratch) end
  return list
end

--- Programs: only harmless ones (and names that do not exist).
M.PROGRAMS = {"true", "false", "echo", "cat", "sh", "/bin/echo", "sleep 0.01",
              "nonexistent-cmd-9z", "./nonexistent", "echo hi | cat", "exit 3", "echo $HOME",
              "d1", "f1", "echo", "true"}

function M.programs()
  local list = {}
  for _, v in ipairs(M.PROGRAMS) do list[#list + 1] = entry(v) end
  return list
end

--- Environment variable names.
M.ENV_NAMES = {"PATH", "HOME", "FUZZ_X", "LANG", "", "A=B", "PATH\0x", "X\0", "1"}

-- }}}
-- {{{ Functions and hostile tables: built from their own source, which
-- is also their repro

-- Errors raised on purpose.
local RAISE = 'function() error("' .. M.SENTINEL .. '", 0) end'
local YIELD = "function() coroutine.yield(1) end"

local function expand(src)
  return (src:gsub("RAISE", RAISE):gsub("YIELD", YIELD))
end

--- Compiles each source once; list entries become {make = fn, repro = src}
-- where make() returns a fresh value.
local function compile(sources)
  local list = {}
  for _, src in ipairs(sources) do
    src = expand(src)
    local make = assert(load("return " .. src, "=" .. M.SENTINEL, "t", _G))
    list[#list + 1] = {make = make, repro = src}
  end
  return list
end

-- Functions that brood may call back: trap handlers, at_exit functions,
-- fork(fn), IO.pipe(fn), chdir(dir, fn), popen/Open3 blocks...
M.FUNCTIONS = compile{
  "function() end",
  'function() return math.huge, {}, nil, "x" end',
  "RAISE",
  'function() error(setmetatable({}, {__name = "fuzz.Sentinel"})) end',
  "YIELD",
  "function() collectgarbage() collectgarbage() end",
  "function(...) for _, x in ipairs{...} do pcall(function() x:close() end) end end",
  "function(...) return ... end",
  'function() return ("r"):rep(65536) end',
}
-- Compiled once: the same function each time (a trap handler can be
-- compared with what trap returns).
for _, f in ipairs(M.FUNCTIONS) do f.value = f.make() end

-- Tables whose metamethods raise, yield or lie.
M.HOSTILE = compile{
  "setmetatable({}, {__index = RAISE})",
  "setmetatable({}, {__index = YIELD})",
  "setmetatable({}, {__index = function() return math.huge end})",
  "setmetatable({}, {__index = function(t) return t end})",
  'setmetatable({}, {__index = function() return ("a"):rep(1 << 20) end})',
  "setmetatable({}, {__newindex = RAISE})",
  "setmetatable({}, {__len = RAISE})",
  "setmetatable({}, {__len = function() return math.maxinteger end})",
  'setmetatable({"echo", "x"}, {__len = function() return 1 << 40 end})',
  'setmetatable({"echo"}, {__len = function() return -1 end})',
  "setmetatable({}, {__len = function() return 0.5 end})",
  'setmetatable({}, {__len = function() return "x" end})',
  "setmetatable({}, {__pairs = RAISE})",
  "setmetatable({}, {__pairs = YIELD})",
  'setmetatable({out = "f1"}, {__pairs = function() return RAISE, nil, nil end})',
  "setmetatable({}, {__pairs = function() local n = 0 return function() n = n + 1 "
    .. "if n < 50 then return n, n end end, nil, nil end})",
  'setmetatable({}, {__pairs = function() return function(_, k) '
    .. 'if k == nil then return {}, "x" end end, nil, nil end})',
  "setmetatable({}, {__tostring = RAISE})",
  "setmetatable({}, {__tostring = function() return {} end})",
  'setmetatable({}, {__tostring = function() return ("a"):rep(1 << 20) end})',
  "setmetatable({}, {__eq = RAISE})",
  "setmetatable({}, {__call = RAISE})",
  "setmetatable({}, {__close = RAISE})",
  "setmetatable({}, {__gc = RAISE})",
  "setmetatable({}, {__gc = YIELD})",
  'setmetatable({}, {__metatable = "locked", __index = RAISE})',
  'setmetatable({}, {__name = "brood.IO"})',
  "setmetatable({}, {__name = 42})",
  'setmetatable({"echo", "x"}, {__index = RAISE})',
  'setmetatable({"echo", "x"}, {__index = YIELD, __len = YIELD})',
  "(function() local t = {} t[1] = t return t end)()",
  '(function() local t = {"echo"} t.out = t t[2] = t return t end)()',
  '(function() local t = "x" for _ = 1, 300 do t = {t} end return t end)()',
  '(function() local t = {} for i = 1, 3000 do t[i] = "x" end return t end)()',
  '{[1] = "echo", [3] = "x"}',
  '{n = -1, "echo"}',
  "{n = math.maxinteger}",
  '{[1.5] = "x", [-1] = "y", [0] = "z"}',
}

-- }}}

return M
