-- Signals as events: one task waits for HUP (reload) and TERM (stop)
-- with Signal.wait while another works; nothing is lost between waits.
local Task = require "brood.task"
local Process = require "brood.process"
local Signal = require "brood.signal"

Signal.wait({"HUP", "TERM"}, 0)            -- watch from here on
local me = Process.pid()

Task.run(function()
  local worker = Task.spawn(function()
    local n = 0
    while true do
      Task.sleep(0.01)
      n = n + 1
    end
  end)
  -- someone else sends the signals: HUP, HUP, then TERM
  local sender = Process.spawn("sh", "-c",
    ("sleep 0.05; kill -HUP %d; sleep 0.05; kill -HUP %d; sleep 0.05; kill -TERM %d")
      :format(me, me, me))
  while true do
    local sig = Signal.wait{"HUP", "TERM"}
    print("got " .. sig)
    if sig == "TERM" then break end
    print("reloading configuration")
  end
  worker:cancel()
  pcall(worker.wait, worker)
  Process.wait(sender)
  print("worker " .. worker:status() .. ", exiting cleanly")
end)
