/*
** rlimit.c -- Process.getrlimit / Process.setrlimit and the RLIMIT_*
** constants.
**
** Resources are named by strings as in Ruby ("NOFILE", with or without
** "RLIMIT_") or by the Process.RLIMIT_* numbers. "Unlimited" is
** Process.RLIM_INFINITY, which is math.huge; "INFINITY" is accepted too.
*/
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/resource.h>

#include "process.h"


static const struct { const char *name; int resource; } resources[] = {
  {"AS", RLIMIT_AS}, {"CORE", RLIMIT_CORE}, {"CPU", RLIMIT_CPU},
  {"DATA", RLIMIT_DATA}, {"FSIZE", RLIMIT_FSIZE}, {"NOFILE", RLIMIT_NOFILE},
  {"STACK", RLIMIT_STACK},
#ifdef RLIMIT_LOCKS
  {"LOCKS", RLIMIT_LOCKS},
#endif
#ifdef RLIMIT_MEMLOCK
  {"MEMLOCK", RLIMIT_MEMLOCK},
#endif
#ifdef RLIMIT_MSGQUEUE
  {"MSGQUEUE", RLIMIT_MSGQUEUE},
#endif
#ifdef RLIMIT_NICE
  {"NICE", RLIMIT_NICE},
#endif
#ifdef RLIMIT_NPROC
  {"NPROC", RLIMIT_NPROC},
#endif
#ifdef RLIMIT_RSS
  {"RSS", RLIMIT_RSS},
#endif
#ifdef RLIMIT_RTPRIO
  {"RTPRIO", RLIMIT_RTPRIO},
#endif
#ifdef RLIMIT_RTTIME
  {"RTTIME", RLIMIT_RTTIME},
#endif
#ifdef RLIMIT_SIGPENDING
  {"SIGPENDING", RLIMIT_SIGPENDING},
#endif
};

#define NRESOURCES (sizeof resources / sizeof resources[0])


int brood_rlimit_lookup(const char *name) {
  size_t i;
  if (strncmp(name, "RLIMIT_", 7) == 0) name += 7;
  for (i = 0; i < NRESOURCES; i++)
    if (strcmp(resources[i].name, name) == 0) return resources[i].resource;
  return -1;
}


int brood_rlimit_resource(lua_State *L, int arg) {
  size_t i;
  if (lua_type(L, arg) == LUA_TNUMBER) {
    lua_Integer r = luaL_checkinteger(L, arg);
    for (i = 0; i < NRESOURCES; i++)
      if (resources[i].resource == r) return (int)r;
    return luaL_argerror(L, arg, "unknown resource number");
  }
  else {
    int res = brood_rlimit_lookup(brood_checkcstring(L, arg, "resource name"));
    if (res < 0) {
      lua_pushfstring(L, "unknown resource '%s'", lua_tostring(L, arg));
      return luaL_argerror(L, arg, lua_tostring(L, -1));
    }
    return res;
  }
}


static void pushlimit(lua_State *L, rlim_t v) {
  if (v == RLIM_INFINITY) lua_pushnumber(L, HUGE_VAL);
  else if (v <= (rlim_t)LUA_MAXINTEGER) lua_pushinteger(L, (lua_Integer)v);
  else lua_pushnumber(L, (lua_Number)v);
}


rlim_t brood_rlimit_value(lua_State *L, int idx, int arg) {
  if (lua_type(L, idx) == LUA_TSTRING) {
    const char *s = brood_tocstring(L, idx, arg, "limit");
    if (strcmp(s, "INFINITY") == 0 || strcmp(s, "RLIM_INFINITY") == 0) return RLIM_INFINITY;
    return (rlim_t)luaL_argerror(L, arg, "limit must be a number or \"INFINITY\"");
  }
  if (lua_isinteger(L, idx)) {
    lua_Integer v = lua_tointeger(L, idx);
    luaL_argcheck(L, v >= 0, arg, "limit must not be negative");
    return (rlim_t)v;
  }
  {
    lua_Number v;
    if (lua_type(L, idx) != LUA_TNUMBER) luaL_typeerror(L, arg, "number");
    v = lua_tonumber(L, idx);
    if (v == HUGE_VAL) return RLIM_INFINITY;
    luaL_argcheck(L, v >= 0 && v == floor(v), arg, "limit must be a whole number");
    /* beyond rlim_t: refused, not wrapped (math.huge means unlimited) */
    luaL_argcheck(L, v < 18446744073709551616.0, arg, "limit out of range");
    return (rlim_t)v;
  }
}


/* Process.getrlimit(resource) -> soft, hard */
static int process_getrlimit(lua_State *L) {
  struct rlimit rl;
  int res = brood_rlimit_resource(L, 1);
  brood_checknargs(L, 1);
  if (getrlimit(res, &rl) != 0) return brood_syserror(L, "getrlimit");
  pushlimit(L, rl.rlim_cur);
  pushlimit(L, rl.rlim_max);
  return 2;
}


/* Process.setrlimit(resource, soft[, hard]) -- hard defaults to soft, as
** in Ruby (which lowers the hard limit for good unless privileged). */
static int process_setrlimit(lua_State *L) {
  struct rlimit rl;
  int res = brood_rlimit_resource(L, 1);
  rl.rlim_cur = brood_rlimit_value(L, 2, 2);
  rl.rlim_max = lua_isnoneornil(L, 3) ? rl.rlim_cur : brood_rlimit_value(L, 3, 3);
  brood_checknargs(L, 3);
  if (setrlimit(res, &rl) != 0) return brood_syserror(L, "setrlimit");
  return 0;
}


static const luaL_Reg rlimit_funcs[] = {
  {"getrlimit", process_getrlimit},
  {"setrlimit", process_setrlimit},
  {NULL, NULL}
};


void brood_open_rlimit(lua_State *L) {
  size_t i;
  luaL_setfuncs(L, rlimit_funcs, 0);
  for (i = 0; i < NRESOURCES; i++) {
    lua_pushinteger(L, resources[i].resource);
    lua_pushfstring(L, "RLIMIT_%s", resources[i].name);
    lua_insert(L, -2);
    lua_settable(L, -3);
  }
  lua_pushnumber(L, HUGE_VAL);
  lua_setfield(L, -2, "RLIM_INFINITY");
}
