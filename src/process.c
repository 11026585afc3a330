/*
** process.c -- brood.process: Ruby's Process, plus Kernel's fork, exit,
** sleep and friends.
**
** This file holds the module's opener and the calls about identity,
** scheduling, the working directory, clocks, sleeping and signalling.
** The rest of the module lives beside it: lifecycle.c (fork, exit,
** at_exit, daemon), wait.c (wait family, status objects, detach), env.c
** (Process.env), rlimit.c and proctitle.c.
*/
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "process.h"
#include "modules.h"



/*
** {======================================================
** Identity
** =======================================================
*/

#define PUSHID(name, call) \
  static int process_##name(lua_State *L) { \
    brood_checknargs(L, 0); \
    lua_pushinteger(L, (lua_Integer)call); \
    return 1; \
  }

PUSHID(pid, brood_getpid())
PUSHID(ppid, getppid())
PUSHID(getpgrp, getpgrp())
PUSHID(uid, getuid())
PUSHID(gid, getgid())
PUSHID(euid, geteuid())
PUSHID(egid, getegid())


/* Process.getpgid(pid) -> process group id of pid (0: this process). */
static int process_getpgid(lua_State *L) {
  pid_t pid = (pid_t)brood_checkrange(L, 1, 0, INT_MAX, "pid");
  pid_t r;
  brood_checknargs(L, 1);
  r = getpgid(pid);
  if (r < 0) return brood_syserror(L, "getpgid");
  lua_pushinteger(L, r);
  return 1;
}


/* Process.setpgid(pid, pgid) -> 0 */
static int process_setpgid(lua_State *L) {
  pid_t pid = (pid_t)brood_checkrange(L, 1, 0, INT_MAX, "pid");
  pid_t pgid = (pid_t)brood_checkrange(L, 2, 0, INT_MAX, "process group id");
  brood_checknargs(L, 2);
  if (setpgid(pid, pgid) != 0) return brood_syserror(L, "setpgid");
  lua_pushinteger(L, 0);
  return 1;
}


/* Process.setsid() -> the new session id. EPERM for a process group
** leader, which is why daemons fork first. */
static int process_setsid(lua_State *L) {
  pid_t sid;
  brood_checknargs(L, 0);
  sid = setsid();
  if (sid < 0) return brood_syserror(L, "setsid");
  lua_pushinteger(L, sid);
  return 1;
}


/* Process.getsid([pid]) -> session id of pid (default: this process). */
static int process_getsid(lua_State *L) {
  pid_t pid = lua_isnoneornil(L, 1) ? 0 : (pid_t)brood_checkrange(L, 1, 0, INT_MAX, "pid");
  pid_t sid;
  brood_checknargs(L, 1);
  sid = getsid(pid);
  if (sid < 0) return brood_syserror(L, "getsid");
  lua_pushinteger(L, sid);
  return 1;
}


/* Process.executable() -> the path of the running program (the brood
** binary, or the host embedding it), from /proc/self/exe: with
** Process.argv, what a process needs to execute itself again. A binary
** replaced since it started (an upgrade) gives the path, which now
** names the new one. */
static int process_executable(lua_State *L) {
  char buf[PATH_MAX + 1];
  ssize_t n;
  static const char deleted[] = " (deleted)";
  brood_checknargs(L, 0);
  n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n < 0) return brood_raise(L, "readlink", "/proc/self/exe", errno);
  buf[n] = '\0';
  if ((size_t)n > sizeof deleted - 1 && strcmp(buf + n - (sizeof deleted - 1), deleted) == 0)
    n -= (ssize_t)(sizeof deleted - 1);
  lua_pushlstring(L, buf, (size_t)n);
  return 1;
}


/* Process.subreaper([on]) -> whether it was one before. With on (a
** boolean), makes this process a child subreaper, or stops being one
** (PR_SET_CHILD_SUBREAPER): orphaned descendants are reparented here
** instead of to init, so a supervisor can reap them. Without, asks. */
static int process_subreaper(lua_State *L) {
  int was = 0;
  brood_checknargs(L, 1);
  if (!lua_isnoneornil(L, 1)) luaL_checktype(L, 1, LUA_TBOOLEAN);
  if (prctl(PR_GET_CHILD_SUBREAPER, &was, 0, 0, 0) != 0)
    return brood_syserror(L, "prctl");
  if (!lua_isnoneornil(L, 1) &&
      prctl(PR_SET_CHILD_SUBREAPER, (unsigned long)lua_toboolean(L, 1), 0, 0, 0) != 0)
    return brood_syserror(L, "prctl");
  lua_pushboolean(L, was != 0);
  return 1;
}

/* }====================================================== */


/*
** {======================================================
** Scheduling priority
** =======================================================
*/

static int checkwhich(lua_State *L, int arg) {
  static const char *const names[] = {"PROCESS", "PGRP", "USER", NULL};
  static const int values[] = {PRIO_PROCESS, PRIO_PGRP, PRIO_USER};
  if (lua_type(L, arg) == LUA_TNUMBER) {
    lua_Integer w = luaL_checkinteger(L, arg);
    luaL_argcheck(L, w == PRIO_PROCESS || w == PRIO_PGRP || w == PRIO_USER, arg,
                  "expected Process.PRIO_PROCESS, PRIO_PGRP or PRIO_USER");
    return (int)w;
  }
  else {
    const char *s = luaL_checkstring(L, arg);
    if (strncmp(s, "PRIO_", 5) == 0) {
      lua_pushstring(L, s + 5);
      lua_replace(L, arg);
    }
    return values[luaL_checkoption(L, arg, NULL, names)];
  }
}


/* 'who' of getpriority/setpriority: a pid or process group id, or a
** user id for PRIO_USER. */
static id_t checkwho(lua_State *L, int arg, int which) {
  if (which == PRIO_USER)
    return (id_t)brood_checkrange(L, arg, 0, (lua_Integer)UINT32_MAX - 1, "user id");
  return (id_t)brood_checkrange(L, arg, 0, INT_MAX, which == PRIO_PGRP ? "process group id" : "pid");
}


/* Process.getpriority(kind, who) -> nice value. kind: "PROCESS", "PGRP",
** "USER" (or Process.PRIO_*); who 0 means this process/group/user. */
static int process_getpriority(lua_State *L) {
  int which = checkwhich(L, 1);
  id_t who = checkwho(L, 2, which);
  int prio;
  brood_checknargs(L, 2);
  errno = 0;  /* -1 is a valid priority: only errno tells */
  prio = getpriority(which, who);
  if (prio == -1 && errno != 0) return brood_syserror(L, "getpriority");
  lua_pushinteger(L, prio);
  return 1;
}


/* Process.setpriority(kind, who, prio) -> 0 */
static int process_setpriority(lua_State *L) {
  int which = checkwhich(L, 1);
  id_t who = checkwho(L, 2, which);
  int prio = brood_checkint(L, 3);
  brood_checknargs(L, 3);
  if (setpriority(which, who, prio) != 0) return brood_syserror(L, "setpriority");
  lua_pushinteger(L, 0);
  return 1;
}

/* }====================================================== */


/*
** {======================================================
** umask and the working directory
** =======================================================
*/

/* Process.umask([mask]) -> the previous mask (without a mask: the
** current one, unchanged). Lua has no octal literals, so the mask may
** also be a string of octal digits: Process.umask("077"). */
static int process_umask(lua_State *L) {
  mode_t old;
  if (lua_isnoneornil(L, 1)) {
    old = umask(0);
    umask(old);
  }
  else {
    lua_Integer m = brood_tooctal(L, 1, 1, 0777, "mask", "077");
    old = umask((mode_t)m);
  }
  brood_checknargs(L, 1);
  lua_pushinteger(L, old);
  return 1;
}


/*
** Process.chdir([dir][, fn]) -- dir defaults to $HOME. With fn: runs fn()
** in dir, then comes back -- even when fn raises -- and returns fn's
** results. Without fn returns 0. The way back is kept as an open
** directory, so it works even if the old directory was renamed.
*/
static int process_chdir(lua_State *L) {
  int fn = lua_isfunction(L, 1) ? 1 : (lua_isnoneornil(L, 2) ? 0 : 2);
  const char *dir = fn == 1 ? NULL : brood_optcstring(L, 1, NULL, "directory");
  int back, status;
  if (fn) luaL_checktype(L, fn, LUA_TFUNCTION);
  brood_checknargs(L, fn ? fn : 1);
  if (dir == NULL) {
    dir = getenv("HOME");
    if (dir == NULL) return luaL_error(L, "chdir: HOME is not set");
  }
  if (!fn) {
    if (chdir(dir) != 0) return brood_raise(L, "chdir", dir, errno);
    lua_pushinteger(L, 0);
    return 1;
  }
  back = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (back < 0) return brood_raise(L, "open", ".", errno);
  if (chdir(dir) != 0) {
    int err = errno;
    close(back);
    return brood_raise(L, "chdir", dir, err);
  }
  lua_settop(L, fn);
  status = lua_pcall(L, 0, LUA_MULTRET, 0);
  if (fchdir(back) != 0) {
    int err = errno;
    close(back);
    return brood_raise(L, "fchdir", NULL, err);
  }
  close(back);
  if (status != LUA_OK) return lua_error(L);
  return lua_gettop(L) - (fn - 1);
}


/* Process.getcwd() -> the working directory. */
static int process_getcwd(lua_State *L) {
  luaL_Buffer b;
  size_t size = 256;
  brood_checknargs(L, 0);
  for (;;) {
    char *buf = luaL_buffinitsize(L, &b, size);
    if (getcwd(buf, size) != NULL) {
      luaL_pushresultsize(&b, strlen(buf));
      return 1;
    }
    if (errno != ERANGE) return brood_syserror(L, "getcwd");
    size *= 2;
    lua_settop(L, 0);
  }
}

/* }====================================================== */


/*
** {======================================================
** Clocks and times
** =======================================================
*/

static const struct { const char *name; clockid_t id; } clocks[] = {
  {"REALTIME", CLOCK_REALTIME},
  {"MONOTONIC", CLOCK_MONOTONIC},
  {"PROCESS_CPUTIME_ID", CLOCK_PROCESS_CPUTIME_ID},
  {"THREAD_CPUTIME_ID", CLOCK_THREAD_CPUTIME_ID},
#ifdef CLOCK_MONOTONIC_RAW
  {"MONOTONIC_RAW", CLOCK_MONOTONIC_RAW},
#endif
#ifdef CLOCK_REALTIME_COARSE
  {"REALTIME_COARSE", CLOCK_REALTIME_COARSE},
#endif
#ifdef CLOCK_MONOTONIC_COARSE
  {"MONOTONIC_COARSE", CLOCK_MONOTONIC_COARSE},
#endif
#ifdef CLOCK_BOOTTIME
  {"BOOTTIME", CLOCK_BOOTTIME},
#endif
};

#define NCLOCKS (sizeof clocks / sizeof clocks[0])


static clockid_t checkclock(lua_State *L, int arg) {
  size_t i;
  if (lua_type(L, arg) == LUA_TNUMBER) return (clockid_t)brood_checkint(L, arg);
  {
    const char *name = luaL_checkstring(L, arg);
    if (strncmp(name, "CLOCK_", 6) == 0) name += 6;
    for (i = 0; i < NCLOCKS; i++)
      if (strcmp(clocks[i].name, name) == 0) return clocks[i].id;
    lua_pushfstring(L, "unknown clock '%s'", lua_tostring(L, arg));
    return (clockid_t)luaL_argerror(L, arg, lua_tostring(L, -1));
  }
}


/* Process.clock_gettime(clock[, unit]) -> the time of clock ("MONOTONIC",
** "REALTIME", ... or Process.CLOCK_*), as float seconds by default; unit
** as Ruby's: "float_second", "float_millisecond", "float_microsecond",
** "second", "millisecond", "microsecond", "nanosecond". */
static int process_clock_gettime(lua_State *L) {
  static const char *const units[] = {"float_second", "float_millisecond",
    "float_microsecond", "second", "millisecond", "microsecond", "nanosecond", NULL};
  clockid_t id = checkclock(L, 1);
  int unit = luaL_checkoption(L, 2, "float_second", units);
  struct timespec ts;
  lua_Integer ns;
  brood_checknargs(L, 2);
  if (clock_gettime(id, &ts) != 0) return brood_syserror(L, "clock_gettime");
  ns = (lua_Integer)ts.tv_sec * 1000000000 + ts.tv_nsec;
  switch (unit) {
    case 0: lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec * 1e-9); break;
    case 1: lua_pushnumber(L, (lua_Number)ts.tv_sec * 1e3 + (lua_Number)ts.tv_nsec * 1e-6); break;
    case 2: lua_pushnumber(L, (lua_Number)ts.tv_sec * 1e6 + (lua_Number)ts.tv_nsec * 1e-3); break;
    case 3: lua_pushinteger(L, (lua_Integer)ts.tv_sec); break;
    case 4: lua_pushinteger(L, ns / 1000000); break;
    case 5: lua_pushinteger(L, ns / 1000); break;
    default: lua_pushinteger(L, ns); break;
  }
  return 1;
}


static lua_Number seconds(struct timeval tv) {
  return (lua_Number)tv.tv_sec + (lua_Number)tv.tv_usec * 1e-6;
}


/* Process.times() -> {utime =, stime =, cutime =, cstime =} in seconds:
** CPU time of this process and of its waited-for children. */
static int process_times(lua_State *L) {
  struct rusage self, children;
  brood_checknargs(L, 0);
  if (getrusage(RUSAGE_SELF, &self) != 0 || getrusage(RUSAGE_CHILDREN, &children) != 0)
    return brood_syserror(L, "getrusage");
  lua_createtable(L, 0, 4);
  lua_pushnumber(L, seconds(self.ru_utime));
  lua_setfield(L, -2, "utime");
  lua_pushnumber(L, seconds(self.ru_stime));
  lua_setfield(L, -2, "stime");
  lua_pushnumber(L, seconds(children.ru_utime));
  lua_setfield(L, -2, "cutime");
  lua_pushnumber(L, seconds(children.ru_stime));
  lua_setfield(L, -2, "cstime");
  return 1;
}

/* }====================================================== */


/*
** {======================================================
** sleep and kill
** =======================================================
*/

/*
** Process.sleep([seconds]) -> the seconds slept, rounded to an integer
** (as Ruby's). Without an argument, sleeps until a signal handler raises
** or exits. Trapped signals run their handlers during the sleep, which
** then goes on for the time left.
*/
static int process_sleep(lua_State *L) {
  double start = brood_monotonic(), deadline = -1;
  if (!lua_isnoneornil(L, 1)) {
    lua_Number secs = luaL_checknumber(L, 1);
    luaL_argcheck(L, secs == secs, 1, "time interval is not a number (NaN)");
    luaL_argcheck(L, secs >= 0, 1, "time interval must not be negative");
    deadline = brood_deadline(secs);
  }
  brood_checknargs(L, 1);
  while (brood_sig_pause(L, deadline) != 0) {}
  lua_pushinteger(L, (lua_Integer)llround(brood_monotonic() - start));
  return 1;
}


/*
** Process.kill(signal, pid...) -> the number of processes signalled.
** signal: "TERM", "SIGTERM", 15, or 0 to test that a process exists. A
** negative signal ("-TERM", -15) signals the process groups of the
** pids; a negative pid names a process group itself. A signal sent to
** this very process has run its handler by the time kill returns.
*/
static int process_kill(lua_State *L) {
  int negative, i, n = lua_gettop(L);
  int signo = brood_checksignal(L, 1, &negative);
  luaL_argcheck(L, n >= 2, 2, "pid expected");
  for (i = 2; i <= n; i++) {
    lua_Integer pid = brood_checkpid(L, i);  /* so -pid cannot overflow */
    if (negative) pid = -pid;
    if (kill((pid_t)pid, signo) != 0) {
      lua_pushinteger(L, pid);
      return brood_raise(L, "kill", lua_tostring(L, -1), errno);
    }
  }
  brood_sig_check(L);
  lua_pushinteger(L, n - 1);
  return 1;
}

/* }====================================================== */


/* Process.system and Process.capture live in Lua (brood/_run.lua), with
** Open3, on top of spawn; these forward to it. */
static int forward(lua_State *L, const char *fn) {
  brood_require(L, "brood._run");
  lua_getfield(L, -1, fn);
  lua_replace(L, -2);
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}


/* Process.terminate(pid or -pgid[, grace]) -> status: TERM, then KILL
** after grace seconds; reaps (brood/_run.lua). */
static int process_terminate(lua_State *L) {
  pid_t who = brood_checkpid(L, 1);
  double grace;
  luaL_argcheck(L, who != 0 && who != -1, 1, "a child's pid or a negated process group id expected");
  grace = brood_opttimeout(L, 2);
  brood_checknargs(L, 2);
  /* the Lua side gets the checked values, not strings that looked like them */
  lua_settop(L, 0);
  lua_pushinteger(L, who);
  if (grace < 0) lua_pushnil(L);
  else lua_pushnumber(L, grace);
  return forward(L, "terminate");
}


/* Process.system([env,] command...[, options]) -> true | false | nil, status */
static int process_system(lua_State *L) {
  return forward(L, "system");
}


/* Process.capture([env,] command...[, options]) -> stdout, status */
static int process_capture(lua_State *L) {
  return forward(L, "capture");
}


static const luaL_Reg process_funcs[] = {
  {"pid", process_pid},
  {"ppid", process_ppid},
  {"getpgrp", process_getpgrp},
  {"getpgid", process_getpgid},
  {"setpgid", process_setpgid},
  {"setsid", process_setsid},
  {"getsid", process_getsid},
  {"executable", process_executable},
  {"subreaper", process_subreaper},
  {"uid", process_uid},
  {"gid", process_gid},
  {"euid", process_euid},
  {"egid", process_egid},
  {"getpriority", process_getpriority},
  {"setpriority", process_setpriority},
  {"umask", process_umask},
  {"chdir", process_chdir},
  {"getcwd", process_getcwd},
  {"clock_gettime", process_clock_gettime},
  {"times", process_times},
  {"sleep", process_sleep},
  {"kill", process_kill},
  {"system", process_system},
  {"capture", process_capture},
  {"terminate", process_terminate},
  {NULL, NULL}
};


BROOD_API int luaopen_brood_process(lua_State *L) {
  size_t i;
  luaL_newlib(L, process_funcs);
  lua_pushinteger(L, PRIO_PROCESS);
  lua_setfield(L, -2, "PRIO_PROCESS");
  lua_pushinteger(L, PRIO_PGRP);
  lua_setfield(L, -2, "PRIO_PGRP");
  lua_pushinteger(L, PRIO_USER);
  lua_setfield(L, -2, "PRIO_USER");
  for (i = 0; i < NCLOCKS; i++) {
    lua_pushinteger(L, (lua_Integer)clocks[i].id);
    lua_pushfstring(L, "CLOCK_%s", clocks[i].name);
    lua_insert(L, -2);
    lua_settable(L, -3);
  }
  brood_open_lifecycle(L);
  brood_open_wait(L);
  brood_open_env(L);
  brood_open_rlimit(L);
  brood_open_proctitle(L);
  brood_open_privilege(L);
  brood_open_spawn(L);
  return 1;
}
