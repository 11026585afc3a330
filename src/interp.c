/*
** interp.c -- what the brood command's two faces share: main.c (the
** lua5.4-style command line) and repl.c (the read-eval-print loop).
*/
#include <stdio.h>

#include <lua.h>
#include <lauxlib.h>

#include "common.h"
#include "interp.h"


const char *interp_progname = "brood";


int interp_report(lua_State *L, int status) {
  if (status != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    if (msg == NULL) msg = "(error object is not a string)";
    if (interp_progname) fprintf(stderr, "%s: ", interp_progname);
    fprintf(stderr, "%s\n", msg);
    fflush(stderr);
    lua_pop(L, 1);
  }
  return status;
}


int interp_docall(lua_State *L, int narg, int nres) {
  int status;
  int base = lua_gettop(L) - narg;
  lua_pushcfunction(L, brood_traceback);
  lua_insert(L, base);
  status = lua_pcall(L, narg, nres, base);
  lua_remove(L, base);
  return status;
}


void interp_version(void) {
  printf("brood %s with %s\n", brood_version(), LUA_COPYRIGHT);
  fflush(stdout);
}
