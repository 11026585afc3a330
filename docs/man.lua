-- Converts one reference page (docs/reference/NAME.md) to a man page in
-- section 3:
--
--   brood docs/man.lua docs/reference/process.md brood-process.3 [VERSION]
--
-- brood.md becomes brood(3), every other NAME.md brood-NAME(3). It reads
-- the Markdown the reference is written in -- headings, paragraphs, lists,
-- fenced code, tables, `code`, **bold**, *emphasis* and links -- and uses
-- the standard library only, so stock lua5.4 runs it as well.
--
-- The first heading gives the page's NAME line, a code block right after
-- it the SYNOPSIS, the text before the first "##" heading the DESCRIPTION;
-- "##" headings become sections, deeper ones subsections. A link to
-- another reference page keeps its text and adds the page's name,
-- brood-signal(3); links within a page keep their text only.

-- Every reference page, by file name: SEE ALSO lists all of them.
local PAGES = {"brood", "errors", "io", "open3", "process", "signal", "socket", "supervisor",
               "systemd", "task"}

local function page_name(base)
  return base == "brood" and "brood" or "brood-" .. base
end

---------------------------------------------------------------------------
-- Escaping

-- Non-ASCII characters by name (groff reads its input as Latin-1 unless
-- told otherwise), those every output device has by their classic names;
-- the others by code point.
local GLYPHS = {
  [0x2014] = "\\[em]", [0x2013] = "\\[en]", [0x2212] = "\\[mi]", [0x2192] = "\\[->]",
  [0x00B7] = "\\[pc]", [0x2265] = "\\[>=]", [0x2264] = "\\[<=]", [0x2026] = "...",
  [0x00D7] = "\\[mu]", [0x2018] = "\\[oq]", [0x2019] = "\\[cq]", [0x201C] = "\\[lq]",
  [0x201D] = "\\[rq]", [0x00A0] = "\\~",
}

-- Text for roff: a backslash is \e; in code, '-' is a minus sign (\-), so
-- that it can be copied.
local function esc(s, code)
  s = s:gsub("\\", "\\e")
  if code then s = s:gsub("%-", "\\-") end
  if s:find("[\128-\255]") then
    local t = {}
    for _, c in utf8.codes(s) do
      t[#t + 1] = c < 128 and string.char(c) or GLYPHS[c] or ("\\[u%04X]"):format(c)
    end
    s = table.concat(t)
  end
  return s
end

-- Lines of text ready for roff: no line may start with a control
-- character ('.' or '\''), nor with a space (which would break the line);
-- no line may be empty (a blank line is vertical space).
local function text_lines(s, emit)
  for line in s:gmatch("[^\n]+") do
    line = line:gsub("^%s+", ""):gsub("%s+$", "")
    if line ~= "" then
      if line:match("^[.']") then line = "\\&" .. line end
      -- an abbreviation at the end of a line does not end a sentence
      if line:match("%f[%w]e%.g%.$") or line:match("%f[%w]i%.e%.$") then line = line .. "\\&" end
      emit(line)
    end
  end
end

---------------------------------------------------------------------------
-- Inline markup: `code`, **bold**, *emphasis*, [links](target), \escapes.
-- parse_inline returns a list of nodes: {kind = "text" | "code" | "strong"
-- | "em" | "link", text = ..., children = ..., target = ...}.

local parse_inline

local function find_code_end(s, i, n)
  -- the closing run is exactly n backticks
  local j = i
  while true do
    local a, b = s:find("`+", j)
    if not a then return nil end
    if b - a + 1 == n then return a, b end
    j = b + 1
  end
end

-- The end of a link's text: the matching ']' outside code spans.
local function find_bracket_end(s, i)
  local depth = 0
  while i <= #s do
    local c = s:sub(i, i)
    if c == "\\" then
      i = i + 2
    elseif c == "`" then
      local run = s:match("^`+", i)
      local _, b = find_code_end(s, i + #run, #run)
      i = (b or i + #run - 1) + 1
    elseif c == "[" then
      depth = depth + 1
      i = i + 1
    elseif c == "]" then
      if depth == 0 then return i end
      depth = depth - 1
      i = i + 1
    else
      i = i + 1
    end
  end
end

-- A delimiter run of '*' can open emphasis when followed by a non-space,
-- close it when preceded by one.
local function find_closing(s, i, delim)
  local j = i
  while true do
    local a = s:find(delim, j, true)
    if not a then return nil end
    local before = s:sub(a - 1, a - 1)
    local after = s:sub(a + #delim, a + #delim)
    if a > i and not before:match("%s") and (#delim == 2 or after ~= "*") then return a end
    j = a + #delim
  end
end

function parse_inline(s)
  local nodes = {}
  local buf = {}
  local function flush()
    if #buf > 0 then
      nodes[#nodes + 1] = {kind = "text", text = table.concat(buf)}
      buf = {}
    end
  end
  local i = 1
  while i <= #s do
    local c = s:sub(i, i)
    if c == "\\" and s:sub(i + 1, i + 1):match("%p") then
      buf[#buf + 1] = s:sub(i + 1, i + 1)
      i = i + 2
    elseif c == "`" then
      local run = s:match("^`+", i)
      local a, b = find_code_end(s, i + #run, #run)
      if a then
        local code = s:sub(i + #run, a - 1):gsub("\n", " ")
        if code:match("^ .* $") and code:match("%S") then code = code:sub(2, -2) end
        flush()
        nodes[#nodes + 1] = {kind = "code", text = code}
        i = b + 1
      else
        buf[#buf + 1] = run
        i = i + #run
      end
    elseif c == "[" then
      local close = find_bracket_end(s, i + 1)
      local target = close and s:match("^%(([^%s)]*)%)", close + 1)
      if target then
        flush()
        nodes[#nodes + 1] = {kind = "link", target = target,
                             children = parse_inline(s:sub(i + 1, close - 1))}
        i = close + #target + 3
      else
        buf[#buf + 1] = c
        i = i + 1
      end
    elseif c == "*" then
      local delim = s:sub(i, i + 1) == "**" and "**" or "*"
      local open_ok = s:sub(i + #delim, i + #delim):match("%S")
      local close = open_ok and find_closing(s, i + #delim, delim)
      if close then
        flush()
        nodes[#nodes + 1] = {kind = delim == "**" and "strong" or "em",
                             children = parse_inline(s:sub(i + #delim, close - 1))}
        i = close + #delim
      else
        buf[#buf + 1] = delim
        i = i + #delim
      end
    elseif c == "<" and s:match("^<!%-%-", i) then
      -- an HTML comment inside a paragraph is not shown
      local _, e = s:find("%-%->", i)
      i = (e or #s) + 1
    else
      buf[#buf + 1] = c
      i = i + 1
    end
  end
  flush()
  return nodes
end

-- Where a link leads in the man pages: another reference page becomes
-- its page's name; a link within this page, or elsewhere, has none.
local function link_page(target, self)
  local file = target:match("^([%w_]+)%.md$") or target:match("^([%w_]+)%.md#")
  if file and file ~= self then return page_name(file) end
end

local FONTS = {[0] = "R", "B", "I", "(BI"}

-- Renders inline nodes as roff text. opts.plain: no font changes (for
-- headings, which have a font of their own); opts.upper: text (not code)
-- in capitals; opts.self: this page's file name.
local function render_inline(nodes, opts)
  local out = {}
  local current = 0            -- the font in effect: 0 R, 1 B, 2 I, 3 BI
  local function put(text, font)
    if not opts.plain and font ~= current then
      out[#out + 1] = "\\f" .. FONTS[font]
      current = font
    end
    out[#out + 1] = text
  end
  local function walk(list, bold, em)
    for _, n in ipairs(list) do
      local font = (bold and 1 or 0) + (em and 2 or 0)
      if n.kind == "text" then
        put(esc(opts.upper and n.text:upper() or n.text), font)
      elseif n.kind == "code" then
        -- code is never hyphenated (\%)
        put((esc(n.text, true):gsub("%S+", "\\%%%0")), font | 1)
      elseif n.kind == "strong" then
        walk(n.children, true, em)
      elseif n.kind == "em" then
        walk(n.children, bold, true)
      elseif n.kind == "link" then
        walk(n.children, bold, em)
        local page = link_page(n.target, opts.self)
        if page then
          put(" (", font)
          put("\\%" .. esc(page, true), 1)
          put("(3))", font)
        end
      end
    end
  end
  walk(nodes, false, false)
  if current ~= 0 then out[#out + 1] = "\\fR" end
  -- \% keeps a word from being hyphenated only at its start: elsewhere it
  -- would mark a place to hyphenate
  return (table.concat(out):gsub("%S+", function(word)
    if not word:find("\\%", 1, true) then return word end
    return "\\%" .. word:gsub("\\%%", "")
  end))
end

-- Inline text as shown, without markup.
local function shown_text(nodes, self)
  local t = {}
  local function walk(list)
    for _, node in ipairs(list) do
      if node.text then t[#t + 1] = node.text end
      if node.children then walk(node.children) end
      if node.kind == "link" then
        local page = link_page(node.target, self)
        if page then t[#t + 1] = " (" .. page .. "(3))" end
      end
    end
  end
  walk(nodes)
  return table.concat(t)
end

---------------------------------------------------------------------------
-- Blocks: {kind = "heading", level, text} | {kind = "para", text} |
-- {kind = "code", lines} | {kind = "list", ordered, items = {blocks...}} |
-- {kind = "table", rows = {{cell...}...}} (the first row is the header).

local parse_blocks

local function is_fence(line)
  return line:match("^( *)(```+)(.*)$")
end

local function list_marker(line)
  local m = line:match("^[-*+] +")
  if m then return m, false end
  m = line:match("^%d+[.)] +")
  if m then return m, true end
end

local function split_row(line)
  line = line:gsub("^%s*|", ""):gsub("|%s*$", "")
  local cells, cell, i = {}, {}, 1
  local in_code = nil
  while i <= #line do
    local c = line:sub(i, i)
    if c == "\\" and line:sub(i + 1, i + 1) == "|" then
      cell[#cell + 1] = in_code and "|" or "\\|"
      i = i + 2
    elseif c == "`" then
      local run = line:match("^`+", i)
      if in_code == nil then in_code = #run elseif in_code == #run then in_code = nil end
      cell[#cell + 1] = run
      i = i + #run
    elseif c == "|" and not in_code then
      cells[#cells + 1] = table.concat(cell):match("^%s*(.-)%s*$")
      cell = {}
      i = i + 1
    else
      cell[#cell + 1] = c
      i = i + 1
    end
  end
  cells[#cells + 1] = table.concat(cell):match("^%s*(.-)%s*$")
  return cells
end

local function is_table_start(lines, i)
  return lines[i]:match("^%s*|") and lines[i + 1]
     and lines[i + 1]:match("^%s*|[%s:|%-]+$") and lines[i + 1]:find("-", 1, true)
end

local function starts_block(lines, i)
  local line = lines[i]
  return line:match("^%s*$") or line:match("^#+%s") or is_fence(line) or list_marker(line)
      or is_table_start(lines, i) or line:match("^%s*<!%-%-.*%-%->%s*$")
end

function parse_blocks(lines)
  local blocks = {}
  local i = 1
  while i <= #lines do
    local line = lines[i]
    local indent, fence, info = is_fence(line)
    if line:match("^%s*$") or line:match("^%s*<!%-%-.*%-%->%s*$") then
      i = i + 1
    elseif fence then
      local code = {}
      i = i + 1
      while i <= #lines do
        local close = lines[i]:match("^ *(```+)%s*$")
        if close and #close >= #fence then break end
        local l = lines[i]
        if l:sub(1, #indent) == indent then l = l:sub(#indent + 1) else l = l:gsub("^ +", "") end
        code[#code + 1] = l
        i = i + 1
      end
      i = i + 1
      blocks[#blocks + 1] = {kind = "code", lines = code, lang = info:match("%S*")}
    elseif line:match("^#+%s") then
      local hashes, text = line:match("^(#+)%s+(.-)%s*#*%s*$")
      blocks[#blocks + 1] = {kind = "heading", level = #hashes, text = text}
      i = i + 1
    elseif is_table_start(lines, i) then
      local rows = {split_row(line)}
      i = i + 2
      while i <= #lines and lines[i]:match("^%s*|") do
        rows[#rows + 1] = split_row(lines[i])
        i = i + 1
      end
      blocks[#blocks + 1] = {kind = "table", rows = rows}
    elseif list_marker(line) then
      local _, ordered = list_marker(line)
      local list = {kind = "list", ordered = ordered, items = {}}
      while i <= #lines do
        local marker, o = list_marker(lines[i])
        if not marker or o ~= ordered then break end
        local item = {lines[i]:sub(#marker + 1)}
        local pad = (" "):rep(#marker)
        i = i + 1
        while i <= #lines do
          local l = lines[i]
          if l:match("^%s*$") then
            -- a blank line belongs to the item when indented text follows
            local j = i
            while j <= #lines and lines[j]:match("^%s*$") do j = j + 1 end
            if j > #lines or lines[j]:sub(1, #marker) ~= pad then break end
            for _ = i, j - 1 do item[#item + 1] = "" end
            i = j
          elseif l:sub(1, #marker) == pad then
            item[#item + 1] = l:sub(#marker + 1)
            i = i + 1
          elseif not starts_block(lines, i) and not item[#item]:match("^%s*$") then
            item[#item + 1] = l          -- a lazy continuation line
            i = i + 1
          else
            break
          end
        end
        list.items[#list.items + 1] = parse_blocks(item)
        -- blank lines between items keep the list going
        local j = i
        while j <= #lines and lines[j]:match("^%s*$") do j = j + 1 end
        if j <= #lines and list_marker(lines[j]) then i = j end
      end
      blocks[#blocks + 1] = list
    else
      local para = {line}
      i = i + 1
      while i <= #lines and not starts_block(lines, i) do
        para[#para + 1] = lines[i]
        i = i + 1
      end
      blocks[#blocks + 1] = {kind = "para", text = table.concat(para, "\n")}
    end
  end
  return blocks
end

---------------------------------------------------------------------------
-- Rendering

-- The width a page is laid out for when deciding whether a table fits as
-- it is: 80 columns less the body's indentation.
local ASSUMED_WIDTH = 71

-- Column widths for a table wider than the page: columns no wider than
-- NARROW keep their width; the others share what is left, each at least
-- as wide as its longest word, the rest in proportion to the average
-- length of its cells, none wider than its longest cell.
local NARROW = 16

local function column_widths(widths, words, lengths, fixed)
  local wide, left = {}, ASSUMED_WIDTH - fixed
  for c = 1, #widths do
    if widths[c] > NARROW then
      wide[c] = words[c]
      left = left - words[c]
    end
  end
  while left > 0 do
    local weight = 0
    for c = 1, #widths do
      if wide[c] and wide[c] < widths[c] then weight = weight + lengths[c] end
    end
    if weight == 0 then break end
    local given = 0
    for c = 1, #widths do
      if wide[c] and wide[c] < widths[c] then
        local more = math.min(widths[c] - wide[c], math.max(1, left * lengths[c] // weight))
        wide[c] = wide[c] + more
        given = given + more
      end
    end
    left = left - given
  end
  return wide
end

local function render_table(rows, opts, emit)
  local ncol = 0
  for _, r in ipairs(rows) do ncol = math.max(ncol, #r) end
  local parsed, widths, words, lengths, longest = {}, {}, {}, {}, {}
  for c = 1, ncol do widths[c], words[c], lengths[c], longest[c] = 0, 0, 0, "" end
  for r, row in ipairs(rows) do
    parsed[r] = {}
    for c = 1, ncol do
      local nodes = parse_inline(row[c] or "")
      local text = shown_text(nodes, opts.self)
      parsed[r][c] = nodes
      widths[c] = math.max(widths[c], utf8.len(text))
      for word in text:gmatch("%S+") do
        if utf8.len(word) > words[c] then words[c], longest[c] = utf8.len(word), word end
      end
      lengths[c] = lengths[c] + utf8.len(text)
    end
  end
  -- the gaps between columns
  local fixed = 3 * (ncol - 1)
  local total = fixed
  for c = 1, ncol do total = total + widths[c] end
  local wide, share = {}, 0
  if total > ASSUMED_WIDTH then
    for c = 1, ncol do
      if widths[c] <= NARROW then fixed = fixed + widths[c] end
    end
    wide = column_widths(widths, words, lengths, fixed)
    for _, w in pairs(wide) do share = share + w end
  end
  -- Widths are measured when the page is formatted, in the fonts of the
  -- output device: a wide column gets its share of the line length the
  -- narrow ones leave (as laid out at ASSUMED_WIDTH), at least the width
  -- of its longest word.
  local rendered = {}
  for r = 1, #rows do
    rendered[r] = {}
    for c = 1, ncol do rendered[r][c] = render_inline(parsed[r][c], {self = opts.self}) end
  end
  local function width_of(text)
    return "\\w'" .. text:gsub("'", "\\[aq]") .. "'"
  end
  local function spec(c, font)
    local s = "l" .. font
    if wide[c] then
      s = s .. ("w(\\n[brood-tw]u/%du*%du>?\\n[brood-c%d]u)"):format(share, wide[c], c)
    end
    return s
  end
  local head, body = {}, {}
  for c = 1, ncol do
    head[c] = spec(c, "B")
    body[c] = spec(c, "")
  end
  emit(".na")
  emit(".nr brood-hy \\n[.hy]")
  emit(".nh")
  if share > 0 then
    emit((".nr brood-tw \\n[.l]-\\n[.i]-%dn"):format(3 * (ncol - 1)))
    for c = 1, ncol do
      if wide[c] then
        emit((".nr brood-c%d %s"):format(c, width_of("\\fB" .. esc(longest[c]) .. "\\fR")))
      else
        emit(".nr brood-w 0")
        for r = 1, #rows do
          local text = rendered[r][c]
          if r == 1 then text = "\\fB" .. text .. "\\fR" end      -- the header is bold
          emit(".nr brood-w \\n[brood-w]>?" .. width_of(text))
        end
        emit(".nr brood-tw -\\n[brood-w]u")
      end
    end
  end
  emit(".TS")
  -- nokeep: no blank lines where a page would end (man pages are read as
  -- one long page)
  emit("nokeep tab(\t);")
  emit(table.concat(head, " "))
  emit(table.concat(body, " ") .. ".")
  for r = 1, #rows do
    local cells = {}
    for c = 1, ncol do
      local text = rendered[r][c]
      if wide[c] then
        local t = {}
        text_lines(text, function(l) t[#t + 1] = l end)
        cells[c] = "T{\n" .. table.concat(t, "\n") .. "\nT}"
      else
        if text:match("^[.']") or text == "_" or text == "=" then text = "\\&" .. text end
        cells[c] = text
      end
    end
    emit(table.concat(cells, "\t"))
    -- a rule under the header, and between rows of several lines
    if r == 1 or (share > 0 and r < #rows) then emit("_") end
  end
  emit(".TE")
  emit(".ad")
  emit(".hy \\n[brood-hy]")
end

local function render_code(lines, emit)
  emit(".EX")
  for _, l in ipairs(lines) do
    l = esc(l, true)
    if l:match("^[.']") then l = "\\&" .. l end
    emit(l == "" and "\\&" or l)
  end
  emit(".EE")
end

-- Renders blocks. ctx.self: the page's file name; ctx.item: the blocks
-- are a list item's, whose text is indented by that much. 'state' is
-- shared by the whole page: state.last, the kind of block rendered last
-- (no paragraph macro follows a heading); state.level, the last heading's
-- level; state.pd, consecutive headings being set without space between
-- them; state.inner, a "####" heading's indentation in effect.
local function render_blocks(blocks, ctx, emit, state)
  for n, b in ipairs(blocks) do
    local first_in_item = ctx.item and n == 1
    local function para_start()
      if first_in_item then return end
      if ctx.item then emit(".IP")
      elseif state.last ~= "heading" then emit(".PP") end
    end
    if b.kind == "heading" then
      local text = render_inline(parse_inline(b.text), {plain = true, self = ctx.self,
                                                       upper = b.level <= 2})
      local consecutive = state.last == "heading"
      if state.inner then emit(".RE") end
      state.inner = false
      if b.level == 3 and consecutive and state.level == 3 then
        -- consecutive headings name one entry: no space between them
        if not state.pd then emit(".PD 0") end
        state.pd = true
      elseif state.pd then
        emit(".PD")
        state.pd = false
      end
      if b.level <= 2 then
        emit(".SH")
        text_lines(text, emit)
      elseif b.level == 3 then
        emit(".SS")
        text_lines(text, emit)
      else
        -- a heading within a subsection: in bold, what it heads indented
        if not consecutive then emit(".PP") end
        text_lines("\\fB" .. text .. "\\fR", emit)
        emit(".RS 4")
        state.inner = true
      end
      state.level = b.level
    else
      if state.pd then emit(".PD") end
      state.pd = false
      if b.kind == "para" then
        para_start()
        text_lines(render_inline(parse_inline(b.text), {self = ctx.self}), emit)
      elseif b.kind == "code" then
        para_start()
        emit((".RS %d"):format(ctx.item and ctx.item + 2 or 4))
        render_code(b.lines, emit)
        emit(".RE")
      elseif b.kind == "table" then
        para_start()
        render_table(b.rows, ctx, emit)
      elseif b.kind == "list" then
        if ctx.item then
          if not first_in_item then emit(".IP") end
          emit((".RS %d"):format(ctx.item))
        end
        local indent = b.ordered and 4 or 2
        for k, item in ipairs(b.items) do
          emit((".IP %s %d"):format(b.ordered and k .. "." or "\\(bu", indent))
          state.last = "item"
          render_blocks(item, {self = ctx.self, item = indent}, emit, state)
        end
        if ctx.item then emit(".RE") end
      end
    end
    state.last = b.kind
  end
end

---------------------------------------------------------------------------
-- The page

local function convert(markdown, base, version, date)
  local lines = {}
  for l in (markdown .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
  local blocks = parse_blocks(lines)
  local name = page_name(base)

  local out = {}
  local function emit(s) out[#out + 1] = s end
  -- man(1) runs tbl for a page whose first line asks for it
  for _, b in ipairs(blocks) do
    if b.kind == "table" then
      emit([['\" t]])
      break
    end
  end
  emit(([[.\" %s(3): generated from docs/reference/%s.md by docs/man.lua]]):format(name, base))
  emit(('.TH %s 3 "%s" "%s" "brood Reference"'):format(
    esc(name:upper(), true), date or "", version and "brood " .. version or "brood"))

  -- NAME: the first heading, "`brood.process` — Process"
  local k = 1
  local description = base
  if blocks[1] and blocks[1].kind == "heading" and blocks[1].level == 1 then
    local text = blocks[1].text
    description = text:match("^`[^`]*`%s*\226\128\148%s*(.+)$") or text
    k = 2
  end
  emit(".SH NAME")
  emit(esc(name, true) .. " \\- " .. render_inline(parse_inline(description),
                                                   {plain = true, self = base}))
  local state = {last = "heading"}
  if blocks[k] and blocks[k].kind == "code" then
    emit(".SH SYNOPSIS")
    render_code(blocks[k].lines, emit)
    k = k + 1
  end
  local rest = {}
  local intro = blocks[k] and not (blocks[k].kind == "heading" and blocks[k].level <= 2)
  if intro then emit(".SH DESCRIPTION") end
  for j = k, #blocks do
    local b = blocks[j]
    -- "Contents:" lines link to the sections of the web page
    if not (b.kind == "para" and b.text:match("^Contents:")) then rest[#rest + 1] = b end
  end
  render_blocks(rest, {self = base}, emit, state)
  if state.pd then emit(".PD") end
  if state.inner then emit(".RE") end

  emit(".SH SEE ALSO")
  local refs = {{"brood", 1}}
  for _, p in ipairs(PAGES) do
    if p ~= base then refs[#refs + 1] = {page_name(p), 3} end
  end
  for j, r in ipairs(refs) do
    emit((".BR \\%%%s (%d)%s"):format(esc(r[1], true), r[2], j < #refs and "," or ""))
  end
  return table.concat(out, "\n") .. "\n"
end

local function main(input, output, version)
  assert(input and output, "usage: man.lua INPUT.md OUTPUT.3 [VERSION]")
  local base = assert(input:match("([^/]+)%.md$"), "the input must be a .md file")
  if not version then
    local ok, brood = pcall(require, "brood")
    version = ok and type(brood) == "table" and brood.version or nil
  end
  local date
  local epoch = tonumber(os.getenv("SOURCE_DATE_EPOCH") or "")
  if epoch then date = os.date("!%Y-%m-%d", epoch) end
  local f = assert(io.open(input, "rb"))
  local text = f:read("a")
  f:close()
  local page = convert(text, base, version, date)
  f = assert(io.open(output, "wb"))
  f:write(page)
  assert(f:close())
end

main(...)
