--[[c
char * execv_str[] = {"echo", "executed by execv",NULL};
    if (execv("/bin/echo",execv_str) <0 ){
        perror("error on exec");
        return 0;
    }
    printf("测试是否返回\n"); //正常执行未返回
    getchar();
--]]
-- exec replaces the running program with /bin/echo: the lines after it never run, and only
-- the pid is kept. Process.exec raises instead of returning -1, so pcall plays the "< 0" test.
-- Added: the pid line before the exec (fork_exec.lua shows the exec'd program keeps it).
local Process = require "brood.process"

local function main()
  print("pid " .. Process.pid() .. " before execv")
  local execv_str = {"executed by execv"}
  local ok, err = pcall(Process.exec, {"/bin/echo", "echo"}, table.unpack(execv_str))
  if not ok then
    io.stderr:write("error on exec: ", tostring(err), "\n")
    return 0
  end
  print("测试是否返回") -- not reached when exec succeeds
  io.read(1)
end

main()
