/*
** stdlib.c -- brood's versions of Lua's os.execute and io.popen.
**
** They behave as Lua's own (same arguments, same results, same file
** handles), with one difference that matters to a process toolkit: the
** programs they start get SIGPIPE at its default action even when the
** script ignores it -- brood does, like Ruby, so that writing to a closed
** pipe raises EPIPE instead of killing the script -- because an ignored
** SIGPIPE survives exec and makes `yes | head` run forever. (Signals the
** script catches are reset by exec itself; other ignored ones stay
** ignored, as POSIX says.) They start /bin/sh with posix_spawn, so a big
** Lua heap costs nothing to copy.
*/
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lualib.h>

#include "process.h"


extern char **environ;


/*
** posix_spawn attributes for a child of brood: SIGPIPE back to its
** default, plus the signals in 'extra'.
*/
static void childattr(posix_spawnattr_t *attr, const sigset_t *extra) {
  sigset_t defaults;
  if (extra) defaults = *extra;
  else sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_init(attr);
  posix_spawnattr_setsigdefault(attr, &defaults);
  posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGDEF);
}


/* waitpid, retried after EINTR (the wait of system(3) and pclose(3)). */
static int reap(pid_t pid) {
  int raw;
  return brood_waitpid_retry(pid, &raw, 0) < 0 ? -1 : raw;
}


/* The results of os.execute and of closing a popen file, as Lua's
** luaL_execresult gives them: true|nil, "exit"|"signal", code. */
int brood_execresult(lua_State *L, int raw) {
  if (raw == -1) return luaL_fileresult(L, 0, NULL);
  if (WIFSIGNALED(raw)) {
    luaL_pushfail(L);
    lua_pushliteral(L, "signal");
    lua_pushinteger(L, WTERMSIG(raw));
  }
  else {
    int code = WIFEXITED(raw) ? WEXITSTATUS(raw) : raw;
    if (code == 0) lua_pushboolean(L, 1);
    else luaL_pushfail(L);
    lua_pushliteral(L, "exit");
    lua_pushinteger(L, code);
  }
  return 3;
}


/*
** os.execute([command]) -- as system(3): /bin/sh -c command, with SIGINT
** and SIGQUIT ignored in the waiting parent (and at their default in the
** child unless the parent was already ignoring them).
*/
static int os_execute(lua_State *L) {
  const char *cmd = luaL_optstring(L, 1, NULL);
  struct sigaction ign, oldint, oldquit;
  posix_spawnattr_t attr;
  sigset_t extra;
  char *argv[4];
  pid_t pid;
  int err, raw;
  if (cmd == NULL) {
    lua_pushboolean(L, access("/bin/sh", X_OK) == 0);
    return 1;
  }
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  sigaction(SIGINT, &ign, &oldint);
  sigaction(SIGQUIT, &ign, &oldquit);
  sigemptyset(&extra);
  if (oldint.sa_handler != SIG_IGN) sigaddset(&extra, SIGINT);
  if (oldquit.sa_handler != SIG_IGN) sigaddset(&extra, SIGQUIT);
  childattr(&attr, &extra);
  argv[0] = "sh";
  argv[1] = "-c";
  argv[2] = (char *)cmd;
  argv[3] = NULL;
  brood_io_prefork();
  err = posix_spawn(&pid, "/bin/sh", NULL, &attr, argv, environ);
  posix_spawnattr_destroy(&attr);
  raw = err == 0 ? reap(pid) : -1;
  if (err == 0 && raw == -1) err = errno;
  sigaction(SIGINT, &oldint, NULL);
  sigaction(SIGQUIT, &oldquit, NULL);
  errno = err;
  brood_sig_check(L);  /* signals that came in while it ran */
  return brood_execresult(L, raw);
}


/* A popen file: Lua's file handle with the child's pid beside it. */
typedef struct {
  luaL_Stream stream;  /* first: the io library sees a luaL_Stream */
  pid_t pid;
} Popen;


/* closef of popen files: close, then wait for the program. */
static int popen_close(lua_State *L) {
  Popen *p = (Popen *)luaL_checkudata(L, 1, LUA_FILEHANDLE);
  fclose(p->stream.f);
  return brood_execresult(L, reap(p->pid));
}


/* io.popen(prog[, mode]) -- mode "r" (default: read prog's stdout) or
** "w" (write to its stdin). */
static int io_popen(lua_State *L) {
  const char *cmd = luaL_checkstring(L, 1);
  const char *mode = luaL_optstring(L, 2, "r");
  int reading, fds[2], err;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  char *argv[4];
  Popen *p;
  luaL_argcheck(L, (mode[0] == 'r' || mode[0] == 'w') && mode[1] == '\0', 2, "invalid mode");
  reading = mode[0] == 'r';
  p = (Popen *)lua_newuserdatauv(L, sizeof(Popen), 0);
  p->stream.f = NULL;
  p->stream.closef = NULL;  /* a closed file until it is open */
  luaL_setmetatable(L, LUA_FILEHANDLE);
  if (pipe2(fds, O_CLOEXEC) != 0) return luaL_fileresult(L, 0, cmd);
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[reading ? 1 : 0], reading ? 1 : 0);
  childattr(&attr, NULL);
  argv[0] = "sh";
  argv[1] = "-c";
  argv[2] = (char *)cmd;
  argv[3] = NULL;
  brood_io_prefork();
  err = posix_spawn(&p->pid, "/bin/sh", &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(fds[reading ? 1 : 0]);
  if (err != 0) {
    close(fds[reading ? 0 : 1]);
    errno = err;
    return luaL_fileresult(L, 0, cmd);
  }
  p->stream.f = fdopen(fds[reading ? 0 : 1], mode);
  if (p->stream.f == NULL) {
    err = errno;
    close(fds[reading ? 0 : 1]);
    reap(p->pid);
    errno = err;
    return luaL_fileresult(L, 0, cmd);
  }
  p->stream.closef = popen_close;
  return 1;
}


void brood_patch_stdlib(lua_State *L) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  if (lua_getfield(L, -1, LUA_OSLIBNAME) == LUA_TTABLE) {
    lua_pushcfunction(L, os_execute);
    lua_setfield(L, -2, "execute");
  }
  lua_pop(L, 1);
  if (lua_getfield(L, -1, LUA_IOLIBNAME) == LUA_TTABLE) {
    lua_pushcfunction(L, io_popen);
    lua_setfield(L, -2, "popen");
  }
  lua_pop(L, 2);
}
