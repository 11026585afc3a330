--- One fuzz batch, run in a child forked by the supervisor: builds the
-- pool, then makes random calls. Before each call it writes one line to
-- the log (an unbuffered descriptor the supervisor reads), so that a
-- crash is attributed to the exact call:
--
--   C <idx> <flags> <target> <repro>   a call is about to run
--   R <idx> ok|err <seconds> [error]   it returned or raised
--   F <idx> <kind> <key> <detail>      it raised something unclear
--   I <text>                           information
--   E                                  the batch ends normally
--
-- and, from the probe (batch 0): K <target> <i> <types> (argument i takes
-- these types), M <target> <n> (at most n arguments), G <target> <i>
-- <repro> (a value that passed), P <target> <signal> (its child died).
--
-- flags: B the call may block (allowlist), X it may end the batch,
-- S<n> it may send signal n, T it traps a signal to "EXIT", L it sets a
-- resource limit, H its arguments hold raising/yielding values, "-" none.
local here = (...)
local rng = dofile(here .. "rng.lua")
local pool = dofile(here .. "pool.lua")
local api = dofile(here .. "api.lua")
local judge = dofile(here .. "judge.lua")

local Process = require "brood.process"
local Signal = require "brood.signal"
local IO = require "brood.io"
local Socket = require "brood.socket"

local M = {}

local KEYWORDS = {}
for w in ([[and break do else elseif end false for function goto if in local nil not or
            repeat return then true until while]]):gmatch("%a+") do KEYWORDS[w] = true end

local function ident(s)
  return type(s) == "string" and s:match("^[%a_][%w_]*$") and not KEYWORDS[s]
end

local function oneline(s, max)
  s = tostring(s):gsub("[\t\r\n]", " ")
  if #s > (max or 300) then s = s:sub(1, max or 300) .. "…" end
  return s
end

--- Runs a batch. o: seed, index, ncalls, deadline (monotonic seconds),
-- log (a Lua file, unbuffered), scratch (absolute path of the cwd),
-- interruptible, intsig (signal number), docs (harvest), logfd, ro (the
-- root file system is read-only), echo (a safe absolute program path),
-- probe (this is batch 0), learned (what the probe learnt), gcstress,
-- only (a set of call numbers: run only those). Never returns.
function M.run(o)
  local r = rng.new(o.seed)
  local mypid = Process.pid()
  local getpid, _exit, now = Process.pid, Process._exit, Process.clock_gettime
  local log = o.log
  local function emit(...)
    log:write(table.concat({...}, "\t"), "\n")
  end
  local docs = o.docs

  -- {{{ the pool
  local fresh_n = 0
  local ctx = {IO = IO, Process = Process, Socket = Socket, Signal = Signal,
               Task = require "brood.task"}
  function ctx.fresh(prefix)
    fresh_n = fresh_n + 1
    return prefix .. fresh_n
  end

  local reg = api.registry(docs.idents)
  local consts = {}
  for _, mod in ipairs(api.modules()) do reg:add_module(mod, consts) end

  local foreign_mt = {[debug.getmetatable(io.stdout)] = true, [debug.getmetatable("")] = true,
                      [debug.getmetatable(pool.SENTINEL_TABLE)] = true}
  local foreign = {}   -- values that are not brood objects: Lua files, coroutines
  local function is_brood_object(v)
    local mt = debug.getmetatable(v)
    if type(mt) ~= "table" or foreign_mt[mt] then return false end
    if reg.bymt[mt] then return true end
    local name = rawget(mt, "__name")
    return type(name) == "string" and name:match("^brood%.") ~= nil
  end
  local MAX_INSTANCES = 24
  local function add_object(v, repro)
    if is_brood_object(v) then
      local T = reg.bymt[debug.getmetatable(v)]
      if T and #T.instances >= MAX_INSTANCES then
        T.instances[r(#T.instances)] = {v = v, repro = repro}
      else
        reg:add_object(v, repro)
      end
    elseif type(v) == "userdata" or type(v) == "thread" then
      foreign[#foreign + 1] = {v = v, repro = repro}
    end
  end
  local function construct(c)
    local ok, list = pcall(c[2], ctx)
    if not ok then
      emit("I", "constructor " .. c[1] .. " failed: " .. oneline(list))
      return
    end
    for _, e in ipairs(list) do add_object(e[1], e[2]) end
  end
  for _, c in ipairs(api.CONSTRUCTORS) do construct(c) end

  -- The collector closes popen objects, waiting for their programs (as
  -- documented): logged, so that a wait there is not taken for a hang of
  -- the call that happened to be running.
  for _, T in ipairs(reg.types) do
    local gc = rawget(T.mt, "__gc")
    local pid_of = T.mt.__index and type(T.mt.__index) == "function" and T.mt.__index
    if rawget(T.mt, "__name") == "brood.IO" and type(gc) == "function" and pid_of then
      rawset(T.mt, "__gc", function(obj)
        local ok, pidf = pcall(pid_of, obj, "pid")
        local ok2, pid = false, nil
        if ok and type(pidf) == "function" then ok2, pid = pcall(pidf, obj) end
        if ok2 and pid then emit("I", "finalizer: closing popen object " .. tostring(pid)) end
        gc(obj)
        if ok2 and pid then emit("I", "finalizer: done") end
      end)
    end
  end

  local scalars = pool.scalars()
  local domain = {}
  local function add_domain(list)
    for _, e in ipairs(list) do domain[#domain + 1] = e end
  end
  add_domain(pool.signals(Signal))
  add_domain(pool.paths(o.scratch))
  local programs = pool.programs()
  if not o.ro then  -- "/bin/echo" only where the root file system is read-only
    for _, e in ipairs(programs) do
      if e.v == "/bin/echo" then e.v, e.repro = o.echo, pool.literal(o.echo) end
    end
  end
  add_domain(programs)
  for _, s in ipairs(docs.strings) do domain[#domain + 1] = {v = s, repro = pool.literal(s)} end
  add_domain(consts)
  for _, s in ipairs(pool.ENV_NAMES) do domain[#domain + 1] = {v = s, repro = pool.literal(s)} end
  domain[#domain + 1] = {v = mypid, repro = "Process.pid()"}
  domain[#domain + 1] = {v = -mypid, repro = "-Process.pid()"}

  -- The resource limits at the start, put back before the batch exits:
  -- LeakSanitizer cannot check for leaks at exit with no descriptors left.
  local limits = {}
  for k, v in pairs(Process) do
    if type(k) == "string" and k:match("^RLIMIT_") and math.type(v) == "integer" then
      local ok, soft, hard = pcall(Process.getrlimit, v)
      if ok then limits[#limits + 1] = {v, soft, hard} end
    end
  end
  local setrlimit = Process.setrlimit

  local harvest_ints, harvest_objs = {}, {}
  local HARVEST = 8
  -- }}}

  -- {{{ value generators: each returns value, repro, hostile
  local gen

  local function any_object()
    local all = 0
    for _, T in ipairs(reg.types) do all = all + #T.instances end
    local k = r(all + #foreign)
    for _, T in ipairs(reg.types) do
      if k <= #T.instances then
        local e = T.instances[k]
        return e.v, e.repro
      end
      k = k - #T.instances
    end
    local e = foreign[k]
    return e.v, e.repro
  end

  local function program()
    if r.chance(0.75) then
      local e = r.pick(programs)
      return e.v, e.repro
    end
    local c = r(5)
    if c == 1 then
      local v, vr, h = gen(2)
      return {"echo", v}, '{"echo", ' .. vr .. "}", h
    elseif c == 2 then
      return {{"echo", "argv0"}, "x"}, '{{"echo", "argv0"}, "x"}'
    elseif c == 3 then
      return {{LANG = "C"}, "echo", "x"}, '{{LANG = "C"}, "echo", "x"}'
    elseif c == 4 then
      return {}, "{}"
    end
    return {"sh", "-c", "exit 3"}, '{"sh", "-c", "exit 3"}'
  end

  local REDIRECT_WORDS = {"close", "in", "out", "err", "/dev/null", "f1", "d1/f3"}
  local function redirect_target(depth)
    local c = r(6)
    if c == 1 then local w = r.pick(REDIRECT_WORDS) return w, pool.literal(w) end
    if c == 2 then local n = r(12) - 2 return {"child", n}, ('{"child", %d}'):format(n) end
    if c == 3 then
      local mode = r.pick{"r", "w", "a", "r+", "w+", "a+", "x", "", "rw"}
      local perm = r.pick{420, -1, 2 ^ 40, "644"}
      return {"f1", mode, perm}, ('{"f1", %q, %s}'):format(mode, pool.literal(perm))
    end
    if c == 4 then return any_object() end
    if c == 5 then local n = r(11) - 1 return n, tostring(n) end
    return gen(depth + 1)
  end

  local function options(depth)
    local t, parts, hostile = {}, {}, false
    for _ = 1, r(5) - 1 do
      local k, kr, kh
      local c = r(20)
      if c <= 12 and #docs.keys > 0 then
        k = r.pick(docs.keys)
        kr = k
      elseif c <= 14 then
        k = r(11) - 1
        kr = tostring(k)
      elseif c == 15 then
        k, kr = any_object()
      elseif c == 16 then
        k, kr = {"out", "err"}, '{"out", "err"}'
      elseif c == 17 then
        local e = r.pick(domain)
        k, kr = e.v, e.repro
      else
        k, kr, kh = gen(depth + 1)
      end
      local v, vr, vh
      if r.chance(0.4) then v, vr, vh = redirect_target(depth) else v, vr, vh = gen(depth + 1) end
      if k ~= nil and k == k then
        t[k] = v
        parts[#parts + 1] = (ident(k) and k or "[" .. kr .. "]") .. " = " .. vr
        hostile = hostile or kh or vh
      end
    end
    return t, "{" .. table.concat(parts, ", ") .. "}", hostile
  end

  local function env_table(depth)
    local t, parts = {}, {}
    for _ = 1, r(3) do
      local name = r.pick(pool.ENV_NAMES)
      local v, vr = gen(depth + 1)
      if r.chance(0.5) then
        v = r.pick{"x", "x\0y", false, 42, ""}
        vr = pool.literal(v)
      end
      t[name] = v
      parts[#parts + 1] = "[" .. pool.literal(name) .. "] = " .. vr
    end
    return t, "{" .. table.concat(parts, ", ") .. "}"
  end

  -- weights: scalar, domain, object, options, function, hostile, program, harvested, env
  local WEIGHTS = {26, 20, 18, 10, 6, 6, 6, 5, 3}
  function gen(depth)
    depth = depth or 1
    local c = r.weighted(WEIGHTS)
    if depth > 2 and (c == 4 or c == 9) then c = 1 end
    if c == 1 then
      local e = r.pick(scalars)
      return e.v, e.repro
    elseif c == 2 then
      local e = r.pick(domain)
      return e.v, e.repro
    elseif c == 3 then
      return any_object()
    elseif c == 4 then
      return options(depth)
    elseif c == 5 then
      local f = r.pick(pool.FUNCTIONS)
      return f.value, f.repro, true
    elseif c == 6 then
      local h = r.pick(pool.HOSTILE)
      return h.make(), h.repro, true
    elseif c == 7 then
      return program()
    elseif c == 8 then
      if r.chance(0.5) and #harvest_ints > 0 then
        local i = r(#harvest_ints)
        return harvest_ints[i], ("%d --[[a result]]"):format(harvest_ints[i])
      elseif #harvest_objs > 0 then
        local e = harvest_objs[r(#harvest_objs)]
        return e.v, e.repro
      end
      return nil, "nil"
    end
    return env_table(depth)
  end
  -- }}}

  -- {{{ calls
  local chunks = {}
  local function chunk_for(t, n, style)
    local key = t.id .. "|" .. n .. "|" .. style
    local f = chunks[key]
    if f then return f end
    local params = {"R"}
    for i = 1, n do params[#params + 1] = "a" .. i end
    local args = table.concat(params, ", ", 2)
    local head = "local " .. table.concat(params, ", ") .. " = ...\n"
    local field = t.field and (ident(t.field) and "." .. t.field or ("[%q]"):format(t.field))
    local body
    -- never a tail call: a call site as users write it, whose frame stays
    -- for error(msg, 2) to point at
    if t.kind == "func" or t.kind == "meta" or (t.kind == "method" and style == "dot") then
      body = "local r = table.pack(R" .. field .. "(" .. args .. ")) return table.unpack(r, 1, r.n)"
    elseif t.kind == "method" then
      body = (ident(t.field) and ("local r = table.pack(R:" .. t.field .. "(" .. args .. "))")
             or ("local r = table.pack(R%s(R%s))"):format(field, n > 0 and ", " .. args or ""))
             .. " return table.unpack(r, 1, r.n)"
    else
      local op = t.op
      if op == "index" then body = "return R[a1]"
      elseif op == "newindex" then body = "R[a1] = a2"
      elseif op == "len" then body = "return #R"
      elseif op == "tostring" then body = "return tostring(R)"
      elseif op == "eq" then body = "return R == a1"
      elseif op == "call" then
        body = "local r = table.pack(R(" .. args .. ")) return table.unpack(r, 1, r.n)"
      elseif op == "pairs" then
        body = "local n = 0 for _ in pairs(R) do n = n + 1 if n > 100000 then break end end "
               .. "return n"
      elseif op == "close" then body = "do local x <close> = R end"
      elseif op == "concat" then body = "return R .. a1"
      elseif op == "lt" then body = "return R < a1"
      elseif op == "le" then body = "return R <= a1"
      elseif op == "unm" then body = "return -R"
      else body = "return R + a1" end
    end
    f = assert(load(head .. body, "=" .. judge.CALLSITE))
    chunks[key] = f
    return f
  end

  local function repro_call(t, style, recv_repro, reprs, n)
    local args = table.concat(reprs, ", ", 1, n)
    if t.kind == "func" then return t.display .. "." .. t.field .. "(" .. args .. ")" end
    if t.kind == "method" then
      return "(" .. recv_repro .. ")" .. (style == "dot" and "." or ":") .. t.field
             .. "(" .. args .. ")"
    end
    if t.kind == "meta" then
      return "getmetatable(" .. recv_repro .. ")." .. t.field .. "(" .. args .. ")"
    end
    local op, obj = t.op, "(" .. recv_repro .. ")"
    local a1, a2 = reprs[1] or "nil", reprs[2] or "nil"
    if op == "index" then return obj .. "[" .. a1 .. "]" end
    if op == "newindex" then return obj .. "[" .. a1 .. "] = " .. a2 end
    if op == "len" then return "#" .. obj end
    if op == "tostring" then return "tostring" .. obj end
    if op == "eq" then return obj .. " == " .. a1 end
    if op == "call" then return obj .. "(" .. args .. ")" end
    if op == "pairs" then return "for _ in pairs" .. obj .. " do end" end
    if op == "close" then return "do local x <close> = " .. obj .. " end" end
    return op .. "(" .. obj .. ", " .. a1 .. ")"
  end

  local sigbyname = Signal.list()
  local function signum(v)
    if math.type(v) == "integer" then return v < 0 and -v or v end
    if type(v) == "number" and v == v and v == math.floor(v) and math.abs(v) < 2 ^ 53 then
      return math.tointeger(math.abs(v))
    end
    if type(v) == "string" then
      local s = v:gsub("^%-", ""):gsub("^SIG", "")
      return sigbyname[s]
    end
    return nil
  end

  local state = {tainted = false, buffered = false}
  local in_call = false
  local function arm_interrupt()
    if o.interruptible then
      pcall(Signal.trap, o.intsig, function()
        if in_call then error(judge.INTERRUPT, 0) end
      end)
    end
  end
  arm_interrupt()

  local function harvest(res)
    for i = 2, res.n do
      local v = res[i]
      if math.type(v) == "integer" and v ~= o.logfd then
        if #harvest_ints < HARVEST then harvest_ints[#harvest_ints + 1] = v
        else harvest_ints[r(HARVEST)] = v end
      elseif type(v) == "userdata" or (type(v) == "table" and debug.getmetatable(v)) then
        local e = {v = v, repro = "--[[a result]] nil"}
        if #harvest_objs < HARVEST then harvest_objs[#harvest_objs + 1] = e
        else harvest_objs[r(HARVEST)] = e end
        if is_brood_object(v) and not reg.bymt[debug.getmetatable(v)] then
          reg:add_object(v, e.repro)   -- a new type: its methods join the targets
        end
      elseif type(v) == "table" then
        for _, x in next, v do
          if type(x) == "table" and not debug.getmetatable(x) then x = x[2] end
          if type(x) == "userdata" and is_brood_object(x) then
            add_object(x, "--[[a result]] nil")
          end
        end
      end
    end
  end

  local reported = {}
  local function finding(idx, kind, key, detail)
    if reported[key] then return end
    reported[key] = true
    emit("F", idx, kind, oneline(key, 200), oneline(detail, 600))
  end

  -- Objects whose __gc the fuzz called by hand: dead; what they say after
  -- that is not judged (crashes still are).
  local dead = setmetatable({}, {__mode = "k"})

  local function judge_error(idx, t, e, hostile, recv, args, n)
    local te = type(e)
    if te == "string" then
      local kind, why, group = judge.check_message(e, t.expect_list or t.expect)
      if kind and (kind == "wrong function name" or kind == "unnamed function") then
        if dead[recv] then return end
        for i = 1, n do if dead[args[i]] then return end end
      end
      if kind then finding(idx, kind, group, why .. ": " .. e) end
      return
    end
    local mt = debug.getmetatable(e)
    if type(mt) == "table" and rawget(mt, "__name") == "fuzz.Sentinel" then return end
    if te == "table" and type(mt) == "table" and rawget(mt, "__name") == "brood.Error" then
      local kind, why, group = judge.check_error_object(e)
      if kind then finding(idx, kind, group, why) end
      return
    end
    if hostile then return end  -- a raising argument may raise anything
    finding(idx, "odd error value", "odd error value: " .. te .. " from " .. t.name,
            "raised a " .. te .. " that is neither a message nor a brood.Error")
  end

  -- operations that Lua names after the metamethod, or by the variable
  local OP_NAMES = {call = {"call", "R"}, pairs = {"pairs", "for iterator", "__pairs"},
                    tostring = {"tostring", "__tostring"}}
  for _, t in ipairs(reg.targets) do
    if t.kind == "op" then t.expect_list = OP_NAMES[t.op] end
  end

  local NARGS = {10, 25, 25, 18, 10, 6, 6}   -- 0..6 arguments
  local BINARY = {eq = true, concat = true, lt = true, le = true, add = true}
  local targets = reg.targets
  -- Calls that end the batch (exit, exec, daemon...) are picked rarely,
  -- or batches would be a few dozen calls long.
  local enders, others = {}, {}
  local function sort_targets()
    enders, others = {}, {}
    for _, t in ipairs(targets) do
      if judge.ENDS_BATCH[t.name] then enders[#enders + 1] = t else others[#others + 1] = t end
    end
  end
  sort_targets()
  local ntargets = #targets
  local idx = 0

  -- {{{ signatures learnt from brood's own argument errors
  -- learned[target name] = {types = {[i] = {"number", ...}}, maxn = n,
  --                         good = {[i] = {{v=, repro=}, ...}}}
  -- Batch 0 (the probe) fills it for the whole run; each batch adds what
  -- its own calls teach it.
  local learned = o.learned or {}
  local function learned_for(t)
    local L = learned[t.name]
    if not L then
      L = {types = {}, good = {}}
      learned[t.name] = L
    end
    return L
  end
  local types_by_name = {}
  for _, T in ipairs(reg.types) do
    local nm = rawget(T.mt, "__name")
    if type(nm) == "string" then types_by_name[nm] = T end
  end

  local function add_good(name, L, i, v, repro)
    local tv = type(v)
    if tv ~= "string" and tv ~= "number" and tv ~= "boolean" then return end
    local g = L.good[i]
    if not g then g = {} L.good[i] = g end
    if #g >= 16 then return end
    for _, e in ipairs(g) do if e.repro == repro then return end end
    g[#g + 1] = {v = v, repro = repro}
    if o.probe then emit("G", name, i, repro) end
  end

  -- What a call teaches: the expected types of the argument an error
  -- names, the arity ("no value expected"), and the values that passed.
  local function learn_from(c, ok, e)
    local t = c.t
    if c.style == "dot" or t.kind == "op" then return end
    local L = learned_for(t)
    local passed = c.n
    if not ok and type(e) == "string" then
      local i, what = judge.argerror(e)
      if not i then
        if e:find("calling '", 1, true) then return end
      elseif what == "no value expected" then
        if not L.maxn or L.maxn > i - 1 then
          L.maxn = i - 1
          if o.probe then emit("M", t.name, i - 1) end
        end
        passed = i - 1
      else
        local types = judge.expected_types(what)
        if types and not L.types[i] then
          L.types[i] = types
          if o.probe then emit("K", t.name, i, table.concat(types, ",")) end
        end
        passed = i - 1
      end
    end
    for i = 1, math.min(passed, c.n) do
      if c.args[i] ~= nil then add_good(t.name, L, i, c.args[i], c.reprs[i]) end
    end
  end
  -- }}}

  -- A value of one of the learnt types for argument i of t, or nothing.
  local function typed(t, i)
    local L = learned[t.name]
    local types = L and L.types[i]
    if not types then return nil end
    local g = L.good[i]
    if g and #g > 0 and r.chance(0.35) then
      local e = r.pick(g)
      return true, e.v, e.repro
    end
    local ty = r.pick(types)
    if ty == "number" then
      local e = r.pick(scalars)
      for _ = 1, 8 do
        if type(e.v) == "number" then break end
        e = r.pick(scalars)
      end
      return true, e.v, e.repro
    elseif ty == "string" then
      local e
      if r.chance(0.5) then e = r.pick(domain) else e = r.pick(scalars) end
      for _ = 1, 8 do
        if type(e.v) == "string" then break end
        e = r.pick(domain)
      end
      return true, e.v, e.repro
    elseif ty == "table" then
      local c = r(4)
      if c == 1 then return true, program() end
      if c == 2 then
        local h = r.pick(pool.HOSTILE)
        return true, h.make(), h.repro, true
      end
      return true, options(1)
    elseif ty == "function" then
      local f = r.pick(pool.FUNCTIONS)
      return true, f.value, f.repro, true
    elseif ty == "boolean" then
      local v = r.chance(0.5)
      return true, v, tostring(v)
    end
    local T = types_by_name[ty]
    if T and #T.instances > 0 then
      local e = r.pick(T.instances)
      return true, e.v, e.repro
    end
    return nil
  end

  -- {{{ one call: choose, log, run, judge
  local function choose()
    if #targets ~= ntargets then sort_targets() ntargets = #targets end
    local t = (#enders > 0 and r.chance(0.0015)) and r.pick(enders) or r.pick(others)
    local n = r.weighted(NARGS) - 1
    local L = learned[t.name]
    if L and L.maxn and r.chance(0.8) then n = r(L.maxn + 1) - 1 end
    local c = {t = t, args = {}, reprs = {}, hostile = false, recv = t.recv, style = "colon"}
    if t.kind == "method" or t.kind == "meta" or t.kind == "op" then
      local inst = r.pick(t.type.instances)
      c.recv_repro = inst.repro
      if t.kind == "method" then
        if r.chance(0.15) then c.style = "dot" end
        c.recv = inst.v
      elseif t.kind == "meta" then
        if n == 0 then n = 1 end
      else
        c.recv = inst.v
        if t.op == "index" or t.op == "newindex" then
          n = t.op == "index" and 1 or 2
        elseif BINARY[t.op] then
          n = 1
        elseif t.op ~= "call" then
          n = 0
        end
      end
    end
    local use_types = L and c.style == "colon" and r.chance(0.75)
    for i = 1, n do
      local v, vr, h, done
      if use_types and r.chance(0.85) then done, v, vr, h = typed(t, i) end
      if done then  -- luacheck: ignore 542
      elseif t.kind == "meta" and i == 1 and r.chance(0.8) then
        local inst = r.pick(t.type.instances)
        v, vr = inst.v, inst.repro
      elseif i == 1 and (t.op == "index" or t.op == "newindex") and r.chance(0.6) then
        local names = #t.type.fields > 0 and r.chance(0.5) and t.type.fields or t.type.methods
        if #names > 0 then v = r.pick(names) vr = pool.literal(v) else v, vr, h = gen(1) end
      elseif i == 1 and r.chance(0.2) then
        v, vr, h = program()
      elseif i == 1 and r.chance(0.04) then
        v, vr = env_table(1)
      elseif i == n and n > 1 and r.chance(0.3) then
        v, vr, h = options(1)
      else
        v, vr, h = gen(1)
      end
      c.args[i], c.reprs[i] = v, vr
      c.hostile = c.hostile or h
    end
    c.n = n
    c.in_co = r.chance(0.1)
    return c
  end

  -- Logs the call, runs it, judges what it raised. Returns ok, error.
  local function perform(c)
    idx = idx + 1
    local t, n, args = c.t, c.n, c.args
    local flags = {}
    if judge.may_block(t.name, args, n, state) then flags[#flags + 1] = "B" end
    if judge.ENDS_BATCH[t.name] then flags[#flags + 1] = "X" end
    local sa = judge.SIGNAL_ARG[t.name]
    if sa and n >= sa then
      local s = signum(args[sa])
      if s then flags[#flags + 1] = "S" .. s end
      if t.name == "Signal.trap" and (args[2] == "EXIT" or (n >= 2 and args[2] == nil)) then
        flags[#flags + 1] = "T"
      end
    end
    for _, sig in ipairs(judge.SENDS[t.name] or {}) do
      local s = signum(sig)
      if s then flags[#flags + 1] = "S" .. s end
    end
    if t.name == "Process.setrlimit" then flags[#flags + 1] = "L" end
    if judge.IDENTITY[t.name] then flags[#flags + 1] = "U" end
    if c.hostile then flags[#flags + 1] = "H" end
    local repro = repro_call(t, c.style, c.recv_repro, c.reprs, n)
    if c.in_co then repro = "coroutine.wrap(function() " .. repro .. " end)()" end
    emit("C", idx, #flags > 0 and table.concat(flags, ",") or "-", t.name, oneline(repro, 1500))

    local f = chunk_for(t, n, c.style)
    local res
    local t0 = now("MONOTONIC")
    in_call = true
    if c.in_co then
      local co = coroutine.create(f)
      res = table.pack(coroutine.resume(co, c.recv, table.unpack(args, 1, n)))
      local tries = 0
      while res[1] and coroutine.status(co) == "suspended" and tries < 3 do
        tries = tries + 1
        res = table.pack(coroutine.resume(co))
      end
      if coroutine.status(co) == "suspended" then
        res = table.pack(coroutine.close(co))
      end
    else
      res = table.pack(pcall(f, c.recv, table.unpack(args, 1, n)))
    end
    in_call = false
    if getpid() ~= mypid then _exit(0) end   -- a forked child or the daemon: not ours
    local a1 = args[1]
    if t.kind == "meta" and t.field == "__gc" and n >= 1 and a1 ~= nil and a1 == a1 then
      dead[a1] = true
    end

    local dt = ("%.4f"):format(now("MONOTONIC") - t0)
    if res[1] then
      emit("R", idx, "ok", dt)
      harvest(res)
      if t.field == "reopen" then state.tainted = true end
      if t.field == "setvbuf" or (t.op == "newindex" and t.type.name == "IO") then
        state.buffered = true
      end
    else
      local e = res[2]
      emit("R", idx, "err", dt, type(e) == "string" and oneline(e, 160) or type(e))
      judge_error(idx, t, e, c.hostile, c.recv, args, n)
    end
    learn_from(c, res[1], res[2])
    if t.module == "brood.signal" or t.name == "Process.kill" then arm_interrupt() end
    return res[1], res[2]
  end
  -- }}}

  -- {{{ the probe (batch 0): each function and method, in a child of
  -- its own, called with arguments of the types its errors ask for

  -- Sample values per type, tried in order until one passes.
  local function candidates(types)
    local list = {}
    local function add(v, repro) list[#list + 1] = {v = v, repro = repro or pool.literal(v)} end
    for _, ty in ipairs(types) do
      if ty == "string" then
        add("f1")
        for _, s in ipairs(docs.strings) do add(s) end
      elseif ty == "number" then
        for _, v in ipairs{0, 1, 64, 0.5, 2147483648} do add(v) end  -- never -1: kill(sig, -1)
      elseif ty == "table" then
        add({}, "{}")
        add({"echo", "x"}, '{"echo", "x"}')
      elseif ty == "function" then
        add(pool.FUNCTIONS[1].value, pool.FUNCTIONS[1].repro)
      elseif ty == "boolean" then
        add(false)
        add(true)
      else
        local T = types_by_name[ty]
        for _, e in ipairs(T and T.instances or {}) do add(e.v, e.repro) end
      end
    end
    return list
  end

  -- Calls t with no arguments, then with arguments of the types its
  -- errors ask for; after each call that gets past the checks, one more
  -- argument (a table, which almost nothing takes) asks for the type of
  -- the next optional one, until "no value expected".
  local EXTRA = {}
  local function probe_target(t)
    local c = {t = t, args = {}, reprs = {}, n = 0, style = "colon", recv = t.recv}
    if t.kind ~= "func" then
      local inst = t.type.instances[1]
      c.recv_repro = inst.repro
      if t.kind == "meta" then
        c.n, c.args[1], c.reprs[1] = 1, inst.v, inst.repro
      else
        c.recv = inst.v
      end
    end
    local cands, at = {}, {}
    local L = learned_for(t)
    for _ = 1, 80 do
      local ok, e = perform(c)
      local i, what
      if not ok and type(e) == "string" then i, what = judge.argerror(e) end
      if not i then  -- through the checks (or a failure of another kind)
        if c.n >= 6 then return end
        if c.n > 0 and c.args[c.n] == EXTRA then c.args[c.n] = {} end
        c.n = c.n + 1
        c.args[c.n], c.reprs[c.n] = EXTRA, "{}"
      elseif what == "no value expected" or i > 8 then
        return
      else
        if i > c.n then
          for j = c.n + 1, i - 1 do c.args[j], c.reprs[j] = nil, "nil" end
          c.n = i
        end
        if not cands[i] or c.args[i] == EXTRA then
          cands[i] = candidates(L.types[i] or {"string", "number", "table"})
          at[i] = 0
        end
        at[i] = at[i] + 1
        local cand = cands[i][at[i]]
        if not cand then return end
        c.args[i], c.reprs[i] = cand.v, cand.repro
      end
    end
  end

  local function probe()
    for k, t in ipairs(targets) do
      if t.kind ~= "op" and not judge.ENDS_BATCH[t.name] then
        local pid = Process.fork()
        if pid == nil then
          mypid = getpid()
          pcall(Process.setsid)   -- kill(sig, 0) reaches this child only
          idx = k * 1000
          local ok, err = pcall(probe_target, t)
          if not ok and err ~= judge.INTERRUPT then emit("I", "harness error: " .. oneline(err)) end
          _exit(0)
        end
        local deadline = now("MONOTONIC") + 0.25
        local done, status = false, nil
        while not done do
          local ok, wpid, st = pcall(Process.wait2, pid, Process.WNOHANG)
          if not ok or wpid then done, status = true, st
          elseif now("MONOTONIC") > deadline then
            pcall(Process.kill, "KILL", pid)
            pcall(Process.wait, pid)
            done = true
          else
            Process.sleep(0.002)
          end
        end
        emit("R", "-", "done", "0")
        if status and status.signaled and status.termsig ~= 9 then
          emit("P", t.name, Signal.signame(status.termsig) or tostring(status.termsig))
        end
      end
    end
  end
  -- }}}

  emit("I", ("batch %d: %d targets, %d types, %d scalars, %d domain values, interruptible=%s,"
             .. " gc stress=%s, batch seed %d"):format(o.index, #targets, #reg.types, #scalars,
               #domain, tostring(o.interruptible), tostring(o.gcstress), o.seed))
  -- One batch in eight collects garbage all the time, inside brood's C
  -- functions too: a value they use without keeping it on the stack is
  -- freed under them, where AddressSanitizer sees it.
  if o.gcstress then collectgarbage("incremental", 0, 1000) end
  if o.probe then
    probe()
  else
    -- A trap handler the fuzz installed may raise anywhere, here too: every
    -- step of the loop is protected, and its sentinel errors are expected.
    local function expected(err)
      return err == judge.INTERRUPT or (type(err) == "string" and err:find(pool.SENTINEL, 1, true))
             or (type(err) == "table" and debug.getmetatable(err)
                 and rawget(debug.getmetatable(err), "__name") == "fuzz.Sentinel")
             or err == "not enough memory"
    end
    local stop = false
    local function step()
      if idx % 16 == 0 and now("MONOTONIC") > o.deadline then stop = true return end
      local c = choose()
      if o.only and not o.only[idx + 1] then
        idx = idx + 1     -- drawn, not run: the calls after it stay the same
      else
        perform(c)
      end
      if idx % 64 == 0 then construct(r.pick(api.CONSTRUCTORS)) end
    end
    while not stop and idx < o.ncalls do
      local ok, err = pcall(step)
      in_call = false
      if getpid() ~= mypid then _exit(0) end
      if not ok and not expected(err) then
        emit("I", "harness error: " .. oneline(err))
      end
    end
  end
  for _ = 1, 3 do
    if pcall(emit, "E") then break end
  end
  for _, l in ipairs(limits) do pcall(setrlimit, l[1], l[2], l[3]) end
  for _ = 1, 3 do pcall(Process.exit, 0) end
  _exit(0)
end

return M
