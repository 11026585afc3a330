-- brood.open3 against real programs: pipes to all three streams, the
-- capture functions under load, and pipelines without a shell.
local U = require "spec.helpers.util"
local Open3 = require "brood.open3"
local IO = require "brood.io"

local function tmpname()
  local name = os.tmpname()
  os.remove(name)
  return name
end

describe("Open3.popen3", function()
  U.guard(before_each, after_each)

  it("gives stdin, stdout, stderr and a wait handle", function()
    local stdin, stdout, stderr, wait_thr = Open3.popen3("sh", "-c",
      "read line; echo out:$line; echo err:$line >&2; exit 6")
    assert.is_true(wait_thr.pid > 0)
    stdin:puts("hello")
    stdin:close()
    assert.are.equal("out:hello\n", stdout:read("a"))
    assert.are.equal("err:hello\n", stderr:read("a"))
    stdout:close()
    stderr:close()
    local status = wait_thr:value()
    assert.are.equal(6, status.exitstatus)
    assert.are.equal(wait_thr.pid, status.pid)
  end)

  it("block form: closes and waits, returns the block's values", function()
    local out, status = Open3.popen3("tr a-z A-Z", function(i, o, e, t)
      i:write("block")
      i:close()
      assert.are.equal("", e:read("a"))
      return o:read("a"), t:value()
    end)
    assert.are.equal("BLOCK", out)
    assert.is_true(status.success)
  end)

  it("block form: an error in the block still closes and waits", function()
    local ok, e = pcall(Open3.popen3, "cat", function() error("in the block") end)
    assert.is_false(ok)
    assert.matches("in the block", tostring(e))
  end)

  it("takes env and options", function()
    local cmd = "echo $WHO in $(pwd)"
    Open3.popen3({WHO = "env"}, "sh", "-c", cmd, {chdir = "/"}, function(i, o, _, t)
      i:close()
      assert.are.equal("env in /\n", o:read("a"))
      assert.is_true(t:value().success)
    end)
  end)

  it("raises when the program cannot run, leaving nothing open", function()
    local ok, e = pcall(Open3.popen3, "/nonexistent/program")
    assert.is_false(ok)
    assert.are.equal("ENOENT", e.errno)
  end)
end)

describe("Open3.popen2 and popen2e", function()
  U.guard(before_each, after_each)

  it("popen2: stdin and stdout; stderr is inherited", function()
    local i, o, t = Open3.popen2("sh", "-c", "cat; echo to-stderr >&2", {err = "/dev/null"})
    i:write("two\n")
    i:close()
    assert.are.equal("two\n", o:read("a"))
    o:close()
    assert.is_true(t:value().success)
  end)

  it("popen2e: stdout and stderr on one pipe", function()
    local out = Open3.popen2e("sh", "-c", "echo A; echo B >&2; echo C", function(i, o, t)
      i:close()
      local s = o:read("a")
      t:value()
      return s
    end)
    assert.are.equal("A\nB\nC\n", out)
  end)
end)

describe("Open3 capture functions", function()
  U.guard(before_each, after_each)

  it("capture3 -> stdout, stderr, status", function()
    local out, err, status = Open3.capture3("sh", "-c", "echo o; echo e >&2; exit 1")
    assert.are.equal("o\n", out)
    assert.are.equal("e\n", err)
    assert.are.equal(1, status.exitstatus)
  end)

  it("capture2 and capture2e", function()
    local out, status = Open3.capture2("sh", "-c", "echo o; echo e >&2", {err = "/dev/null"})
    assert.are.equal("o\n", out)
    assert.is_true(status.success)
    out, status = Open3.capture2e("sh", "-c", "echo o; echo e >&2")
    assert.are.equal("o\ne\n", out)
    assert.is_true(status.success)
  end)

  it("feeds input, also under Ruby's name stdin_data", function()
    assert.are.equal("ABC", (Open3.capture2("tr a-z A-Z", {input = "abc"})))
    assert.are.equal("DEF", (Open3.capture3("tr a-z A-Z", {stdin_data = "def"})))
    assert.are.equal("GHI", (Open3.capture2e("tr a-z A-Z", {input = "ghi"})))
  end)

  it("never deadlocks: 10 MB on stdout and 10 MB on stderr, stderr first", function()
    local ten = 10 * 1024 * 1024
    local out, err, status = Open3.capture3("sh", "-c",
      ("head -c %d /dev/zero | tr '\\0' e >&2; head -c %d /dev/zero | tr '\\0' o"):format(ten, ten))
    assert.is_true(status.success)
    assert.are.equal(ten, #out)
    assert.are.equal(ten, #err)
    assert.is_nil(out:find("[^o]"))
    assert.is_nil(err:find("[^e]"))
  end)

  it("never deadlocks: 10 MB of input echoed to stdout and stderr as it is read", function()
    local big = ("brood! "):rep(1500000)
    local out, err, status = Open3.capture3("tee", "/dev/stderr", {input = big})
    assert.is_true(status.success)
    assert.is_true(out == big)
    assert.is_true(err == big)
  end)

  it("a program that stops reading its input is not an error", function()
    local out, _, status = Open3.capture3("head", "-c", "3", {input = ("x"):rep(1000000)})
    assert.are.equal("xxx", out)
    assert.is_true(status.success)
  end)

  it("check raises with the stderr tail", function()
    local ok, e = pcall(Open3.capture3, "sh", "-c", "echo bad things happened >&2; exit 3",
      {check = true})
    assert.is_false(ok)
    assert.matches("bad things happened", tostring(e))
    assert.are.equal(3, e.status.exitstatus)
    assert.are.equal("bad things happened\n", e.stderr)
  end)

  it("timeout kills and raises ETIMEDOUT with what was read", function()
    local ok, e = pcall(Open3.capture3, "echo started; sleep 30", {timeout = 0.2})
    assert.is_false(ok)
    assert.are.equal("ETIMEDOUT", e.errno)
    assert.are.equal("started\n", e.stdout)
  end)

  it("raises when the program cannot run", function()
    local ok, e = pcall(Open3.capture3, "/nonexistent/program")
    assert.is_false(ok)
    assert.are.equal("ENOENT", e.errno)
  end)
end)

describe("Open3 pipelines", function()
  U.guard(before_each, after_each)
  local name
  before_each(function() name = tmpname() end)
  after_each(function() os.remove(name) end)

  it("pipeline: a | b | c without a shell, statuses in order", function()
    local statuses = Open3.pipeline({"printf", "b\\na\\nc\\n"}, "sort", {"sh", "-c", "cat; exit 2"},
      {out = name})
    assert.are.equal(3, #statuses)
    assert.is_true(statuses[1].success)
    assert.is_true(statuses[2].success)
    assert.are.equal(2, statuses[3].exitstatus)
    assert.are.equal("a\nb\nc\n", U.slurp(name))
  end)

  it("pipeline_r: the last command's stdout", function()
    local r, ts = Open3.pipeline_r({"echo", "hello pipes"}, "tr a-z A-Z")
    assert.are.equal("HELLO PIPES\n", r:read("a"))
    r:close()
    assert.are.equal(2, #ts)
    for _, t in ipairs(ts) do assert.is_true(t:value().success) end
    local out = Open3.pipeline_r("echo block", "tr a-z A-Z", function(rr) return rr:read("a") end)
    assert.are.equal("BLOCK\n", out)
  end)

  it("pipeline_w: the first command's stdin", function()
    local w, ts = Open3.pipeline_w("tr a-z A-Z", "tr A C", {out = name})
    w:write("abc\n")
    w:close()
    for _, t in ipairs(ts) do t:value() end
    assert.are.equal("CBC\n", U.slurp(name))
    Open3.pipeline_w("cat", {out = name}, function(ww) ww:write("block\n") end)
    assert.are.equal("block\n", U.slurp(name))
  end)

  it("pipeline_rw: the first command's stdin and the last one's stdout", function()
    local w, r, ts = Open3.pipeline_rw("tr a-z A-Z", {"tr", "B", "b"})
    w:write("abc\n")
    w:close()
    assert.are.equal("AbC\n", r:read("a"))
    r:close()
    for _, t in ipairs(ts) do assert.is_true(t:value().success) end
    local out = Open3.pipeline_rw("sort", "uniq -c", function(ww, rr)
      ww:write("b\na\nb\n")
      ww:close()
      return rr:read("a")
    end)
    assert.are.equal("      1 a\n      2 b\n", out)
  end)

  it("pipeline_start: wait handles; the block form waits for all", function()
    local ts = Open3.pipeline_start({"echo", "x"}, {"sh", "-c", "cat; exit 4"}, {out = name})
    assert.are.equal(2, #ts)
    assert.is_true(ts[1]:value().success)
    assert.are.equal(4, ts[2]:value().exitstatus)
    assert.are.equal("x\n", U.slurp(name))
    local n = Open3.pipeline_start("echo y", "cat", {out = name}, function(tt) return #tt end)
    assert.are.equal(2, n)
    assert.are.equal("y\n", U.slurp(name))
  end)

  it("a command that cannot run stops the pipeline and raises", function()
    local ok, e = pcall(Open3.pipeline, "echo x", "/nonexistent/program", {out = name})
    assert.is_false(ok)
    assert.are.equal("ENOENT", e.errno)
  end)
end)

describe("Open3 and IO", function()
  U.guard(before_each, after_each)

  it("its pipes are brood IO objects", function()
    local i, o, e, t = Open3.popen3("true")
    for _, x in ipairs{i, o, e} do assert.matches("^#<IO:fd %d+>$", tostring(x)) end
    assert.are.equal(IO.select({o}, nil, nil, 5)[1], o)
    i:close() o:close() e:close()
    assert.is_true(t:value().success)
  end)
end)

describe("Open3 when things go wrong", function()
  U.guard(before_each, after_each)
  local S = require "brood.signal"

  it("a trap handler that raises during pipeline or capture3 leaves no child", function()
    S.trap("USR1", function() error("stop", 0) end)
    local ok1, e1 = pcall(Open3.pipeline, {"sh", "-c", "kill -USR1 $PPID; exec sleep 10"}, "cat")
    local ok2, e2 = pcall(Open3.capture3, "sh", "-c", "kill -USR1 $PPID; exec sleep 10")
    S.trap("USR1", "SYSTEM_DEFAULT")
    assert.is_false(ok1)
    assert.are.equal("stop", e1)
    assert.is_false(ok2)
    assert.are.equal("stop", e2)
    -- U.guard: both sleeping programs were killed and reaped
  end)
end)
