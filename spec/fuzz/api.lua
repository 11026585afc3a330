--- What the fuzz harness calls: brood's public API, found by
-- introspection, so that functions and methods added later are fuzzed
-- without anyone touching the harness.
--
--  * modules: every "brood" and "brood.<name>" module registered in
--    package.preload (brood registers all of its modules there; names
--    starting with "_" are internal);
--  * their functions, and their constants (added to the pool);
--  * objects: the userdata and proxy tables the modules hold, plus what
--    the constructors below create and what calls return. For each new
--    metatable: its methods (an __index table, tables among the upvalues
--    of an __index function, or names from the reference documentation
--    probed one by one), its metamethods (called directly) and the
--    operations they serve (o[k], o[k] = v, #o, tostring(o), o == x,
--    o(...), pairs(o), <close>).
local M = {}

local DISPLAY = {brood = "brood", ["brood.io"] = "IO"}

local function display_name(modname)
  if DISPLAY[modname] then return DISPLAY[modname] end
  local last = modname:match("([^%.]+)$")
  return last:sub(1, 1):upper() .. last:sub(2)
end

--- The public modules, sorted by name: {name=, display=, table=}.
function M.modules()
  local names = {}
  for name in pairs(package.preload) do
    if (name == "brood" or name:match("^brood%.[%a][%w_]*$")) then names[#names + 1] = name end
  end
  for name in pairs(package.loaded) do
    if name:match("^brood%.[%a][%w_]*$") and not package.preload[name] then
      names[#names + 1] = name
    end
  end
  table.sort(names)
  local list = {}
  for _, name in ipairs(names) do
    local ok, mod = pcall(require, name)
    if ok and type(mod) == "table" then
      list[#list + 1] = {name = name, display = display_name(name), table = mod}
    end
  end
  return list
end

-- {{{ The reference documentation: names to probe, option keys, enum strings

local function read_file(path)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function executable_on_path(word)
  for dir in (os.getenv("PATH") or "/usr/bin:/bin"):gmatch("[^:]+") do
    local f = io.open(dir .. "/" .. word)
    if f then
      f:close()
      return true
    end
  end
  return false
end

--- Harvests docs/reference/*.md: identifiers in backticks (probe names),
-- the first column of tables (option keys, field names) and quoted
-- strings in backticks (enum values such as "EX", "NOFILE", "r+").
-- Strings that look like paths or that name a program are left out: a
-- pool value can end up as a command or a path to write.
function M.harvest_docs(docdir, allowed_programs)
  local idents, keys, strings = {}, {}, {}
  local seen_i, seen_k, seen_s = {}, {}, {}
  local allowed = {}
  for _, p in ipairs(allowed_programs or {}) do allowed[p] = true end
  local files = {"process", "signal", "io", "socket", "open3", "task", "supervisor", "systemd",
                 "brood", "errors"}
  local found_any = false
  for _, f in ipairs(files) do
    local text = read_file(docdir .. "/" .. f .. ".md")
    if text then
      found_any = true
      for code in text:gmatch("`([^`\n]+)`") do
        for w in code:gmatch("[%a_][%w_]*") do
          if not seen_i[w] then seen_i[w] = true idents[#idents + 1] = w end
        end
        for s in code:gmatch('"([^"\n]*)"') do
          if not seen_s[s] and #s <= 24 and s:match("^[%w_%+%-%.]*$") and not s:match("^%.")
             and (allowed[s] or not executable_on_path(s)) then
            seen_s[s] = true
            strings[#strings + 1] = s
          end
        end
      end
      for line in text:gmatch("[^\n]+") do
        local first = line:match("^|%s*([^|]+)|")
        if first then
          for w in first:gmatch("`([%a_][%w_]*)`") do
            if not seen_k[w] then seen_k[w] = true keys[#keys + 1] = w end
          end
          -- rlimit_<name> (rlimit_nofile, ...): the concrete names in that row
          for w in line:gmatch("`(rlimit_%l+)`") do
            if not seen_k[w] then seen_k[w] = true keys[#keys + 1] = w end
          end
        end
      end
    end
  end
  if not found_any then
    -- no documentation next to the harness: a minimal built-in list
    for _, w in ipairs{"pid", "exitstatus", "termsig", "stopsig", "success", "exited",
                       "signaled", "stopped", "coredump", "to_i", "inspect", "join", "value",
                       "alive", "sync", "read", "write", "close"} do
      idents[#idents + 1] = w
    end
    for _, w in ipairs{"in", "out", "err", "chdir", "umask", "pgroup", "new_pgroup", "setsid",
                       "close_others", "unsetenv_others", "argv0", "input", "stdin_data",
                       "timeout", "check", "rlimit_nofile", "rlimit_core"} do
      keys[#keys + 1] = w
    end
    for _, s in ipairs{"r", "w", "a", "r+", "w+", "EX", "SH", "UN", "NOFILE", "MONOTONIC",
                       "STREAM", "DGRAM", "UNIX", "RD", "WR", "IGNORE", "DEFAULT", "EXIT"} do
      strings[#strings + 1] = s
    end
  end
  return {idents = idents, keys = keys, strings = strings, from_docs = found_any}
end

-- }}}
-- {{{ Types and targets

-- Operations an object's metamethods serve, with the name Lua gives the
-- metamethod in an argument error.
M.OPS = {
  __index = "index", __newindex = "newindex", __len = "len", __tostring = "tostring",
  __eq = "eq", __call = "call", __pairs = "pairs", __close = "close", __concat = "concat",
  __lt = "lt", __le = "le", __unm = "unm", __add = "add",
}

local Registry = {}
Registry.__index = Registry

--- A registry of object types and of the targets (callables) found so far.
function M.registry(probe_names)
  return setmetatable({types = {}, bymt = {}, targets = {}, probe = probe_names or {}},
                      Registry)
end

function Registry:add_target(t)
  t.id = #self.targets + 1
  self.targets[t.id] = t
end

--- The module's functions become targets; its constants go to 'consts';
-- its objects (userdata, tables with a metatable) to the registry.
function Registry:add_module(mod, consts)
  local keys = {}
  for k in pairs(mod.table) do
    if type(k) == "string" then keys[#keys + 1] = k end
  end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = mod.table[k]
    local tv = type(v)
    if tv == "function" then
      self:add_target{kind = "func", name = mod.display .. "." .. k, field = k, recv = mod.table,
                      expect = k, module = mod.name, display = mod.display}
    elseif tv == "number" or tv == "string" or tv == "boolean" then
      consts[#consts + 1] = {v = v, repro = mod.display .. "." .. k}
    elseif tv == "userdata" or (tv == "table" and debug.getmetatable(v)) then
      self:add_object(v, mod.display .. "." .. k, k)
    end
  end
  if debug.getmetatable(mod.table) then  -- brood's lazily loading umbrella
    self:add_object(mod.table, mod.display, mod.display)
  end
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

--- Registers an object (value with a metatable). A new metatable makes a
-- new type, whose methods, metamethods and operations become targets.
-- Returns the type record.
function Registry:add_object(obj, repro, label)
  local mt = debug.getmetatable(obj)
  if type(mt) ~= "table" then return nil end
  local T = self.bymt[mt]
  if not T then
    local name = rawget(mt, "__name")
    name = type(name) == "string" and name:gsub("^brood%.", "") or label or "object"
    T = {mt = mt, name = name, instances = {}, methods = {}, fields = {}}
    self.bymt[mt] = T
    self.types[#self.types + 1] = T
    self:discover(T, obj)
  end
  T.instances[#T.instances + 1] = {v = obj, repro = repro}
  return T
end

function Registry:discover(T, obj)
  local mt = T.mt
  local methods = {}
  local idx = rawget(mt, "__index")
  if type(idx) == "table" then
    for k, v in pairs(idx) do
      if type(k) == "string" and type(v) == "function" then methods[k] = v end
    end
  elseif type(idx) == "function" then
    for i = 1, 255 do  -- IO keeps its methods in an upvalue of __index
      local n, v = debug.getupvalue(idx, i)
      if n == nil then break end
      if type(v) == "table" and v ~= obj then
        for k, f in pairs(v) do
          if type(k) == "string" and type(f) == "function" then methods[k] = f end
        end
      end
    end
    for _, name in ipairs(self.probe) do  -- documented names, asked for one by one
      if not methods[name] then
        local ok, v = pcall(idx, obj, name)
        if ok and type(v) == "function" then methods[name] = v
        elseif ok and v ~= nil then T.fields[#T.fields + 1] = name end
      end
    end
  end
  for _, k in ipairs(sorted_keys(methods)) do
    T.methods[#T.methods + 1] = k
    self:add_target{kind = "method", name = T.name .. ":" .. k, field = k, type = T,
                    expect = k, fn = methods[k]}
  end
  table.sort(T.fields)
  for _, k in ipairs(sorted_keys(mt)) do
    local v = rawget(mt, k)
    if type(k) == "string" and k:match("^__") and type(v) == "function" then
      -- called through a table of its own holding the function found now,
      -- so that what the harness does to the metatable later is not called
      self:add_target{kind = "meta", name = T.name .. "." .. k, field = k, recv = {[k] = v},
                      type = T, expect = k}
      if M.OPS[k] then
        self:add_target{kind = "op", op = M.OPS[k], name = T.name .. " " .. M.OPS[k],
                        type = T, expect = M.OPS[k]}
      end
    end
  end
end

-- }}}
-- {{{ Constructors: the one explicit list

-- Each returns a list of {value, repro}; ctx gives modules and fresh
-- names in the scratch directory. Objects the others need to stay alive
-- (a pipe's writer, a server socket) are returned too.
M.CONSTRUCTORS = {
  {"pipe", function(c)
    local r, w = c.IO.pipe()
    return {{r, "(IO.pipe())"}, {w, "select(2, IO.pipe())"}}
  end},
  {"pipe with data", function(c)
    local r, w = c.IO.pipe()
    w:write("line one\nline two\n12 34 0x10\n")
    return {{r, '(function() local r, w = IO.pipe() w:write("line one\\n") return r end)()'},
            {w, "select(2, IO.pipe())"}}
  end},
  {"pipe at end of file", function(c)
    local r, w = c.IO.pipe()
    w:write("last\n")
    w:close()
    return {{r, '(function() local r, w = IO.pipe() w:write("last\\n") w:close() return r end)()'},
            {w, "(function() local r, w = IO.pipe() w:close() return w end)()"}}
  end},
  {"closed pipe", function(c)
    local r, w = c.IO.pipe()
    r:close()
    return {{r, "(function() local r = IO.pipe() r:close() return r end)()"},
            {w, "select(2, (function() local r, w = IO.pipe() r:close() return r, w end)())"}}
  end},
  {"file", function(c)
    local name = c.fresh("f")
    return {{c.IO.open(name, "w+"), ("IO.open(%q, 'w+')"):format(name)}}
  end},
  {"dev null", function(c)
    return {{c.IO.open("/dev/null", "r+"), "IO.open('/dev/null', 'r+')"}}
  end},
  {"socket pairs", function(c)
    local list = {}
    for _, kind in ipairs{"STREAM", "DGRAM", "SEQPACKET"} do
      local a, b = c.Socket.pair("UNIX", kind)
      list[#list + 1] = {a, ("(Socket.pair('UNIX', %q))"):format(kind)}
      list[#list + 1] = {b, ("select(2, Socket.pair('UNIX', %q))"):format(kind)}
    end
    return list
  end},
  {"tcp", function(c)
    local server = c.Socket.tcp_server("127.0.0.1", 0)
    local _, port = server:local_address()
    local client = c.Socket.tcp_connect("127.0.0.1", port)
    local conn = server:accept()
    return {{server, "Socket.tcp_server('127.0.0.1', 0)"},
            {client, "Socket.tcp_connect('127.0.0.1', port --[[of a tcp_server]])"},
            {conn, "server:accept()"}}
  end},
  {"unix", function(c)
    local name = c.fresh("sock")
    local server = c.Socket.unix_server(name)
    local client = c.Socket.unix_connect(name)
    local conn = server:accept()
    return {{server, ("Socket.unix_server(%q)"):format(name)},
            {client, ("Socket.unix_connect(%q)"):format(name)}, {conn, "server:accept()"}}
  end},
  {"popen", function(c)
    return {{c.IO.popen("echo popen", "r"), "IO.popen('echo popen', 'r')"},
            {c.IO.popen("cat", "r+"), "IO.popen('cat', 'r+')"},
            {c.IO.popen({"cat"}, "w"), "IO.popen({'cat'}, 'w')"}}
  end},
  {"status", function(c)
    local list = {}
    for _, cmd in ipairs{"true", "exit 3"} do
      local _, st = c.Process.wait2(c.Process.spawn(cmd))
      list[#list + 1] = {st, ("select(2, Process.wait2(Process.spawn(%q)))"):format(cmd)}
    end
    local pid = c.Process.spawn("sleep", "5")
    c.Process.kill("KILL", pid)
    local _, st = c.Process.wait2(pid)
    list[#list + 1] = {st, "--[[killed]] select(2, Process.wait2(pid))"}
    return list
  end},
  {"waiters", function(c)
    local r, w = c.IO.pipe()
    local running = c.Process.detach(c.Process.spawn("cat", {["in"] = r, out = "/dev/null"}))
    r:close()
    local done = c.Process.detach(c.Process.spawn("true"))
    return {{running, "Process.detach(Process.spawn('cat', {['in'] = r}))"},
            {w, "w --[[cat's stdin]]"},
            {done, "Process.detach(Process.spawn('true'))"}}
  end},
  {"shared", function(c)
    local closed = c.IO.shared(8)
    closed:close()
    return {{c.IO.shared(64), "IO.shared(64)"},
            {closed, "(function() local m = IO.shared(8) m:close() return m end)()"}}
  end},
  {"buffers", function(c)
    return {{c.IO.buffer(), "IO.buffer()"},
            {c.IO.buffer("line one\nline two\n"), 'IO.buffer("line one\\nline two\\n")'}}
  end},
  {"errors", function(c)
    local _, e1 = pcall(c.IO.open, "/nonexistent/x")
    local _, e2 = pcall(c.Process.capture, "false", {check = true})
    return {{e1, "select(2, pcall(IO.open, '/nonexistent/x'))"},
            {e2, "select(2, pcall(Process.capture, 'false', {check = true}))"}}
  end},
  {"lua files", function(c)
    local name = c.fresh("lf")
    local f = assert(io.open(name, "w+"))
    local closed = assert(io.open("/dev/null"))
    closed:close()
    return {{f, ("io.open(%q, 'w+')"):format(name)},
            {closed, "(function() local f = io.open('/dev/null') f:close() return f end)()"},
            {io.stdout, "io.stdout"}}
  end},
  {"tasks", function(c)
    local T = c.Task
    -- ended tasks of every kind (a run's tasks outlive it as objects)
    local done, failed, cancelled = T.run(function()
      local d = T.spawn(function() return 1 end)
      local f = T.spawn(function() error("x", 0) end)
      local k = T.spawn(T.sleep, 10)
      pcall(f.wait, f)  -- waited for before it fails: a failure nobody waits for ends the run
      d:wait()
      k:cancel()
      pcall(k.wait, k)
      return d, f, k
    end)
    local closed = T.queue(1)
    closed:close()
    return {{done, "--[[done]] Task.run(function() return Task.spawn(print) end)"},
            {failed, "--[[failed]] Task.spawn(error)"},
            {cancelled, "--[[cancelled]] Task.spawn(Task.sleep, 10)"},
            {T.queue(2), "Task.queue(2)"},
            {closed, "(function() local q = Task.queue(1) q:close() return q end)()"},
            {T.semaphore(1), "Task.semaphore(1)"}}
  end},
  {"coroutines", function()
    local dead = coroutine.create(function() end)
    coroutine.resume(dead)
    return {{coroutine.create(function() end), "coroutine.create(function() end)"},
            {dead, "--[[dead]] coroutine.create(function() end)"},
            {(coroutine.running()), "coroutine.running()"}}
  end},
}

-- }}}

return M
