/*
** common.h -- helpers shared by brood's C files (not installed).
**
** Everything here is internal: symbols are hidden by -fvisibility=hidden,
** except the luaopen_* functions, which stock Lua must find in brood.so.
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
#define BROOD_HANDLERS_KEY "brood.signal.handlers"  /* signo -> trap function */

/* Module openers (exported: brood.so is loaded by stock Lua as an
** all-in-one library, so require "brood.process" finds
** luaopen_brood_process there). */
BROOD_API int luaopen_brood(lua_State *L);
BROOD_API int luaopen_brood_process(lua_State *L);
BROOD_API int luaopen_brood_signal(lua_State *L);
BROOD_API int luaopen_brood_io(lua_State *L);
BROOD_API int luaopen_brood_socket(lua_State *L);
BROOD_API int luaopen_brood__core(lua_State *L);  /* helpers for brood's Lua modules */

/* The pure-Lua modules compiled in (luamods.c is generated). */
struct brood_luamod {
  const char *name;       /* module name, e.g. "brood.open3" */
  const char *chunkname;  /* "@brood/open3.lua" */
  const char *source;
  size_t size;
};
extern const struct brood_luamod brood_luamods[];


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
** brood.process internals
** =======================================================
*/

/* Parts of the module table, each from its own file. */
void brood_open_lifecycle(lua_State *L);  /* lifecycle.c */
void brood_open_wait(lua_State *L);       /* wait.c */
void brood_open_env(lua_State *L);        /* env.c */
void brood_open_rlimit(lua_State *L);     /* rlimit.c */
void brood_open_proctitle(lua_State *L);  /* proctitle.c */
void brood_open_spawn(lua_State *L);      /* spawn.c: spawn, exec */
void brood_open_popen(lua_State *L);      /* spawn.c: IO.popen, into brood.io */

/* brood._core.spawn (spawn.c): Process.spawn that records the pid. */
int brood_core_spawn(lua_State *L);

/* A resource name ("NOFILE", "RLIMIT_CORE") or number at arg (rlimit.c). */
int brood_rlimit_resource(lua_State *L, int arg);
/* The resource a name ("NOFILE", "RLIMIT_CORE") stands for; -1 if none. */
int brood_rlimit_lookup(const char *name);
/* A limit at idx: a whole number, math.huge or "INFINITY"; errors name
** argument 'arg' (rlimit.c). */
#include <sys/resource.h>
rlim_t brood_rlimit_value(lua_State *L, int idx, int arg);

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

/* fork(2) with brood's housekeeping: output flushed before, signals
** blocked across, the child's signal state reset and math.random
** reseeded (lifecycle.c). Returns what fork returns. */
int brood_fork(lua_State *L);

/* Process.exit: at_exit functions, flush, exit(3). Never returns. */
void brood_exit(lua_State *L, int code);

/* Runs (and removes) the at_exit functions, last first, each in
** protected mode with errors printed. Returns 1 if one of them raised. */
int brood_run_atexit(lua_State *L);

/* Flushes C stdio and every brood IO object with buffered output
** (io.c); used before fork and exec and at exit. */
void brood_io_flushall(void);

/* }====================================================== */


/*
** {======================================================
** IO objects (io.c)
** =======================================================
** One type, "brood.IO", for every descriptor brood hands out: files,
** pipe ends, sockets, the standard streams. Descriptors are blocking;
** while traps are set, calls ask the kernel not to block and wait in
** brood_sig_poll beside the signal pipe instead (see io.c).
*/

#define BROOD_IO_TYPE "brood.IO"

enum { BROOD_IO_READ = 1, BROOD_IO_WRITE = 2 };
enum { BROOD_KIND_FILE, BROOD_KIND_PIPE, BROOD_KIND_SOCKET, BROOD_KIND_TTY, BROOD_KIND_OTHER };

typedef struct brood_IO brood_IO;

/* How an object is being closed, for its own close function. */
enum {
  BROOD_CLOSE_CALL,  /* io:close(): may wait; pushes close's results, returns their count */
  BROOD_CLOSE_TBC,   /* a to-be-closed variable going out of scope: may wait */
  BROOD_CLOSE_GC     /* the collector: must not wait or raise */
};

/*
** What a kind of IO object does its own way (as the closef of Lua's
** luaL_Stream). Plain objects have none; IO.popen's objects (spawn.c)
** wait for their program when closed. 'close' runs once, after the
** object's buffers are freed and its descriptors closed.
*/
typedef struct brood_IO_ops {
  int (*close)(lua_State *L, brood_IO *io, int how);
  lua_Integer (*pid)(brood_IO *io);  /* io:pid(); 0: none */
} brood_IO_ops;

struct brood_IO {
  int fd;                 /* -1 once closed */
  int mode;               /* BROOD_IO_READ | BROOD_IO_WRITE */
  int kind;               /* BROOD_KIND_* */
  int nonblock;           /* O_NONBLOCK is set on the descriptor */
  int owned;              /* close the fd with the object (not fds 0-2) */
  int sync;               /* writes go straight out, no buffering */
  int linebuf;            /* flush the write buffer at each newline */
  int eof;                /* the read side reached end of file */
  int waitfirst;          /* the last read had to wait: poll before reading */
  int rdshut, wrshut;     /* close_read / close_write done */
  char *rbuf;             /* read buffer: rbuf[rpos..rlen) unread */
  size_t rpos, rlen, rcap;
  char *wbuf;             /* write buffer */
  size_t wlen, wcap;
  struct brood_IO *prev, *next;  /* objects with a write buffer (flushall) */
  int pfd;                /* a duplex object's write descriptor (popen "r+"), else -1 */
  const brood_IO_ops *ops;  /* NULL: a plain descriptor */
};

/* open(2) flags for a Lua/Ruby mode string ("r", "w", "a", with "+",
** "b", and "x" for O_EXCL); *iomode gets BROOD_IO_READ/WRITE. Raises
** "invalid mode" naming argument arg. */
int brood_io_modeflags(lua_State *L, int arg, const char *m, int *iomode);

/* Pushes a new IO object for fd (taking ownership when 'owned'). */
brood_IO *brood_io_new(lua_State *L, int fd, int mode, int kind, int owned);

/* The same, 'size' bytes large: a kind of object that extends brood_IO
** (its first member) with fields of its own, and sets io->ops. */
brood_IO *brood_io_newx(lua_State *L, size_t size, int fd, int mode, int kind, int owned);

/* The open IO object at arg (raises for closed ones), or NULL / error. */
brood_IO *brood_io_check(lua_State *L, int arg);
brood_IO *brood_io_test(lua_State *L, int arg);

/* True when the next call on io must not block: its descriptor is
** O_NONBLOCK, or traps are set (a signal may need a handler run). */
int brood_io_mustnotblock(brood_IO *io);

/* Waits until io's fd is ready for events (running trap handlers);
** returns 0 if the monotonic deadline (>= 0) passes first. */
int brood_io_wait(lua_State *L, brood_IO *io, int events, double deadline);

/* open(2), running trap handlers while a FIFO makes it wait (io.c).
** Returns the descriptor, or -1 with errno set. */
int brood_io_open(lua_State *L, const char *path, int flags, mode_t perm);

/* Reads up to n bytes straight from io's descriptor (not its buffer),
** waiting as needed and running trap handlers meanwhile; returns how
** many, 0 at end of file. Raises on errors. */
size_t brood_io_read(lua_State *L, brood_IO *io, char *buf, size_t n);

/* Writes all of data (waiting as needed; EPIPE raises, never SIGPIPE). */
void brood_io_writeall(lua_State *L, brood_IO *io, int fd, const char *data, size_t len);

/* Flushes io's write buffer (raising on error). */
void brood_io_flush(lua_State *L, brood_IO *io);

/* Closes the IO object at idx as io:close() does. */
void brood_io_close(lua_State *L, int idx);

/* Methods from socket.c, added to the IO metatable. */
extern const luaL_Reg brood_socket_methods[];

/* }====================================================== */


/*
** {======================================================
** Time (common.c)
** =======================================================
*/

/* Seconds on the monotonic clock. */
double brood_monotonic(void);

/* }====================================================== */


/*
** {======================================================
** Signal delivery core (signal.c)
** =======================================================
** A trapped signal only bumps a per-signal counter, writes a byte to a
** self-pipe and arms a count hook on the Lua thread that is running.
** Lua handlers then run at the next safe point: the hook, or any brood
** blocking call (which waits on the self-pipe as well as on its own fd).
*/

/*
** Prepares L's state for signal handling on first use: creates the
** self-pipe and makes coroutine.resume/wrap and debug.sethook/gethook
** cooperate with handler delivery. Raises if another Lua state of this
** process already owns signal handling.
*/
void brood_sig_activate(lua_State *L);

/* Installs brood's coroutine.resume/wrap and debug.sethook/gethook in
** L's state (done by activation; the brood command does it at startup
** so that coroutines are tracked from the first line). */
void brood_sig_tracking(lua_State *L);

/* Runs the handlers of pending signals now (may raise what they raise).
** Cheap when nothing is pending. */
void brood_sig_check(lua_State *L);

/* True when a signal has been recorded and not yet handled. */
int brood_sig_pending(void);

/*
** Blocks until 'fd' (if >= 0) is ready for 'events' (POLLIN/POLLOUT),
** until the monotonic time 'deadline' (if >= 0) passes, or until brood's
** wake-up pipe fires (a signal arrived, or brood_sig_notify was called);
** signal handlers run before it returns. Returns the revents of fd, 0 on
** timeout, -1 when woken: the caller checks its condition and, if it must
** go on waiting, calls again with the same deadline (the time left). After
** running handlers it looks at fd once more without waiting, so a flood
** of signals cannot hide a ready fd, nor (a last look at the deadline)
** stretch a timed wait. Raises what a handler raises.
*/
int brood_sig_wait(lua_State *L, int fd, int events, double deadline);

/*
** The same over several descriptors: polls fds[0..nfds-1] -- the array
** must have room for one more entry, brood's wake-up pipe -- and returns
** how many are ready (their revents set), 0 on timeout, -1 when woken.
*/
struct pollfd;
int brood_sig_poll(lua_State *L, struct pollfd *fds, int nfds, double deadline);

/* Wakes brood_sig_wait (async-signal-safe; for brood's helper threads). */
void brood_sig_notify(void);

/* The wake-up pipe's read end, created on first use (-1, errno set, if it
** cannot be). For brood's own use: unlike brood_signal_fd it does not ask
** for a byte on every signal. */
int brood_sig_pipe(void);

/* A caller that polls the wake-up pipe itself announces it (+1) before
** its last check for pending signals, and withdraws (-1) after the poll;
** signals then write to the pipe. */
void brood_sig_waiting(int delta);

/*
** Makes sure SIGCHLD wakes brood_sig_wait, installing brood's own
** catcher (which runs nothing) when CHLD has its default action. Returns
** 0 when that cannot be: CHLD is ignored (children reap themselves),
** handled by the host, or signals belong to another Lua state; callers
** then block in the system call itself.
*/
int brood_sig_chldwake(lua_State *L);

/*
** Signal arguments: a name with or without "SIG" ("INT", "SIGINT",
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

/* What dispatch does for a signal. */
enum {
  BROOD_SIGACT_NONE,       /* brood does not handle it (kernel disposition) */
  BROOD_SIGACT_LUA,        /* run the script's Lua handler */
  BROOD_SIGACT_EXIT,       /* Process.exit() ("EXIT") */
  BROOD_SIGACT_INTERRUPT,  /* raise "interrupted!" (the REPL's Ctrl-C) */
  BROOD_SIGACT_WAKE,       /* only wake blocking calls (brood's own CHLD) */
  BROOD_SIGACT_PIPE        /* brood's SIGPIPE guard (see brood_sig_guardpipe) */
};

/*
** Makes a write to a pipe or socket fail with EPIPE rather than kill the
** process while 'brood_sig_inwrite' is set around it, for writes that
** cannot say MSG_NOSIGNAL (write to a pipe, splice, sendfile). While PIPE
** has its default action, installs (once) brood's guard: a C handler
** that returns when a brood write is under way, so that the write fails
** with EPIPE, and otherwise restores the default action and raises the
** signal again, so that anything else (Lua's print) dies of SIGPIPE
** exactly as it would have. Caught, it is reset by exec. A trapped or
** ignored PIPE is the script's business: then it does nothing. Cheap
** after the first call (the answer is kept until PIPE's action changes).
*/
void brood_sig_guardpipe(void);
extern volatile sig_atomic_t brood_sig_inwrite;

/* Catches signo with brood's C handler and sets its action; 'restart'
** selects SA_RESTART. Returns -1 with errno set on failure. */
int brood_sig_install(int signo, int act, int restart);
void brood_sig_setaction(int signo, int act);
int brood_sig_action(int signo);

/* In a new child, right after fork: forget the parent's pending signals;
** the child makes its own wake-up pipe when it first needs one. Also
** registered with pthread_atfork, for forks made by other code. */
void brood_sig_forked(void);

/* True when some signal's action runs Lua code (a trap handler, "EXIT",
** the REPL's interrupt): blocking calls must then wake for signals. */
int brood_sig_handling(void);

/* The REPL's Ctrl-C: while INT is not trapped by the script, an INT
** raises "interrupted!" in the running code instead of killing the
** process. */
void brood_sig_replmode(lua_State *L);

/* Installs brood's os.execute and io.popen (stdlib.c): as Lua's, but
** the programs they start get SIGPIPE at its default action. */
void brood_patch_stdlib(lua_State *L);
/* os.execute's results for a wait status: true|nil, "exit"|"signal",
** code (raw -1: the failure from errno). Pushes 3 values (or 2). */
int brood_execresult(lua_State *L, int raw);

/* How many trap functions have run (Signal.pause's latch). */
unsigned long brood_sig_ran(void);

/* True in the REPL, where INT's default is "interrupt the running code". */
int brood_sig_replactive(void);

/* }====================================================== */

#endif
