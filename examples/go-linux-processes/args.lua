--[[go
package main
import "os"
import "fmt"

func main() {
   argsWithProg := os.Args
   argsWithoutProg := os.Args[1:]

arg := os.Args[3]
   fmt.Println(argsWithProg)
   fmt.Println(argsWithoutProg)
   fmt.Println(argsWithoutProg)
}
--]]
-- The arguments a process was started with. The listing prints
-- argsWithoutProg twice and never uses arg (Go would refuse to compile it);
-- its output shows arg on the third line, so the port prints arg there.
local function golist(t) return "[" .. table.concat(t, " ") .. "]" end

local argsWithProg = {arg[0], table.unpack(arg)}
local argsWithoutProg = {table.unpack(arg)}

local arg3 = argsWithProg[4]  -- os.Args[3]
print(golist(argsWithProg))
print(golist(argsWithoutProg))
print(arg3)
