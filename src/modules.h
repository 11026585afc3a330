/*
** modules.h -- the module openers and the compiled-in Lua modules, for
** brood.c's registry (brood_openlibs) and for stock Lua, which finds the
** luaopen_* functions in brood.so.
*/
#ifndef BROOD_MODULES_H
#define BROOD_MODULES_H

#include "common.h"

/* Module openers (exported: brood.so is loaded by stock Lua as an
** all-in-one library, so require "brood.process" finds
** luaopen_brood_process there). */
BROOD_API int luaopen_brood(lua_State *L);
BROOD_API int luaopen_brood_process(lua_State *L);
BROOD_API int luaopen_brood_signal(lua_State *L);
BROOD_API int luaopen_brood_io(lua_State *L);
BROOD_API int luaopen_brood_socket(lua_State *L);
BROOD_API int luaopen_brood__core(lua_State *L);  /* helpers for brood's Lua modules */
BROOD_API int luaopen_brood__task(lua_State *L);  /* brood.task's engine (task.c) */

/* The pure-Lua modules compiled in (luamods.c is generated). */
struct brood_luamod {
  const char *name;       /* module name, e.g. "brood.open3" */
  const char *chunkname;  /* "@brood/open3.lua" */
  const char *source;
  size_t size;
};
extern const struct brood_luamod brood_luamods[];

#endif
