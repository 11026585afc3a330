-- Soak: one process of each runtime runs 20,000 fork + wait round trips,
-- then 5,000 spawn + wait, 5,000 captures of `echo x`, 5,000 UNIX stream
-- socket pairs (one send/recv each), 5,000 pipes (written, read, closed)
-- and 1,000 Open3.capture3 (bench/programs/soak.*). After each phase it
-- counts its descriptors, children and zombies and reads VmRSS/VmHWM.
--
-- Not a ratio row: there is no C to compare with and nothing is timed.
-- bench/run.lua prints the markdown section that `section` returns, and
-- exits non-zero when brood fails: a descriptor, child or zombie more (or
-- fewer) after any phase than at the start.

local RUNTIMES = {
  {"brood", {"@brood", "bench/programs/soak.lua"}},
  {"Python 3", {"@python", "bench/programs/soak.py"}},
  {"Ruby", {"ruby", "bench/programs/soak.rb"}},
}

local PHASES = {
  {"fork", "fork + wait"},
  {"spawn", "spawn `true` + wait"},
  {"capture", "capture `echo x`"},
  {"socketpair", "UNIX stream pair, send/recv, close"},
  {"pipe", "pipe, write, read, close"},
  {"capture3", "Open3.capture3 `echo x`"},
}

-- What each runtime calls in the phases, for the notes under the tables.
local CALLS = {
  ["brood"] = "`Process.fork` + `Process.wait`, `Process.spawn` + `Process.wait`,"
    .. " `Process.capture`, `Socket.pair`, `IO.pipe`, `Open3.capture3`",
  ["Python 3"] = "`os.fork` + `os.waitpid`, `subprocess.Popen(...).wait()`,"
    .. " `subprocess.run(stdout=PIPE)`, `socket.socketpair`, `os.pipe` + `os.read`/`os.write`,"
    .. " `subprocess.run(capture_output=True)`",
  ["Ruby"] = "`fork { exit!(0) }` + `Process.wait`, `Process.spawn` + `Process.wait`,"
    .. " backticks, `UNIXSocket.pair`, `IO.pipe`, `Open3.capture3`",
}

local LIMIT = 1200  -- seconds for one runtime's whole soak

local function parse(out)
  local phases, fails = {}, {}
  for line in out:gmatch("[^\n]+") do
    local name, ops, fds, kids, zombies, rss, hwm, mid, secs = line:match(
      "^phase (%S+) (%d+) fds (%d+) children (%d+) zombies (%d+) rss (%d+) hwm (%d+)"
      .. " mid (%S+) secs (%S+)$")
    if name then
      phases[name] = {
        ops = tonumber(ops), fds = tonumber(fds), kids = tonumber(kids),
        zombies = tonumber(zombies), rss = tonumber(rss), hwm = tonumber(hwm),
        mid = tonumber(mid), secs = tonumber(secs),
      }
    elseif line:match("^FAIL after") then
      fails[#fails + 1] = line
    end
  end
  return phases, fails
end

local function commas(n)
  return (tostring(n):reverse():gsub("(%d%d%d)", "%1,"):reverse():gsub("^,", ""))
end

local function kib(n)
  return (n >= 0 and "+" or "−") .. commas(math.abs(n))
end

return {
  section = function(bench)
    local results = {}
    for _, r in ipairs(RUNTIMES) do
      local name, argv = r[1], bench.resolve(r[2])
      if bench.available(argv) then
        io.stderr:write("bench: soak, ", name, "\n")
        local out, ok = bench.run(argv, LIMIT)
        local phases, fails = parse(out)
        local complete = phases.start and phases.capture3
        results[#results + 1] = {
          name = name, phases = phases, fails = fails,
          ok = ok and complete and #fails == 0 and out:match("\nok\n$") ~= nil,
          broken = not complete,
        }
      end
    end

    local lines = {
      "## Soak",
      "",
      ("Taken %s with `./dev bench soak` (release build). One process of each"
        .. " runtime runs 20,000 fork + wait round trips, then 5,000 each of spawn"
        .. " `true` + wait, capture `echo x`, a UNIX stream socket pair (one send/recv)"
        .. " and a pipe (written, read, closed), then 1,000 Open3.capture3 `echo x`."
        .. " After each phase, and half-way through it, the process collects its"
        .. " garbage twice and reads its open descriptors (`/proc/self/fd`), its"
        .. " children and zombies (`/proc/self/task/<pid>/children`, the state letter"
        .. " of each child's `/proc/<child>/stat`), and VmRSS and VmHWM"
        .. " (`/proc/self/status`)."):format(os.date("!%Y-%m-%d")),
      "",
      "Descriptors and zombies must be what they were at the start, after every phase;"
        .. " brood failing that makes `./dev bench soak` exit non-zero.",
      "",
      "```",
      (bench.capture("lscpu | head"):gsub("%s+$", "")),
      "```",
      "",
      "| runtime | fds start → end | children, zombies start → end"
        .. " | VmRSS start → end (KiB) | growth | VmHWM end | soak time | result |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
    }
    local brood_ok = false
    for _, res in ipairs(results) do
      local p = res.phases
      if res.broken then
        lines[#lines + 1] = ("| %s | | | | | | | **did not finish** |"):format(res.name)
      else
        local s, e = p.start, p.capture3
        local secs = 0
        for _, ph in ipairs(PHASES) do secs = secs + p[ph[1]].secs end
        lines[#lines + 1] = ("| %s | %d → %d | %d, %d → %d, %d | %s → %s | %s KiB | %s KiB"
          .. " | %.1f s | %s |"):format(res.name, s.fds, e.fds, s.kids, s.zombies,
          e.kids, e.zombies, commas(s.rss), commas(e.rss), kib(e.rss - s.rss),
          commas(e.hwm), secs, res.ok and "unchanged after every phase" or "**FAIL**")
      end
      if res.name == "brood" then brood_ok = res.ok end
    end

    lines[#lines + 1] = ""
    lines[#lines + 1] = "VmRSS growth over each phase, KiB (in parentheses: over its second half"
      .. " alone — a leak grows there as much as in the first half; warming up does not):"
    lines[#lines + 1] = ""
    local header, rule = {"phase", "ops"}, {"---", "---"}
    for _, res in ipairs(results) do
      header[#header + 1] = res.name
      rule[#rule + 1] = "---"
    end
    lines[#lines + 1] = "| " .. table.concat(header, " | ") .. " |"
    lines[#lines + 1] = "| " .. table.concat(rule, " | ") .. " |"
    local before = "start"
    for _, ph in ipairs(PHASES) do
      local ops, cells = nil, {}
      for _, res in ipairs(results) do
        local a, b = res.phases[before], res.phases[ph[1]]
        ops = ops or (b and b.ops)
        cells[#cells + 1] = (a and b)
          and ("%s (%s)"):format(kib(b.rss - a.rss), kib(b.rss - b.mid)) or "—"
      end
      lines[#lines + 1] = ("| %s | %s | %s |"):format(ph[2], ops and commas(ops) or "—",
        table.concat(cells, " | "))
      before = ph[1]
    end

    lines[#lines + 1] = ""
    for _, res in ipairs(results) do
      lines[#lines + 1] = ("- %s: %s."):format(res.name, CALLS[res.name])
    end
    for _, res in ipairs(results) do
      for _, f in ipairs(res.fails) do
        lines[#lines + 1] = ("- **%s: %s**"):format(res.name, f)
      end
    end
    return table.concat(lines, "\n"), brood_ok
  end,
}
