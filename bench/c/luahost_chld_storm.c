/* The floor of the SIGCHLD storm for any Lua runtime: the children are
** Lua 5.4 processes (Debian's shared liblua, as brood links it, in a
** minimal C host binding setpgid and pause) and the parent reaps in C,
** exactly as chld_storm.c does. What this costs above plain C is the
** teardown of bigger children: more mappings, and the interpreter's pages
** each child has touched. usage: luahost_chld_storm N
** Prints seconds from the kill to the last reap. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

static volatile sig_atomic_t reaped;

static void on_chld(int s) {
  (void)s;
  while (waitpid(-1, NULL, WNOHANG) > 0) reaped++;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int l_setpgid(lua_State *L) {
  lua_pushinteger(L, setpgid((pid_t)luaL_checkinteger(L, 1), (pid_t)luaL_checkinteger(L, 2)));
  return 1;
}

static int l_pause(lua_State *L) {
  sigset_t empty;
  (void)L;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, NULL);
  for (;;) pause();
  return 0;
}

static const char *const child =
  "local setpgid, pause, first = ...\n"
  "setpgid(0, first)\n"
  "pause()\n";

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 500, i;
  pid_t first = 0;
  sigset_t block, empty;
  struct sigaction sa = {0};
  double t0;
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  sa.sa_handler = on_chld;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGCHLD, &sa, NULL);
  sigemptyset(&block);
  sigaddset(&block, SIGCHLD);
  sigprocmask(SIG_BLOCK, &block, NULL);
  sigemptyset(&empty);
  if (luaL_loadstring(L, child) != LUA_OK) return 1;
  for (i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      lua_pushvalue(L, -1);
      lua_pushcfunction(L, l_setpgid);
      lua_pushcfunction(L, l_pause);
      lua_pushinteger(L, first);
      lua_pcall(L, 3, 0, 0);
      _exit(1);
    }
    if (!first) first = pid;
    setpgid(pid, first);
  }
  t0 = now();
  kill(-first, SIGTERM);
  while (reaped < n) sigsuspend(&empty);
  printf("result %.6f\n", now() - t0);
  lua_close(L);
  return 0;
}
