/*
** host.c -- a C program that embeds Lua and brood, then runs a script.
**
**   make -C examples/embed          (uses pkg-config brood)
**   ./examples/embed/host examples/embed/hello.lua a b
**
** The script sees its arguments in 'arg' and '...', and every brood
** module is one require away, exactly as under the brood command.
*/
#include <stdio.h>
#include <stdlib.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include <brood.h>

/* Adds a traceback to errors, using an error object's __tostring. */
static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL && luaL_callmeta(L, 1, "__tostring")) msg = lua_tostring(L, -1);
  luaL_traceback(L, L, msg ? msg : "(non-string error)", 1);
  return 1;
}

int main(int argc, char **argv) {
  lua_State *L;
  int i, status;
  if (argc < 2) {
    fprintf(stderr, "usage: %s script.lua [args...]\n", argv[0]);
    return 2;
  }
  L = luaL_newstate();
  if (L == NULL) return 1;
  luaL_openlibs(L);
  brood_openlibs(L);  /* registers brood's modules; loads none of them */

  lua_createtable(L, argc - 2, 1);  /* arg, as the brood command sets it */
  for (i = 1; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - 1);
  }
  lua_setglobal(L, "arg");

  lua_pushcfunction(L, traceback);
  status = luaL_loadfile(L, argv[1]);
  if (status == LUA_OK) {
    for (i = 2; i < argc; i++) lua_pushstring(L, argv[i]);
    status = lua_pcall(L, argc - 2, 0, 1);
  }
  if (status != LUA_OK) fprintf(stderr, "%s: %s\n", argv[0], lua_tostring(L, -1));
  lua_close(L);
  return status == LUA_OK ? EXIT_SUCCESS : EXIT_FAILURE;
}
