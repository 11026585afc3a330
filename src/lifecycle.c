/*
** lifecycle.c -- how a brood process begins and ends: Process.fork,
** Process.daemon, Process.exit, Process._exit, Process.abort and
** Process.at_exit.
*/
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <lualib.h>

#include "process.h"


#define ATEXIT_KEY "brood.process.at_exit"  /* { fn, fn, ... } */


/*
** {======================================================
** at_exit and exit
** =======================================================
*/

/* Runs the function on top of the stack (no arguments) in protected mode;
** on error prints "brood: <message and traceback>" on stderr. Returns 1
** if it raised. */
static int call_reporting(lua_State *L) {
  int base = lua_gettop(L);
  int failed;
  lua_pushcfunction(L, brood_traceback);
  lua_insert(L, base);
  failed = lua_pcall(L, 0, 0, base) != LUA_OK;
  if (failed) {
    fflush(stdout);
    fprintf(stderr, "brood: %s\n", lua_tostring(L, -1));
    fflush(stderr);
    lua_pop(L, 1);
  }
  lua_remove(L, base);
  return failed;
}


int brood_run_atexit(lua_State *L) {
  int failed = 0;
  if (lua_getfield(L, LUA_REGISTRYINDEX, ATEXIT_KEY) != LUA_TTABLE) {
    lua_pop(L, 1);
    return 0;
  }
  /* Last registered first. Each is taken off the list before it runs, so
  ** a handler that calls Process.exit does not run twice. */
  for (;;) {
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    if (n == 0) break;
    lua_rawgeti(L, -1, n);
    lua_pushnil(L);
    lua_rawseti(L, -3, n);
    failed |= call_reporting(L);
  }
  lua_pop(L, 1);
  return failed;
}


/* __gc of the at_exit list's sentinel: a host that closes its state
** without having called exit (stock lua5.4 at the end of a script) still
** runs the handlers. */
static int atexit_gc(lua_State *L) {
  brood_run_atexit(L);
  return 0;
}


/* Process.at_exit(fn) -> fn. Runs at Process.exit, at the normal end of a
** script (after an uncaught error too, before it is printed), and at the
** end of a fork(fn) child -- last registered first. Not after _exit or
** exec. */
static int process_at_exit(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  brood_checknargs(L, 1);
  if (lua_getfield(L, LUA_REGISTRYINDEX, ATEXIT_KEY) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, ATEXIT_KEY);
    brood_pushsentinel(L, atexit_gc);
    lua_setfield(L, LUA_REGISTRYINDEX, ATEXIT_KEY ".sentinel");
  }
  lua_pushvalue(L, 1);
  lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
  lua_pushvalue(L, 1);
  return 1;
}


/* exit status argument: nil/true -> 0, false -> 1, or an integer. */
static int exitcode(lua_State *L, int arg, int def) {
  if (lua_isnoneornil(L, arg)) return def;
  if (lua_isboolean(L, arg)) return lua_toboolean(L, arg) ? EXIT_SUCCESS : EXIT_FAILURE;
  return (int)(luaL_checkinteger(L, arg) & 0xff);
}


/* Ends the process as Process.exit does: at_exit functions (a failing
** one turns status 0 into 1), buffered output flushed, exit(3). The Lua
** state is not closed: a forked child must not walk (and so copy) its
** parent's heap on the way out. */
void brood_exit(lua_State *L, int code) {
  if (brood_run_atexit(L) && code == 0) code = EXIT_FAILURE;
  brood_io_flushall();
  exit(code);
}


/* Process.exit([code]) -- code: integer, true (0) or false (1); default 0. */
static int process_exit(lua_State *L) {
  int code = exitcode(L, 1, EXIT_SUCCESS);
  brood_checknargs(L, 1);
  brood_exit(L, code);
  return 0;
}


/* Process._exit([code]) -- ends at once: no at_exit, no flushing (Ruby's
** exit!). Default status 1. */
static int process__exit(lua_State *L) {
  int code = exitcode(L, 1, EXIT_FAILURE);
  brood_checknargs(L, 1);
  _exit(code);
  return 0;
}


/* Process.abort([msg]) -- msg to stderr, then exit(1). */
static int process_abort(lua_State *L) {
  const char *msg = luaL_optstring(L, 1, NULL);
  brood_checknargs(L, 1);
  if (msg) {
    brood_io_flushall();
    fprintf(stderr, "%s\n", msg);
    fflush(stderr);
  }
  brood_exit(L, EXIT_FAILURE);
  return 0;
}

/* }====================================================== */


/*
** {======================================================
** fork
** =======================================================
*/

/*
** A fresh random seed in a new child: math.random must not repeat the
** parent's (or a sibling's) stream. Lua 5.4's own default seed mixes the
** time and an address, both the same in every child forked within one
** second.
**
** The parent looks up math.random's generator state beforehand (Lua 5.4
** keeps xoshiro256**'s 4 x 64 bits in a userdata upvalue), so that the
** child only has to fill it from getrandom: one system call, and no walk
** through the Lua API, whose code pages -- not copied at fork -- would
** each cost the child a page fault. Any non-zero state is a valid
** xoshiro256** state. If the state is not where it is expected, the child
** calls math.randomseed instead.
*/
static void *random_state(lua_State *L) {
  void *state = NULL;
  int top = lua_gettop(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  /* Lua 5.4's math.random and math.randomseed are C functions sharing
  ** one 32-byte state as upvalue 1; anything else (a script's own
  ** random, another Lua) is left to math.randomseed. */
  if (lua_getfield(L, -1, LUA_MATHLIBNAME) == LUA_TTABLE &&
      lua_getfield(L, -1, "random") == LUA_TFUNCTION && lua_iscfunction(L, -1) &&
      lua_getfield(L, -2, "randomseed") == LUA_TFUNCTION && lua_iscfunction(L, -1) &&
      lua_getupvalue(L, -2, 1) != NULL && lua_getupvalue(L, -2, 1) != NULL &&
      lua_type(L, -1) == LUA_TUSERDATA && lua_rawlen(L, -1) == 32 &&
      lua_rawequal(L, -1, -2))
    state = lua_touserdata(L, -1);
  lua_settop(L, top);
  return state;
}


/* 256 fresh bits, drawn in the parent before the fork: from a pool
** filled 32 forks at a time (a getrandom per fork was a tenth of a fork's
** system calls). Each seed goes to one child; a child empties its copy
** of the pool, so its own children never get seeds its parent's get. */
#define SEEDS 32
static uint64_t seedpool[SEEDS][4];
static int seedsleft;

static void draw_seed(uint64_t seed[4]) {
  if (seedsleft == 0 &&
      getrandom(seedpool, sizeof seedpool, GRND_NONBLOCK) == (ssize_t)sizeof seedpool)
    seedsleft = SEEDS;
  if (seedsleft > 0) {
    seedsleft--;
    memcpy(seed, seedpool[seedsleft], sizeof seedpool[0]);
    memset(seedpool[seedsleft], 0, sizeof seedpool[0]);
  }
  else {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    seed[0] = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 20);
    seed[1] = (uint64_t)ts.tv_sec * 0x9e3779b97f4a7c15u;
    seed[2] = seed[0] * 0xbf58476d1ce4e5b9u;
    seed[3] = seed[1] ^ (uint64_t)clock();
  }
  seed[3] |= 1;  /* never the all-zero state */
}


/* In the child: install the seed. */
static void reseed(lua_State *L, void *state, const uint64_t seed[4]) {
  int top;
  if (state) {
    memcpy(state, seed, 4 * sizeof seed[0]);
    return;
  }
  top = lua_gettop(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  if (lua_getfield(L, -1, LUA_MATHLIBNAME) == LUA_TTABLE &&
      lua_getfield(L, -1, "randomseed") == LUA_TFUNCTION) {
    lua_pushinteger(L, (lua_Integer)seed[0]);
    lua_pushinteger(L, (lua_Integer)seed[1]);
    lua_pcall(L, 2, 0, 0);
  }
  lua_settop(L, top);
}


/*
** fork(2) the brood way. Buffered output (C stdio and brood IO objects)
** is flushed first, so nothing written before the fork comes out twice.
** The child forgets the parent's pending signals; when traps are set,
** all signals are blocked across the fork so that none of the child's
** own can be recorded before that reset. With 'held', all signals are
** blocked across the fork whatever the traps, and stay blocked in the
** child; *held is then the mask the child restores once it is set up.
** The flush comes before any blocking: a SIGPIPE it causes must find
** brood's guard, not wait blocked and kill the process once unblocked.
** The child also gets a fresh math.random seed.
**
** Everything else is kept out of the child's path: right after a fork
** each page the child touches -- data it writes, and every code page it
** runs for the first time -- costs it a page fault, and the parent waits
** for that. Returns what fork returns, errno kept.
*/
int brood_fork(lua_State *L, sigset_t *held) {
  sigset_t all, old;
  pid_t pid;
  int err;
  int block = held != NULL || brood_sig_handling();
  void *state = random_state(L);
  uint64_t seed[4];
  draw_seed(seed);
  brood_join_waiters();
  brood_io_prefork();
  if (block) {
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
  }
  pid = fork();
  err = errno;
  if (pid == 0) {
    brood_sig_forked();
    seedsleft = 0;  /* the parent's: never handed out twice */
  }
  if (pid == 0 && held) *held = old;
  else if (block) pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (pid == 0) reseed(L, state, seed);
  errno = err;
  return pid;
}


/* Process.fork's options. */
typedef struct {
  int pdeathsig;      /* 0, or the signal the child gets when we die */
  int default_traps;  /* the child starts with no traps */
  const sigset_t *oldmask;  /* in the child: the mask to restore once set up */
} ForkOpts;


static void checkforkopts(lua_State *L, int arg, ForkOpts *o) {
  memset(o, 0, sizeof *o);
  if (lua_isnoneornil(L, arg)) return;
  luaL_checktype(L, arg, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, arg)) {
    const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
    if (key && strcmp(key, "pdeathsig") == 0) {
      if (lua_isboolean(L, -1) && !lua_toboolean(L, -1)) o->pdeathsig = 0;
      else if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER) {
        o->pdeathsig = brood_tosignal(L, -1);
        if (o->pdeathsig <= 0)
          luaL_argerror(L, arg, "option 'pdeathsig' must be a signal name or number");
      }
      else luaL_argerror(L, arg, "option 'pdeathsig' must be a signal name or number");
    }
    else if (key && strcmp(key, "traps") == 0) {
      const char *v = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
      if (strcmp(v, "default") == 0) o->default_traps = 1;
      else if (strcmp(v, "keep") == 0) o->default_traps = 0;
      else luaL_argerror(L, arg, "option 'traps' must be \"keep\" or \"default\"");
    }
    else {
      lua_pushfstring(L, "unknown option '%s'", key ? key : luaL_typename(L, -2));
      luaL_argerror(L, arg, lua_tostring(L, -1));
    }
    lua_pop(L, 1);
  }
}


/* In the child: every trap back to the system's default, the EXIT trap
** removed, Signal.wait's watches ended (traps = "default"). */
static int default_traps(lua_State *L) {
  int s;
  /* signals caught only for Signal.wait (no trap): the kernel's action
  ** again, the watch ended -- or a TERM would wait for a Signal.wait
  ** the child never makes */
  for (s = 1; s < NSIG; s++)
    if (brood_sig_action(s) == BROOD_SIGACT_WATCH && !brood_sig_trapkind(s)) {
      signal(s, SIG_DFL);
      brood_sig_setaction(s, BROOD_SIGACT_NONE);
    }
  brood_require(L, "brood.signal");
  lua_getfield(L, -1, "trap");
  for (s = 0; s < NSIG; s++) {
    if (!brood_sig_trapkind(s)) continue;
    lua_pushvalue(L, -1);
    lua_pushinteger(L, s);
    lua_pushstring(L, s == 0 ? "DEFAULT" : "SYSTEM_DEFAULT");
    lua_call(L, 2, 0);
  }
  lua_pop(L, 2);
  return 0;
}


/* In the child, before anything else runs: the options take effect. */
static void childsetup(lua_State *L, const ForkOpts *o, pid_t parent) {
  if (o->pdeathsig) {
    prctl(PR_SET_PDEATHSIG, o->pdeathsig);
    /* the parent may have died already: then no signal would come */
    if (getppid() != parent) kill(getpid(), o->pdeathsig);
  }
  if (o->default_traps) {
    int failed;
    lua_pushcfunction(L, default_traps);
    failed = lua_pcall(L, 0, 0, 0) != LUA_OK;
    if (o->oldmask) pthread_sigmask(SIG_SETMASK, o->oldmask, NULL);
    if (failed) lua_error(L);
  }
}


/* fn's part of a forked child: the options, then fn, in protected mode. */
static int childmain(lua_State *L) {
  const ForkOpts *o = lua_touserdata(L, lua_upvalueindex(1));
  pid_t parent = (pid_t)lua_tointeger(L, lua_upvalueindex(2));
  childsetup(L, o, parent);
  lua_call(L, 0, 0);
  return 0;
}


/*
** Process.fork([fn][, options]) -> pid in the parent; nil in the child.
** With fn, the child runs fn() and ends as Process.exit does (status 0
** unless fn exits otherwise); an error escaping fn is printed with its
** traceback (after the at_exit functions, as Ruby does) and the child
** exits with status 1. options: pdeathsig = signal (the child gets it
** when this process dies), traps = "default" (the child starts with
** every signal at the system's default, no EXIT trap) or "keep".
*/
static int process_fork(lua_State *L) {
  int with_fn = lua_isfunction(L, 1), err;
  sigset_t old;
  ForkOpts opts;
  pid_t pid, parent = brood_getpid();
  if (!with_fn && !lua_isnoneornil(L, 1) && !lua_istable(L, 1))
    luaL_typeerror(L, 1, "function or options table");
  checkforkopts(L, with_fn ? 2 : 1, &opts);
  brood_checknargs(L, with_fn ? 2 : 1);
  /* With traps = "default", every signal stays blocked in the child until
  ** its dispositions are the defaults: one sent to it in between (a
  ** master's QUIT to a worker just forked) then takes the default action,
  ** instead of reaching the parent's handler or watch -- and being lost. */
  pid = brood_fork(L, opts.default_traps ? &old : NULL);
  err = errno;
  if (pid < 0) {
    errno = err;
    return brood_syserror(L, "fork");
  }
  if (pid > 0) {
    lua_pushinteger(L, pid);
    return 1;
  }
  if (opts.default_traps) opts.oldmask = &old;
  if (!with_fn) {
    childsetup(L, &opts, parent);
    lua_pushnil(L);
    return 1;
  }
  {
    int failed;
    lua_settop(L, 1);
    lua_pushcfunction(L, brood_traceback);
    lua_insert(L, 1);
    lua_pushlightuserdata(L, &opts);
    lua_pushinteger(L, parent);
    lua_pushcclosure(L, childmain, 2);
    lua_insert(L, 2);
    failed = lua_pcall(L, 1, 0, 1) != LUA_OK;
    if (!failed) brood_exit(L, EXIT_SUCCESS);
    brood_run_atexit(L);
    brood_io_flushall();
    fprintf(stderr, "brood: %s\n", lua_tostring(L, -1));
    fflush(stderr);
    exit(EXIT_FAILURE);
  }
  return 0;
}


/*
** Process.daemon([nochdir[, noclose]]) -> 0, in the daemon.
** The book's and rack's steps: fork (the original process exits 0 at
** once, without at_exit), setsid (a new session, no controlling
** terminal), fork again (the daemon is no session leader, so it can
** never acquire a terminal), chdir "/" (unless nochdir), and stdin,
** stdout, stderr onto /dev/null (unless noclose). Only the grandchild
** returns.
*/
static int process_daemon(lua_State *L) {
  int nochdir = lua_toboolean(L, 1);
  int noclose = lua_toboolean(L, 2);
  pid_t pid;
  brood_checknargs(L, 2);
  pid = brood_fork(L, NULL);
  if (pid < 0) return brood_syserror(L, "fork");
  if (pid > 0) _exit(EXIT_SUCCESS);
  if (setsid() < 0) return brood_syserror(L, "setsid");
  pid = brood_fork(L, NULL);
  if (pid < 0) return brood_syserror(L, "fork");
  if (pid > 0) _exit(EXIT_SUCCESS);
  if (!nochdir && chdir("/") != 0) return brood_raise(L, "chdir", "/", errno);
  if (!noclose) {
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd < 0) return brood_raise(L, "open", "/dev/null", errno);
    if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
      int err = errno;
      close(fd);
      return brood_raise(L, "dup2", NULL, err);
    }
    if (fd > 2) close(fd);
  }
  lua_pushinteger(L, 0);
  return 1;
}

/* }====================================================== */


static const luaL_Reg lifecycle_funcs[] = {
  {"fork", process_fork},
  {"daemon", process_daemon},
  {"exit", process_exit},
  {"_exit", process__exit},
  {"abort", process_abort},
  {"at_exit", process_at_exit},
  {NULL, NULL}
};


void brood_open_lifecycle(lua_State *L) {
  luaL_setfuncs(L, lifecycle_funcs, 0);
}
