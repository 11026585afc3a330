--[[go
package main

import (
    "fmt"
)

func main() {
    fmt.Println("Hello World")
}
--]]
-- The simplest process: it prints one line and exits.
print("Hello World")
