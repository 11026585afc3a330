-- brood._repl -- what the REPL adds to the prompt: Tab completion and
-- help(). Internal: the REPL (src/repl.c) calls complete() on Tab and
-- binds help as a global, giving it docs: each reference page's markdown
-- by name ("process"), compiled into the brood executable.
local M = {}

local KEYWORDS = {
  "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if",
  "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
}

-- Where a string constant is expected: the call's text before the quote,
-- and what the constants are.
local function signal_names()
  local names = {}
  local ok, Signal = pcall(require, "brood.signal")
  if ok then
    for name in pairs(Signal.list()) do names[#names + 1] = name end
  end
  return names
end

local STRING_ARGS = {
  {"Signal%.trap%s*%(%s*$", signal_names},
  {"Signal%.wait%s*%(%s*$", signal_names},
  {"Signal%.wait%s*%(%s*{[^}]*$", signal_names},
  {"Process%.kill%s*%(%s*$", signal_names},
  {"[%w_]+:kill%s*%(%s*$", signal_names},
  {"[%w_]+:signal%s*%(%s*$", signal_names},
}

-- Tables whose keys a value offers after '.' or ':': itself (if a table)
-- and what its metatable's __index leads to -- a table, or the method
-- tables a C __index function keeps as upvalues (brood's IO objects).
local function sources(v)
  local out, seen = {}, {}
  local function add(t)
    if type(t) == "table" and not seen[t] then
      seen[t] = true
      out[#out + 1] = t
    end
  end
  if type(v) == "table" then add(v) end
  for _ = 1, 4 do  -- follow __index chains a few levels
    local mt = (type(v) == "table" or type(v) == "userdata" or type(v) == "string")
      and getmetatable(v)
    if type(mt) ~= "table" then break end
    local index = rawget(mt, "__index")
    if type(index) == "table" then
      add(index)
      v = index
    elseif type(index) == "function" then
      for i = 1, 8 do
        local name, up = debug.getupvalue(index, i)
        if not name then break end
        add(up)
      end
      break
    else
      break
    end
  end
  return out
end

-- The value an expression like "Process" or "IO.stdin" names, found by
-- indexing (never by calling anything).
local function resolve(path)
  local v = _G
  for part in path:gmatch("[^%.]+") do
    if type(v) ~= "table" and type(v) ~= "userdata" then return nil end
    local ok, nv = pcall(function() return v[part] end)
    if not ok then return nil end
    v = nv
  end
  return v
end

local function common_prefix(list)
  local p = list[1] or ""
  for i = 2, #list do
    local s = list[i]
    local n = 0
    while n < #p and n < #s and p:byte(n + 1) == s:byte(n + 1) do n = n + 1 end
    p = p:sub(1, n)
  end
  return p
end

-- complete(text before the cursor) -> what to insert at the cursor, and
-- the sorted candidates (whole words) when there is more than one.
function M.complete(line)
  local cands, partial = {}, nil
  local seen = {}
  local function offer(name)
    if type(name) == "string" and name:sub(1, #partial) == partial and not seen[name] then
      seen[name] = true
      cands[#cands + 1] = name
    end
  end
  -- a string constant: Signal.trap("US<Tab>
  local before, quote, str = line:match("^(.-)([\"'])([%w_+-]*)$")
  if before then
    for _, rule in ipairs(STRING_ARGS) do
      if before:match(rule[1]) then
        partial = str
        for _, name in ipairs(rule[2]()) do offer(name) end
        break
      end
    end
    if not partial then return "", {} end
  else
    local word = line:match("([%a_][%w_%.:]*)$") or ""
    if word == "" then return "", {} end
    local base, sep
    base, sep, partial = word:match("^(.*)([%.:])([%w_]*)$")
    if not base then
      partial = word
      for k in pairs(_G) do
        if type(k) == "string" and k:match("^[%a_][%w_]*$") then offer(k) end
      end
      for _, k in ipairs(KEYWORDS) do offer(k) end
    else
      if base == "" or base:find(":", 1, true) then return "", {} end
      local v = resolve(base)
      if v == nil then return "", {} end
      for _, t in ipairs(sources(v)) do
        for k, x in pairs(t) do
          if type(k) == "string" and k:match("^[%a_][%w_]*$") and not k:match("^__")
             and (sep == "." or type(x) == "function") then
            offer(k)
          end
        end
      end
    end
  end
  table.sort(cands)
  local insert = common_prefix(cands):sub(#partial + 1)
  if #cands == 1 and quote then insert = insert .. quote end
  return insert, cands
end

-- {======================================================
-- help
-- =======================================================

local MODULES = {  -- the global or module name a reference file documents
  Process = "brood.process", Signal = "brood.signal", IO = "brood.io", Socket = "brood.socket",
  Open3 = "brood.open3", Task = "brood.task", Supervisor = "brood.supervisor",
  systemd = "brood.systemd", brood = "brood",
}

-- Every reference entry: {names = {...}, file, text}; made at the first
-- help() and kept.
local entries
local function load_entries(docs)
  if entries then return entries end
  entries = {}
  local files = {}
  for file in pairs(docs) do files[#files + 1] = file end
  table.sort(files)
  for _, file in ipairs(files) do
    local cur
    local function close()
      if cur then
        cur.text = table.concat(cur.lines, "\n"):gsub("%s+$", "")
        entries[#entries + 1] = cur
        cur = nil
      end
    end
    for l in (docs[file] .. "\n"):gmatch("(.-)\n") do
      local hashes = l:match("^(#+) ")
      if hashes then
        close()
        if #hashes >= 3 then
          cur = {names = {}, file = file, lines = {l}}
          for name in l:gmatch("`([%w_%.:]+)[%(`%s%[]") do cur.names[#cur.names + 1] = name end
        end
      elseif cur then
        cur.lines[#cur.lines + 1] = l
      end
    end
    close()
  end
  return entries
end

-- The documented name of a value: "Process.spawn" for Process.spawn.
local function name_of(v)
  for global, modname in pairs(MODULES) do
    local ok, mod = pcall(require, modname)
    if ok and type(mod) == "table" then
      if mod == v then return global end
      for k, x in pairs(mod) do
        if x == v and type(k) == "string" then return global .. "." .. k end
      end
    end
  end
  -- a method of IO objects or sockets, tasks, queues, semaphores
  local ok, IO = pcall(require, "brood.io")
  if ok then
    for _, t in ipairs(sources(IO.stdin)) do
      for k, x in pairs(t) do
        if x == v then return k end
      end
    end
  end
  return nil
end

local function find(docs, name)
  local found = {}
  for _, e in ipairs(load_entries(docs)) do
    for _, n in ipairs(e.names) do
      local short = n:match("[%.:]([%w_]+)$")
      if n == name or (not name:find("[%.:]") and short == name) then
        found[#found + 1] = e
        break
      end
    end
  end
  return found
end

local USAGE = [[
help(Process.spawn) or help "Process.spawn" prints a function's reference entry;
help "spawn" finds it by its last name, help "io:read" a method's, help(Process)
lists a module's entries. Tab completes names, fields, methods and signal names.
The whole reference: man brood-process (and brood-signal, brood-io...).]]

-- help([what]) -- prints the reference entry of a brood function, method
-- or module (what: the value itself, or its name as a string).
function M.help(docs, what)
  if what == nil then
    print(USAGE)
    return
  end
  local name = type(what) == "string" and what or name_of(what)
  if not name then
    print("help: no reference entry for this value (a brood function or its name is expected)")
    return
  end
  if MODULES[name] then  -- a module: its entries' headings
    local out = {}
    for _, e in ipairs(load_entries(docs)) do
      for _, n in ipairs(e.names) do
        if n:match("^" .. name .. "[%.:]") then
          out[#out + 1] = e.text:match("^[^\n]*"):gsub("^#+ ", ""):gsub("`", "")
          break
        end
      end
    end
    print(#out > 0 and table.concat(out, "\n") or "help: nothing documented for " .. name)
    return
  end
  local found = find(docs, name)
  if #found == 0 then
    print("help: no reference entry for " .. name)
    return
  end
  for i, e in ipairs(found) do
    if i > 1 then print() end
    print(e.text)
  end
end

return M
