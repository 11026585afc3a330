-- Generates docs/porting.md from the example files, so the guide never
-- drifts from the code (the test suite checks that it is up to date).
-- Run from the repository's root:  build/brood docs/porting.lua > docs/porting.md
local E = require "spec.helpers.expect"

local ROOT = "examples"

local CHAPTERS = {
  ["02-pid"] = "Chapter 2 — Processes have IDs",
  ["03-ppid"] = "Chapter 3 — Processes have parents",
  ["06-rlimits"] = "Chapter 6 — Processes have resource limits",
  ["07-env"] = "Chapter 7 — Processes have an environment",
  ["08-argv"] = "Chapter 8 — Processes have arguments",
  ["09-name"] = "Chapter 9 — Processes have names",
  ["10-exit"] = "Chapter 10 — Processes have exit codes",
  ["11-fork"] = "Chapter 11 — Processes can fork",
  ["12-orphans"] = "Chapter 12 — Orphaned processes",
  ["13-cow"] = "Chapter 13 — Processes are friendly (copy-on-write)",
  ["14-wait"] = "Chapter 14 — Processes can wait",
  ["15-zombies"] = "Chapter 15 — Zombie processes",
  ["16-signals"] = "Chapter 16 — Processes can get signals",
  ["17-ipc"] = "Chapter 17 — Processes can communicate",
  ["18-daemons"] = "Chapter 18 — Daemon processes",
  ["19-spawn"] = "Chapter 19 — Spawning terminal processes",
  ["appendix-a-resque"] = "Appendix A — How Resque manages processes",
  ["appendix-b-unicorn"] = "Appendix B — How Unicorn reaps worker processes",
  ["appendix-c-prefork"] = "Appendix C — Preforking servers",
  ["appendix-d-spyglass"] = "Appendix D — Spyglass",
  ["c-multiprocess"] = "Multi-process programming in C, ported",
  ["go-linux-processes"] = "Understanding Linux processes (Go), ported",
  ["go-server"] = "A multi-process server (Go), ported",
  ["io"] = "More IO: select, copy_stream, pid files, fd passing, shared memory, TCP",
  [""] = "Getting started",
}

local RULES = [[
# Porting the book to brood

Every example of *Working With Unix Processes* has a brood port in
`examples/`, beside its Ruby original; so do the C and Go examples of the
other documents brood was built from. This page shows them side by side.
It is generated from the example files (`build/brood docs/porting.lua`),
and the test suite runs every example, checks its output, and runs each
Ruby original under `ruby` to compare it with its port.

## The rules

Most lines port mechanically:

| Ruby | brood |
| --- | --- |
| `Process.pid` — no parentheses | `Process.pid()` — a call is a call |
| `:INT`, `:CHLD`, `:UNIX` (symbols) | `"INT"`, `"CHLD"`, `"UNIX"` (strings); `"SIGINT"` and numbers work too |
| `fork do ... end`, `trap(:CHLD) do ... end` | `Process.fork(function() ... end)`, `Signal.trap("CHLD", function() ... end)` — a block becomes a function passed last |
| `Process::WNOHANG` | `Process.WNOHANG` |
| `status.success?`, `status.exitstatus` | `status.success`, `status.exitstatus` — predicates become boolean fields |
| `exit!` | `Process._exit()` |
| `pid, status = Process.wait2` | `local pid, status = Process.wait2()` — several results, not an array |
| `{'RAILS_ENV' => 'test'}`, `:err => :out` | `{RAILS_ENV = "test"}`, `{err = "out"}` — an env table before the command, an options table after it |
| `reader.read`, `writer.puts x`, `reader.gets` | `reader:read("a")`, `writer:puts(x)`, `reader:gets()` — IO objects read like Lua files and also speak Ruby |
| `$stdout.sync = true` | `io.stdout:setvbuf("no")` |
| `ARGV`, `ENV['X']`, `$PROGRAM_NAME = "x"` | `arg`, `Process.env.X`, `Process.setproctitle("x")` |
| `` `ls` ``, `%x[ls]` | `Process.capture("ls")` — the output, then the status |
| `loop do`, `3.times do`, `rand(5)`, `srand` | `while true do`, `for _ = 1, 3 do`, `math.random(0, 4)`, `math.randomseed()` |
| `begin ... rescue Errno::ECHILD ... end` | `local ok, err = pcall(...)`, then `err.errno == "ECHILD"` |

And a few things differ on purpose:

- A failing system call raises an error object (`err.errno`, `err.syscall`,
  `tostring(err)`); it never returns `nil` for failure — `nil` from `fork`
  means "you are the child".
- Lua has no octal literals: write `umask = "027"`, not `027`.
- `Process.exec`, `spawn` and `IO.popen` pass only the descriptors a
  redirect names (as Ruby 2 and later do); the book's Ruby 1.9 let every
  descriptor through.
- A script does not catch SIGINT: Ctrl-C ends it, and its parent sees it
  killed by the signal.
- Where the book waits for a second terminal or sleeps forever, the port
  plays the second terminal itself (a child, or a companion `.sh` script
  beside it) or sleeps for a few seconds, so that every example ends by
  itself.

Under each example below, a note says whether the Ruby original prints
the same (checked by the test suite, with pids and numbers normalised) or
why it cannot be run as it stands.
]]

local function slurp(path)
  local f = assert(io.open(path))
  local s = f:read("a")
  f:close()
  return s
end

-- The original (language, code) and the port of an example file.
local function split(text)
  local lang = text:match("^%-%-%[=*%[(%w+)\n")
  if not lang then return nil, nil, text end
  local close
  close = "\n--]" .. text:match("^%-%-%[(=*)%[") .. "]\n"
  local start = #text:match("^%-%-%[=*%[%w+\n") + 1
  local stop = text:find(close, start, true)
  if not stop then return nil, nil, text end
  return lang, text:sub(start, stop - 1), text:sub(stop + #close)
end

local function generate()
  local out = {RULES}
  local current
  for _, rel in ipairs(E.examples(ROOT)) do
    local dir = rel:match("^(.*)/[^/]+$") or ""
    if dir ~= current then
      current = dir
      out[#out + 1] = "\n## " .. (CHAPTERS[dir] or dir) .. "\n"
    end
    local path = ROOT .. "/" .. rel
    local lang, original, port = split(slurp(path))
    local expect = io.open((path:gsub("%.lua$", ".expect")))
    local note
    if expect then
      expect:close()
      local e = E.read((path:gsub("%.lua$", ".expect")))
      if lang == "ruby" and e.ruby and e.ruby.how == "same" then
        note = "Same output as the Ruby original."
      elseif lang == "ruby" and e.ruby then
        note = "Differs from the Ruby original: " .. e.ruby.why .. "."
      elseif lang == "text" then
        note = "The source has prose only here (quoted above); this is a demonstration of it."
      elseif lang then
        note = "Port of a " .. (lang == "c" and "C" or lang == "go" and "Go" or lang) ..
          " program."
      else
        note = "brood only (no original)."
      end
      if e.run then note = note .. " Checked with its companion script." end
    end
    out[#out + 1] = ("### [`%s`](../examples/%s)\n"):format(rel, rel)
    if note then out[#out + 1] = note .. "\n" end
    if original then
      out[#out + 1] = ("```%s\n%s\n```\n"):format(lang, original)
    end
    out[#out + 1] = ("```lua\n%s```\n"):format(port:gsub("^\n+", ""))
  end
  return table.concat(out, "\n")
end

if (...) ~= "module" then  -- run as a script (the spec loads it with "module")
  io.write(generate())
end
return generate
