/*
** socket.c -- brood.socket: socket pairs, UNIX and TCP sockets.
*/
#include "common.h"


static const luaL_Reg socket_funcs[] = {
  {NULL, NULL}
};


BROOD_API int luaopen_brood_socket(lua_State *L) {
  luaL_newlib(L, socket_funcs);
  return 1;
}
