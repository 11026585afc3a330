local Process = require "brood.process"
local _ = Process.pid()
