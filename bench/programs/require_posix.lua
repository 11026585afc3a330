local unistd = require "posix.unistd"
local _ = unistd.getpid()
