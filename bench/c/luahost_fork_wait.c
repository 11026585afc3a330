/* The floor of fork + wait for any Lua runtime: Lua 5.4 (Debian's shared
** liblua, as brood links it) in a minimal C host that binds only fork,
** waitpid and _exit, running the same loop as fork_wait.lua. What this
** costs above plain C is Lua's: its interpreter's pages written on each
** side of every fork and the child's own pages faulted in.
** usage: luahost_fork_wait N [MB]. Prints "result <seconds per round trip>". */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

static int l_fork(lua_State *L) {
  pid_t pid = fork();
  if (pid < 0) return luaL_error(L, "fork failed");
  if (pid == 0) lua_pushnil(L);
  else lua_pushinteger(L, pid);
  return 1;
}

static int l_wait(lua_State *L) {
  int status;
  lua_pushinteger(L, waitpid((pid_t)luaL_checkinteger(L, 1), &status, 0));
  return 1;
}

static int l_exit(lua_State *L) {
  _exit((int)luaL_optinteger(L, 1, 0));
}

static int l_now(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
  return 1;
}

static const char *const program =
  "local fork, wait, _exit, now, n, mb = ...\n"
  "local big = {}\n"
  "for m = 1, mb do local t = {} for i = 1, 65536 do t[i] = i end big[m] = t end\n"
  "local t0 = now()\n"
  "for _ = 1, n do\n"
  "  local pid = fork()\n"
  "  if pid == nil then _exit(0) end\n"
  "  wait(pid)\n"
  "end\n"
  "local rss = io.open('/proc/self/status'):read('a'):match('VmRSS:%s*(%d+)')\n"
  "print('result', (now() - t0) / n, 'rss_kb', rss)\n";

int main(int argc, char **argv) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  if (luaL_loadstring(L, program) != LUA_OK) goto fail;
  lua_pushcfunction(L, l_fork);
  lua_pushcfunction(L, l_wait);
  lua_pushcfunction(L, l_exit);
  lua_pushcfunction(L, l_now);
  lua_pushinteger(L, argc > 1 ? atoi(argv[1]) : 1000);
  lua_pushinteger(L, argc > 2 ? atoi(argv[2]) : 0);
  if (lua_pcall(L, 6, 0, 0) != LUA_OK) goto fail;
  lua_close(L);
  return 0;
fail:
  fprintf(stderr, "%s\n", lua_tostring(L, -1));
  return 1;
}
