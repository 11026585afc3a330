/*
** embed_test.c -- checks the embedding API of brood.h from a C host.
** Prints TAP.
*/
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "brood.h"

static int ntest, nfail;

static void ok(int cond, const char *what) {
  ntest++;
  if (!cond) nfail++;
  printf("%sok %d - %s\n", cond ? "" : "not ", ntest, what);
}

static lua_State *newstate(void) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  return L;
}

/* Runs a chunk that must return true; reports errors as the test's. */
static int run(lua_State *L, const char *code) {
  if (luaL_dostring(L, code) != LUA_OK) {
    printf("# error: %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
    return 0;
  }
  {
    int r = lua_toboolean(L, -1);
    lua_settop(L, 0);
    return r;
  }
}

int main(void) {
  lua_State *L = newstate();
  int top, fd, fd2, flags;

  top = lua_gettop(L);
  brood_openlibs(L);
  ok(lua_gettop(L) == top, "brood_openlibs leaves the stack as it was");

  ok(run(L, "return package.loaded['brood.process'] == nil and "
            "package.loaded['brood'] == nil"),
     "brood_openlibs loads no module");
  ok(run(L, "for _, m in ipairs{'brood', 'brood.process', 'brood.signal', "
            "'brood.io', 'brood.socket', 'brood.open3'} do "
            "  if type(package.preload[m]) ~= 'function' then return false end "
            "end return true"),
     "every module has a preload entry");
  ok(run(L, "for _, m in ipairs{'brood', 'brood.process', 'brood.signal', "
            "'brood.io', 'brood.socket', 'brood.open3'} do "
            "  if type(require(m)) ~= 'table' then return false end "
            "end return true"),
     "every module can be required");
  ok(run(L, "local P = require 'brood.process' "
            "return math.type(P.pid()) == 'integer' and P.pid() > 1"),
     "Process.pid() works in a C host");
  {
    char code[128];
    snprintf(code, sizeof code, "return require('brood').version == '%s'", BROOD_VERSION);
    ok(run(L, code), "brood.version matches BROOD_VERSION");
  }
  ok(strcmp(brood_version(), BROOD_VERSION) == 0, "brood_version() matches the header");
  ok(BROOD_VERSION_NUM == BROOD_VERSION_MAJOR * 10000 + BROOD_VERSION_MINOR * 100 +
                          BROOD_VERSION_PATCH, "BROOD_VERSION_NUM is consistent");
  ok(run(L, "return require('brood').process == require('brood.process')"),
     "the umbrella module loads submodules on access");

  fd = brood_signal_fd();
  fd2 = brood_signal_fd();
  ok(fd >= 0 && fd == fd2, "brood_signal_fd is valid and stable");
  flags = fcntl(fd, F_GETFD);
  ok(flags >= 0 && (flags & FD_CLOEXEC), "the signal fd is close-on-exec");
  flags = fcntl(fd, F_GETFL);
  ok(flags >= 0 && (flags & O_NONBLOCK), "the signal fd is non-blocking");
  ok(brood_signal_dispatch(L) == LUA_OK && lua_gettop(L) == 0,
     "dispatch with nothing pending is a no-op");

  ok(run(L, "hits = 0 require('brood.signal').trap('USR1', function() hits = hits + 1 end) "
            "return true"), "a script traps USR1");
  raise(SIGUSR1);
  {
    struct pollfd p = {fd, POLLIN, 0};
    ok(poll(&p, 1, 5000) == 1 && (p.revents & POLLIN), "the signal fd is readable when a signal is pending");
  }
  ok(brood_signal_dispatch(L) == LUA_OK && run(L, "return hits == 1"),
     "brood_signal_dispatch runs the handler");
  ok(brood_signal_dispatch(L) == LUA_OK && run(L, "return hits == 1"),
     "a second dispatch runs nothing");
  ok(run(L, "require('brood.signal').trap('USR1', function() error('handler failed') end) "
            "return true"), "a script traps USR1 with a failing handler");
  raise(SIGUSR1);
  ok(brood_signal_dispatch(L) == LUA_ERRRUN && strstr(lua_tostring(L, -1), "handler failed"),
     "a handler's error comes back as the dispatch status, message on the stack");
  lua_settop(L, 0);

  lua_close(L);
  ok(signal(SIGUSR1, SIG_DFL) == SIG_DFL, "closing the owning state restored the default action");
  L = newstate();
  brood_openlibs(L);
  ok(run(L, "return require('brood.process').pid() > 1"),
     "a second state after closing the first works");
  {
    lua_State *L2 = newstate();
    brood_openlibs(L2);
    ok(run(L2, "return require('brood.process').pid() == "
               "require('brood.process').pid()"),
       "two states can use brood side by side");
    lua_close(L2);
  }
  lua_close(L);

  printf("1..%d\n", ntest);
  return nfail ? 1 : 0;
}
