-- Beyond the book: capture3 with input, a timeout and check (Python's
-- subprocess.run), and a pipeline without a shell.
local Open3 = require "brood.open3"
local Process = require "brood.process"

-- 1 MB in, both outputs back: no deadlock however much each side writes
local text = ("a line of input\n"):rep(65536)
local out, err, status = Open3.capture3('sh', '-c', 'tee /dev/stderr | wc -l', {input = text})
print(out:match("%d+"), #err, status.success)

-- a timeout: TERM, and a report of what had been written
local ok, e = pcall(Open3.capture3, 'echo working; sleep 10', {timeout = 0.3})
print(ok, e.errno, e.stdout)

-- check: a failure raises with the end of stderr
ok, e = pcall(Process.capture, 'ls', '/nonexistent', {check = true, err = "/dev/null"})
print(ok, e.status.exitstatus)

-- printf | sort | uniq -c, each a program of its own
for _, s in ipairs(Open3.pipeline({'printf', 'b\\na\\nb\\n'}, 'sort', 'uniq -c')) do
  io.write(s.exitstatus, " ")
end
print()

-- both ends of a pipeline in the script's hands: write to the first
-- command, read from the last, then wait for every one
local words = Open3.pipeline_rw('tr a-z A-Z', 'sort', function(first, last, waits)
  first:write("pear\napple\n")
  first:close()
  local sorted = last:read("a")
  for _, t in ipairs(waits) do assert(t:value().success) end
  return sorted
end)
io.write(words)
