--[[go
package main
import "fmt"
import "io/ioutil"
import "os/exec"
func main() {
    dateCmd := exec.Command("date")
    dateOut, err := dateCmd.Output()
    if err != nil {
       panic(err)
    fmt.Println("> date")
    fmt.Println(string(dateOut))
    grepCmd := exec.Command("grep", "hello")
    grepIn, _ := grepCmd.StdinPipe()
grepOut, _ := grepCmd.StdoutPipe()
    grepCmd.Start()
    grepIn.Write([]byte("hello grep\ngoodbye grep"))
    grepIn.Close()
    grepBytes, _ := ioutil.ReadAll(grepOut)
    grepCmd.Wait()
    fmt.Println("> grep hello")
    fmt.Println(string(grepBytes))
    lsCmd := exec.Command("bash", "-c", "ls -a -l -h")
    lsOut, err := lsCmd.Output()
    if err != nil {
        panic(err)
    fmt.Println("> ls -a -l -h")
    fmt.Println(string(lsOut))
--]]
-- Spawning programs and collecting their output: Output() is Process.capture
-- (with check, so a failure raises as Go's err does); the grep with its two
-- pipes is an IO.popen in "r+" mode. The .expect runs it in an empty directory.
local Process = require "brood.process"
local IO = require "brood.io"

local dateOut = Process.capture("date", {check = true})
print("> date")
print(dateOut)

local grepCmd = IO.popen({"grep", "hello"}, "r+")
grepCmd:write("hello grep\ngoodbye grep")
grepCmd:close_write()
local grepBytes = grepCmd:read("a")
grepCmd:close()
print("> grep hello")
print(grepBytes)

local lsOut = Process.capture("bash", "-c", "ls -a -l -h", {check = true})
print("> ls -a -l -h")
print(lsOut)
