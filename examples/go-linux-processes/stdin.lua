--[[go
package main

import (
    "fmt"
    "io/ioutil"
    "os"
)

func main() {
    bytes, err := ioutil.ReadAll(os.Stdin)
    if err != nil {
        panic(err)
    }

    fmt.Println(string(bytes))
}
--]]
-- Reads all of standard input and prints it (Println adds a newline after
-- the data, which already ends with one, so a blank line follows).
local IO = require "brood.io"

local ok, bytes = pcall(IO.stdin.read, IO.stdin, "a")
if not ok then
  error(bytes)
end

print(bytes)
