/*
** env.c -- Process.env: the environment as a live Lua table (Ruby's ENV).
**
**   Process.env.HOME              -> "/root" (nil if unset)
**   Process.env.X = "v"           setenv; numbers are converted
**   Process.env.X = nil           unsetenv
**   for k, v in pairs(Process.env) do ... end
**   Process.env()                 -> a plain table copy
**
** Reads and writes go straight to the C environment (getenv/setenv), so
** os.getenv agrees and children inherit every change.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

extern char **environ;


static const char *checkname(lua_State *L, int arg) {
  const char *name = luaL_checkstring(L, arg);
  luaL_argcheck(L, name[0] != '\0' && strchr(name, '=') == NULL, arg,
                "environment variable name must be non-empty and contain no '='");
  return name;
}


static int env_index(lua_State *L) {
  const char *v;
  if (lua_type(L, 2) != LUA_TSTRING) return 0;
  v = getenv(lua_tostring(L, 2));
  if (v) lua_pushstring(L, v);
  else lua_pushnil(L);
  return 1;
}


static int env_newindex(lua_State *L) {
  const char *name = checkname(L, 2);
  if (lua_isnil(L, 3)) {
    if (unsetenv(name) != 0) return brood_raise(L, "unsetenv", name, errno);
  }
  else {
    size_t len;
    const char *value;
    if (lua_type(L, 3) != LUA_TSTRING && lua_type(L, 3) != LUA_TNUMBER)
      return luaL_typeerror(L, 3, "string or nil");
    value = lua_tolstring(L, 3, &len);
    luaL_argcheck(L, strlen(value) == len, 3, "value contains a zero byte");
    if (setenv(name, value, 1) != 0) return brood_raise(L, "setenv", name, errno);
  }
  return 0;
}


/* A snapshot of the environment as a plain table. */
static void pushcopy(lua_State *L) {
  char **e;
  lua_newtable(L);
  for (e = environ; e && *e; e++) {
    const char *eq = strchr(*e, '=');
    if (eq == NULL || eq == *e) continue;
    lua_pushlstring(L, *e, (size_t)(eq - *e));
    lua_pushstring(L, eq + 1);
    lua_rawset(L, -3);
  }
}


static int env_next(lua_State *L) {
  lua_settop(L, 2);
  if (lua_next(L, 1)) return 2;
  lua_pushnil(L);
  return 1;
}


/* pairs(Process.env): iterates a snapshot, so the loop may change the
** environment safely. */
static int env_pairs(lua_State *L) {
  lua_pushcfunction(L, env_next);
  pushcopy(L);
  lua_pushnil(L);
  return 3;
}


static int env_call(lua_State *L) {
  pushcopy(L);
  return 1;
}


static int env_tostring(lua_State *L) {
  lua_pushliteral(L, "brood.env");
  return 1;
}


static const luaL_Reg env_meta[] = {
  {"__index", env_index},
  {"__newindex", env_newindex},
  {"__pairs", env_pairs},
  {"__call", env_call},
  {"__tostring", env_tostring},
  {NULL, NULL}
};


void brood_open_env(lua_State *L) {
  lua_newtable(L);
  luaL_newlib(L, env_meta);
  lua_setmetatable(L, -2);
  lua_setfield(L, -2, "env");
}
