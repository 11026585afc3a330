-- Shared memory: four children count together in one integer.
local IO = require "brood.io"
local Process = require "brood.process"

local mem = IO.shared(8)
for _ = 1, 4 do
  Process.fork(function()
    for _ = 1, 1000 do mem:add(0, 1) end
  end)
end
Process.waitall()
print("counted " .. mem:load(0))  --> counted 4000
