--[[ruby
arr = [1,2,3]
fork do
  # 此时子进程已经完成初始化。
  # 借助CoW，子进程并不需要复制变量arr，因为它并没有修改任何共享变量。
  # 因此可以继续从和父进程同样的内存位置中进行读取。
  p arr
end

arr = [1,2,3]
fork do
  # 此时子进程已经完成初始化。
  # 由于CoW，变量arr并不会被复制。
  arr << 4
  # 上面的代码修改了数组，因此在进行修改之前需要为子进程创建一个该数组的副本。
  # 父进程中的这个数组并不会受到影响。
end
--]]
local Process = require "brood.process"

local arr = {1, 2, 3}
Process.fork(function()
  -- CoW: the child reads the parent's memory without copying it
  print("[" .. table.concat(arr, ", ") .. "]")  -- (Ruby's p arr)
end)

arr = {1, 2, 3}
Process.fork(function()
  arr[#arr + 1] = 4
  -- the write made the child's own copy; the parent's table is unchanged
end)
Process.waitall()  -- (brood: the parent reaps its children)
