--[[go
package main

import (
    "fmt"
    "os"
    "syscall"
)

func main() {
    mask := syscall.Umask(0)
    defer syscall.Umask(mask)

    err := os.MkdirAll("/tmp/gotest/", 0777)
    if err != nil {
        panic(err)
    }

    fmt.Println("Mkdir /tmp/gotest/")
}
--]]
-- The right way to get mode 0777: clear the umask first, put it back after.
-- As in mkdir.lua, `mkdir -p` does the mkdir(2) (it inherits the umask); the
-- directory is /tmp/gotest-PID/, its mode is printed, then it is removed.
local Process = require "brood.process"

local function MkdirAll(path)
  local ok, status = Process.system("mkdir", "-p", "--", path)
  if not ok then return "mkdir " .. path .. ": " .. tostring(status) end
end

local dir = os.getenv("GOTEST_DIR") or ("/tmp/gotest-" .. Process.pid() .. "/")

local function main()
  local mask = Process.umask(0)
  -- (defer: restored when main returns, or raises)
  local _ <close> = setmetatable({}, {__close = function() Process.umask(mask) end})

  local err = MkdirAll(dir)
  if err ~= nil then
    error(err)
  end

  print("Mkdir " .. dir)
  print("umask while creating " .. ("%03o"):format(Process.umask()))
end

main()
print("umask after main " .. ("%03o"):format(Process.umask()) .. ", mode "
  .. Process.capture("stat", "-c", "%A", dir):gsub("\n", ""))
os.remove(dir)
