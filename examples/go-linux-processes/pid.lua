--[[go
package main

import (
    "fmt"
    "os"
)

func main() {
    fmt.Println(os.Getpid())
}
--]]
-- Prints this process's PID (getpid). Added: the same number as the kernel
-- reports in /proc/self, to show where the value comes from.
local Process = require "brood.process"

print(Process.pid())

local self = io.open("/proc/self/stat"):read("l"):match("^(%d+)")
print("same as /proc/self: " .. tostring(tonumber(self) == Process.pid()))
