--[[ruby
# 这将使你的程序携带顺利状态码(0)退出。
#  exit
# 你可以给这个方法传递一个定制的退出码。
#  exit 22
# 当 Kernel#exit 被调用时，在退出之前，Ruby 会调用由 Kernel#at_exit 所定义的全部语句块。
at_exit { puts 'Last!' }
exit
# 输出 => Last!
--]]
local Process = require "brood.process"

Process.at_exit(function() print("Last!") end)
Process.exit()
