--[[ruby
fork do
  5.times do
    sleep 1
    puts "I am an orphan!"
  end
end

Process.wait
abort "Parent process died..."
--]]
local Process = require "brood.process"

Process.fork(function()
  for _ = 1, 5 do
    Process.sleep(1)
    print("I am an orphan!")
  end
end)

Process.wait()
Process.abort("Parent process died...")
