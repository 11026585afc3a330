--[==[go
// Control the lock of file.
func fcntlFlock(lockType int16, path ...string) error {
  var err error
  if lockType != syscall.F_UNLCK {
    mode := syscall.O_CREAT | syscall.O_WRONLY
    lockFile, err = os.OpenFile(path[0], mode, 0666)
    if err != nil {
       return err
    }
}

lock := syscall.Flock_t{
    Start: 0,
    Len: 1,
    Type: lockType,
    Whence: int16(os.SEEK_SET),
}
return syscall.FcntlFlock(lockFile.Fd(), syscall.F_SETLK, &lock)
}

// Lock the file.
func Flock(path string) error {
  return fcntlFlock(syscall.F_WRLCK, path)
}

// Unlock the file.
func Funlock(path string) error {
  err := fcntlFlock(syscall.F_UNLCK)
  if err != nil {
    return err
  } else {
    return lockFile.Close()
  }
}

// Lock the script.
lockPath := cacheDir + ".lock"
err = flock.Flock(lockPath)
if err != nil {
  utils.LogError("%s: %v\n", lockPath, err)
  os.Exit(1)
}
--]==]
-- A lock file keeps a second instance from running while the first one does.
-- brood has flock(2), not fcntl(F_SETLK): a non-blocking exclusive flock stands in
-- (it is not released when some other descriptor of the file is closed, unlike
-- fcntl locks). As in a PID file, the holder writes its pid into the lock file.
-- Run without arguments, the script takes the lock and starts itself again
-- (the second instance gets the lock path as its argument) while it holds it,
-- then once more after unlocking. /proc/locks shows who holds the lock.
local Process = require "brood.process"
local IO = require "brood.io"

local lockFile

-- Control the lock of file.
local function fcntlFlock(lockType, path)
  if lockType ~= "UN" then
    local ok, err = pcall(IO.open, path, "a", "666")  -- O_CREAT|O_WRONLY (and O_APPEND)
    if not ok then
      return err
    end
    lockFile = err
  end
  if not IO.flock(lockFile, lockType, true) then
    return "resource temporarily unavailable"
  end
end

-- Lock the file.
local function Flock(path)
  local err = fcntlFlock("EX", path)
  if err == nil then
    -- the pid, for whoever is refused (truncating through another descriptor
    -- leaves the flock in place)
    local f = assert(io.open(path, "w"))
    f:write(Process.pid(), "\n")
    f:close()
  end
  return err
end

-- Unlock the file.
local function Funlock(_)
  local err = fcntlFlock("UN")
  if err ~= nil then
    return err
  else
    return lockFile:close() and nil
  end
end

local function LogError(fmt, ...)
  io.stderr:write("[ERROR] " .. fmt:format(...))
end

-- The /proc/locks line of the flock on path: "FLOCK ADVISORY WRITE <pid>".
local function proc_lock(path)
  local inode = Process.capture("stat", "-c", "%i", path):match("%d+")
  for line in io.lines("/proc/locks") do
    local kind, pid = line:match("^%d+: (FLOCK%s+%S+%s+%S+) (%d+) %S+:" .. inode .. " ")
    if kind then return kind:gsub("%s+", " "), tonumber(pid) end
  end
end

local second = arg[1] ~= nil
local lockPath = arg[1] or ("/tmp/brood-run-" .. Process.pid() .. ".lock")

-- Lock the script.
local err = Flock(lockPath)
if err ~= nil then
  local holder = io.open(lockPath):read("l")
  LogError("%s: %s (held by pid %s)\n", lockPath, err, holder)
  Process.exit(1)
end

if second then
  print("second instance: got the lock")
  Funlock(lockPath)
  Process.exit(0)
end

print("first instance " .. Process.pid() .. ": got the lock")
local kind, holder = proc_lock(lockPath)
print("/proc/locks: " .. kind .. ", held by this process: " .. tostring(holder == Process.pid()))

local _, status = Process.system("/proc/self/exe", arg[0], lockPath)
print("second instance while locked: exit " .. status.exitstatus)

Funlock(lockPath)
print("first instance: unlocked, /proc/locks entry gone: " .. tostring(proc_lock(lockPath) == nil))

_, status = Process.system("/proc/self/exe", arg[0], lockPath)
print("second instance after unlock: exit " .. status.exitstatus)
os.remove(lockPath)
