--[[go
package main

import (
	"log"
	"os/exec"
)

func main() {
	cmd := exec.Command("ls", "-l", "/var/log")
	if err := cmd.Run(); err != nil {
		log.Fatalf("cmd.Run failed with %s\n", err)
	}
}
--]]
-- Run a command and only check that it succeeded. Go's Run gives a command whose Stdin, Stdout
-- and Stderr are nil the null device, so ls prints nothing. Added: the last line shows the
-- status Run checked (Go's cmd.ProcessState).
local Process = require "brood.process"

local function Fatalf(format, ...)  -- log.Fatalf: time stamp, message, exit 1
  io.stderr:write(os.date("%Y/%m/%d %H:%M:%S "), format:format(...))
  os.exit(1)
end

local ok, status = Process.system("ls", "-l", "/var/log",
  {["in"] = "/dev/null", out = "/dev/null", err = "/dev/null"})
if not ok then
  Fatalf("cmd.Run failed with %s\n", ok == nil and tostring(status)
    or "exit status " .. tostring(status.exitstatus))
end
print("ProcessState: " .. tostring(status))
