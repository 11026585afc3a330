/*
** brood.c -- module registration (brood_openlibs) and the "brood"
** umbrella module.
*/
#include <string.h>

#include "modules.h"



/* The modules written in C, by require name. */
static const luaL_Reg cmodules[] = {
  {"brood", luaopen_brood},
  {"brood.process", luaopen_brood_process},
  {"brood.signal", luaopen_brood_signal},
  {"brood.io", luaopen_brood_io},
  {"brood.socket", luaopen_brood_socket},
  {"brood._core", luaopen_brood__core},
  {"brood._task", luaopen_brood__task},
  {NULL, NULL}
};

/* The fields of the umbrella module, each loaded on first access. */
static const char *const submodules[] = {
  "process", "signal", "io", "socket", "open3", "task", "supervisor", "systemd", NULL
};


/*
** package.preload loader for a compiled-in Lua module; upvalue 1 is the
** module's entry in brood_luamods. Called as loader(name, ":preload:"),
** it runs the chunk with those arguments, as the file searcher would.
*/
static int load_embedded(lua_State *L) {
  const struct brood_luamod *m = lua_touserdata(L, lua_upvalueindex(1));
  if (luaL_loadbufferx(L, m->source, m->size, m->chunkname, "t") != LUA_OK)
    return lua_error(L);
  lua_insert(L, 1);  /* stack: chunk, name, extra */
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}


BROOD_API void brood_openlibs(lua_State *L) {
  const luaL_Reg *c;
  const struct brood_luamod *m;
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  for (c = cmodules; c->name; c++) {
    lua_pushcfunction(L, c->func);
    lua_setfield(L, -2, c->name);
  }
  for (m = brood_luamods; m->name; m++) {
    lua_pushlightuserdata(L, (void *)m);
    lua_pushcclosure(L, load_embedded, 1);
    lua_setfield(L, -2, m->name);
  }
  lua_pop(L, 1);
}


BROOD_API const char *brood_version(void) {
  return BROOD_VERSION;
}


/* __index of the umbrella module: brood.process loads brood.process. */
static int brood_index(lua_State *L) {
  const char *key = lua_tostring(L, 2);
  const char *const *p;
  luaL_checktype(L, 1, LUA_TTABLE);
  if (lua_type(L, 2) != LUA_TSTRING) return 0;
  for (p = submodules; *p; p++) {
    if (strcmp(*p, key) == 0) {
      brood_require(L, lua_pushfstring(L, "brood.%s", key));
      lua_remove(L, -2);
      lua_pushvalue(L, -1);
      lua_setfield(L, 1, key);  /* cache: later accesses are plain fields */
      return 1;
    }
  }
  return 0;
}


BROOD_API int luaopen_brood(lua_State *L) {
  lua_createtable(L, 0, 4);
  lua_pushliteral(L, BROOD_VERSION);
  lua_setfield(L, -2, "version");
  lua_pushinteger(L, BROOD_VERSION_NUM);
  lua_setfield(L, -2, "version_num");
  lua_pushliteral(L, LUA_RELEASE);
  lua_setfield(L, -2, "lua_version");
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, brood_index);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  return 1;
}
