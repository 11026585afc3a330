--[[go
package main

import (
    "fmt"
    "os"
)

func main() {
    processName := os.Args[0]
    fmt.Println(processName)
}
--]]
-- The process name is usually the first word of the argument vector; in a
-- brood script that word is the script's path (arg[0]), as for a built Go binary.
local processName = arg[0]
print(processName)
