-- Expectation files for examples: examples/<dir>/<name>.expect beside
-- examples/<dir>/<name>.lua.
--
-- The file is the expected stdout, one line per line, read literally
-- except for placeholders:
--   {n}    digits (a pid, a count)        {num}  a number (1.5, -3)
--   {*}    anything, possibly nothing      {s}    a run of non-blanks
-- Lines starting with '@' at the top are directives:
--   @args a b c        arguments for the script (split on blanks)
--   @env NAME=value    environment for the script (repeatable)
--   @stdin text        text fed to stdin (a newline is added)
--   @exit N            expected exit status (default 0)
--   @signal N          expected to die by signal N
--   @timeout S         seconds before the run is killed (default 20)
--   @unordered         the lines may come in any order (racing processes)
--   @subset            the expected lines appear in this order among others
--   @run shell-cmd     run this instead of `brood example`; $BROOD is the
--                      binary and $EXAMPLE the script (for companions that
--                      play a second terminal)
--   @ruby same         the Ruby original, run by ruby, prints the same
--                      (after pids, numbers and times are normalised)
--   @ruby skip reason  why the Ruby original cannot be run as it is
-- A line '@stderr' starts the expected stderr (same rules); without it,
-- stderr must be empty. '@stderr any' accepts any stderr.
local M = {}

local function topattern(line)
  local out = {}
  local i = 1
  while i <= #line do
    local ph = line:match("^{([%w%*]+)}", i)
    if ph == "n" then out[#out + 1] = "%d+"
    elseif ph == "num" then out[#out + 1] = "%-?[%d%.]+"
    elseif ph == "*" then out[#out + 1] = ".-"
    elseif ph == "s" then out[#out + 1] = "%S+"
    end
    if ph and (ph == "n" or ph == "num" or ph == "*" or ph == "s") then
      i = i + #ph + 2
    else
      out[#out + 1] = line:sub(i, i):gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0")
      i = i + 1
    end
  end
  return "^" .. table.concat(out) .. "$"
end
M.topattern = topattern

local function lines(s)
  local t = {}
  for l in (s .. (s:sub(-1) == "\n" and "" or "\n")):gmatch("(.-)\n") do t[#t + 1] = l end
  if s == "" then t = {} end
  return t
end
M.lines = lines

--- Reads an expectation file.
function M.read(path)
  local f = assert(io.open(path))
  local text = f:read("a")
  f:close()
  local e = {args = {}, env = {}, exit = 0, timeout = 20, out = {}, err = {}, ruby = nil}
  local target = e.out
  local header = true
  for _, l in ipairs(lines(text)) do
    local d, rest = l:match("^@(%w+)%s*(.-)%s*$")
    if d == "stderr" then
      target = e.err
      header = false
      if rest == "any" then e.anyerr = true end
    elseif header and d then
      if d == "args" then for a in rest:gmatch("%S+") do e.args[#e.args + 1] = a end
      elseif d == "env" then
        local k, v = rest:match("^([%w_]+)=(.*)$")
        e.env[k] = v
      elseif d == "stdin" then e.stdin = rest .. "\n"
      elseif d == "exit" then e.exit = tonumber(rest)
      elseif d == "signal" then e.signal = tonumber(rest)
      elseif d == "timeout" then e.timeout = tonumber(rest)
      elseif d == "unordered" then e.unordered = true
      elseif d == "subset" then e.subset = true
      elseif d == "run" then e.run = rest
      elseif d == "ruby" then
        local how, why = rest:match("^(%S+)%s*(.*)$")
        e.ruby = {how = how, why = why}
      else
        error(path .. ": unknown directive @" .. d)
      end
    else
      header = false
      target[#target + 1] = l
    end
  end
  return e
end

-- Does every line of 'got' match 'want' (lists), in the given mode?
-- Returns true, or false and a message.
function M.compare(want, got, mode)
  local pats = {}
  for i, w in ipairs(want) do pats[i] = topattern(w) end
  if mode == "unordered" then
    if #want ~= #got then
      return false, ("expected %d lines, got %d"):format(#want, #got)
    end
    local used = {}
    for _, g in ipairs(got) do
      local found = false
      for i, p in ipairs(pats) do
        if not used[i] and g:match(p) then used[i], found = true, true break end
      end
      if not found then return false, "unexpected line: " .. g end
    end
    return true
  elseif mode == "subset" then
    local j = 1
    for _, g in ipairs(got) do
      if pats[j] and g:match(pats[j]) then j = j + 1 end
    end
    if j <= #pats then return false, "missing line: " .. want[j] end
    return true
  end
  for i = 1, math.max(#want, #got) do
    if not want[i] then return false, ("line %d unexpected: %s"):format(i, got[i]) end
    if not got[i] then return false, ("line %d missing: %s"):format(i, want[i]) end
    if not got[i]:match(pats[i]) then
      return false, ("line %d: expected %q, got %q"):format(i, want[i], got[i])
    end
  end
  return true
end

--- The Ruby original of an example: the --[[ruby ... --]] block at its top.
function M.ruby_source(path)
  local f = assert(io.open(path))
  local text = f:read("a")
  f:close()
  return text:match("^%-%-%[%[ruby\n(.-)\n%-%-%]%]")
end

--- Output with what varies between runs and languages made uniform:
-- numbers become N.
function M.normalise(s)
  return (s:gsub("%-?%d+%.?%d*", "N"))
end

-- Examples run by other tests: the embedding host's scripts.
local ELSEWHERE = {embed = true}

--- Every example script under 'root', as paths relative to it, sorted.
function M.examples(root)
  local lfs = require "lfs"
  local out = {}
  local function find(dir, rel)
    local names = {}
    for name in lfs.dir(dir) do
      if name ~= "." and name ~= ".." then names[#names + 1] = name end
    end
    table.sort(names)
    for _, name in ipairs(names) do
      local path, r = dir .. "/" .. name, rel == "" and name or rel .. "/" .. name
      local mode = lfs.attributes(path, "mode")
      if mode == "directory" and not ELSEWHERE[r] then
        find(path, r)
      elseif mode == "file" and name:match("%.lua$") then
        out[#out + 1] = r
      end
    end
  end
  find(root, "")
  return out
end

return M
