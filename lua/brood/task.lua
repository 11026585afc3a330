--- brood.task: many things at once. Tasks are functions that run side by
-- side in one process; inside a task every blocking brood call
-- (Process.wait, Process.sleep, IO reads and writes, accept, IO.select,
-- Process.capture...) suspends only that task while the others run.
-- Task.run starts the first one and returns when every task it started
-- has ended. The engine is C (brood._task); queues, semaphores and the
-- helpers that wait for several tasks are written here on its park and
-- unpark.
local C = require "brood._task"
local Process = require "brood.process"

local Task = {
  run = C.run,
  spawn = C.spawn,
  current = C.current,
  sleep = C.sleep,
  yield = C.yield,
  timeout = C.timeout,
}

local function now() return Process.clock_gettime("MONOTONIC") end

local timeout_error = C.timeouterror

local function checktimeout(fname, timeout, arg)
  if timeout == nil or timeout == math.huge then return nil end
  if type(timeout) ~= "number" then
    error(("bad argument #%d to '%s' (number expected, got %s)")
      :format(arg, fname, type(timeout)), 3)
  end
  if timeout ~= timeout or timeout < 0 then
    error(("bad argument #%d to '%s' (timeout must be a number >= 0)"):format(arg, fname), 3)
  end
  return now() + timeout
end

local function left(deadline)
  if deadline == nil then return nil end
  local l = deadline - now()
  return l > 0 and l or 0
end

local Remover = {__close = function(self)
  local list, me = self.list, self.me
  for i = 1, #list do
    if list[i] == me then table.remove(list, i) break end
  end
end}

-- Parks the running task in 'list' until woken or the deadline; true
-- when woken. Raises a cancellation or Task.timeout as any wait does.
local function waitin(fname, list, deadline, level)
  local me = C.current()
  if not me then
    error(fname .. ": not inside a task (call it from a function run by Task.run)", level + 1)
  end
  list[#list + 1] = me
  local _ <close> = setmetatable({list = list, me = me}, Remover)
  return C.park(left(deadline))
end

-- Wakes the first task parked in 'list' that is still waiting.
local function wakeone(list)
  while #list > 0 do
    if C.unpark(table.remove(list, 1)) then return true end
  end
  return false
end

local function wakeall(list)
  while #list > 0 do C.unpark(table.remove(list, 1)) end
end

local function checkself(fname, self, mt)
  if getmetatable(self) ~= mt then
    error(("bad argument #1 to '%s' (%s expected, got %s)"):format(fname, mt.__name, type(self)), 3)
  end
end


---------------------------------------------------------------------------
-- Queues

local Queue = {__name = "brood.task.Queue"}
Queue.__index = Queue

--- Task.queue([size]) -> a queue holding at most size values (default:
-- no limit). push blocks while it is full, pop while it is empty.
function Task.queue(size)
  if size == nil or size == math.huge then size = math.huge
  elseif math.type(size) ~= "integer" or size < 1 then
    error("bad argument #1 to 'Task.queue' (size must be a whole number >= 1)", 2)
  end
  return setmetatable({size = size, first = 1, last = 0, pushers = {}, poppers = {},
                       isclosed = false}, Queue)
end

--- q:push(value[, timeout]) -- adds value at the end, waiting for room.
function Queue:push(value, timeout)
  checkself("push", self, Queue)
  if value == nil then error("bad argument #1 to 'push' (value expected, got nil)", 2) end
  local deadline = checktimeout("push", timeout, 2)
  while true do
    if self.isclosed then error("push: the queue is closed", 2) end
    if self.last - self.first + 1 < self.size then break end
    if not waitin("push", self.pushers, deadline, 2) and
       (self.last - self.first + 1 >= self.size or self.isclosed) then
      error(timeout_error("push"), 2)
    end
  end
  self.last = self.last + 1
  self[self.last] = value
  wakeone(self.poppers)
  return true
end

--- q:pop([timeout]) -> the first value, waiting for one; nil once the
-- queue is closed and empty.
function Queue:pop(timeout)
  checkself("pop", self, Queue)
  local deadline = checktimeout("pop", timeout, 1)
  while self.last < self.first do
    if self.isclosed then return nil end
    local woken = waitin("pop", self.poppers, deadline, 2)
    if not woken and self.last < self.first and not self.isclosed then
      error(timeout_error("pop"), 2)
    end
  end
  local value = self[self.first]
  self[self.first] = nil
  self.first = self.first + 1
  wakeone(self.pushers)
  return value
end

--- q:close() -- no more pushes; waiting pops get nil once it is empty,
-- waiting pushes raise.
function Queue:close()
  checkself("close", self, Queue)
  self.isclosed = true
  wakeall(self.poppers)
  wakeall(self.pushers)
end

function Queue:closed()
  checkself("closed", self, Queue)
  return self.isclosed
end

function Queue:__len()
  checkself("__len", self, Queue)
  return self.last - self.first + 1
end


---------------------------------------------------------------------------
-- Semaphores

local Semaphore = {__name = "brood.task.Semaphore"}
Semaphore.__index = Semaphore

--- Task.semaphore(n) -> a semaphore with n permits.
function Task.semaphore(n)
  if math.type(n) ~= "integer" or n < 0 then
    error("bad argument #1 to 'Task.semaphore' (permits must be a whole number >= 0)", 2)
  end
  return setmetatable({permits = n, waiters = {}}, Semaphore)
end

-- Takes a permit; errors point 'level' callers up from the caller.
local function acquire(self, deadline, level)
  while self.permits == 0 do
    if not waitin("acquire", self.waiters, deadline, level + 1) and self.permits == 0 then
      error(timeout_error("acquire"), level + 1)
    end
  end
  self.permits = self.permits - 1
end

--- s:acquire([timeout]) -- takes a permit, waiting for one.
function Semaphore:acquire(timeout)
  checkself("acquire", self, Semaphore)
  acquire(self, checktimeout("acquire", timeout, 1), 2)
end

--- s:release() -- gives a permit back.
function Semaphore:release()
  checkself("release", self, Semaphore)
  self.permits = self.permits + 1
  wakeone(self.waiters)
end

local Releaser = {__close = function(self) self.s:release() end}

--- s:with(fn, ...) -> fn's results, run holding a permit.
local function callable(v)
  local mt = getmetatable(v)
  return type(v) == "function" or type(mt) == "table" and mt.__call ~= nil
end

function Semaphore:with(fn, ...)
  checkself("with", self, Semaphore)
  if not callable(fn) then
    error(("bad argument #1 to 'with' (function expected, got %s)"):format(type(fn)), 2)
  end
  acquire(self, nil, 2)
  local _ <close> = setmetatable({s = self}, Releaser)
  return fn(...)
end


---------------------------------------------------------------------------
-- Several tasks at once

-- The tasks of an array, read raw (a __len or __index could answer
-- differently from one look to the next).
local function checklist(fname, list)
  if type(list) ~= "table" then
    error(("bad argument #1 to '%s' (table of tasks expected, got %s)")
      :format(fname, type(list)), 3)
  end
  local copy = {}
  for i = 1, rawlen(list) do
    copy[i] = rawget(list, i)
    if not C.istask(copy[i]) then
      error(("bad argument #1 to '%s' (element %d is not a task)"):format(fname, i), 3)
    end
  end
  return copy
end

--- Task.all(tasks) -> a table with each task's results (packed, in
-- order); raises the first error met, in that order.
function Task.all(list)
  list = checklist("Task.all", list)
  local out = {}
  for i = 1, #list do out[i] = table.pack(list[i]:wait()) end
  return out
end

local function finished(t)
  local s = t:status()
  return s ~= "suspended" and s ~= "running"
end

--- Task.first(tasks[, timeout]) -> the first of them to end (done,
-- failed or cancelled); its results are t:wait()'s.
function Task.first(list, timeout)
  list = checklist("Task.first", list)
  local deadline = checktimeout("Task.first", timeout, 2)
  for i = 1, #list do
    if finished(list[i]) then return list[i] end
  end
  if #list == 0 then error("bad argument #1 to 'Task.first' (no task given)", 2) end
  local me = C.current()
  if not me then
    error("Task.first: not inside a task (call it from a function run by Task.run)", 2)
  end
  local winner
  local watchers = {}
  local _ <close> = setmetatable({}, {__close = function()
    for i = 1, #watchers do watchers[i]:cancel() end
  end})
  for i = 1, #list do
    local t = list[i]
    watchers[i] = C.spawn(function()
      pcall(t.wait, t)
      if finished(t) and not winner then
        winner = t
        C.unpark(me)
      end
    end)
  end
  while not winner do
    if not C.park(left(deadline)) and not winner then error(timeout_error("Task.first"), 2) end
  end
  return winner
end

return Task
