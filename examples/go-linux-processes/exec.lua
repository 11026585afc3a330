--[[go
package main
import "syscall"
import "os"
import "os/exec"

func main() {
    binary, lookErr := exec.LookPath("ls")
    if lookErr != nil {
        panic(lookErr)
    }
    args := []string{"ls", "-a", "-l", "-h"}
    env := os.Environ()
    execErr := syscall.Exec(binary, args, env)
    if execErr != nil {
        panic(execErr)
    }
}
--]]
-- exec replaces this process with ls: nothing after it runs. brood has no
-- LookPath, so a small one searches PATH. The .expect runs it in an empty
-- directory. Added: the pid line before the exec.
local Process = require "brood.process"

local function LookPath(file)
  for dir in (os.getenv("PATH") or ""):gmatch("[^:]+") do
    local path = dir .. "/" .. file
    local f = io.open(path)
    if f then
      f:close()
      if Process.system("test", "-x", path) then return path end
    end
  end
  return nil, "exec: \"" .. file .. "\": executable file not found in $PATH"
end

local binary, lookErr = LookPath("ls")
if lookErr ~= nil then
  error(lookErr)
end
local args = {"-a", "-l", "-h"}  -- argv[0] "ls" is given with the binary below
local env = Process.env()
print("pid " .. Process.pid() .. " execs " .. binary)
local ok, execErr = pcall(Process.exec, env, {binary, "ls"}, table.unpack(args))
if not ok then
  error(execErr)
end
print("not reached")
