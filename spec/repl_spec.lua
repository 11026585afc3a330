-- The REPL, driven through a real pseudo-terminal (ptyexpect). Expected
-- strings are computed ("4".."2") so that they cannot match the echo of
-- what was typed.
local U = require "spec.helpers.util"

-- "prompt" waits for a fresh "> " and for the line editor to take the
-- terminal (keys typed earlier would be cooked by the tty instead).
local function repl(script, opts)
  local lines = {}
  for _, l in ipairs(script) do
    if l == "prompt" then
      lines[#lines + 1] = "expect > "
      lines[#lines + 1] = "raw"
    elseif l == "prompt2" then
      lines[#lines + 1] = "expect >> "
      lines[#lines + 1] = "raw"
    else
      lines[#lines + 1] = l
    end
  end
  opts = opts or {}
  opts.env = opts.env or {}
  if opts.env.BROOD_HISTORY == nil then opts.env.BROOD_HISTORY = "" end
  if opts.env.TERM == nil then opts.env.TERM = "xterm" end
  local r = U.pty(opts.argv or {U.BROOD}, lines, opts)
  assert(r.completed, "the terminal script did not complete:\n" .. r.transcript)
  return r.transcript
end

describe("REPL", function()
  it("starts on a terminal with the version banner and exits on Ctrl-D", function()
    local t = repl({"prompt", "send \\x04", "eof"})
    assert.matches("^brood %d+%.%d+%.%d+ with Lua 5%.4", t)
    assert.matches("exit 0\n$", t)
  end)

  it("prints the values of expressions", function()
    local t = repl({"prompt", "send 6*7, 'a'..'b'\\n", "expect 42\tab",
      "prompt", "send \\x04", "eof"})
    assert.matches("42\tab", t)
  end)

  it("has Process and the other modules pre-bound; Process.pid() shows the pid", function()
    local t = repl({
      "prompt",
      "send print('pid=' .. Process.pid())\\n", "expect pid=", "prompt",
      "send print(type(Signal), type(IO), type(Socket), type(Open3))\\n",
      "expect table\ttable\ttable\ttable",
      "prompt", "send \\x04", "eof"})
    local pid = tonumber(t:match("pid=(%d+)"))
    assert.is_true(pid > 1)
  end)

  it("continues unfinished statements on the next line", function()
    local t = repl({
      "prompt", "send for i = 1, 3 do\\n", "prompt2",
      "send io.write(i * 11, ' ') end\\n", "expect 11 22 33",
      "prompt", "send \\x04", "eof"})
    assert.matches("11 22 33", t)
  end)

  it("reports errors and keeps going", function()
    local t = repl({
      "prompt", "send error('o'..'ops')\\n", "expect oops",
      "prompt", "send print(1 + 1 .. '!')\\n", "expect 2!",
      "prompt", "send \\x04", "eof"})
    assert.matches("stdin:1: oops\nstack traceback:", t)
  end)

  it("Ctrl-C at the prompt drops the line and gives a fresh prompt", function()
    local t = repl({
      "prompt", "send this is not lua", "send \\x03", "prompt",
      "send print('still' .. ' here')\\n", "expect still here",
      "prompt", "send \\x04", "eof"})
    assert.not_matches("syntax error", t)
    assert.matches("exit 0\n$", t)
  end)

  it("Ctrl-C interrupts running code with a traceback and returns to the prompt", function()
    local t = repl({
      "prompt", "send print('run' .. 'ning') while true do end\\n", "expect running",
      "send \\x03", "expect interrupted!", "prompt",
      "send print('back' .. ' again')\\n", "expect back again",
      "prompt", "send \\x04", "eof"})
    assert.matches("interrupted!\nstack traceback:", t)
  end)

  it("Ctrl-C during Task.run cancels every task, kills and reaps their children", function()
    local t = repl({
      "prompt",
      "send T, P = require 'brood.task', require 'brood.process'\\n", "prompt",
      "send T.run(function() for i = 1, 3 do T.spawn(P.capture, 'sleep 60') end " ..
        "print('run' .. 'ning') P.sleep(60) end)\\n",
      "expect running", "send \x03", "expect interrupted!", "prompt",
      "send print('children: ' .. #io.open('/proc/self/task/' .. P.pid() .. " ..
        "'/children'):read('a'))\\n",
      "expect children: 0", "prompt", "send \x04", "eof"})
    assert.matches("interrupted!", t)
  end)

  it("Ctrl-C interrupts a loop inside a coroutine", function()
    local t = repl({
      "prompt",
      "send coroutine.wrap(function() print('in' .. 'side') while true do end end)()\\n",
      "expect inside", "send \\x03", "expect interrupted!", "prompt",
      "send print('al' .. 'ive')\\n", "expect alive",
      "prompt", "send \\x04", "eof"})
    assert.matches("interrupted!", t)
  end)

  it("runs the user's INT trap instead of its own, and never reinstalls its own", function()
    local t = repl({
      "prompt",
      "send hits = 0 Signal.trap('INT', function() hits = hits + 1 print('hit' .. hits) end)\\n",
      "prompt", "send \\x03", "expect hit1",
      "send print('line ' .. 'kept')\\n", "expect line kept",
      "prompt", "send print('lo' .. 'oping') while hits < 3 do end print('loop ' .. 'finished')\\n",
      "expect looping", "send \\x03", "expect hit2", "send \\x03", "expect hit3",
      "expect loop finished",
      "prompt", "send Signal.trap('INT', 'DEFAULT')\\n",
      "prompt", "send print('spin' .. 'ning') while true do end\\n", "expect spinning",
      "send \\x03", "expect interrupted!",
      "prompt", "send \\x04", "eof"})
    assert.not_matches("hit4", t)
    assert.matches("exit 0\n$", t)
  end)

  it("keeps a persistent history", function()
    local hist = os.tmpname()
    os.remove(hist)
    repl({"prompt", "send x_from_history = 1\\n", "prompt", "send \\x04", "eof"},
      {env = {BROOD_HISTORY = hist}})
    local saved = U.slurp(hist)
    os.remove(hist)
    assert.matches("x_from_history", saved)
  end)

  it("runs after a script with -i", function()
    local f = U.tmpfile("answer = 41")
    local t = repl({"prompt", "send answer + 1\\n", "expect 42", "prompt",
      "send \\x04", "eof"},
      {argv = {U.BROOD, "-i", f}})
    os.remove(f)
    assert.matches("42", t)
  end)

  it("works without a terminal under -i, reading lines from stdin", function()
    local r = U.brood({"-i"}, {stdin = "1 + 1\nfor i = 1, 2 do\nprint(i) end\n",
      env = {BROOD_HISTORY = ""}})
    assert.are.equal(0, r.code)
    assert.matches("\n2\n", r.out)
    assert.matches("1\n2\n", r.out)
  end)

  it("completes names on Tab: Proc to Process, Process.sp to Process.spawn", function()
    local t = repl({
      "prompt", "send print(Proc\\t == Process, Process.sp\\t == Process.spawn)\\n",
      "expect true\ttrue", "prompt", "send \\x04", "eof"})
    assert.matches("true\ttrue", t)
  end)

  it("lists the candidates on a second Tab: methods after ':'", function()
    -- the line is then finished into a syntax error, to get a fresh prompt
    local t = repl({
      "prompt", "send x = IO.stdin:rea\\t", "send \\t", "expect read_nonblock",
      "send  1\\n", "expect function arguments expected", "prompt",
      "send \\x04", "eof"})
    assert.matches("readpartial", t)
  end)

  it("completes signal names where Signal.trap takes one, closing the string", function()
    local t = repl({
      "prompt", "send Signal.trap(\"WINC\\t, 'IGNORE')\\n", "prompt",
      "send print(Signal.trap('WIN' .. 'CH', 'DEFAULT'))\\n", "expect IGNORE",
      "prompt", "send \\x04", "eof"})
    assert.matches("IGNORE", t)
  end)

  it("help(Process.spawn) and help \"io:read\" print the reference entries", function()
    local t = repl({
      "prompt", "send help(Process.spawn)\\n", "expect Starts the program", "prompt",
      "send help 'io:read'\\n", "expect Reads by Lua's formats", "prompt",
      "send help 'no_such_thing'\\n", "expect no reference entry", "prompt",
      "send \\x04", "eof"})
    assert.matches("### `Process.spawn%(", t)
  end)

  it("has help without a terminal too", function()
    local r = U.brood({"-i"}, {stdin = "help(Signal.trap)\nhelp(Process)\n",
      env = {BROOD_HISTORY = ""}})
    assert.are.equal(0, r.code)
    assert.matches("Sets what happens when `signal` arrives", r.out)
    assert.matches("\nProcess%.fork%(%[fn%]%[, options%]%)\n", r.out)
  end)
end)

describe("REPL completion (brood._repl.complete)", function()
  local R = require "brood._repl"
  -- the REPL's globals
  before_each(function()
    _G.Process, _G.Signal, _G.IO = require "brood.process", require "brood.signal",
      require "brood.io"
  end)
  after_each(function() _G.Process, _G.Signal, _G.IO = nil, nil, nil end)
  local function complete(line)
    local insert, cands = R.complete(line)
    return insert, table.concat(cands, " ")
  end

  it("completes globals and keywords, fields after '.', methods after ':'", function()
    assert.are.same({"ess", "Process"}, {complete("x = Proc")})
    assert.are.equal("awn", (complete("Process.sp")))
    local insert, cands = complete("Process.wait")
    assert.are.equal("", insert)
    assert.are.equal("wait wait2 waitall waitpid waitpid2", cands)
    assert.are.equal("ction", (complete("fun")))
    insert, cands = complete("IO.stdin:read")
    assert.are.equal("", insert)
    assert.matches("^read read_nonblock readpartial", cands)
    assert.are.equal("se", (complete("IO.stdin:clo")))
    -- fields are not methods: nothing to call after ':' on a plain table field
    assert.are.equal("", (complete("Process:WNOHAN")))
  end)

  it("completes signal names in Signal.trap, Signal.wait and Process.kill", function()
    assert.are.same({"D\"", "CHLD"}, {complete("Signal.trap(\"CHL")})
    assert.are.same({"R", "USR1 USR2"}, {complete("Process.kill('US")})
    assert.are.equal("P'", (complete("Signal.wait('HU")))
    -- not where no signal is expected
    assert.are.same({"", ""}, {complete("print('US")})
  end)

  it("offers nothing for unknown or non-table bases; calls no function but __index", function()
    assert.are.same({"", ""}, {complete("nosuch.thing")})
    assert.are.same({"", ""}, {complete("x = 12.")})
    local called = false
    _G.trapdoor = setmetatable({}, {__index = function() called = true end})
    complete("trapdoor.x.y")
    _G.trapdoor = nil
    -- an __index function is how a table offers its fields: it is consulted
    assert.is_true(called)
  end)

  it("never raises, whatever the line (random lines from Lua's punctuation and names)", function()
    local pieces = {"Process", "Signal", "IO", "stdin", ".", ":", "(", "\"", "'", "[", "%",
                    "Signal.trap(", "Process.kill(", "_G", "x", " ", "1", "..", "{", "\\",
                    "string", "sub", "#", "-", "__index", "nil"}
    math.randomseed(20261130)
    for _ = 1, 3000 do
      local parts = {}
      for i = 1, math.random(0, 8) do parts[i] = pieces[math.random(#pieces)] end
      local line = table.concat(parts)
      local ok, insert, cands = pcall(R.complete, line)
      assert(ok, ("complete(%q) raised: %s"):format(line, tostring(insert)))
      assert(type(insert) == "string" and type(cands) == "table", line)
    end
  end)
end)
