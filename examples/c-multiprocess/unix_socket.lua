--[[text
socket API原本是为网络通讯设计的，但后来在socket的框架上发展出一种IPC机制，就是UNIX Domain Socket。
虽然网络socket也可用于同一台主机的进程间通讯（通过loopback地址127.0.0.1），但是UNIX Domain Socket用于IPC更有效率：不需要经过网络协议栈，不需要打包拆包、
计算校验和、维护序号和应答等，只是将应用层数据从一个进程拷贝到另一个进程。
--]]
-- A stream UNIX domain socket: the server listens on a path in the file system, a child
-- connects to it by that path and sends lines; the server answers each. The socket file is
-- removed at the end.
local Process = require "brood.process"
local Socket = require "brood.socket"

local path = "/tmp/brood-unix-" .. Process.pid() .. ".sock"
local server = Socket.unix_server(path)
print("file type: " .. Process.capture("stat", "-c", "%F", path):gsub("\n", ""))

local client = Process.fork(function()
  server:close()
  local conn = Socket.unix_connect(path)
  for _, word in ipairs({"hello", "unix", "socket"}) do
    conn:puts(word)
    print("client got: " .. conn:gets("\n"):gsub("\n", ""))
  end
  conn:close()
end)

local conn = server:accept()
for line in conn:lines() do
  conn:puts(line:upper() .. " (from server " .. Process.pid() .. ")")
end
conn:close()
Process.wait(client)
server:close()
os.remove(path)
print("client done, socket file removed: " .. tostring(io.open(path) == nil))
