-- Generates LuaLS ("sumneko") annotation files for brood's modules from
-- the reference, so that an editor's hover shows the reference's own words:
--
--   build/brood docs/types.lua OUTDIR     (or lua5.4 docs/types.lua OUTDIR)
--
-- writes OUTDIR/brood.lua and OUTDIR/brood/<module>.lua, `---@meta` files
-- that a LuaLS library root of OUTDIR resolves require("brood.process") to.
-- Names, signatures (optional parameters are the headings' [brackets]),
-- descriptions, option tables and object methods all come from
-- docs/reference/*.md. What a heading cannot say -- the types -- comes from
-- the tables below: PARAM by parameter name, ENTRY per entry (its return
-- values and the parameters whose name alone is ambiguous). A documented
-- entry that ENTRY does not know, a parameter name that neither knows, or
-- an ENTRY key the reference no longer has, is reported on stderr and the
-- exit status is 1: mend the tables here.
-- The test suite (spec/types_spec.lua) checks that types/ is up to date.

local DOCS = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."

local MODULES = {"brood", "process", "signal", "io", "socket", "open3", "task", "supervisor",
                 "systemd"}

---------------------------------------------------------------------------
-- Types
---------------------------------------------------------------------------

local LIMIT = 'number|"INFINITY"'
local CMD = "string|(string|string[])[]"   -- a pipeline command: a string or an argv table

-- Named types the annotations share (---@alias).
local ALIASES = {
  {"brood.Signal", "string|integer", "signal", "a signal name, with or without SIG, or a number"},
  {"brood.TrapHandler",
   '(fun(signo: integer))|"IGNORE"|"SIG_IGN"|""|"DEFAULT"|"SIG_DFL"|"SYSTEM_DEFAULT"|"EXIT"',
   "signal", "what Signal.trap sets: a function or one of the named settings"},
  {"brood.Redirect", "integer|brood.IO|file*|string|table", "process",
   "a redirect target of Process.spawn: see Redirect targets"},
  {"brood.ReadFormat", '"l"|"L"|"n"|"a"|integer', "io", "a read format, as Lua's"},
}

-- Parameter types by the name the headings give the parameter.
local PARAM = {
  pid = "integer", pgid = "integer", who = "integer", priority = "integer", fd = "integer",
  flags = "integer", port = "integer", backlog = "integer", protocol = "integer",
  length = "integer", size = "integer", n = "integer", maxlen = "integer",
  offset = "integer", i = "integer", j = "integer", number = "integer", capacity = "integer",
  seconds = "number", timeout = "number", grace = "number",
  on = "boolean", nonblock = "boolean", nochdir = "boolean", noclose = "boolean",
  graceful = "boolean", unset = "boolean", keep = "boolean",
  signal = "brood.Signal", signal_or_list = "brood.Signal|brood.Signal[]",
  handler = "brood.TrapHandler?",
  user = "string|integer", group = "string|integer", list = "(string|integer)[]",
  resource = "string|integer", soft = LIMIT, hard = LIMIT,
  mask = "integer|string", perm = "integer|string",
  clock = "string|integer", kind = '"PROCESS"|"PGRP"|"USER"|integer',
  unit = '"float_second"|"float_millisecond"|"float_microsecond"|"second"|"millisecond"'
    .. '|"microsecond"|"nanosecond"',
  path = "string", dir = "string", title = "string", message = "string", text = "string",
  string = "string", mode = "string", domain = "string", type = "string", to = "string",
  data = "string", sep = "string",
  env = "table<string, string|false>", command = "string|string[]",
  cmd = "string|table", cmd1 = CMD, cmd2 = CMD, argv = "string[]",
  fn = "function",
  x = "brood.IO|file*|integer", file = "brood.IO|file*", other = "brood.IO",
  readers = "brood.IO[]", writers = "brood.IO[]", errors = "brood.IO[]",
  src = "brood.IO|brood.Buffer|string", dst = "brood.IO|brood.Buffer|string",
  msg = "string|brood.Buffer", buffer = "brood.Buffer", s = "string|brood.Buffer",
  op = '"EX"|"SH"|"UN"', whence = '"set"|"cur"|"end"', how = '"RD"|"WR"|"RDWR"|integer',
  value = "any", tasks = "brood.Task[]",
  state = "string|table<string, string|number|boolean>",
}

-- The element type of a variadic parameter written `name...`.
local VARARG = {command = "string"}

local IO_, SOCK, WAITER = "brood.IO", "brood.Socket", "brood.Waiter"

-- Per entry, by the reference's name for it: the array part is what it
-- returns ("type name" each; {} returns nothing) or, for a field or
-- constant, its type; the hash part types parameters (by name; "..." is
-- the variadic rest). fn_results: with its `fn` parameter it returns what
-- fn returns. All-capital constants are integers and brood.<module> fields
-- are modules unless listed here.
local ENTRY = {
  -- brood
  ["brood.version"] = {"string"}, ["brood.version_num"] = {"integer"},
  ["brood.lua_version"] = {"string"},
  -- brood.process
  ["Process.pid"] = {"integer"}, ["Process.ppid"] = {"integer"},
  ["Process.getpgrp"] = {"integer"}, ["Process.getpgid"] = {"integer"},
  ["Process.setpgid"] = {"integer"}, ["Process.setsid"] = {"integer"},
  ["Process.getsid"] = {"integer"},
  ["Process.uid"] = {"integer"}, ["Process.gid"] = {"integer"},
  ["Process.euid"] = {"integer"}, ["Process.egid"] = {"integer"},
  ["Process.executable"] = {"string"}, ["Process.argv"] = {"string[]"},
  ["Process.subreaper"] = {"boolean"},
  ["Process.change_privilege"] = {"integer uid", "integer gid"},
  ["Process.setuid"] = {"integer"}, ["Process.setgid"] = {"integer"},
  ["Process.seteuid"] = {"integer"}, ["Process.setegid"] = {"integer"},
  ["Process.groups"] = {"integer[]"}, ["Process.setgroups"] = {"integer[]"},
  ["Process.initgroups"] = {"integer[]"},
  ["Process.env"] = {"brood.Env"},
  ["Process.setproctitle"] = {},
  ["Process.getrlimit"] = {"number soft", "number hard"},
  ["Process.setrlimit"] = {},
  ["Process.RLIM_INFINITY"] = {"number"},
  ["Process.umask"] = {"integer"},
  ["Process.chdir"] = {"integer", fn = "fun()", fn_results = true},
  ["Process.getcwd"] = {"string"},
  ["Process.getpriority"] = {"integer"}, ["Process.setpriority"] = {"integer"},
  ["Process.clock_gettime"] = {"number"},
  ["Process.times"] = {"{ utime: number, stime: number, cutime: number, cstime: number }"},
  ["Process.fork"] = {"integer? pid", fn = "fun()", options = "brood.ForkOptions"},
  ["Process.spawn"] = {"integer pid", options = "brood.SpawnOptions"},
  ["Process.exec"] = {options = "brood.SpawnOptions"},
  ["Process.system"] = {"boolean? ok", "brood.Status|brood.Error status",
                        options = "brood.RunOptions"},
  ["Process.capture"] = {"string output", "brood.Status status", options = "brood.RunOptions"},
  ["Process.exit"] = {status = "integer|boolean"},
  ["Process._exit"] = {status = "integer|boolean"},
  ["Process.abort"] = {},
  ["Process.at_exit"] = {"function", fn = "fun()"},
  ["Process.sleep"] = {"integer"},
  ["Process.wait"] = {"integer? pid"}, ["Process.waitpid"] = {"integer? pid"},
  ["Process.wait2"] = {"integer? pid", "brood.Status? status"},
  ["Process.waitpid2"] = {"integer? pid", "brood.Status? status"},
  ["Process.waitall"] = {"{ [1]: integer, [2]: brood.Status }[]"},
  ["Process.last_status"] = {"brood.Status?"},
  ["Process.detach"] = {WAITER},
  ["Process.kill"] = {"integer"},
  ["Process.terminate"] = {"brood.Status?"},
  ["Process.daemon"] = {"integer"},
  ["status.pid"] = {"integer"}, ["status.exitstatus"] = {"integer?"},
  ["status.termsig"] = {"integer?"}, ["status.stopsig"] = {"integer?"},
  ["status.success"] = {"boolean?"}, ["status.exited"] = {"boolean"},
  ["status.signaled"] = {"boolean"}, ["status.stopped"] = {"boolean"},
  ["status.coredump"] = {"boolean"},
  ["status:to_i"] = {"integer"}, ["status:inspect"] = {"string"},
  ["handle.pid"] = {"integer"}, ["handle:join"] = {"brood.Status?"},
  ["handle:value"] = {"brood.Status?"}, ["handle:alive"] = {"boolean"},
  -- brood.signal
  ["Signal.trap"] = {"brood.TrapHandler? previous"},
  ["Signal.list"] = {"table<string, integer>"},
  ["Signal.signame"] = {"string?"},
  ["Signal.pause"] = {"boolean"},
  ["Signal.wait"] = {"string?"},
  -- brood.io
  ["IO.pipe"] = {"brood.IO reader", "brood.IO writer",
                 fn = "fun(reader: brood.IO, writer: brood.IO)", fn_results = true},
  ["IO.open"] = {IO_}, ["IO.for_fd"] = {IO_}, ["IO.fileno"] = {"integer"},
  ["IO.stdin"] = {IO_}, ["IO.stdout"] = {IO_}, ["IO.stderr"] = {IO_},
  ["IO.popen"] = {IO_, mode = '"r"|"w"|"r+"', options = "brood.SpawnOptions",
                  fn = "fun(io: brood.IO)", fn_results = true},
  ["IO.select"] = {"brood.IO[]? readable", "brood.IO[]? writable", "brood.IO[]? failed"},
  ["IO.copy_stream"] = {"integer"},
  ["IO.mkfifo"] = {},
  ["IO.flock"] = {"boolean"},
  ["IO.pidfile"] = {IO_},
  ["IO.shared"] = {"brood.Shared"},
  ["IO.buffer"] = {"brood.Buffer"},
  ["io:read"] = {"string|number|brood.Buffer|nil ...", ["..."] = "brood.ReadFormat|brood.Buffer"},
  ["io:lines"] = {"fun(): string|number|nil", ["..."] = "brood.ReadFormat"},
  ["io:gets"] = {"string?"},
  ["io:write"] = {IO_, ["..."] = "string|number|brood.Buffer"},
  ["io:puts"] = {["..."] = "any"}, ["io:print"] = {["..."] = "any"},
  ["io:flush"] = {},
  ["io:close"] = {"boolean?", '"exit"|"signal"|nil', "integer?"},
  ["io:closed"] = {"boolean"}, ["io:fileno"] = {"integer"}, ["io:pid"] = {"integer?"},
  ["io:eof"] = {"boolean"},
  ["io:readpartial"] = {"string|brood.Buffer|nil"},
  ["io:read_nonblock"] = {"string?", '"EAGAIN"?'},
  ["io:write_nonblock"] = {"integer?", '"EAGAIN"?'},
  ["io:close_on_exec"] = {"boolean"}, ["io:isatty"] = {"boolean"},
  ["io:set_nonblock"] = {},
  ["io:setvbuf"] = {mode = '"no"|"full"|"line"'},
  ["io.sync"] = {"boolean"},
  ["io:seek"] = {"integer"},
  ["io:reopen"] = {},
  ["io:dup"] = {IO_},
  ["io:close_read"] = {}, ["io:close_write"] = {},
  ["io:flock"] = {"boolean"},
  ["mem:read"] = {"string"}, ["mem:write"] = {}, ["mem:add"] = {"integer"},
  ["mem:load"] = {"integer"}, ["mem:store"] = {}, ["mem:size"] = {"integer"},
  ["mem:close"] = {},
  ["buf:tostring"] = {"string"}, ["buf:sub"] = {"string"},
  ["buf:set"] = {"brood.Buffer"},
  ["buf:append"] = {"brood.Buffer", ["..."] = "string|brood.Buffer"},
  ["buf:clear"] = {"brood.Buffer"}, ["buf:capacity"] = {"integer"},
  -- brood.socket
  ["Socket.pair"] = {SOCK, SOCK},
  ["Socket.tcp_server"] = {SOCK, host = "string?"},
  ["Socket.tcp_connect"] = {SOCK, host = "string"},
  ["Socket.unix_server"] = {SOCK}, ["Socket.unix_connect"] = {SOCK},
  ["Socket.unix_dgram"] = {SOCK},
  ["sock:accept"] = {"brood.Socket?", '"ETIMEDOUT"?'},
  ["sock:accept_nonblock"] = {"brood.Socket?", '"EAGAIN"?'},
  ["sock:send"] = {"integer"},
  ["sock:recv"] = {"string|brood.Buffer|nil", '"EAGAIN"?'},
  ["sock:shutdown"] = {},
  ["sock:send_io"] = {file = "brood.IO|file*|integer"},
  ["sock:recv_io"] = {"brood.IO?"},
  ["sock:local_address"] = {"string address", "integer? port"},
  ["sock:remote_address"] = {"string address", "integer? port"},
  -- brood.open3
  ["Open3.popen3"] = {"brood.IO stdin", "brood.IO stdout", "brood.IO stderr",
                      "brood.Waiter wait_thr", options = "brood.SpawnOptions",
                      fn = "fun(stdin: brood.IO, stdout: brood.IO, stderr: brood.IO, "
                        .. "wait_thr: brood.Waiter)"},
  ["Open3.popen2"] = {"brood.IO stdin", "brood.IO stdout", "brood.Waiter wait_thr",
                      options = "brood.SpawnOptions",
                      fn = "fun(stdin: brood.IO, stdout: brood.IO, wait_thr: brood.Waiter)"},
  ["Open3.popen2e"] = {"brood.IO stdin", "brood.IO stdout_and_stderr", "brood.Waiter wait_thr",
                       options = "brood.SpawnOptions",
                       fn = "fun(stdin: brood.IO, stdout_and_stderr: brood.IO, "
                         .. "wait_thr: brood.Waiter)"},
  ["Open3.capture3"] = {"string stdout", "string stderr", "brood.Status status",
                        options = "brood.RunOptions"},
  ["Open3.capture2"] = {"string stdout", "brood.Status status", options = "brood.RunOptions"},
  ["Open3.capture2e"] = {"string stdout_and_stderr", "brood.Status status",
                         options = "brood.RunOptions"},
  ["Open3.pipeline"] = {"brood.Status[]", options = "brood.SpawnOptions"},
  ["Open3.pipeline_r"] = {"brood.IO reader", "brood.Waiter[] handles",
                          options = "brood.SpawnOptions",
                          fn = "fun(reader: brood.IO, handles: brood.Waiter[])"},
  ["Open3.pipeline_w"] = {"brood.IO writer", "brood.Waiter[] handles",
                          options = "brood.SpawnOptions",
                          fn = "fun(writer: brood.IO, handles: brood.Waiter[])"},
  ["Open3.pipeline_rw"] = {"brood.IO writer", "brood.IO reader", "brood.Waiter[] handles",
                           options = "brood.SpawnOptions",
                           fn = "fun(writer: brood.IO, reader: brood.IO, "
                             .. "handles: brood.Waiter[])"},
  ["Open3.pipeline_start"] = {"brood.Waiter[] handles", options = "brood.SpawnOptions",
                              fn = "fun(handles: brood.Waiter[])"},
  -- brood.task
  ["Task.run"] = {"any ...", ["..."] = "any"},
  ["Task.spawn"] = {"brood.Task", ["..."] = "any"},
  ["t:wait"] = {"any ..."}, ["t:cancel"] = {},
  ["t:status"] = {'"running"|"suspended"|"done"|"failed"|"cancelled"'},
  ["Task.current"] = {"brood.Task?"},
  ["Task.sleep"] = {seconds = "number?"},
  ["Task.yield"] = {},
  ["Task.timeout"] = {"any ...", ["..."] = "any"},
  ["Task.queue"] = {"brood.task.Queue"},
  ["q:push"] = {"true"}, ["q:pop"] = {"any"}, ["q:close"] = {}, ["q:closed"] = {"boolean"},
  ["Task.semaphore"] = {"brood.task.Semaphore"},
  ["s:acquire"] = {}, ["s:release"] = {}, ["s:with"] = {"any ...", ["..."] = "any"},
  ["Task.all"] = {"table[]"},
  ["Task.first"] = {"brood.Task"},
  -- brood.supervisor
  ["Supervisor.new"] = {"brood.Supervisor", spec = "brood.SupervisorSpec"},
  ["sup:run"] = {"integer"}, ["sup:stop"] = {},
  ["sup:status"] = {"{ name: string, state: string, pid: integer?, restarts: integer, "
                    .. "last: string? }[]"},
  ["Supervisor.prefork"] = {"brood.PreforkServer", spec = "brood.PreforkSpec"},
  ["server:run"] = {"integer"}, ["server:stop"] = {},
  ["server:status"] = {"table<integer, { number: integer, pid: integer, state: string, "
                       .. "generation: integer }>"},
  ["Supervisor.init"] = {"integer", options = "{ group?: boolean }"},
  ["worker.number"] = {"integer"}, ["worker.generation"] = {"integer"},
  ["worker.checkin"] = {"fun()"},
  -- brood.systemd
  ["systemd.notify"] = {"boolean"},
  ["systemd.ready"] = {"boolean", status = "string"},
  ["systemd.reloading"] = {"boolean"}, ["systemd.stopping"] = {"boolean"},
  ["systemd.status"] = {"boolean"}, ["systemd.watchdog"] = {"boolean"},
  ["systemd.watchdog_interval"] = {"number?"},
  ["systemd.listen_fds"] = {"brood.IO[] sockets", "string[] names"},
}

-- The objects the reference describes, by the name its entries give them.
-- about: a phrase of the paragraph that introduces them (their class's
-- description); entry or section: where a table, a list or the prose names
-- their members (`mem:read(offset, length)`, `handle.pid`, a "field" table)
-- when headings do not.
local OBJECTS = {
  {"io", "brood.IO", module = "io", about = "Every descriptor brood hands out"},
  {"buf", "brood.Buffer", module = "io", about = "A reusable byte buffer", entry = "IO.buffer"},
  {"mem", "brood.Shared", module = "io", about = "A block of `size` bytes", entry = "IO.shared"},
  {"sock", "brood.Socket: brood.IO", module = "socket", about = "Every socket is an ordinary"},
  {"status", "brood.Status", module = "process", about = "return status objects",
   section = "Status objects"},
  {"handle", "brood.Waiter", module = "process", about = "Reaps child `pid` in the background",
   entry = "Process.detach"},
  {"t", "brood.Task", module = "task", about = "Tasks are functions that run side by side"},
  {"q", "brood.task.Queue", module = "task", about = "A queue holding at most"},
  {"s", "brood.task.Semaphore", module = "task", about = "A semaphore with `n` permits"},
  {"sup", "brood.Supervisor", module = "supervisor", about = "An Erlang/OTP-style supervisor"},
  {"server", "brood.PreforkServer", module = "supervisor",
   about = "Unicorn's master, as a library call"},
  -- its fields are named in prose only: they are ENTRY's worker.*
  {"worker", "brood.PreforkWorker", module = "supervisor", about = "The `worker` table has",
   fields = {"number", "generation", "checkin"}},
}

-- Tables of the reference that list the fields of a table argument (or of
-- error objects): one class each, its fields' types here. Their fields are
-- optional (`name?`) unless the table's default is "(required)"; exact:
-- as the types say.
local ANY_LIMIT = LIMIT .. "|(" .. LIMIT .. ")[]"
local OPTIONS = {
  {"brood.ForkOptions", module = "process", entry = "Process.fork", table = 1, fields = {
    pdeathsig = "brood.Signal|false", traps = '"default"|"keep"'}},
  {"brood.SpawnOptions", module = "process", section = "Options", table = 1, fields = {
    stdin = "brood.Redirect", stdout = "brood.Redirect", stderr = "brood.Redirect",
    ["in"] = "brood.Redirect", out = "brood.Redirect", err = "brood.Redirect",
    chdir = "string", umask = "string|integer", pgroup = "boolean|integer",
    new_pgroup = "boolean", setsid = "boolean", foreground = "boolean",
    pdeathsig = "brood.Signal|false", close_others = "boolean", unsetenv_others = "boolean",
    argv0 = "string", ["rlimit_*"] = ANY_LIMIT},
   -- `rlimit_<name>`: one field per Process.RLIMIT_* constant; an fd number as a key
   rlimits = true, extra = {"[integer] brood.Redirect"}},
  {"brood.RunOptions: brood.SpawnOptions", module = "process", section = "Options", table = 2,
   fields = {input = "string", stdin_data = "string", timeout = "number", check = "boolean"}},
  {"brood.SupervisorSpec", module = "supervisor", entry = "Supervisor.new", table = 1, fields = {
    children = "brood.SupervisorChild[]",
    strategy = '"one_for_one"|"one_for_all"|"rest_for_one"',
    intensity = "integer", period = "number", backoff = "{ initial?: number, max?: number }",
    log = "fun(line: string)", output = '"prefixed"|"inherit"'}},
  {"brood.SupervisorChild", module = "supervisor", entry = "Supervisor.new", table = 2, fields = {
    name = "string", command = "(string|table)[]", fn = "fun(name: string, ready?: fun())",
    options = "brood.SpawnOptions", restart = '"permanent"|"transient"|"temporary"',
    shutdown = "number", ready = "{ fd?: integer, systemd?: boolean, timeout?: number }"}},
  {"brood.PreforkSpec", module = "supervisor", entry = "Supervisor.prefork", table = 1, fields = {
    handle = "fun(client: brood.Socket, worker: brood.PreforkWorker)",
    listen = "(string|brood.Socket)[]", workers = "integer", timeout = "number",
    shutdown = "number", backlog = "integer", pidfile = "string",
    before_fork = "fun(server: brood.PreforkServer, worker: brood.PreforkWorker)",
    after_fork = "fun(server: brood.PreforkServer, worker: brood.PreforkWorker)",
    before_exec = "fun(server: brood.PreforkServer)", exec = "string[]",
    log = "fun(line: string)"}},
  -- errors.md's two tables, into brood.lua: every module raises them
  {"brood.Error", module = "brood", doc = "errors", section = "Error objects", table = 1,
   about = "The raised value is a table", exact = true, fields = {
    errno = "string?", code = "integer?", syscall = "string?", message = "string",
    subject = "string?"}},
  {"brood.Error", module = "brood", doc = "errors", section = "Errors from running programs",
   table = 1, exact = true,
   fields = {status = "brood.Status?", stdout = "string?", stderr = "string?"}},
}

-- Classes the reference implies but has no table for.
local EXTRA = {
  process = {
    "---@class brood.Env: { [string]: string }",
    "---@overload fun(): table<string, string>",
  },
}

---------------------------------------------------------------------------
-- Reading the reference
---------------------------------------------------------------------------

local problems = {}
local function problem(fmt, ...)
  problems[#problems + 1] = fmt:format(...)
end

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

local function spans(s)
  local r = {}
  for code in s:gmatch("`([^`]+)`") do r[#r + 1] = code end
  return r
end

-- A reference page as blocks: each heading with the lines under it.
-- Consecutive headings with nothing between them share those lines
-- (`Process.uid()` ... `Process.egid()`).
local function read_doc(name)
  local path = DOCS .. "/reference/" .. name .. ".md"
  local f = assert(io.open(path))
  local doc = {name = name, blocks = {}, lines = {}}
  local block = {heads = {}, lines = {}, level = 0}
  local fence = false
  for line in f:lines() do
    if line:match("^%s*<!%-%-.*%-%->%s*$") then goto next end   -- an HTML comment: not prose
    doc.lines[#doc.lines + 1] = line
    local level, text = line:match("^(#+) (.*)$")
    if line:match("^%s*```") then fence = not fence end
    if level and not fence then
      local empty = not block.lines[1] or not table.concat(block.lines):match("%S")
      if empty and #block.heads > 0 and block.level == #level then
        block.heads[#block.heads + 1] = text
      else
        block = {heads = {text}, lines = {}, level = #level}
        doc.blocks[#doc.blocks + 1] = block
      end
    else
      block.lines[#block.lines + 1] = line
    end
    ::next::
  end
  f:close()
  -- the module and the name the reference gives it: local Process = require "brood.process"
  local text = table.concat(doc.lines, "\n")
  doc.prefix, doc.module = text:match('local ([%w_]+) = require "([%w_.]+)"')
  return doc
end

-- The lines of the section titled `title` (up to the next heading as high).
local function section_lines(doc, title)
  local out, level = nil, nil
  for _, b in ipairs(doc.blocks) do
    if out and b.level <= level then break end
    if out then
      for _, h in ipairs(b.heads) do out[#out + 1] = ("#"):rep(b.level) .. " " .. h end
      table.move(b.lines, 1, #b.lines, #out + 1, out)
    elseif b.heads[1] == title then
      out, level = {}, b.level
      table.move(b.lines, 1, #b.lines, 1, out)
    end
  end
  return out or error("no section '" .. title .. "' in " .. doc.name .. ".md")
end

-- Paragraphs (lists of lines) of some lines, code blocks left out.
local function paragraphs(lines)
  local out, cur, fence = {}, nil, false
  for _, line in ipairs(lines) do
    if line:match("^%s*```") then
      fence = not fence
      cur = nil
    elseif not fence then
      if line:match("%S") and not line:match("^#") then
        if not cur then cur = {}; out[#out + 1] = cur end
        cur[#cur + 1] = line
      else
        cur = nil
      end
    end
  end
  return out
end

-- The paragraph that contains `phrase` (its lines).
local function paragraph_with(lines, phrase)
  for _, p in ipairs(paragraphs(lines)) do
    if table.concat(p, " "):find(phrase, 1, true) then return p end
  end
end

-- Markdown tables: {header = cells, rows = {cells...}, before = paragraph}.
local function cells(line)
  local s = line:gsub("\\|", "\0"):gsub("^%s*|", ""):gsub("|%s*$", "")
  local r = {}
  for c in (s .. "|"):gmatch("(.-)|") do r[#r + 1] = trim(c:gsub("%z", "|")) end
  return r
end

local function tables(lines)
  local out, cur, para, last = {}, nil, {}, {}
  for _, line in ipairs(lines) do
    if line:match("^%s*|") then
      if not cur then
        cur = {header = cells(line), rows = {}, before = #para > 0 and para or last}
        out[#out + 1] = cur
      elseif not line:match("^%s*|%s*%-%-%-") then
        cur.rows[#cur.rows + 1] = cells(line)
      end
      para, last = {}, {}
    else
      cur = nil
      if line:match("%S") then
        para[#para + 1] = line
      elseif #para > 0 then
        para, last = {}, para
      end
    end
  end
  return out
end

-- "- `handle:join([timeout])` — waits ..." items, each as one line.
local function bullets(lines)
  local out = {}
  for _, line in ipairs(lines) do
    if line:match("^%- ") then
      out[#out + 1] = line:sub(3)
    elseif line:match("^  %S") and out[#out] then
      out[#out] = out[#out] .. " " .. trim(line)
    end
  end
  return out
end

-- One signature of a heading: `Process.wait([pid[, flags]])` gives prefix
-- "Process", sep ".", name "wait" and the parameters
-- {name, optional, group (its outermost [...]), depth, variadic, lead}.
local function parse_params(s)
  local params, depth, group, groups, word = {}, 0, 0, 0, ""
  local function flush()
    word = trim(word)
    if word == "" then return end
    local variadic = word:match("%.%.%.$") ~= nil
    local name = word == "..." and "..." or word:gsub("%.%.%.$", "")
    local alts
    if name:find(" or ", 1, true) then
      alts = {}
      for a in (name .. " or "):gmatch("(.-) or ") do alts[#alts + 1] = trim(a) end
      name = table.concat(alts, "_or_")
    end
    params[#params + 1] = {name = name, optional = depth > 0, group = depth > 0 and group or 0,
                           depth = depth, variadic = variadic, alts = alts}
    word = ""
  end
  for c in s:gmatch(".") do
    if c == "[" then
      flush()
      depth = depth + 1
      if depth == 1 then groups = groups + 1; group = groups end
    elseif c == "]" then
      flush()
      depth = depth - 1
    elseif c == "," then
      flush()
    else
      word = word .. c
    end
  end
  flush()
  -- an optional parameter before a required one: `[env,] command...`
  local required_after = false
  for k = #params, 1, -1 do
    local p = params[k]
    if p.optional and required_after then p.lead = true end
    if not p.optional then required_after = true end
  end
  return params
end

local function parse_signature(code)
  local prefix, sep, name, rest = code:match("^([%w_]+)([%.:])([%w_]+)(.*)$")
  if not prefix then return nil end
  local sig = {prefix = prefix, sep = sep, name = name, full = prefix .. sep .. name}
  if rest ~= "" then
    local params = rest:match("^%((.*)%)$")
    if not params then return nil end   -- an expression, not a signature
    sig.params = parse_params(params)
  end
  return sig
end

---------------------------------------------------------------------------
-- Writing annotations
---------------------------------------------------------------------------

-- Links become their text: they lead nowhere from an editor.
local function plain(text)
  return (text:gsub("%[([^%[%]]*)%]%(([^)]*)%)", function(link, target)
    if target:match("^https?:") then return nil end
    return link
  end))
end

-- Reference prose as annotation comment lines; a line that LuaLS would
-- read as an annotation (`---@...`) is escaped.
local function comment(lines, out)
  local first, last = 1, #lines
  while first <= last and not lines[first]:match("%S") do first = first + 1 end
  while last >= first and not lines[last]:match("%S") do last = last - 1 end
  local fence = false
  for k = first, last do
    local line = lines[k]
    if line:match("^%s*```") then
      fence = not fence
    elseif not fence then
      line = plain(line):gsub("^(%s*)@", "%1\\@")
    end
    out[#out + 1] = line:match("%S") and "--- " .. line or "---"
  end
end

-- "brood.Status|brood.Error status" -> type, name
local function split_return(r)
  local depth, cut = 0, nil
  for k = 1, #r do
    local c = r:sub(k, k)
    if c:match("[%(%[{<]") then depth = depth + 1
    elseif c:match("[%)%]}>]") then depth = depth - 1
    elseif c == " " and depth == 0 then cut = k end
  end
  if cut and r:sub(cut + 1):match("^[%a_][%w_]*$") or cut and r:sub(cut + 1) == "..." then
    return r:sub(1, cut - 1), r:sub(cut + 1)
  end
  return r, nil
end

local function union(types)
  local parts, seen = {}, {}
  for _, t in ipairs(types) do
    if t:match("^fun%(") then t = "(" .. t .. ")" end
    if not seen[t] then seen[t] = true; parts[#parts + 1] = t end
  end
  return table.concat(parts, "|")
end

local function param_type(full, entry, p)
  local t = entry[p.name] or PARAM[p.name]
  if not t and p.alts then
    local ts = {}
    for _, a in ipairs(p.alts) do ts[#ts + 1] = entry[a] or PARAM[a] end
    if #ts == #p.alts then t = union(ts) end
  end
  if not t then
    problem("%s: no type for parameter '%s' (add it to PARAM or ENTRY)", full, p.name)
    t = "unknown"
  end
  return t
end

-- The signatures of one entry: a main one (the function's parameters) and
-- overloads, as lists of {name, type, optional}, each with its returns.
-- `[a][, b]` gives an overload for b without a; `[env,] command...`, one
-- with env; the parameters after a variadic one join its type, as Lua
-- cannot tell them apart.
local function signatures(full, entry, params)
  local returns = {}
  for _, r in ipairs(entry) do returns[#returns + 1] = r end
  local fn_returns = entry.fn_results and {"..."} or nil
  local lead, before, variadic, after = {}, {}, nil, {}
  for _, p in ipairs(params) do
    local ty = p.name ~= "..." and param_type(full, entry, p) or nil   -- `...`: see below
    local sp = {name = p.name, type = ty, optional = p.optional,
                group = p.group, depth = p.depth}
    if p.lead then lead[#lead + 1] = sp
    elseif variadic then after[#after + 1] = sp
    elseif p.variadic then variadic = p; sp.variadic = true; before[#before + 1] = sp
    else before[#before + 1] = sp end
  end
  local sigs = {}
  if variadic then
    local v = before[#before]
    before[#before] = nil
    local elem = entry["..."]
    if v.name ~= "..." then   -- `command...`: a command, then more words
      elem = elem or VARARG[v.name] or v.type
      before[#before + 1] = {name = v.name, type = v.type}
    elseif not elem then      -- `pid, ...`: more of the same; `fn, ...`: fn's arguments
      local prev = before[#before]
      elem = (not prev or prev.name == "fn") and "any" or prev.type
    end
    local rest = {elem}
    for _, p in ipairs(after) do rest[#rest + 1] = p.type end
    before[#before + 1] = {name = "...", type = union(rest)}
    sigs[1] = {params = before, returns = returns}
  else
    local fn
    if fn_returns and before[#before] and before[#before].name == "fn" then
      fn = table.remove(before)
    end
    sigs[1] = {params = before, returns = returns}
    -- which of the independent [...] groups are given
    local groups = {}
    for _, p in ipairs(before) do
      if p.optional and groups[#groups] ~= p.group then groups[#groups + 1] = p.group end
    end
    for mask = 0, (1 << #groups) - 1 do
      local given, prefix_closed = {}, true
      for k, g in ipairs(groups) do
        given[g] = mask & (1 << (k - 1)) ~= 0
        if given[g] and k > 1 and not given[groups[k - 1]] then prefix_closed = false end
      end
      local function variant(with_fn)
        local ps = {}
        for _, p in ipairs(before) do
          if not p.optional or given[p.group] then
            ps[#ps + 1] = {name = p.name, type = p.type, optional = p.depth > 1}
          end
        end
        if with_fn then ps[#ps + 1] = {name = fn.name, type = fn.type} end
        return {params = ps, returns = with_fn and fn_returns or returns}
      end
      if not prefix_closed then sigs[#sigs + 1] = variant(false) end
      if fn then sigs[#sigs + 1] = variant(true) end
    end
  end
  if #lead > 0 then
    for k = 1, #sigs do
      local ps = {}
      for _, p in ipairs(lead) do ps[#ps + 1] = {name = p.name, type = p.type} end
      table.move(sigs[k].params, 1, #sigs[k].params, #ps + 1, ps)
      sigs[#sigs + 1] = {params = ps, returns = sigs[k].returns}
    end
  end
  return sigs
end

local function fun_type(sig, self_type)
  local args = {}
  if self_type then args[1] = "self: " .. self_type end
  for _, p in ipairs(sig.params) do
    args[#args + 1] = p.name .. (p.optional and "?" or "") .. ": " .. p.type
  end
  local rets = {}
  for _, r in ipairs(sig.returns) do
    local t = split_return(r)
    rets[#rets + 1] = t
  end
  local s = "fun(" .. table.concat(args, ", ") .. ")"
  if #rets > 0 then s = s .. ": " .. table.concat(rets, ", ") end
  return s
end

local used = {}   -- the ENTRY keys the reference still has

local function entry_of(full)
  local e = ENTRY[full]
  used[full] = true
  if not e then
    problem("%s: not in ENTRY (add what it returns, or its type)", full)
    e = {}
  end
  return e
end

-- A function or method: its description, parameters, returns, overloads.
local function write_function(out, sigs_of_heading, prose, class_of)
  local first = sigs_of_heading[1]
  local entry = entry_of(first.full)
  local self_type = first.sep == ":" and class_of[first.prefix] or nil
  comment(prose, out)
  local all = {}
  for _, h in ipairs(sigs_of_heading) do
    for _, s in ipairs(signatures(first.full, entry, h.params)) do all[#all + 1] = s end
  end
  local main = table.remove(all, 1)
  for _, p in ipairs(main.params) do
    out[#out + 1] = ("---@param %s%s %s"):format(p.name, p.optional and "?" or "", p.type)
  end
  for _, r in ipairs(main.returns) do
    local t, name = split_return(r)
    out[#out + 1] = "---@return " .. t .. (name and " " .. name or "")
  end
  for _, s in ipairs(all) do out[#out + 1] = "---@overload " .. fun_type(s, self_type) end
  local names = {}
  for _, p in ipairs(main.params) do names[#names + 1] = p.name end
  out[#out + 1] = ("function %s%s%s(%s) end"):format(first.prefix, first.sep, first.name,
                                                     table.concat(names, ", "))
  out[#out + 1] = ""
end

-- A field or constant: `---@type` on an assignment, so that it keeps the
-- whole of its description.
local function write_field(out, sig, prose, modules)
  local e = ENTRY[sig.full]
  used[sig.full] = true
  local t = e and e[1]
  if not t and sig.prefix == "brood" and modules[sig.name] then t = "brood." .. sig.name end
  if not t and sig.name:match("^[%u%d_]+$") then t = "integer" end
  if not t then
    problem("%s: not in ENTRY (add its type)", sig.full)
    t = "unknown"
  end
  comment(prose, out)
  out[#out + 1] = "---@type " .. t
  out[#out + 1] = ("%s.%s = nil"):format(sig.prefix, sig.name)
  out[#out + 1] = ""
end

-- Members of an object that a table, a list or prose names:
-- {name, sep, params, text (a line, or a paragraph's lines)}.
local function listed_members(doc, obj)
  local lines
  if obj.section then lines = section_lines(doc, obj.section) end
  if obj.entry then
    for _, b in ipairs(doc.blocks) do
      for _, h in ipairs(b.heads) do
        for _, code in ipairs(spans(h)) do
          local sig = parse_signature(code)
          if sig and sig.full == obj.entry then lines = b.lines end
        end
      end
    end
  end
  assert(lines, obj.entry)
  local found, seen = {}, {}
  local function add(code, text)
    local sig = parse_signature(code)
    if sig and sig.prefix == obj[1] and not seen[sig.name] then
      seen[sig.name] = true
      found[#found + 1] = {name = sig.name, sep = sig.sep, params = sig.params, text = text}
    end
  end
  for _, t in ipairs(tables(lines)) do
    for _, row in ipairs(t.rows) do
      local text = table.concat(row, " — ", 2)
      if t.header[1] == "field" then
        for _, code in ipairs(spans(row[1])) do add(obj[1] .. "." .. code, text) end
      else
        for _, code in ipairs(spans(row[1])) do add(code, text) end
      end
    end
  end
  for _, item in ipairs(bullets(lines)) do
    local code, text = item:match("^`([^`]+)`%s*—%s*(.-)[;.]?$")
    if code then add(code, text) end
  end
  for _, p in ipairs(paragraphs(lines)) do
    for _, code in ipairs(spans(table.concat(p, " "))) do
      if code:match("^" .. obj[1] .. ":[%w_]+%(") then add(code, p) end
    end
  end
  return found
end

local function write_object_class(out, doc, obj, class_of)
  local class = obj[2]
  local about = paragraph_with(doc.lines, obj.about)
  if not about then problem("%s: no paragraph with '%s'", class, obj.about) end
  comment(about or {}, out)
  out[#out + 1] = "---@class " .. class
  local text = table.concat(doc.lines, "\n")
  if text:find("`#" .. obj[1] .. "`", 1, true) then out[#out + 1] = "---@operator len: integer" end
  local methods = {}
  local members = {}
  if obj.entry or obj.section then members = listed_members(doc, obj) end
  for _, name in ipairs(obj.fields or {}) do members[#members + 1] = {name = name, sep = "."} end
  for _, m in ipairs(members) do
    local full = obj[1] .. m.sep .. m.name
    if m.sep == "." then
      local e = entry_of(full)
      out[#out + 1] = ("---@field %s %s%s"):format(m.name, e[1] or "unknown",
                                                   m.text and " # " .. plain(m.text) or "")
    else
      methods[#methods + 1] = m
    end
  end
  out[#out + 1] = ("local %s = {}"):format(obj[1])
  out[#out + 1] = ""
  return function()   -- the methods, written after the module's own entries
    for _, m in ipairs(methods) do
      local sig = {prefix = obj[1], sep = m.sep, name = m.name, full = obj[1] .. ":" .. m.name,
                   params = m.params}
      write_function(out, {sig}, type(m.text) == "table" and m.text or {m.text}, class_of)
    end
  end
end

local function write_options(out, docs, opt, written)
  local doc = docs[opt.doc or opt.module]
  local lines
  if opt.entry then
    for _, b in ipairs(doc.blocks) do
      if b.heads[1]:find("`" .. opt.entry .. "(", 1, true) then lines = b.lines end
    end
  else
    lines = section_lines(doc, opt.section)
  end
  local t = tables(lines)[opt.table]
  if not t then problem("%s: no table %d", opt[1], opt.table); return end
  local class = opt[1]:match("^[^:]+")
  if not written[class] then
    written[class] = true
    local about = opt.about and paragraph_with(doc.lines, opt.about) or t.before
    comment(about or {}, out)
    out[#out + 1] = "---@class " .. opt[1]
  end
  local default_col
  for k, h in ipairs(t.header) do if h == "default" then default_col = k end end
  for _, row in ipairs(t.rows) do
    local required = default_col and row[default_col] == "(required)"
    local parts = {}
    for k = 2, #row do
      local no_default = k == default_col and (required or row[k] == "—")
      if row[k] ~= "" and not no_default then
        parts[#parts + 1] = k == default_col and "default: " .. row[k] or row[k]
      end
    end
    local text = table.concat(parts, " — ")
    local names = {}
    for _, code in ipairs(spans(row[1])) do
      if code:match("^[%a_][%w_]*$") then names[#names + 1] = code end
      if code == "rlimit_<name>" and opt.rlimits then
        for _, b in ipairs(docs.process.blocks) do
          for _, h in ipairs(b.heads) do
            for rl in h:gmatch("`Process%.RLIMIT_([%u_]+)`") do
              names[#names + 1] = "rlimit_" .. rl:lower()
            end
          end
        end
      end
    end
    local seen = {}
    for _, name in ipairs(names) do
      local ty = opt.fields[name] or (name:match("^rlimit_") and opt.fields["rlimit_*"])
      if not ty then
        problem("%s: no type for field '%s'", opt[1], name)
        ty = "unknown"
      end
      if not seen[name] then
        seen[name] = true
        local optional = (required or opt.exact) and "" or "?"
        out[#out + 1] = ("---@field %s%s %s # %s"):format(name, optional, ty, plain(text))
      end
    end
  end
  for _, f in ipairs(opt.extra or {}) do out[#out + 1] = "---@field " .. f end
end

local function module_file(docs, name, class_of, modules)
  local doc = docs[name]
  local out = {"---@meta", "-- luacheck: ignore",
               ("-- %s: generated by docs/types.lua from docs/reference/%s.md"):format(
                 doc.module, name), ""}
  for _, a in ipairs(ALIASES) do
    if a[3] == name then
      out[#out + 1] = "--- " .. a[4]
      out[#out + 1] = ("---@alias %s %s"):format(a[1], a[2])
      out[#out + 1] = ""
    end
  end
  for _, line in ipairs(EXTRA[name] or {}) do out[#out + 1] = line end
  if EXTRA[name] then out[#out + 1] = "" end
  -- the module: its introduction, up to the first section
  local intro = {}
  for _, b in ipairs(doc.blocks) do
    if b.level == 1 then
      local fence, seen_code = false, false
      for _, line in ipairs(b.lines) do
        if line:match("^```") then fence = not fence; seen_code = true
        elseif not fence and seen_code then intro[#intro + 1] = line end
      end
    end
  end
  local keep = {}
  for _, p in ipairs(paragraphs(intro)) do
    if not p[1]:match("^Contents:") then
      if #keep > 0 then keep[#keep + 1] = "" end
      table.move(p, 1, #p, #keep + 1, keep)
    end
  end
  comment(keep, out)
  out[#out + 1] = "---@class " .. doc.module
  out[#out + 1] = ("local %s = {}"):format(doc.prefix)
  out[#out + 1] = ""
  local later = {}
  for _, obj in ipairs(OBJECTS) do
    if obj.module == name then later[#later + 1] = write_object_class(out, doc, obj, class_of) end
  end
  for _, b in ipairs(doc.blocks) do
    if b.level >= 2 then
      local by_name, order = {}, {}
      for _, h in ipairs(b.heads) do
        for _, code in ipairs(spans(h)) do
          local sig = parse_signature(code)
          if sig and (sig.prefix == doc.prefix or class_of[sig.prefix]) then
            if not by_name[sig.full] then by_name[sig.full] = {}; order[#order + 1] = sig.full end
            table.insert(by_name[sig.full], sig)
          end
        end
      end
      for _, full in ipairs(order) do
        local sigs = by_name[full]
        if sigs[1].params then
          write_function(out, sigs, b.lines, class_of)
        else
          write_field(out, sigs[1], b.lines, modules)
        end
      end
    end
  end
  for _, f in ipairs(later) do f() end
  local written = {}
  for k, opt in ipairs(OPTIONS) do
    if opt.module == name then
      write_options(out, docs, opt, written)
      local next_opt = OPTIONS[k + 1]
      if not (next_opt and next_opt[1]:match("^[^:]+") == opt[1]:match("^[^:]+")) then
        out[#out + 1] = ""
      end
    end
  end
  out[#out + 1] = "return " .. doc.prefix
  return table.concat(out, "\n") .. "\n"
end

---------------------------------------------------------------------------

local outdir = arg and arg[1]
if not outdir then
  io.stderr:write("usage: brood docs/types.lua OUTDIR\n")
  os.exit(2)
end

local docs, modules, class_of = {}, {}, {}
for _, m in ipairs(MODULES) do
  docs[m] = read_doc(m)
  modules[m] = true
end
docs.errors = read_doc("errors")
for _, obj in ipairs(OBJECTS) do class_of[obj[1]] = obj[2]:match("^[^:]+") end

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end
assert(os.execute("mkdir -p " .. quote(outdir .. "/brood")))
for _, m in ipairs(MODULES) do
  local path = outdir .. (m == "brood" and "/brood.lua" or "/brood/" .. m .. ".lua")
  local text = module_file(docs, m, class_of, modules)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

local stale = {}
for full in pairs(ENTRY) do
  if not used[full] then stale[#stale + 1] = full end
end
table.sort(stale)
for _, full in ipairs(stale) do problem("%s: in ENTRY but not in the reference", full) end

if #problems > 0 then
  for _, p in ipairs(problems) do io.stderr:write("docs/types.lua: ", p, "\n") end
  os.exit(1)
end
