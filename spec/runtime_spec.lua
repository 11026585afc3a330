-- The brood command line: a superset of lua5.4's, checked by running
-- the real binary as a subprocess.
local U = require "spec.helpers.util"

describe("brood command line", function()
  it("passes script arguments in arg[1..n] and in ...", function()
    local r = U.script([[
      print(select("#", ...), ...)
      print(#arg, arg[1], arg[2], arg[3])
    ]], {"a", "b c", ""})
    assert.are.equal(0, r.code)
    assert.are.equal("3\ta\tb c\t\n3\ta\tb c\t\n", r.out)
  end)

  it("lays out arg like lua5.4: script at 0, interpreter and options negative", function()
    local name = U.tmpfile("print(arg[-3], arg[-2], arg[-1], arg[0] == SELF, arg[1])")
    -- luacheck: globals SELF
    local r = U.brood({"-e", "SELF=" .. ("%q"):format(name), name, "x"})
    os.remove(name)
    assert.are.equal(0, r.code, r.err)
    assert.are.equal(U.BROOD .. "\t-e\tSELF=" .. ("%q"):format(name) .. "\ttrue\tx\n", r.out)
  end)

  it("without a script, arg[0] is the interpreter and options follow", function()
    local r = U.brood({"-e", "print(arg[0] == arg[0], arg[1], arg[2])"})
    assert.are.equal("true\t-e\tprint(arg[0] == arg[0], arg[1], arg[2])\n", r.out)
  end)

  it("runs -e chunks and -l modules in command-line order", function()
    -- As in lua5.4, "-l brood.process" binds the global named "brood.process".
    local r = U.brood({"-e", "x = 1", "-l", "brood.process", "-e", "print(x, type(brood))"})
    assert.are.equal(0, r.code, r.err)
    assert.are.equal("1\tnil\n", r.out)
    r = U.brood({"-l", "brood.process", "-e", "print(type(_G['brood.process'].pid))"})
    assert.are.equal("function\n", r.out)
  end)

  it("supports -l g=mod", function()
    local r = U.brood({"-l", "P=brood.process", "-e", "print(P.pid() > 1)"})
    assert.are.equal(0, r.code, r.err)
    assert.are.equal("true\n", r.out)
  end)

  it("-v prints brood's and Lua's versions", function()
    local r = U.brood({"-v"})
    assert.are.equal(0, r.code)
    assert.matches("^brood %d+%.%d+%.%d+ with Lua 5%.4%.%d+  Copyright", r.out)
  end)

  it("--version names brood's and Lua's versions and exits", function()
    local r = U.brood({"--version"})
    assert.are.equal(0, r.code)
    assert.matches("^brood %d+%.%d+%.%d+ %(Lua 5%.4%.%d+%)\n$", r.out)
  end)

  it("--help prints the usage on stdout", function()
    local r = U.brood({"--help"})
    assert.are.equal(0, r.code)
    assert.matches("usage: .* %[options%] %[script %[args%]%]", r.out)
  end)

  it("rejects an unknown option with usage and status 1", function()
    local r = U.brood({"-x"})
    assert.are.equal(1, r.code)
    assert.matches("unrecognized option '%-x'", r.err)
    r = U.brood({"-e"})
    assert.are.equal(1, r.code)
    assert.matches("'%-e' needs argument", r.err)
  end)

  it("-W turns warnings on", function()
    local r = U.brood({"-W", "-e", "warn('hello')"})
    assert.are.equal("Lua warning: hello\n", r.err)
    r = U.brood({"-e", "warn('hello')"})
    assert.are.equal("", r.err)
  end)

  it("runs the script from stdin with -", function()
    local r = U.brood({"-", "a1"}, {stdin = "print('from stdin', ...)"})
    assert.are.equal("from stdin\ta1\n", r.out)
  end)

  it("reads a script named - after --", function()
    local r = U.sh("cd " .. U.quote(os.getenv("TMPDIR") or "/tmp") ..
      " && printf 'print(\"file named dash\")' > ./- && " ..
      U.quote(U.BROOD) .. " -- - ; rm -f ./-")
    assert.are.equal("file named dash\n", r.out)
  end)

  it("reads a script from stdin when stdin is not a terminal and nothing else is given", function()
    local r = U.brood({}, {stdin = "print(1 + 2)"})
    assert.are.equal("3\n", r.out)
  end)

  it("honours LUA_INIT_5_4 before LUA_INIT, and -E ignores both", function()
    local env = {LUA_INIT_5_4 = "print('init54')", LUA_INIT = "print('init')"}
    assert.are.equal("init54\nmain\n", U.brood({"-e", "print('main')"}, {env = env}).out)
    env.LUA_INIT_5_4 = false
    assert.are.equal("init\nmain\n", U.brood({"-e", "print('main')"}, {env = env}).out)
    assert.are.equal("main\n", U.brood({"-E", "-e", "print('main')"}, {env = env}).out)
  end)

  it("runs LUA_INIT from a file with @", function()
    local f = U.tmpfile("print('init from file')")
    local r = U.brood({"-e", "print('main')"}, {env = {LUA_INIT_5_4 = "@" .. f}})
    os.remove(f)
    assert.are.equal("init from file\nmain\n", r.out)
  end)

  it("-E also makes require ignore LUA_PATH", function()
    local r = U.brood({"-E", "-e", "print(package.path:find('NOWHERE', 1, true))"},
      {env = {LUA_PATH = "/NOWHERE/?.lua"}})
    assert.are.equal("nil\n", r.out)
  end)

  it("prints an uncaught error with a traceback and exits 1", function()
    local r = U.script("local function f() error('boom') end\nf()")
    assert.are.equal(1, r.code)
    assert.matches(": .*:1: boom\nstack traceback:\n", r.err)
    assert.matches("in local 'f'", r.err)
  end)

  it("gives error objects (tables with __tostring) a traceback too", function()
    local r = U.script([[error(setmetatable({}, {__tostring = function() return "custom" end}))]])
    assert.are.equal(1, r.code)
    assert.matches(": custom\nstack traceback:", r.err)
  end)

  it("reports an error object without __tostring by its type", function()
    local r = U.script("error({})")
    assert.are.equal(1, r.code)
    assert.matches("%(error object is a table value%)", r.err)
  end)

  it("exits with os.exit's status", function()
    assert.are.equal(7, U.brood({"-e", "os.exit(7)"}).code)
    assert.are.equal(0, U.brood({"-e", "os.exit(true)"}).code)
    assert.are.equal(1, U.brood({"-e", "os.exit(false)"}).code)
  end)

  it("reports a missing script", function()
    local r = U.brood({"/nonexistent/script.lua"})
    assert.are.equal(1, r.code)
    assert.matches("cannot open /nonexistent/script.lua", r.err)
  end)

  it("runs a script with a #! line", function()
    local r = U.script("#!/usr/bin/env brood\nprint('shebang ok')")
    assert.are.equal("shebang ok\n", r.out)
  end)

  it("does not load any brood module until the script requires one", function()
    local r = U.brood({"-e", [[
      local n = 0
      for k in pairs(package.loaded) do if k:find("^brood") then n = n + 1 end end
      print(n, type(package.preload["brood.process"]))
    ]]})
    assert.are.equal("0\tfunction\n", r.out)
  end)

  it("binds Process and the other modules as globals only in the REPL", function()
    local r = U.brood({"-e", "print(Process, Signal, IO, Socket, Open3)"})
    assert.are.equal("nil\tnil\tnil\tnil\tnil\n", r.out)
  end)

  it("finds its modules from any directory without LUA_PATH", function()
    local r = U.sh("cd / && " .. U.quote(U.BROOD) ..
      " -e 'print(require(\"brood.open3\") ~= nil," ..
      " require(\"brood.process\").pid() > 1)'",
      {env = {LUA_PATH = false, LUA_CPATH = false, LUA_PATH_5_4 = false, LUA_CPATH_5_4 = false}})
    assert.are.equal(0, r.code, r.err)
    assert.are.equal("true\ttrue\n", r.out)
  end)

  it("uses its compiled-in modules even when others are on LUA_PATH", function()
    local dir = os.tmpname()
    os.remove(dir)
    U.sh("mkdir -p " .. U.quote(dir .. "/brood"))
    local f = assert(io.open(dir .. "/brood/open3.lua", "w"))
    f:write("return 'impostor'")
    f:close()
    local r = U.brood({"-e", "print(type(require('brood.open3')))"},
      {env = {LUA_PATH_5_4 = dir .. "/?.lua;;"}})
    U.sh("rm -rf " .. U.quote(dir))
    assert.are.equal("table\n", r.out)
  end)

  it("loads Debian's Lua C modules (dynamic liblua5.4)", function()
    local r = U.brood({"-e", "print(type(require('lfs').currentdir))"})
    assert.are.equal(0, r.code, r.err)
    assert.are.equal("function\n", r.out)
  end)

  it("lets SIGINT end a script the Unix way (no handler by default)", function()
    -- timeout(1) delivers INT after 0.3 s whatever brood is doing by then;
    -- --preserve-status hands back brood's own wait status.
    local r = U.sh("timeout --preserve-status -s INT 0.3 " .. U.quote(U.BROOD) ..
      " -e 'while true do end'; echo \"status $?\"")
    assert.are.equal("status 130\n", r.out)
    assert.are.equal("", r.err)
  end)

  it("keeps working when a script replaces the global require", function()
    -- (brood's Lua modules use require as any module does, when they load:
    -- the first capture loads brood._run)
    local r = U.script([[
      local P = require "brood.process"
      local S = require "brood.signal"
      local brood = require "brood"
      P.capture("true")
      require = function(name) error("no require for " .. name) end  -- luacheck: ignore
      print(P.capture("echo", "captured"))
      print(P.system("true"))
      print(brood.process == P, brood.signal == S)
      S.trap("EXIT", function() print("exit trap") end)
      S.trap("TERM", "EXIT")
      P.kill("TERM", P.pid())
    ]])
    assert.are.equal(0, r.code, r.err)
    assert.matches("^captured\n\tpid %d+ exit 0\ntrue\tpid %d+ exit 0\n" ..
                   "true\ttrue\nexit trap\n$", r.out)
  end)
end)
