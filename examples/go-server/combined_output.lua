--[[go
package main

import (
	"fmt"
	"log"
	"os/exec"
)

func main() {
	cmd := exec.Command("ls", "-l", "/var/log/")

	out, err := cmd.CombinedOutput()
	if err != nil {
		fmt.Printf("combined out:\n%s\n", string(out))
		log.Fatalf("cmd.Run() failed with %s\n", err)
	}

	fmt.Printf("combined out:\n%s\n", string(out))
}
--]]
-- CombinedOutput: stdout and stderr of the command on one pipe (Open3.capture2e). Added: the
-- directory comes from LOG_DIR (default /var/log/; the .expect lists a directory it makes), and
-- a second run lists a missing file too, to show the error text mixed into the same output.
local Open3 = require "brood.open3"

local function Fatalf(format, ...)  -- log.Fatalf: time stamp, message, exit 1
  io.stderr:write(os.date("%Y/%m/%d %H:%M:%S "), format:format(...))
  os.exit(1)
end

local dir = os.getenv("LOG_DIR") or "/var/log/"

local out, status = Open3.capture2e("ls", "-l", dir)
if not status.success then
  io.write(("combined out:\n%s\n"):format(out))
  Fatalf("cmd.Run() failed with exit status %d\n", status.exitstatus)
end

io.write(("combined out:\n%s\n"):format(out))

-- added: stderr goes into the same output
out, status = Open3.capture2e("ls", "-l", dir, dir .. "missing.log")
io.write(("combined out with an error (exit status %d):\n%s\n"):format(status.exitstatus, out))
