--[[go
package main

import (
    "fmt"
    "os"
    )

func main() {
    fmt.Println(os.Getppid())
}
--]]
-- Prints the parent's PID (getppid). Added: a check against the PPid line
-- of /proc/self/status.
local Process = require "brood.process"

print(Process.ppid())

local status = io.open("/proc/self/status"):read("a")
print("same as PPid in /proc/self/status: "
  .. tostring(tonumber(status:match("\nPPid:%s*(%d+)")) == Process.ppid()))
