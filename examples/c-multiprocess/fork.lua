--[[c
if ( fork() == 0 ) {
    /* 子进程程序 */
    for ( i = 1; i <1000; i ++ ){
        printf("This is child process/n");
    }
}
else {
    /* 父进程程序*/
    for ( i = 1; i <1000; i ++ ){
        printf("This is master process/n");
    }
}
--]]
-- fork() returns twice: nil (the C 0) in the child, the child's pid in the parent, and the two
-- copies run the two branches. The original's "/n" is meant as "\n". Added: the parent waits
-- for the child, so none is left behind; the .expect counts the lines of each process.
local Process = require "brood.process"

if Process.fork() == nil then
  -- the child's program
  for _ = 1, 999 do
    print("This is child process")
  end
else
  -- the parent's program
  for _ = 1, 999 do
    print("This is master process")
  end
  Process.wait()
end
