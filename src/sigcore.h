/*
** sigcore.h -- signal delivery: trapped signals reach Lua handlers at
** safe points, and every wait of brood's goes through brood_sig_poll,
** the one blocking point. Above common.h; below everything else.
*/
#ifndef BROOD_SIGCORE_H
#define BROOD_SIGCORE_H

#include <signal.h>

#include "common.h"

#define BROOD_HANDLERS_KEY "brood.signal.handlers"  /* signo -> trap function */

/*
** {======================================================
** Signal delivery core (sigcore.c)
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

/* A wait for signals alone (Signal.pause, Signal.wait): as
** brood_sig_wait(L, -1, 0, deadline), cheaper where nothing else may
** need the wake-up pipe. -1: look again; 0: timed out. */
int brood_sig_pause(lua_State *L, double deadline);

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

/* What dispatch does for a signal. */
enum {
  BROOD_SIGACT_NONE,       /* brood does not handle it (kernel disposition) */
  BROOD_SIGACT_LUA,        /* run the script's Lua handler */
  BROOD_SIGACT_EXIT,       /* Process.exit() ("EXIT") */
  BROOD_SIGACT_INTERRUPT,  /* raise "interrupted!" (the REPL's Ctrl-C) */
  BROOD_SIGACT_WAKE,       /* only wake blocking calls (brood's own CHLD) */
  BROOD_SIGACT_PIPE,       /* brood's SIGPIPE guard (see brood_sig_guardpipe) */
  BROOD_SIGACT_WATCH       /* only counted for Signal.wait (brood_sig_watch) */
};

/*
** Signal.wait's queue. From brood_sig_watch on, every arrival of signo
** is counted until brood_sig_take takes it (1; 0 when none is queued);
** a signal with the kernel's action (or SIGPIPE's guard) is caught for
** that, one with a handler keeps it. Setting the kernel's action again
** (brood_sig_setaction with BROOD_SIGACT_NONE) ends the watch. Returns
** -1 with errno set when the signal cannot be caught.
*/
int brood_sig_watch(int signo);
int brood_sig_take(int signo);

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

/* How Signal.trap last set signo (signal.c's kinds; 0: never), kept in
** the same per-signal table as the action (signal 0: the EXIT trap). */
int brood_sig_trapkind(int signo);
void brood_sig_settrapkind(int signo, int kind);

/*
** A scheduler that runs tasks on C stacks of their own takes over the
** wait of brood_sig_poll (the contract above stays: the same returns,
** revents set). 'f' is asked first whenever a wait would block, outside
** a round of handlers: it returns 0 to let the caller block as usual (L
** is no task), or suspends the task, runs others, and returns 1 with
** *result set once the task may go on (it may also raise, as a handler
** may). While one is set, brood_sig_handling is true, so that every wait
** goes through brood_sig_poll. NULL removes it.
*/
typedef int (*brood_sig_suspendf)(lua_State *L, struct pollfd *fds, int nfds,
                                  double deadline, int *result);
void brood_sig_setsuspend(brood_sig_suspendf f);

/* Whether the scheduler needs every wait at brood_sig_poll now (on when
** it is set): off, as with one task and no timeout to watch, a call may
** block in the kernel as it does outside tasks, and is as cheap. */
void brood_sig_cooperate(int on);

/* How many signals brood has caught so far (SIGPIPE's guard aside): a
** scheduler wakes the waits that look again after any signal (a wait
** for any child, Signal.pause) when it changes. */
unsigned long brood_sig_arrivals(void);

/* The file a descriptor names is about to change: io.c calls this before
** it closes or replaces (reopen) a descriptor, and when an IO object
** takes one, so that a scheduler that keeps descriptors registered
** (epoll) forgets what it knew of that number and wakes whoever waits
** on it (they look again). 'f' is the scheduler's (NULL: none). */
void brood_sig_setfdhook(void (*f)(int fd));
void brood_sig_fdchange(int fd);

/* The Lua thread running now, and a switch to another (the scheduler's,
** when it changes C stacks): the hook moves along, as coroutine.resume
** makes it do. */
lua_State *brood_sig_running(void);
void brood_sig_switch(lua_State *to);

/* In a new child, right after fork: forget the parent's pending signals;
** the child makes its own wake-up pipe when it first needs one. Also
** registered with pthread_atfork, for forks made by other code. */
void brood_sig_forked(void);

/* True when some signal's action runs Lua code (a trap handler, "EXIT",
** the REPL's interrupt): blocking calls must then wake for signals. */
int brood_sig_handling(void);

/* True when some signal's action runs Lua code (a trap handler, "EXIT",
** the REPL's interrupt), a scheduler aside. */
int brood_sig_runslua(void);

/* The REPL's Ctrl-C: while INT is not trapped by the script, an INT
** raises "interrupted!" in the running code instead of killing the
** process. */
void brood_sig_replmode(lua_State *L);

/* How many trap functions have run (Signal.pause's latch). */
unsigned long brood_sig_ran(void);

/* True in the REPL, where INT's default is "interrupt the running code". */
int brood_sig_replactive(void);

/* }====================================================== */

#endif
