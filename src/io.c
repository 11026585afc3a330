/*
** io.c -- brood.io: IO objects over file descriptors, pipes, select.
*/
#include <stdio.h>

#include "common.h"


void brood_io_flushall(void) {
  fflush(NULL);
}


static const luaL_Reg io_funcs[] = {
  {NULL, NULL}
};


BROOD_API int luaopen_brood_io(lua_State *L) {
  luaL_newlib(L, io_funcs);
  return 1;
}
