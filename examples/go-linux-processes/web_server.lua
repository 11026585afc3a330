--[[go
package main
import (
   "fmt"
   "net/http"
)

func handler(w http.ResponseWriter, r *http.Request) {
    fmt.Println("Handle request")
}

func main() {
    http.HandleFunc("/", handler)
    http.ListenAndServe(":8000", nil)
}
--]]
-- The simplest web server, for the document's nohup lesson: closing a
-- terminal sends SIGHUP to its processes, which ends this server unless
-- it was started with `nohup` (which makes it ignore SIGHUP; brood keeps
-- an inherited "ignore", as Go and Ruby do). try_nohup.sh shows both.
-- PORT sets the port (default 8000; 0 picks a free one and says which).
-- Like Go's handler, it answers 200 with an empty body.
local Socket = require "brood.socket"
io.stdout:setvbuf("line")

local function handler(connection)
  print("Handle request")
  connection:write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
end

local server = Socket.tcp_server("0.0.0.0", tonumber(os.getenv("PORT") or 8000))
if os.getenv("PORT") == "0" then
  io.stderr:write(("listening on port %d\n"):format(select(2, server:local_address())))
end
while true do
  local connection = server:accept()
  repeat local line = connection:gets() until line == nil or line == "\r\n"  -- the request
  handler(connection)
  connection:close()
end
