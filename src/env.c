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

#include "process.h"


extern char **environ;


/* A variable's name: a non-empty string without '=' or a zero byte (C
** would read "PATH\0x" as PATH). Errors name Process.env: these are
** metamethods, with no function name of their own. */
static const char *checkname(lua_State *L, int idx) {
  size_t len;
  const char *name;
  if (lua_type(L, idx) != LUA_TSTRING)
    luaL_error(L, "Process.env: variable name must be a string, not %s", luaL_typename(L, idx));
  name = lua_tolstring(L, idx, &len);
  if (len == 0 || strchr(name, '=') != NULL || strlen(name) != len)
    luaL_error(L, "Process.env: variable name must be non-empty, without '=' or zero bytes");
  return name;
}


static int env_index(lua_State *L) {
  const char *v;
  if (lua_type(L, 2) != LUA_TSTRING) return 0;
  v = getenv(checkname(L, 2));
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
      return luaL_error(L, "Process.env: value of '%s' must be a string, a number or nil, not %s",
                        name, luaL_typename(L, 3));
    value = lua_tolstring(L, 3, &len);
    if (strlen(value) != len)
      return luaL_error(L, "Process.env: value of '%s' contains a zero byte", name);
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


/* The iterator of pairs(Process.env), over its snapshot (upvalue 1):
** called with any key -- even one not in the snapshot -- it goes on
** from the next one there, or ends. */
static int env_next(lua_State *L) {
  lua_settop(L, 2);
  if (!lua_isnil(L, 2)) {
    lua_pushvalue(L, 2);
    if (lua_type(L, 2) != LUA_TSTRING || lua_rawget(L, lua_upvalueindex(1)) == LUA_TNIL) {
      lua_pushnil(L);  /* not a name in the snapshot: the iteration is over */
      return 1;
    }
    lua_pop(L, 1);
  }
  if (lua_next(L, lua_upvalueindex(1))) return 2;
  lua_pushnil(L);
  return 1;
}


/* pairs(Process.env): iterates a snapshot, so the loop may change the
** environment safely. */
static int env_pairs(lua_State *L) {
  pushcopy(L);
  lua_pushcclosure(L, env_next, 1);
  lua_pushnil(L);
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
