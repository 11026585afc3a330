--[[ruby
arr = [1,2,3]
fork do
  # CoW: the child reads the parent's memory without copying it
  p arr
end

arr = [1,2,3]
fork do
  arr << 4
  # the write made the child's own copy; the parent's array is unchanged
end
Process.waitall
p arr
--]]
local Process = require "brood.process"

local arr = {1, 2, 3}
Process.fork(function()
  -- CoW: the child reads the parent's memory without copying it
  print(table.concat(arr, ", "))
end)

arr = {1, 2, 3}
Process.fork(function()
  arr[#arr + 1] = 4
  -- the write made the child's own copy; the parent's table is unchanged
end)
Process.waitall()
print(table.concat(arr, ", "))
