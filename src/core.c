/*
** core.c -- brood._core: helpers for brood's own Lua modules
** (brood/_run.lua, brood/open3.lua), not for scripts.
*/
#include "process.h"
#include "modules.h"


/* core.error(fields): the table, made a brood.Error. */
static int core_error(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  brood_errormeta(L);
  return 1;
}


static const luaL_Reg core_funcs[] = {
  {"spawn", brood_core_spawn},
  {"wait_timeout", brood_core_wait_timeout},
  {"error", core_error},
  {NULL, NULL}
};


BROOD_API int luaopen_brood__core(lua_State *L) {
  luaL_newlib(L, core_funcs);
  return 1;
}
