--[[go
package main

import (
	"bytes"
	"fmt"
	"log"
	"os/exec"
)

func main() {
	cmd := exec.Command("ls", "-l", "/var/log/*.log")
	var stdout, stderr bytes.Buffer
	/*
		也可以直接绑定到标准流中去：
		cmd.Stdout = os.Stdout
		cmd.Stderr = os.Stderr
	*/
	cmd.Stdout = &stdout // 标准输出
	cmd.Stderr = &stderr // 标准错误

	err := cmd.Run()
	outStr, errStr := string(stdout.Bytes()), string(stderr.Bytes())

	fmt.Printf("out:\n%s\nerr:\n%s\n", outStr, errStr)

	if err != nil {
		log.Fatalf("cmd.Run() failed with %s\n", err)
	}
}
--]]
-- Separate stdout and stderr (Open3.capture3). No shell runs, so "*.log" is not expanded: ls
-- looks for a file named "*.log", fails, and says so on stderr; the script then logs the error
-- and exits with status 1, as log.Fatalf does.
local Open3 = require "brood.open3"

local function Fatalf(format, ...)  -- log.Fatalf: time stamp, message, exit 1
  io.stderr:write(os.date("%Y/%m/%d %H:%M:%S "), format:format(...))
  os.exit(1)
end

local stdout, stderr, status = Open3.capture3("ls", "-l", "/var/log/*.log")
--[[
  The streams could also go straight to ours:
  Process.system("ls", "-l", "/var/log/*.log", {out = "out", err = "err"})
]]
local outStr, errStr = stdout, stderr

io.write(("out:\n%s\nerr:\n%s\n"):format(outStr, errStr))

if not status.success then
  Fatalf("cmd.Run() failed with exit status %d\n", status.exitstatus)
end
