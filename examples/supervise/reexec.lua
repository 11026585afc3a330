-- A process that executes itself again, exactly as it was started --
-- interpreter, options, script and arguments -- as a master does to
-- load new code without letting go of its pid (Unicorn's USR2 goes one
-- step further and forks first). Try: brood reexec.lua a b
local Process = require "brood.process"

local generation = tonumber(os.getenv("GENERATION") or "1")
print(("generation %d, pid %d, args: %s"):format(generation, Process.pid(),
                                                 table.concat(arg, " ")))
if generation < 3 then
  local argv = Process.argv()   -- {"brood", "reexec.lua", "a", "b"}
  Process.exec({GENERATION = tostring(generation + 1)},
               Process.executable(), table.unpack(argv, 2))
end
