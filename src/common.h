/*
** common.h -- the bottom layer: error objects, argument checks, clocks,
** signal names, and finding modules. Depends on nothing of brood's.
**
** brood's C is built in layers; a file includes only the headers of its
** own layer and those below (docs/architecture.md):
**
**   common.h   common.c signames.c       errors, arguments, time, names
**   sigcore.h  sigcore.c                 signal delivery, the one blocking point
**   io.h       io.c                      the IO object
**   process.h, modules.h                 the modules: process, wait, spawn, ...
**   interp.h   interp.c main.c repl.c    the brood command
**
** Everything here is internal: symbols are hidden by -fvisibility=hidden,
** except the luaopen_* functions (modules.h), which stock Lua must find in
** brood.so.
*/
#ifndef BROOD_COMMON_H
#define BROOD_COMMON_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include <lua.h>
#include <lauxlib.h>

#include "brood.h"

/* Metatable (and type) names; they also serve as registry keys. */
#define BROOD_ERROR_TYPE  "brood.Error"


/*
** {======================================================
** Errors (common.c)
** =======================================================
*/

/* Symbolic name of an errno value ("ECHILD"), or NULL if unknown. */
const char *brood_errname(int err);

/*
** Pushes the error object for a failed system call: a table with
** fields errno ("ECHILD"), code (10), syscall ("waitpid"), message
** (strerror text) and, when 'subject' is not NULL, subject (the path or
** command the call was applied to). Its metatable gives __tostring:
** "waitpid: No child processes (ECHILD)".
*/
void brood_pusherror(lua_State *L, const char *syscall, const char *subject, int err);

/* Makes the table on top of the stack a brood.Error (sets its metatable). */
void brood_errormeta(lua_State *L);

/* Raises the object brood_pusherror builds. Never returns. */
int brood_raise(lua_State *L, const char *syscall, const char *subject, int err);

/* Raises for the current errno: the usual case right after a failed call. */
int brood_syserror(lua_State *L, const char *syscall);

/*
** Message handler for lua_pcall: the message -- or an error object's
** __tostring -- followed by a traceback. Unlike lua5.4's, error objects
** get a traceback too: brood raises them for failed system calls, and
** where they failed matters.
*/
int brood_traceback(lua_State *L);

/* }====================================================== */


/*
** {======================================================
** Arguments (common.c)
** =======================================================
*/

/* Raises an argument error if more than 'n' arguments were passed. */
void brood_checknargs(lua_State *L, int n);

/*
** Integers bound for a C type are checked against it, never wrapped:
** 2^32 must not become pid 0, nor 2^32 - 1 become -1 ("every
** process"). Each raises "bad argument #arg to 'f' (<what> out of
** range)" when v < lo or v > hi.
*/
lua_Integer brood_checkrange(lua_State *L, int arg, lua_Integer lo, lua_Integer hi,
                             const char *what);
int brood_checkint(lua_State *L, int arg);             /* any int */
int brood_optint(lua_State *L, int arg, int def);
pid_t brood_checkpid(lua_State *L, int arg);           /* -INT_MAX .. INT_MAX */
pid_t brood_optpid(lua_State *L, int arg, pid_t def);
int brood_checkfd(lua_State *L, int arg);              /* 0 .. INT_MAX */

/*
** Strings bound for C as char *: one with a zero byte inside would be
** cut short silently ("x\0y" opening "x"), so it is refused: "<what>
** contains a zero byte". brood_tocstring checks the string (or number)
** at stack index idx -- a table's field -- naming argument 'arg'.
*/
const char *brood_checkcstring(lua_State *L, int arg, const char *what);
const char *brood_optcstring(lua_State *L, int arg, const char *def, const char *what);
const char *brood_tocstring(lua_State *L, int idx, int arg, const char *what);

/*
** A number for permission bits or a mask: an integer 0..max, or a string
** of octal digits ("027") -- Lua has no octal literals. Anything else
** raises "<what> must be 0-<max> or an octal string such as "<example>"".
*/
lua_Integer brood_tooctal(lua_State *L, int idx, int arg, lua_Integer max, const char *what,
                          const char *example);

/*
** A timeout in seconds: nil (none: returns -1), a number >= 0, or
** math.huge (wait forever). NaN and negative numbers are refused.
*/
double brood_opttimeout(lua_State *L, int arg);

/* The monotonic deadline 'seconds' from now; -1 (none) for a negative
** or infinite timeout. Waiting treats any deadline far beyond the
** clock's reach as a wait of that length, so 1e308 is just very long. */
double brood_deadline(double seconds);

/* }====================================================== */


/*
** {======================================================
** Time, processes and modules (common.c)
** =======================================================
*/

/* Seconds on the monotonic clock. */
double brood_monotonic(void);

/* getpid(2) without the system call (the C library stopped caching it):
** kept by a fork handler, so a child that fork() made anywhere in the
** process has its own. Not for the children of a raw clone. */
pid_t brood_getpid(void);

/* waitpid(2), retried while a signal interrupts it (EINTR). Returns what
** waitpid returns. Runs no handler: for children known to be done or
** about to be, and for brood's reaper threads. */
pid_t brood_waitpid_retry(pid_t pid, int *raw, int flags);

/* Pushes brood's module 'name', as require would: from package.loaded,
** else found by the package library's searchers (package.preload first:
** the brood binary's compiled-in modules; under stock Lua, the installed
** files) and recorded in package.loaded -- never through the global
** require, which a script may replace. */
void brood_require(lua_State *L, const char *name);

/* Pushes a sentinel: an empty userdata whose __gc is 'gc' -- kept in the
** registry, it runs 'gc' when the Lua state closes. */
void brood_pushsentinel(lua_State *L, lua_CFunction gc);

/* }====================================================== */


/*
** {======================================================
** Signal names (signames.c)
** =======================================================
*/

/*
** Signal arguments (signames.c): a name with or without "SIG" ("INT", "SIGINT",
** "RTMIN+2") or a number. With 'negative' non-NULL, a leading '-' (or a
** negative number) is accepted and reported there (kill's process
** groups). Raises an argument error for unknown signals.
*/
int brood_checksignal(lua_State *L, int arg, int *negative);

/* The signal a name or number at idx stands for (1..NSIG-1), or -1:
** the same names as brood_checksignal, without the '-' and without
** raising. */
int brood_tosignal(lua_State *L, int idx);

/* The name of a signal without "SIG" (written to buf, of at least
** BROOD_SIGNAME_MAX bytes, for real-time ones), or NULL. */
#define BROOD_SIGNAME_MAX 32
const char *brood_signame(int signo, char *buf, size_t size);

/* Pushes a table name -> number of every signal of the platform. */
void brood_pushsignals(lua_State *L);

/* }====================================================== */

#endif
