--[[ruby
#这将使你的程序携带顺利状态码(0)退出。
  exit

#你可以给这个方法传递一个定制的退出码。
  exit 22

# 当 Kernel#exit 被调用时，在退出之前，
# Ruby会调用由 Kernel#at_exit #所定义的全部语句块。
  at_exit { puts'Last!' }

  exit

# 输出 => Last!

# Kernel#raise 不会立刻结束进程。
# 它只是抛出一个异常，该异常会沿着调用栈向上传递并可能会得到处理。
# 如果没有代码对其进行处理，那么这个未处理的异常将会终结该进程。
--]]
-- The block shows three ways to exit one after another; run as one
-- program the first would end it, so the first two are comments here.
local Process = require "brood.process"

-- this exits the program with the success status (0)
-- Process.exit()

-- you can pass this function a status of your own
-- Process.exit(22)

-- when Process.exit is called, before exiting, brood runs every function
-- registered with Process.at_exit
Process.at_exit(function() print('Last!') end)

Process.exit()

-- output => Last!

-- error() does not end the process at once: it raises an error that goes
-- up the call stack and may be handled; unhandled, it ends the process.
