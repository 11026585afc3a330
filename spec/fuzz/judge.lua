--- What counts as a finding. Used by the batches (errors raised by a
-- call, whether a call may block) and by the supervisor (how a batch
-- ended).
local M = {}

-- The chunk name of the harness's generated call sites: a position there
-- is the caller's own line (as error(msg, 2) reports), not an internal one.
M.CALLSITE = "fuzzcall"

-- Raised by the harness's trap handler when the supervisor interrupts a
-- call that blocks.
M.INTERRUPT = "FUZZ-INTERRUPT"

-- {{{ Error messages

-- Lua's own messages that hostile arguments provoke: fine.
local STANDARD = {
  "attempt to yield across a C%-call boundary",
  "attempt to yield from outside a coroutine",
  "'__tostring' must return a string",
  "object length is not an integer",
  "'__index' chain too long",
  "'__newindex' chain too long",
  "^not enough memory$",
  "cannot resume dead coroutine",
  "cannot resume non%-suspended coroutine",
  "attempt to use a closed ",      -- as Lua's "attempt to use a closed file"
}

--- A message's pattern for deduplication: the caller's position, numbers
-- and the detail in parentheses replaced, length bounded.
function M.pattern(msg)
  local p = msg:sub(1, 300):gsub("^" .. M.CALLSITE .. ":%d+: ", "")
  p = p:gsub(" %(.*$", " (…)")
  -- quoted values go, except the function an argument error names
  p = p:gsub("()'([^']*)'", function(pos, q)
    local before = p:sub(math.max(1, pos - 8), pos - 1)
    if (before:match("to $") or before:match("calling $")) and #q <= 40 then
      return "'" .. q .. "'"
    end
    return "'…'"
  end)
  p = p:gsub("%-?%d+%.?%d*", "N")
  return p
end

local function name_ok(name, expect)
  if type(expect) == "table" then
    for _, e in ipairs(expect) do
      if name_ok(name, e) then return true end
    end
    return false
  end
  return name == expect or name:match("%.([%w_]+)$") == expect
end

local RUNTIME = {"attempt to index ", "attempt to call ", "attempt to perform arithmetic",
                 "attempt to concatenate ", "attempt to compare ", "attempt to get length ",
                 "attempt to do bitwise"}

--- Checks the message of a string error raised by a call to a function
-- that Lua names 'expect' (or any of a list). Returns nil when it is
-- clear, else the kind of problem, a short explanation and a key that
-- groups the same problem across calls.
function M.check_message(msg, expect)
  if #msg > 2000 then msg = msg:sub(1, 1000) .. " … " .. msg:sub(-1000) end  -- 1 MB paths...
  if msg:find("FUZZ-SENTINEL", 1, true) or msg:find(M.INTERRUPT, 1, true) then return nil end
  local pat = M.pattern(msg)
  for chunk, line in msg:gmatch("([^%s:'\"]+):(%d+):") do
    if chunk ~= M.CALLSITE and (chunk:match("%.lua$") or chunk:match("^stdin$")) then
      return "internal position", "message shows an internal position " .. chunk .. ":" .. line,
             "internal position: " .. pat
    end
  end
  if msg:find('[string "', 1, true) then
    return "internal position", "message shows an internal chunk", "internal position: " .. pat
  end
  if msg:find("[C]", 1, true) then
    return "internal position", "message shows a C frame ([C])", "internal position: " .. pat
  end
  for _, p in ipairs(STANDARD) do
    if msg:find(p) then return nil end
  end
  if msg:find("invalid key to 'next'", 1, true) then
    return "internal error", "message leaks a table traversal error", "internal error: " .. pat
  end
  if msg:find("bad argument #%-?%d+ to '%?'") then
    return "unnamed function", "argument error names no function ('?')",
           "unnamed function: " .. pat
  end
  local exp = type(expect) == "table" and expect[1] or expect
  for name in msg:gmatch("bad argument #%-?%d+ to '([^']*)'") do
    if not name_ok(name, expect) then
      return "wrong function name", ("argument error names '%s' for a call to '%s'"):format(
        name, exp), "wrong function name: " .. pat
    end
  end
  for name in msg:gmatch("calling '([^']*)' on bad self") do
    if not name_ok(name, expect) then
      return "wrong function name", ("self error names '%s' for a call to '%s'"):format(
        name, exp), "wrong function name: " .. pat
    end
  end
  for _, p in ipairs(RUNTIME) do
    if msg:find(p, 1, true) then
      return "internal error", "a Lua runtime error inside brood reached the caller",
             "internal error: " .. pat
    end
  end
  if msg:find("stack overflow") then
    return "internal error", "stack overflow", "internal error: " .. pat
  end
  if msg == "" then
    return "empty message", "error with an empty message", "empty message"
  end
  return nil
end

--- The argument an argument error names, and what it says about it:
-- 2, "number expected, got string".
function M.argerror(msg)
  local i, what = msg:match("bad argument #(%d+) to '[^']*' %((.*)%)$")
  if not i then i, what = msg:match("bad argument #(%d+) %((.*)%)$") end
  return tonumber(i), what
end

local TYPE_WORDS = {
  number = "number", integer = "number", pid = "number", seconds = "number",
  string = "string", command = "string", name = "string", mode = "string", path = "string",
  table = "table", argv = "table", options = "table",
  ["function"] = "function", handler = "function",
  boolean = "boolean",
}

--- The Lua types (or brood type names) an argument error asks for, from
-- "number expected, got string", "command (a string or an argv table)
-- expected" or "brood.IO expected": a sorted list, or nil.
function M.expected_types(what)
  local e = what:match("^(.-) expected, got ") or what:match("^(.-) expected$")
  if not e then return nil end
  local set, list = {}, {}
  if e:find("^{") then set.table = true end
  for w in e:gmatch("[%w_%.%*]+") do
    local ty = TYPE_WORDS[w] or ((w:match("^brood%.%u") or w == "FILE*") and w)
    if ty then set[ty] = true end
  end
  for ty in pairs(set) do list[#list + 1] = ty end
  table.sort(list)
  return #list > 0 and list or nil
end

--- Checks an error object (a table whose metatable is brood.Error).
function M.check_error_object(e)
  local ok, s = pcall(tostring, e)
  if not ok or type(s) ~= "string" then
    return "malformed error object", "tostring(err) fails: " .. tostring(s),
           "malformed error object: tostring fails"
  end
  local errno, code, syscall, message = rawget(e, "errno"), rawget(e, "code"),
                                        rawget(e, "syscall"), rawget(e, "message")
  if errno ~= nil and (type(errno) ~= "string" or not errno:match("^E[A-Z0-9]+$")) then
    return "malformed error object", "errno is " .. tostring(errno),
           "malformed error object: errno"
  end
  if errno == "EINTR" then
    return "EINTR", "EINTR reached the script (" .. s .. ")", "EINTR: " .. tostring(syscall)
  end
  if errno ~= nil and math.type(code) ~= "integer" then
    return "malformed error object", "code is " .. tostring(code), "malformed error object: code"
  end
  if type(syscall) ~= "string" or syscall == "" then
    return "malformed error object", "syscall is " .. tostring(syscall),
           "malformed error object: syscall"
  end
  if type(message) ~= "string" then
    return "malformed error object", "message is " .. tostring(message),
           "malformed error object: message"
  end
  if errno == nil and rawget(e, "status") == nil then
    return "malformed error object", "neither errno nor status: " .. s,
           "malformed error object: neither errno nor status (" .. tostring(syscall) .. ")"
  end
  local kind, why, group = M.check_message(s, "")
  if kind == "internal position" or kind == "internal error" then return kind, why, group end
  return nil
end

-- }}}
-- {{{ Calls that may block: the explicit allowlist

local function num(v) return type(v) == "number" and v == v end
local function long(v) return v == nil or not num(v) or v >= 1 end

-- Calls that flush every buffered IO object first (fork, spawn, exec,
-- exit...) wait for a full pipe like a write does: a script that buffers
-- output to a pipe only it reads deadlocks there, as in C. Calls that run
-- a program to its end also wait for it, and it may read a pipe of ours.
local function flushes() return true end
local runs_program = flushes

-- Keys: target names (Module.function, Type:method, Type op). Values:
-- true, or a function(args, n, state) -> true when these arguments may
-- legitimately block for seconds. args[1] is the first argument (after
-- self for methods). Calls not listed must never block.
M.BLOCKING = {
  ["Process.sleep"] = function(a) return long(a[1]) end,
  ["Signal.pause"] = function(a) return long(a[1]) end,
  ["Process.wait"] = function(a) return not (math.type(a[2]) == "integer" and a[2] & 1 == 1) end,
  ["Process.wait2"] = "Process.wait", ["Process.waitpid"] = "Process.wait",
  ["Process.waitpid2"] = "Process.wait",
  ["Process.waitall"] = true,
  ["Process.kill"] = true,     -- STOP, or a handler that blocks
  ["Process.exec"] = true,     -- the program now runs in the batch's place
  ["Process.system"] = runs_program, ["Process.capture"] = runs_program,
  ["Process.spawn"] = flushes, ["Process.fork"] = flushes, ["Process.daemon"] = flushes,
  ["Process.exit"] = flushes, ["Process.abort"] = flushes,
  ["IO.popen"] = true,         -- writes to the program, waits for it at close
  ["IO.open"] = true,          -- opening a FIFO waits for the other end
  ["IO.select"] = function(a) return long(a[4]) end,
  ["IO.copy_stream"] = true,
  ["IO.flock"] = function(a) return not a[3] end,
  ["Socket.tcp_connect"] = function(a) return long(a[3]) end,
  ["Socket.unix_connect"] = true,
  ["Waiter:join"] = function(a) return long(a[1]) end,
  ["Waiter:value"] = true,
  ["IO:read"] = true, ["IO:lines"] = true, ["IO:gets"] = true, ["IO:eof"] = true,
  ["IO:readpartial"] = true, ["IO:write"] = true, ["IO:puts"] = true, ["IO:print"] = true,
  ["IO:flush"] = true, ["IO:close"] = true, ["IO:close_write"] = true, ["IO:close_read"] = true,
  ["IO:accept"] = true, ["IO:send"] = true, ["IO:recv"] = true, ["IO:send_io"] = true,
  ["IO:recv_io"] = true, ["IO:flock"] = function(a) return not a[2] end,
  ["IO:reopen"] = true, ["IO:seek"] = true, ["IO:setvbuf"] = true, ["IO:dup"] = flushes,
  ["IO.__gc"] = true, ["IO.__close"] = true, ["IO close"] = true,
  ["IO newindex"] = true,      -- io.sync = true flushes
  ["Signal.wait"] = function(a) return long(a[2]) end,
  ["Task.run"] = true,         -- runs what it is given, and every task it starts
  ["Task.timeout"] = true, ["task.Semaphore:with"] = true,
  ["Process.terminate"] = true,  -- waits up to its grace period, then for the KILL
  ["Supervisor.init"] = runs_program,
  ["Supervisor:run"] = true,     -- supervises until stopped or failed
  ["PreforkServer:run"] = true,  -- serves until stopped
}
for _, name in ipairs{"capture2", "capture2e", "capture3", "popen2", "popen2e", "popen3",
                      "pipeline", "pipeline_r", "pipeline_rw", "pipeline_start", "pipeline_w"} do
  M.BLOCKING["Open3." .. name] = runs_program
end

--- True when the call may block for seconds without that being a bug.
function M.may_block(name, args, n, state)
  local rule = M.BLOCKING[name]
  if type(rule) == "string" then rule = M.BLOCKING[rule] end
  if rule == nil then return false end
  if rule == true then return true end
  return rule(args, n, state) and true or false
end

-- Calls after which the batch legitimately ends without finishing.
M.ENDS_BATCH = {["Process.exit"] = true, ["Process._exit"] = true, ["Process.abort"] = true,
                ["Process.exec"] = true, ["Process.daemon"] = true}

-- Calls whose first argument is a signal: the signals they may send or
-- let through. ("Process.kill" sends; "Signal.trap" can give a signal
-- back its deadly default, or "EXIT".)
M.SIGNAL_ARG = {["Process.kill"] = 1, ["Signal.trap"] = 1}

-- Calls that may change the process's user or group ids (flag "U").
M.IDENTITY = {["Process.setuid"] = true, ["Process.seteuid"] = true, ["Process.setgid"] = true,
              ["Process.setegid"] = true, ["Process.change_privilege"] = true}

-- Calls that send signals of their own choosing (to a pid the fuzzer
-- chose, possibly the batch's own group).
M.SENDS = {["Process.terminate"] = {"TERM", "CONT", "KILL"}}

-- Signals a resource limit raises: setrlimit makes them possible later.
M.RLIMIT_SIGNALS = {XCPU = true, XFSZ = true, KILL = true, SEGV = true}

-- }}}
-- {{{ How a batch ended

local FAULTS = {SEGV = true, BUS = true, ILL = true, FPE = true, ABRT = true, SYS = true,
                TRAP = true}
M.FAULTS = FAULTS

--- Classifies the end of a batch. 'b' has: status (exited, exitstatus,
-- signaled, termsig, signame), ended (the batch logged its end), calls
-- (records with target, flags: B may block, S signals mentioned),
-- current (the call running when it ended, if any), watchdog (nil,
-- "hang", "blocked", "exit", "memory", "deadline"), rlimit (a setrlimit
-- call was made), exit_trap (a trap was set to "EXIT"), lsan_fatal
-- (LeakSanitizer reported a fatal error of its own).
-- Returns outcome, finding (nil or {kind=, detail=}).
function M.classify_end(b)
  local cur = b.current
  if b.watchdog == "deadline" then return "stopped at the deadline" end
  if (b.watchdog == "hang" or b.watchdog == "exit") and b.where
     and b.where:find("sched_yield", 1, true) then
    -- LeakSanitizer's StopTheWorld spinning at exit (brood never calls
    -- sched_yield): the sanitizer's trouble, not brood's
    return "LeakSanitizer stuck at exit"
  end
  if b.rlimit and b.where and b.where:match("%d+%[(%a)%]") == "R"
     and (b.watchdog == "exit" or b.between or b.busy) then
    -- busy, not blocked, after a resource limit was set: with RLIMIT_DATA
    -- at 0 every allocation fails and the collector thrashes
    return "busy after setrlimit"
  end
  if b.watchdog == "hang" and b.in_gc then
    return "blocked in a finalizer (popen close waits for its program)"
  end
  if b.watchdog == "hang" then
    if b.between then
      return "hang between calls", {kind = "hang", detail = ("no progress for %.1f s after the call"
        .. " returned (in the harness, or in a finalizer run by the collector)"):format(b.age or 0)}
    end
    return "hang", {kind = "hang", detail = ("call still running after %.1f s"):format(b.age or 0)}
  end
  if b.watchdog == "blocked" then return "blocked (allowed)" end
  if b.watchdog == "uninterruptible" then
    return "uninterruptible", {kind = "uninterruptible",
      detail = ("the call kept blocking for %.1f s while the harness's trap handler raised"
                .. " (%d signals)"):format(b.age or 0, b.interrupts or 0)}
  end
  if b.watchdog == "exit" then
    if b.rlimit then return "hang at exit after setrlimit" end  -- LeakSanitizer's, at exit
    if b.identity then return "hang at exit after an identity change" end  -- LeakSanitizer's
    -- LeakSanitizer's StopTheWorld spinning in sched_yield (brood never
    -- calls it): the sanitizer's own trouble, not brood's
    if b.where and b.where:find("sched_yield", 1, true) then
      return "LeakSanitizer stuck at exit"
    end
    return "hang at exit", {kind = "hang at exit",
                            detail = "the batch logged its end but did not exit within 3 s"}
  end
  if b.watchdog == "memory" then
    return "memory", {kind = "memory",
                      detail = ("resident memory above %d MB"):format(b.mem_mb or 0)}
  end
  local st = b.status
  if not st then return "unknown" end
  if st.signaled then
    local sig = st.signame or tostring(st.termsig)
    if b.interrupted and st.termsig == b.intsig then return "interrupt signal not caught" end
    if b.sent[st.termsig] then return "killed by a signal it sent (" .. sig .. ")" end
    -- At exit Lua prints the at_exit functions' errors on descriptor 2,
    -- which the fuzz may have closed and reused for a pipe nobody reads:
    -- the Unix default, as for print (brood's own IO never dies of it).
    if sig == "PIPE" and (b.ended or (cur and M.ENDS_BATCH[cur.target])) then
      return "killed by SIGPIPE writing to a broken stderr at exit"
    end
    if b.rlimit and M.RLIMIT_SIGNALS[sig] then
      return "killed by a resource limit (" .. sig .. ")"
    end
    -- LeakSanitizer's own check at exit failed (it could not read
    -- /proc/<pid>/task: the fuzzed calls used up the descriptors, then
    -- exited) and aborted: the sanitizer's trouble, not brood's
    if sig == "ABRT" and b.lsan_fatal
       and (b.ended or (cur and M.ENDS_BATCH[cur.target])) then
      return "LeakSanitizer could not run at exit"
    end
    -- After a change of user or group ids the process is no longer
    -- dumpable: LeakSanitizer cannot stop it to look for leaks at exit,
    -- nor write its report where the harness reads it, and aborts
    if sig == "ABRT" and b.identity
       and (b.ended or not cur or M.ENDS_BATCH[cur.target]) then
      return "LeakSanitizer could not run at exit after an identity change"
    end
    local kind = FAULTS[sig] and "crash" or "killed"
    return "killed by " .. sig, {kind = kind, keypart = "SIG" .. sig,
      detail = "killed by SIG" .. sig ..
      (cur and " during the call" or (b.ended and " after the batch's end" or ""))}
  end
  if b.ended then return "normal" end
  if cur and M.ENDS_BATCH[cur.target] then return "ended by " .. cur.target end
  if b.exit_trap or b.sent[0] then return "ended by a trapped signal (EXIT)" end
  if not cur and b.last and M.ENDS_BATCH[b.last.target] then
    return "ended by " .. b.last.target
  end
  if st.exitstatus == 98 then return "the harness ran out of memory" end
  if st.exitstatus == 99 then
    return "harness error", {kind = "harness error", keypart = "status 99",
      detail = "the harness itself failed in the batch (see its stderr); not a brood finding"}
  end
  if b.rlimit and st.exitstatus == 1 then  -- the sanitizer's allocator, out of memory
    return "exited 1 after setrlimit"
  end
  return "exited " .. tostring(st.exitstatus), {kind = "unexpected exit",
    keypart = "status " .. tostring(st.exitstatus),
    detail = "the batch exited with status " .. tostring(st.exitstatus) ..
      (cur and " during a call that does not exit" or " between calls")}
end

local FAULT_SIGNALS = {SEGV = "SEGV", BUS = "BUS", FPE = "FPE", ILL = "ILL", ABRT = "ABRT"}

--- Sanitizer and Lua panic reports in a batch's stderr or report files:
-- a list of {kind=, key=, text=}.
function M.reports(text)
  local found = {}
  if not text or text == "" then return found end
  -- one report per "==PID==ERROR:" block or UBSan "runtime error:" line
  for line in text:gmatch("[^\n]+") do
    local what = line:find("ERROR: AddressSanitizer: ", 1, true)
      and line:match("ERROR: AddressSanitizer: ([%w%-_]+)")
    if line:find("WARNING: AddressSanitizer failed to allocate", 1, true) then
      what = nil  -- a huge request that malloc refused (allocator_may_return_null): Lua's to handle
    elseif line:find("out of memory", 1, true) or line:find("failed to allocate", 1, true)
       or line:find("Failed to mmap", 1, true) then
      -- the sanitizer's allocator could not map memory: a resource limit
      -- the fuzz set (RLIMIT_AS, RLIMIT_DATA...), or the machine
      found[#found + 1] = {kind = "out of memory", key = "sanitizer out of memory", text = text}
      what = nil
    end
    if what then
      local frame = text:match("#%d+ 0x%x+ in ([%w_]+) [^\n]*/src/[%w_]+%.c")
                 or text:match("#%d+ 0x%x+ in ([%w_]+)")
      -- a deadly signal ASan caught: maybe one the batch sent itself
      found[#found + 1] = {kind = "sanitizer", key = "ASan " .. what .. " in " .. tostring(frame),
                           text = text, signal = FAULT_SIGNALS[what]}
    end
    -- (a plain find first: the pattern would backtrack quadratically over
    -- a long line of word characters, a batch's own output)
    local ub = line:find("runtime error: ", 1, true)
      and line:sub(1, 4096):match("([%w_/%.]+%.c:%d+:%d+: runtime error: .*)")
    if ub then
      local file = ub:match("([%w_]+%.c:%d+)")
      found[#found + 1] = {kind = "sanitizer", key = "UBSan " .. file .. ": " ..
        M.pattern(ub:match("runtime error: (.*)") or ""), text = ub}
    end
    if line:find("ERROR: LeakSanitizer", 1, true) then
      local frame
      for f in text:gmatch("#%d+ 0x%x+ in ([%w_]+)") do
        if not f:match("^_*%a*alloc") and not f:match("^__interceptor")
           and not f:match("^l_alloc") and not f:match("^lua[A-Z_]") and not f:match("^luaM_") then
          frame = f
          break
        end
      end
      found[#found + 1] = {kind = "leak", key = "LeakSanitizer in " .. tostring(frame), text = text}
    end
    if line:find("PANIC: unprotected error", 1, true) then
      found[#found + 1] = {kind = "panic", key = "Lua panic: " .. M.pattern(line), text = line}
    end
  end
  return found
end

-- }}}

return M
