/*
** process.h -- what the modules share: brood.process's parts (one file
** each), waiting, spawning, the standard-library patches, and the
** methods socket.c adds to IO objects. Above io.h.
*/
#ifndef BROOD_PROCESS_H
#define BROOD_PROCESS_H

#include <signal.h>
#include <sys/resource.h>

#include "io.h"

/*
** {======================================================
** brood.process internals
** =======================================================
*/

/* Parts of the module table, each from its own file. */
void brood_open_lifecycle(lua_State *L);  /* lifecycle.c */
void brood_open_wait(lua_State *L);       /* wait.c */
void brood_open_env(lua_State *L);        /* env.c */
void brood_open_rlimit(lua_State *L);     /* rlimit.c */
void brood_open_proctitle(lua_State *L);  /* proctitle.c */
void brood_open_privilege(lua_State *L);  /* privilege.c */
void brood_open_spawn(lua_State *L);      /* spawn.c: spawn, exec */
void brood_open_popen(lua_State *L);      /* spawn.c: IO.popen, into brood.io */

/* brood._core.spawn (spawn.c): Process.spawn that records the pid. */
int brood_core_spawn(lua_State *L);

/* brood._core.wait_timeout(pid, seconds) (wait.c): pid, status -- or nil
** when the time passes first (the child is left running). */
int brood_core_wait_timeout(lua_State *L);

/* A resource name ("NOFILE", "RLIMIT_CORE") or number at arg (rlimit.c). */
int brood_rlimit_resource(lua_State *L, int arg);
/* The resource a name ("NOFILE", "RLIMIT_CORE") stands for; -1 if none. */
int brood_rlimit_lookup(const char *name);
/* A limit at idx: a whole number, math.huge or "INFINITY"; errors name
** argument 'arg' (rlimit.c). */
rlim_t brood_rlimit_value(lua_State *L, int idx, int arg);

/* Pushes a status object (Ruby's Process::Status) for a raw wait status. */
void brood_pushstatus(lua_State *L, lua_Integer pid, int raw);

/* Records what Process.last_status() returns. */
void brood_setlaststatus(lua_State *L, lua_Integer pid, int raw);

/* waitpid(2) that keeps running trapped signal handlers while it blocks
** (wait.c). Returns the pid, or 0 for WNOHANG with nothing ready; raises
** on failure. */
int brood_waitpid(lua_State *L, int pid, int *raw, int flags);

/* Reaps child pid in a background thread, as Process.detach does, for
** a child nobody will wait for (wait.c). Returns 0 or an errno. */
int brood_reap_later(int pid);

/* Joins the waiter threads (detach, reap_later) that have reaped their
** child, so that none is ending -- inside the allocator -- while this
** process forks (wait.c). */
void brood_join_waiters(void);

/* fork(2) with brood's housekeeping: output flushed before, signals
** blocked across, the child's signal state reset and math.random
** reseeded (lifecycle.c). With 'held', every signal stays blocked in the
** child, *held being the mask to restore. Returns what fork returns. */
int brood_fork(lua_State *L, sigset_t *held);

/* Process.exit: at_exit functions, flush, exit(3). Never returns. */
void brood_exit(lua_State *L, int code);

/* Runs (and removes) the at_exit functions, last first, each in
** protected mode with errors printed. Returns 1 if one of them raised. */
int brood_run_atexit(lua_State *L);

/* Installs brood's os.execute and io.popen (stdlib.c): as Lua's, but
** the programs they start get SIGPIPE at its default action. */
void brood_patch_stdlib(lua_State *L);
/* os.execute's results for a wait status: true|nil, "exit"|"signal",
** code (raw -1: the failure from errno). Pushes 3 values (or 2). */
int brood_execresult(lua_State *L, int raw);

/* Module functions of brood.io from other files (select.c, shared.c). */
int brood_io_select(lua_State *L);
int brood_io_copy_stream(lua_State *L);
int brood_io_shared(lua_State *L);

/* Methods from socket.c, added to every IO object by brood.io and
** brood.socket when they open. */
extern const luaL_Reg brood_socket_methods[];

/* }====================================================== */

#endif
