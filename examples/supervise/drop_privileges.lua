-- A daemon that needs root only to bind: it opens its listening socket,
-- then becomes an ordinary user for good, and keeps serving on the
-- socket it opened.
local Process = require "brood.process"
local Socket = require "brood.socket"

if Process.euid() ~= 0 then
  print("run me as root: I bind first, then drop to nobody")
  os.exit(0)
end

local server = Socket.tcp_server("127.0.0.1", 0)   -- port 80 would need root too
local _, port = server:local_address()

local uid, gid = Process.change_privilege("nobody")
print(("now uid %d, gid %d, groups %s"):format(uid, gid, table.concat(Process.groups(), ",")))

-- the socket still works...
local client = Socket.tcp_connect("127.0.0.1", port)
local conn = server:accept()
client:write("hello\n")
print("served: " .. conn:read("l"))

-- ...but there is no way back
local ok, err = pcall(Process.change_privilege, "root")
print("back to root? " .. tostring(ok) .. " (" .. err.errno .. ")")
