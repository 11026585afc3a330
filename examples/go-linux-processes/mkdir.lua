--[[go
package main

import (
    "fmt"
    "os"
)

func main() {
    err := os.MkdirAll("/tmp/gotest/", 0777)
    if err != nil {
        panic(err)
    }

    fmt.Println("Mkdir /tmp/gotest/")
}
--]]
-- Asking for mode 0777 is not enough: the umask (022 in the .expect's shell)
-- takes bits away. Lua has no mkdir, so `mkdir -p -m` is not used: plain
-- `mkdir -p` creates with 0777 minus the umask, as MkdirAll does. The directory
-- is unique (/tmp/gotest-PID/) and removed at the end, after printing its mode.
local Process = require "brood.process"

local function MkdirAll(path)
  -- mkdir(2) with 0777; the kernel applies the umask
  local ok, status = Process.system("mkdir", "-p", "--", path)
  if not ok then return "mkdir " .. path .. ": " .. tostring(status) end
end

local dir = os.getenv("GOTEST_DIR") or ("/tmp/gotest-" .. Process.pid() .. "/")
local err = MkdirAll(dir)
if err ~= nil then
  error(err)
end

print("Mkdir " .. dir)

print("umask " .. ("%03o"):format(Process.umask()) .. ", mode "
  .. Process.capture("stat", "-c", "%A", dir):gsub("\n", ""))
os.remove(dir)
