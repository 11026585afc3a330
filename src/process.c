/*
** process.c -- brood.process: Ruby's Process, plus Kernel's fork, exit,
** sleep and friends.
*/
#include <unistd.h>

#include "common.h"


/* Process.pid() -> the pid of this process. */
static int process_pid(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)getpid());
  return 1;
}


static const luaL_Reg process_funcs[] = {
  {"pid", process_pid},
  {NULL, NULL}
};


BROOD_API int luaopen_brood_process(lua_State *L) {
  luaL_newlib(L, process_funcs);
  return 1;
}
