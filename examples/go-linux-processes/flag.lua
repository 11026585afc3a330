--[[go
package main

import "flag"
import "fmt"

func main() {
   wordPtr := flag.String("word", "foo", "a string")
   numbPtr := flag.Int("numb", 42, "an int")
   boolPtr := flag.Bool("fork", false, "a bool")
   var svar string
   flag.StringVar(&svar, "svar", "bar", "a string var")

flag.Parse()

fmt.Println("word:", *wordPtr)
   fmt.Println("numb:", *numbPtr)

fmt.Println("fork:", *boolPtr)
fmt.Println("svar:", svar)
fmt.Println("tail:", flag.Args())
}
--]]
-- Switch-like arguments ("flags") parsed into typed values. Lua has no flag
-- package, so a small one follows Go's rules: -name=value, -name value, a bare
-- -name for booleans, and parsing stops at the first non-flag or at "--".
local Process = require "brood.process"

local flag = {defs = {}, order = {}, rest = {}}

local function define(name, kind, default, usage)
  local box = {value = default}
  flag.defs[name] = {kind = kind, box = box, default = default, usage = usage}
  flag.order[#flag.order + 1] = name
  return box
end

function flag.String(name, default, usage) return define(name, "string", default, usage) end
function flag.Int(name, default, usage) return define(name, "int", default, usage) end
function flag.Bool(name, default, usage) return define(name, "bool", default, usage) end

function flag.usage()
  io.stderr:write("Usage of " .. arg[0] .. ":\n")
  table.sort(flag.order)
  for _, name in ipairs(flag.order) do
    local d = flag.defs[name]
    local shown = d.kind == "string" and ("%q"):format(d.default) or tostring(d.default)
    io.stderr:write(("  -%s=%s: %s\n"):format(name, shown, d.usage))
  end
  Process.exit(2)
end

function flag.Parse()
  local i = 1
  while i <= #arg do
    local a = arg[i]
    if a == "--" then i = i + 1 break end
    local name, value = a:match("^%-%-?([^=]+)=(.*)$")
    if not name then name = a:match("^%-%-?(.+)$") end
    if not name then break end
    if name == "h" or name == "help" then flag.usage() end
    local d = flag.defs[name]
    if not d then
      io.stderr:write("flag provided but not defined: -" .. name .. "\n")
      flag.usage()
    end
    if d.kind == "bool" then
      d.box.value = value == nil or value == "true" or value == "1"
    else
      if value == nil then
        i = i + 1
        value = arg[i]
      end
      if d.kind == "int" then value = math.tointeger(tonumber(value)) end
      if value == nil then
        io.stderr:write("invalid value for flag -" .. name .. "\n")
        flag.usage()
      end
      d.box.value = value
    end
    i = i + 1
  end
  for j = i, #arg do flag.rest[#flag.rest + 1] = arg[j] end
end

function flag.Args() return flag.rest end

local wordPtr = flag.String("word", "foo", "a string")
local numbPtr = flag.Int("numb", 42, "an int")
local boolPtr = flag.Bool("fork", false, "a bool")
local svar = flag.String("svar", "bar", "a string var")  -- (StringVar: a box, too)

flag.Parse()

print("word: " .. wordPtr.value)
print("numb: " .. numbPtr.value)

print("fork: " .. tostring(boolPtr.value))
print("svar: " .. svar.value)
print("tail: [" .. table.concat(flag.Args(), " ") .. "]")
