-- Every public function has a reference entry: a heading in
-- docs/reference/<module>.md that shows how it is called.
local U = require "spec.helpers.util"

local modules = {
  {"brood", "brood", "brood"},
  {"brood.process", "Process", "process"},
  {"brood.signal", "Signal", "signal"},
  {"brood.io", "IO", "io"},
  {"brood.socket", "Socket", "socket"},
  {"brood.open3", "Open3", "open3"},
  {"brood.task", "Task", "task"},
  {"brood.supervisor", "Supervisor", "supervisor"},
  {"brood.systemd", "systemd", "systemd"},
}

local function headings(file)
  local f = assert(io.open(U.SOURCE_ROOT .. "/docs/reference/" .. file .. ".md"))
  local found = {}
  for line in f:lines() do
    if line:match("^#+ ") then
      for name in line:gmatch("`([%w_%.:]+)[%(`%s]") do found[name] = true end
    end
  end
  f:close()
  return found
end

describe("reference documentation", function()
  for _, m in ipairs(modules) do
    local modname, prefix, file = m[1], m[2], m[3]
    it("documents every field of " .. modname, function()
      local mod = require(modname)
      local documented = headings(file)
      local missing = {}
      for k in pairs(mod) do
        if type(k) == "string" and not documented[prefix .. "." .. k] then
          missing[#missing + 1] = prefix .. "." .. k
        end
      end
      table.sort(missing)
      assert.are.same({}, missing)
    end)
  end

  it("documents every method of IO objects (socket ones in socket.md)", function()
    local IO = require "brood.io"
    local _, methods = debug.getupvalue(getmetatable(IO.stdin).__index, 1)
    local io_doc, sock_doc = headings("io"), headings("socket")
    local missing = {}
    for name in pairs(methods) do
      if not (io_doc["io:" .. name] or sock_doc["sock:" .. name]) then
        missing[#missing + 1] = name
      end
    end
    table.sort(missing)
    assert.are.same({}, missing)
    assert.is_true(io_doc["io.sync"])
  end)

  it("documents every method of IO.buffer objects (the table in io.md)", function()
    local f = assert(io.open(U.SOURCE_ROOT .. "/docs/reference/io.md"))
    local text = f:read("a")
    f:close()
    local missing = {}
    for name in pairs(getmetatable(require("brood.io").buffer(1)).__index) do
      if not text:find("`buf:" .. name .. "(", 1, true) then missing[#missing + 1] = name end
    end
    table.sort(missing)
    assert.are.same({}, missing)
  end)

  it("documents every method of tasks, queues and semaphores", function()
    local Task = require "brood.task"
    local doc = headings("task")
    local missing = {}
    local function check(prefix, methods)
      for name, v in pairs(methods) do
        if type(v) == "function" and not name:match("^__") and not doc[prefix .. ":" .. name] then
          missing[#missing + 1] = prefix .. ":" .. name
        end
      end
    end
    Task.run(function()
      check("t", getmetatable(Task.current()).__index)
      check("q", getmetatable(Task.queue()).__index)
      check("s", getmetatable(Task.semaphore(1)).__index)
    end)
    table.sort(missing)
    assert.are.same({}, missing)
  end)

  it("documents brood.h's functions", function()
    local f = assert(io.open(U.SOURCE_ROOT .. "/docs/embedding.md"))
    local text = f:read("a")
    f:close()
    for _, fn in ipairs{"brood_openlibs", "brood_version", "brood_signal_fd",
                        "brood_signal_dispatch", "BROOD_VERSION_NUM"} do
      assert.is_truthy(text:find("### `" .. fn, 1, true), fn)
    end
  end)

  it("has docs/porting.md up to date with the examples", function()
    local generate = assert(loadfile(U.SOURCE_ROOT .. "/docs/porting.lua"))("module")
    local f = assert(io.open(U.SOURCE_ROOT .. "/docs/porting.md"))
    local text = f:read("a")
    f:close()
    assert(text == generate(),
      "docs/porting.md is out of date: run build/brood docs/porting.lua > docs/porting.md")
  end)
end)
