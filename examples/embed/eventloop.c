/*
** eventloop.c -- a host with its own event loop. Scripts trap signals as
** usual; the host polls brood_signal_fd() beside its other descriptors
** and, when it is readable, runs the handlers with
** brood_signal_dispatch() -- no hooks, no threads.
**
**   ./eventloop eventloop.lua
**
** The loop here watches only the signal fd and stops when the script
** sets the global 'done'; a real host would also poll its sockets.
*/
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include <brood.h>

static int done(lua_State *L) {
  int d;
  lua_getglobal(L, "done");
  d = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return d;
}

int main(int argc, char **argv) {
  lua_State *L;
  int sigfd;
  if (argc < 2) {
    fprintf(stderr, "usage: %s script.lua\n", argv[0]);
    return 2;
  }
  L = luaL_newstate();
  luaL_openlibs(L);
  brood_openlibs(L);
  if (luaL_dofile(L, argv[1]) != LUA_OK) {  /* the script sets things up */
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
    return 1;
  }
  sigfd = brood_signal_fd();
  if (sigfd < 0) {
    perror("brood_signal_fd");
    return 1;
  }
  while (!done(L)) {
    struct pollfd p = {sigfd, POLLIN, 0};
    int n = poll(&p, 1, 10000);  /* ...and the host's own fds */
    if (n < 0 && errno != EINTR) {
      perror("poll");
      return 1;
    }
    if (n == 0) {
      fprintf(stderr, "no signal within 10 s\n");
      return 1;
    }
    if (p.revents & POLLIN) {
      if (brood_signal_dispatch(L) != LUA_OK) {  /* a handler raised */
        fprintf(stderr, "handler error: %s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
      }
    }
  }
  printf("host: done\n");
  lua_close(L);
  return 0;
}
