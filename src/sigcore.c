/*
** sigcore.c -- how a signal reaches a Lua handler (the module itself,
** brood.signal, is in signal.c).
**
** How a signal reaches a Lua handler:
**
**   1. The C handler (on_signal) only bumps hits[signo], sets 'any',
**      writes one byte to the self-pipe and arms a count hook on the Lua
**      thread that is running. It never touches Lua data and never
**      allocates, so it is async-signal-safe.
**   2. Lua handlers run at the next safe point, in the interrupted thread:
**      either the hook (within an instruction of running Lua code) or a
**      brood blocking call, which waits on the self-pipe next to its own
**      fd and so wakes at once (brood_sig_wait).
**
** The hook is armed on whichever coroutine is running: brood replaces
** coroutine.resume and coroutine.wrap with versions that keep 'running'
** up to date. Arming saves the thread's own hook (debug.sethook's) and
** disarming puts it back, so a script's hook is never lost; brood's
** debug.sethook/gethook disarm around the call so they see and set only
** the script's hook.
**
** The process-wide variables below are the ones signals force on us:
** a signal belongs to the process, not to a Lua state. One Lua state
** (the "owner") handles signals at a time.
*/
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lualib.h>

#include "sigcore.h"


#if ATOMIC_INT_LOCK_FREE != 2 || ATOMIC_POINTER_LOCK_FREE != 2
#error "brood needs lock-free atomics to be async-signal-safe"
#endif

/* Registry keys */
#define OWNER_KEY    "brood.signal.owner"     /* __gc sentinel of the owner */


/*
** {======================================================
** Process-wide state
** =======================================================
*/

static atomic_uint hits[NSIG];        /* signals received, not yet handled */
static atomic_int any;                 /* hint: some hits[] may be nonzero */
static int wakefd[2] = {-1, -1};       /* self-pipe: [0] polled, [1] written */
static atomic_int waiters;             /* brood calls blocked on the pipe now */
static atomic_int exported;            /* a host polls brood_signal_fd() */
static atomic_int dirty;               /* bytes may be waiting in the pipe */
static volatile sig_atomic_t wake_stale; /* forked: the pipe is the parent's */

static _Atomic(lua_State *) running;   /* Lua thread to arm the hook on */
static atomic_int armed;               /* 1 while our hook is installed */
static lua_State *armed_L;             /* ...on this thread, replacing: */
static lua_Hook saved_hook;
static int saved_mask, saved_count;

static lua_State *owner;               /* main thread of the owning state */
static int handlers_ref = LUA_NOREF;   /* owner's registry refs, for speed: */
static int guard_ref = LUA_NOREF;      /*   the handlers table, the guard, */
static int dispatcher_ref = LUA_NOREF; /*   and the dispatcher's anchor */
static lua_State *dispatcher;          /* thread running handlers (no nesting) */
static unsigned round_left[NSIG];      /* the round under way: handlers still due */
static atomic_int deferring;           /* signals outran the last round: let the
                                       ** script run a quantum before the next */
static int armed_quantum;              /* the hook armed waits out a quantum */
static double round_began;             /* when the round under way started */
static double round_limit = -1;        /* ...and when it must stop (-1: never) */
static double next_limit = -1;         /* the limit of the next round (a timed wait's) */
static double turn_ends;               /* deferring: the script runs until then */
static unsigned long ran;              /* trap functions run so far */
static int replactive;                 /* the REPL owns Ctrl-C by default */

/* What dispatch does for each signal (BROOD_SIGACT_*). Written and read
** only by the thread running Lua (the C handler only reads it). */
/* The one per-signal table: what dispatch does ('action', read by the C
** handler) and how Signal.trap last set the signal ('trap', signal.c's
** kinds, for what trap returns). */
static struct { unsigned char action, trap, watch; } sigs[NSIG];
static atomic_uint queued[NSIG];       /* arrivals Signal.wait has not taken */
static volatile sig_atomic_t pipe_guarded = -1;  /* the SIGPIPE guard: unknown (-1), off, on */
static int nhandled;  /* signals whose action runs something in Lua */
static brood_sig_suspendf suspender;   /* a scheduler's (brood_sig_setsuspend) */
static int cooperative;                /* ...which needs every wait now */

/* }====================================================== */


static void sig_hook(lua_State *L, lua_Debug *ar);

/*
** Installs our hook on the running thread, remembering that thread's own
** hook. Called from the C handler, and from normal code to re-arm. The
** compare-and-swap makes sure only one caller arms at a time.
**
** Normally the hook fires at the very next instruction (every event,
** count 1). While 'deferring' -- signals arrived during the last round
** of handlers -- the interrupted code gets its turn first: at least
** QUANTUM instructions, and at least as long as that round took, so that
** however hard a script is flooded it keeps half of the time the
** handlers leave it. The hook then fires every QUANTUM instructions to
** look at the clock; the script's own line/call/return hooks still see
** their events meanwhile (sig_hook passes them on).
*/
#define QUANTUM 1000

static void arm(void) {
  int expected = 0;
  lua_State *L;
  if (!atomic_compare_exchange_strong(&armed, &expected, 1)) return;
  L = atomic_load(&running);
  if (L == NULL) {
    atomic_store(&armed, 0);
    return;
  }
  armed_L = L;
  saved_hook = lua_gethook(L);
  saved_mask = lua_gethookmask(L);
  saved_count = lua_gethookcount(L);
  armed_quantum = atomic_load(&deferring);
  if (armed_quantum)
    lua_sethook(L, sig_hook, (saved_hook ? saved_mask & ~LUA_MASKCOUNT : 0) | LUA_MASKCOUNT,
                QUANTUM);
  else
    lua_sethook(L, sig_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT, 1);
}


/* Puts back the hook our arming replaced. While 'armed' is still 1 the
** C handler cannot arm again, so the restore cannot race with it; a
** signal arriving meanwhile is recorded in hits[] and 'any', which
** every caller checks afterwards. */
static void disarm(void) {
  if (!atomic_load(&armed)) return;
  lua_sethook(armed_L, saved_hook, saved_mask, saved_count);
  armed_L = NULL;
  atomic_store(&armed, 0);
}


/* A forked child never writes to its parent's pipe (wake_stale): the
** byte would wake the parent for nothing, and keep waking it, since the
** parent does not know it is there. */
static void wake(void) {
  if (wakefd[1] >= 0 && !wake_stale) {
    char c = 0;
    ssize_t n = write(wakefd[1], &c, 1);  /* full pipe: already readable */
    (void)n;
    atomic_store(&dirty, 1);
  }
}


/*
** The C handler. A byte goes into the wake-up pipe only when something
** may be blocked on it: a brood call that announced itself in 'waiters'
** (it re-checks 'any' after announcing, so either it sees this signal or
** this handler sees it), a host polling the exported fd, or -- always --
** SIGCHLD, whose byte a blocking wait needs even when no handler is due.
** Signals that find nobody waiting cost no system call at all.
*/
volatile sig_atomic_t brood_sig_inwrite;

static atomic_ulong arrivals;          /* signals caught (brood_sig_arrivals) */

static atomic_int sleeping;  /* a thread waits in sigtimedwait (brood_sig_pause) */
static pthread_t sleeper;    /* ...this one */

static void on_signal(int signo) {
  int saved_errno = errno;
  /* Another thread got a signal that the one in sigtimedwait blocks:
  ** hand it over, or that one would not wake (it counts it itself). */
  if (atomic_load(&sleeping) && !pthread_equal(pthread_self(), sleeper)) {
    pthread_kill(sleeper, signo);
    errno = saved_errno;
    return;
  }
  if (sigs[signo].action == BROOD_SIGACT_PIPE) {
    if (!brood_sig_inwrite) {  /* not ours: die of it as by default */
      /* the guard is gone: a process that survives this (PID 1 of a
      ** namespace ignores it) guards its next write again */
      sigs[SIGPIPE].action = BROOD_SIGACT_NONE;
      pipe_guarded = -1;
      signal(SIGPIPE, SIG_DFL);
      raise(SIGPIPE);  /* delivered when this handler returns */
    }
    errno = saved_errno;
    return;
  }
  if (sigs[signo].watch) atomic_fetch_add(&queued[signo], 1);
  /* brood's own CHLD catcher only wakes blocking calls (wait) so they
  ** look again, and a watched signal only its Signal.wait: there is
  ** nothing to run, so no hook. */
  if (sigs[signo].action != BROOD_SIGACT_WAKE && sigs[signo].action != BROOD_SIGACT_WATCH) {
    atomic_fetch_add(&hits[signo], 1);
    atomic_store(&any, 1);
    arm();
  }
  atomic_fetch_add(&arrivals, 1);
  if (signo == SIGCHLD || atomic_load(&waiters) || atomic_load(&exported)) wake();
  errno = saved_errno;
}


unsigned long brood_sig_arrivals(void) {
  return atomic_load(&arrivals);
}


void brood_sig_waiting(int delta) {
  atomic_fetch_add(&waiters, delta);
}


void brood_sig_notify(void) {
  int saved_errno = errno;
  wake();
  errno = saved_errno;
}


/* The wake-up pipe's capacity, where the kernel lets it be set: a flood
** of signals fills it, and a small pipe is emptied in one read. */
#define WAKE_PIPE_SIZE 4096

/* Empties the wake-up pipe: when a signal may have written to it
** ('dirty'), or -- 'force' -- when poll found it readable. */
static void drain(int force) {
  char buf[WAKE_PIPE_SIZE];
  if (wakefd[0] < 0 || wake_stale) return;  /* never empty the parent's pipe */
  if (!atomic_exchange(&dirty, 0) && !force) return;
  while (read(wakefd[0], buf, sizeof buf) == (ssize_t)sizeof buf) {}
}


static lua_State *mainthread(lua_State *L) {
  lua_State *m;
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  m = lua_tothread(L, -1);
  lua_pop(L, 1);
  return m;
}


/* Starts a round: moves every pending hit into round_left. Returns 0
** if there was none. */
static int start_round(void) {
  int s, some = 0;
  for (s = 1; s < NSIG; s++) {
    unsigned n = atomic_exchange(&hits[s], 0);
    round_left[s] = n;
    some |= n != 0;
  }
  return some;
}


/* The next signal of the round, lowest number first; 0 when it is over. */
static int next_in_round(void) {
  int s;
  for (s = 1; s < NSIG; s++) {
    if (round_left[s]) {
      round_left[s]--;
      return s;
    }
  }
  return 0;
}


static int hits_left(void) {
  int s;
  for (s = 1; s < NSIG; s++)
    if (atomic_load(&hits[s])) return 1;
  return 0;
}


/*
** Runs the action of one signal. A Lua handler is called directly (not
** under pcall) so that an error keeps its traceback and unwinds to the
** interrupted code like any error raised there.
*/
static void run_action(lua_State *L, int signo) {
  switch (sigs[signo].action) {
    case BROOD_SIGACT_LUA:
      lua_rawgeti(L, LUA_REGISTRYINDEX, handlers_ref);
      lua_rawgeti(L, -1, signo);
      lua_remove(L, -2);
      if (lua_isfunction(L, -1)) {
        lua_pushinteger(L, signo);
        lua_call(L, 1, 0);
        ran++;
      }
      else lua_pop(L, 1);
      break;
    case BROOD_SIGACT_EXIT:
      brood_require(L, "brood.process");
      lua_getfield(L, -1, "exit");
      lua_call(L, 0, 0);  /* does not return */
      lua_pop(L, 1);
      break;
    case BROOD_SIGACT_INTERRUPT:
      luaL_error(L, "interrupted!");
      break;
    default:  /* not (or no longer) ours to handle: nothing to run */
      break;
  }
}


/* __close of the dispatch guard: runs however dispatch ends, error
** included. Signals the round did not get to (a handler raised before
** they ran) go back to the pending counts, with those that arrived
** during the round: all are handled at the next safe point -- after a
** quantum of the script's own code when the round was not the first. */
static void dispatch_done(lua_State *L) {
  int s;
  dispatcher = NULL;
  lua_pushboolean(L, 0);
  lua_rawseti(L, LUA_REGISTRYINDEX, dispatcher_ref);
  for (s = 1; s < NSIG; s++) {
    if (round_left[s]) {
      atomic_fetch_add(&hits[s], round_left[s]);
      round_left[s] = 0;
    }
  }
  if (hits_left()) {
    double now = brood_monotonic();
    turn_ends = now + (now - round_began);
    atomic_store(&deferring, 1);
    atomic_store(&any, 1);
    disarm();  /* a signal during the round armed for the next instruction */
    arm();
  }
  else atomic_store(&deferring, 0);
}


static int guard_close(lua_State *L) {
  dispatch_done(L);
  return 0;
}


/*
** Is a dispatch under way? The dispatcher thread is anchored in the
** registry while it runs handlers. If a handler's error killed it inside
** a coroutine resumed with coroutine.resume, Lua does not close that
** coroutine's to-be-closed variables, so the guard never ran: a dead
** dispatcher (status other than OK) is stale and is forgotten here.
*/
static int dispatch_running(lua_State *L) {
  if (dispatcher == NULL) return 0;
  if (lua_status(dispatcher) == LUA_OK) return 1;
  dispatch_done(L);
  return 0;
}


/* The longest a round of handlers runs before the interrupted code gets
** its turn, when signals come faster than their handlers run. */
#define ROUND_MAX 0.01

/*
** One round of handlers, in a C frame of its own: the guard at index 1
** is a to-be-closed variable of this frame. (Marking a to-be-closed slot
** changes the 'nresults' of the function whose frame holds it; done
** straight from the hook, that is the interrupted Lua function, which
** then returned the wrong number of values.)
*/
static int dispatch_round(lua_State *L) {
  int signo;
  lua_toclose(L, 1);
  dispatcher = L;
  lua_pushthread(L);
  lua_rawseti(L, LUA_REGISTRYINDEX, dispatcher_ref);
  round_began = brood_monotonic();
  if (round_limit < 0 || round_limit > round_began + ROUND_MAX) round_limit = round_began + ROUND_MAX;
  start_round();
  while ((signo = next_in_round()) != 0) {
    run_action(L, signo);
    /* time's up (a timed wait's deadline, or ROUND_MAX): the rest of
    ** the round carries over to the next */
    if (brood_monotonic() >= round_limit) break;
  }
  return 0;  /* returning closes the guard: dispatch_done */
}


/*
** Runs the pending handlers in L: one round, the signals pending when it
** starts -- for at most ROUND_MAX seconds, or until the deadline of the
** timed wait that runs it. A signal arriving while a handler runs is
** counted, not nested; it runs in a later round, never inside the
** current handler and never lost, as do those a round had no time for.
** A flood thus cannot starve the interrupted code: it runs on between
** rounds (see arm), and a timed wait ends on time.
*/
static void dispatch(lua_State *L) {
  double limit = next_limit;
  next_limit = -1;
  if (!atomic_exchange(&any, 0)) return;
  drain(0);
  if (owner == NULL || mainthread(L) != owner || dispatch_running(L)) return;
  round_limit = limit;
  lua_pushcfunction(L, dispatch_round);
  lua_rawgeti(L, LUA_REGISTRYINDEX, guard_ref);
  lua_call(L, 1, 0);
}


static void sig_hook(lua_State *L, lua_Debug *ar) {
  lua_Hook user = saved_hook;
  int mask = saved_mask;
  /* Waiting out a quantum: the script's own events pass through. */
  if (armed_quantum && (ar->event != LUA_HOOKCOUNT || brood_monotonic() < turn_ends)) {
    if (user && ar->event != LUA_HOOKCOUNT && (mask & (1 << ar->event))) user(L, ar);
    return;
  }
  /* Calls into and returns from C functions are no safe points: the
  ** call may come from C code in the middle of its work (a __close
  ** metamethod that brood's own C runs while it starts a program), and
  ** a handler's error there would cut that work short. Handlers wait
  ** for the next event in Lua code. */
  if (ar->event != LUA_HOOKCOUNT && ar->event != LUA_HOOKLINE && lua_getinfo(L, "S", ar) &&
      ar->what[0] == 'C') {
    if (user && (mask & (1 << ar->event))) user(L, ar);
    return;
  }
  disarm();
  /* Give the script's own hook the event it would have seen (line and
  ** call hooks must not miss one; a count hook just restarts). */
  if (user && ar->event != LUA_HOOKCOUNT && (mask & (1 << ar->event)))
    user(L, ar);
  dispatch(L);
}


void brood_sig_check(lua_State *L) {
  if (!atomic_load(&any)) return;
  disarm();
  dispatch(L);
}


int brood_sig_pending(void) {
  return atomic_load(&any) || hits_left();
}


/*
** {======================================================
** Coroutine tracking
** =======================================================
** Same behaviour as Lua's own coroutine.resume/wrap; the only addition
** is that 'running' names the coroutine while it runs, so a signal's
** hook lands where the code is.
*/

static int tracked_resume(lua_State *L, lua_State *co, int narg) {
  int status, nres;
  if (!lua_checkstack(co, narg)) {
    lua_pushliteral(L, "too many arguments to resume");
    return -1;
  }
  lua_xmove(L, co, narg);
  /* L, the resumer, is the thread running now; co runs next. */
  atomic_store(&running, co);
  if (atomic_load(&armed) && armed_L == L) {  /* move the hook along */
    disarm();
    if (atomic_load(&any)) arm();
  }
  status = lua_resume(co, L, narg, &nres);
  atomic_store(&running, L);
  if (atomic_load(&armed) && armed_L == co) disarm();
  if (dispatcher == co && status != LUA_OK && status != LUA_YIELD)
    dispatch_done(L);  /* a handler's error ended co: its guard never ran */
  if (atomic_load(&any)) arm();  /* handle it here, in the resumer */
  if (status == LUA_OK || status == LUA_YIELD) {
    if (!lua_checkstack(L, nres + 1)) {
      lua_pop(co, nres);
      lua_pushliteral(L, "too many results to resume");
      return -1;
    }
    lua_xmove(co, L, nres);
    return nres;
  }
  lua_xmove(co, L, 1);
  return -1;
}


static int co_resume(lua_State *L) {
  lua_State *co = lua_tothread(L, 1);
  int r;
  luaL_argexpected(L, co, 1, "thread");
  r = tracked_resume(L, co, lua_gettop(L) - 1);
  if (r < 0) {
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
  }
  lua_pushboolean(L, 1);
  lua_insert(L, -(r + 1));
  return r + 1;
}


static int co_auxwrap(lua_State *L) {
  lua_State *co = lua_tothread(L, lua_upvalueindex(1));
  int r = tracked_resume(L, co, lua_gettop(L));
  if (r < 0) {
    int stat = lua_status(co);
    if (stat != LUA_OK && stat != LUA_YIELD) {  /* error in the coroutine */
#if LUA_VERSION_RELEASE_NUM >= 50406
      stat = lua_closethread(co, L);  /* close its to-be-closed variables */
#else
      stat = lua_resetthread(co);  /* (deprecated by 5.4.6 for lua_closethread) */
#endif
      lua_xmove(co, L, 1);
    }
    if (stat != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {
      luaL_where(L, 1);
      lua_insert(L, -2);
      lua_concat(L, 2);
    }
    return lua_error(L);
  }
  return r;
}


static int co_wrap(lua_State *L) {
  lua_State *co;
  luaL_checktype(L, 1, LUA_TFUNCTION);
  co = lua_newthread(L);
  lua_pushvalue(L, 1);
  lua_xmove(L, co, 1);
  lua_pushcclosure(L, co_auxwrap, 1);
  return 1;
}


/*
** debug.sethook and debug.gethook, wrapped: with every signal blocked,
** take our hook off, let the original act on (or read) the script's own
** hook, then re-arm over whatever the script set.
*/
static int db_hookcall(lua_State *L) {
  sigset_t all, old;
  int n;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  disarm();
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  n = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (atomic_load(&any)) arm();
  if (n != LUA_OK) return lua_error(L);
  return lua_gettop(L);
}


/* Replaces t[name] (t at the top of the stack) with f, keeping the
** original as f's upvalue when 'wrap' is set. */
static void replace_field(lua_State *L, const char *name, lua_CFunction f, int wrap) {
  if (wrap) {
    if (lua_getfield(L, -1, name) != LUA_TFUNCTION) {
      lua_pop(L, 1);
      return;
    }
    lua_pushcclosure(L, f, 1);
  }
  else lua_pushcfunction(L, f);
  lua_setfield(L, -2, name);
}


/* Installs the tracking versions into the loaded coroutine and debug
** libraries (whichever of them the state has). */
void brood_sig_tracking(lua_State *L) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  if (lua_getfield(L, -1, LUA_COLIBNAME) == LUA_TTABLE) {
    replace_field(L, "resume", co_resume, 0);
    replace_field(L, "wrap", co_wrap, 0);
  }
  lua_pop(L, 1);
  if (lua_getfield(L, -1, LUA_DBLIBNAME) == LUA_TTABLE) {
    lua_getfield(L, -1, "sethook");
    if (lua_tocfunction(L, -1) != db_hookcall) {  /* not wrapped yet */
      lua_pop(L, 1);
      replace_field(L, "sethook", db_hookcall, 1);
      replace_field(L, "gethook", db_hookcall, 1);
    }
    else lua_pop(L, 1);
  }
  lua_pop(L, 2);
}

/* }====================================================== */


/*
** {======================================================
** Ownership and installation
** =======================================================
*/

/* Puts every signal we caught back to the default action; used when the
** owning state is closed, so no handler is left pointing into freed
** memory. */
static int owner_gc(lua_State *L) {
  int s;
  (void)L;
  atomic_store(&running, NULL);
  disarm();
  for (s = 1; s < NSIG; s++) {
    if (sigs[s].action != BROOD_SIGACT_NONE) {
      signal(s, SIG_DFL);
      brood_sig_setaction(s, BROOD_SIGACT_NONE);
    }
  }
  owner = NULL;
  dispatcher = NULL;
  handlers_ref = guard_ref = dispatcher_ref = LUA_NOREF;
  return 0;
}


/*
** The wake-up pipe, created on first use. After a fork the child shares
** its parent's pipe until it needs one itself: then it makes its own
** under the same numbers (so brood_signal_fd() stays valid). Doing this
** lazily keeps fork cheap for children that never wait on anything.
*/
static int make_wakefd(void) {
  int fds[2];
  if (wakefd[0] >= 0 && !wake_stale) return 0;
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
#ifdef F_SETPIPE_SZ
  (void)fcntl(fds[1], F_SETPIPE_SZ, WAKE_PIPE_SIZE);  /* (a failure costs only reads) */
#endif
  if (wakefd[0] < 0) {
    wakefd[0] = fds[0];
    wakefd[1] = fds[1];
    pthread_atfork(NULL, NULL, brood_sig_forked);  /* forks by anyone */
    return 0;
  }
  if (dup3(fds[0], wakefd[0], O_CLOEXEC) < 0 || dup3(fds[1], wakefd[1], O_CLOEXEC) < 0) {
    int err = errno;
    close(fds[0]);
    close(fds[1]);
    errno = err;
    return -1;
  }
  close(fds[0]);
  close(fds[1]);
  fcntl(wakefd[0], F_SETFL, O_NONBLOCK);
  fcntl(wakefd[1], F_SETFL, O_NONBLOCK);
  wake_stale = 0;
  return 0;
}


void brood_sig_activate(lua_State *L) {
  lua_State *m = mainthread(L);
  if (owner == m) return;
  if (owner != NULL)
    luaL_error(L, "signals are already handled by another Lua state of this process");
  if (make_wakefd() != 0) brood_syserror(L, "pipe2");
  /* the owner sentinel: closes everything down with the state */
  brood_pushsentinel(L, owner_gc);
  lua_setfield(L, LUA_REGISTRYINDEX, OWNER_KEY);
  /* the dispatch guard */
  lua_createtable(L, 0, 0);
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, guard_close);
  lua_setfield(L, -2, "__close");
  lua_setmetatable(L, -2);
  guard_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, BROOD_HANDLERS_KEY);
  handlers_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushboolean(L, 0);
  dispatcher_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  brood_sig_tracking(L);
  owner = m;
  atomic_store(&running, m);
}


static int runs_lua(int act) {
  return act == BROOD_SIGACT_LUA || act == BROOD_SIGACT_EXIT || act == BROOD_SIGACT_INTERRUPT;
}


void brood_sig_setaction(int signo, int act) {
  nhandled += runs_lua(act) - runs_lua(sigs[signo].action);
  sigs[signo].action = (unsigned char)act;
  if (act == BROOD_SIGACT_NONE && sigs[signo].watch) {  /* back to the kernel's */
    sigs[signo].watch = 0;
    atomic_store(&queued[signo], 0);
  }
  if (signo == SIGPIPE && act != BROOD_SIGACT_PIPE) pipe_guarded = -1;
}


int brood_sig_install(int signo, int act, int restart) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = restart ? SA_RESTART : 0;
  if (sigaction(signo, &sa, NULL) != 0) return -1;
  brood_sig_setaction(signo, act);
  return 0;
}


int brood_sig_watch(int signo) {
  if (sigs[signo].watch) return 0;
  if (sigs[signo].action == BROOD_SIGACT_NONE || sigs[signo].action == BROOD_SIGACT_PIPE) {
    atomic_store(&queued[signo], 0);
    sigs[signo].watch = 1;  /* before the catcher: no arrival goes uncounted */
    if (brood_sig_install(signo, BROOD_SIGACT_WATCH, 1) != 0) {
      sigs[signo].watch = 0;
      return -1;
    }
    return 0;
  }
  atomic_store(&queued[signo], 0);
  sigs[signo].watch = 1;
  return 0;
}


int brood_sig_take(int signo) {
  unsigned n = atomic_load(&queued[signo]);
  while (n > 0)
    if (atomic_compare_exchange_weak(&queued[signo], &n, n - 1)) return 1;
  return 0;
}


void brood_sig_guardpipe(void) {
  if (pipe_guarded < 0) {
    struct sigaction sa;
    pipe_guarded = 0;
    if (sigs[SIGPIPE].action == BROOD_SIGACT_PIPE) pipe_guarded = 1;
    else if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
      pipe_guarded = brood_sig_install(SIGPIPE, BROOD_SIGACT_PIPE, 1) == 0;
  }
}


int brood_sig_handling(void) {
  return nhandled > 0 || (suspender != NULL && cooperative);
}


int brood_sig_runslua(void) {
  return nhandled > 0;
}


void brood_sig_setsuspend(brood_sig_suspendf f) {
  suspender = f;
  cooperative = f != NULL;
}


void brood_sig_cooperate(int on) {
  cooperative = on;
}


static void (*fdhook)(int fd);

void brood_sig_setfdhook(void (*f)(int fd)) {
  fdhook = f;
}


void brood_sig_fdchange(int fd) {
  if (fdhook && fd >= 0) fdhook(fd);
}


lua_State *brood_sig_running(void) {
  return atomic_load(&running);
}


/* As tracked_resume does when a coroutine starts or stops running: the
** hook, if armed on the thread that stops, moves to the one that runs. */
void brood_sig_switch(lua_State *to) {
  lua_State *from = atomic_exchange(&running, to);
  if (atomic_load(&armed) && armed_L == from) disarm();
  if (atomic_load(&any)) arm();
}


int brood_sig_trapkind(int signo) {
  return sigs[signo].trap;
}


void brood_sig_settrapkind(int signo, int kind) {
  sigs[signo].trap = (unsigned char)kind;
}


/* Also called by spawn's child, on a stack the sanitizer does not know
** (spawn.c): not instrumented. */
#if defined(__SANITIZE_ADDRESS__)
__attribute__((no_sanitize_address))
#endif
int brood_sig_action(int signo) {
  return sigs[signo].action;
}


void brood_sig_forked(void) {
  int s;
  /* Only write what needs changing: right after a fork every page the
  ** child writes is copied (a page fault each), and most children have
  ** nothing pending. */
  if (atomic_load(&any) || hits_left()) {
    for (s = 1; s < NSIG; s++) atomic_store(&hits[s], 0);
    atomic_store(&any, 0);
  }
  for (s = 1; s < NSIG; s++)
    if (sigs[s].watch && atomic_load(&queued[s])) atomic_store(&queued[s], 0);
  if (atomic_load(&deferring)) atomic_store(&deferring, 0);
  if (atomic_load(&armed)) disarm();
  if (dispatcher) {  /* forked by a handler: the rest of its round is the parent's */
    memset(round_left, 0, sizeof round_left);
    dispatcher = NULL;
  }
  if (wakefd[0] >= 0 && !wake_stale) wake_stale = 1;
}

/* }====================================================== */


/*
** {======================================================
** Waiting
** =======================================================
*/

/* Without a wake-up pipe (no descriptor free to make one), waits are cut
** into naps of this many seconds, looking for signals between them. */
#define NAP 0.01

/* 'left' seconds as a timeout for ppoll or sigtimedwait: none below 0,
** at most a day (a far deadline: wait a day, then look again). */
static struct timespec *span(double left, struct timespec *ts) {
  if (left < 0) left = 0;
  if (left > 86400) left = 86400;
  ts->tv_sec = (time_t)left;
  ts->tv_nsec = (long)((left - (double)ts->tv_sec) * 1e9);
  return ts;
}

int brood_sig_poll(lua_State *L, struct pollfd *fds, int nfds, double deadline) {
  for (;;) {
    int n = nfds, r, i, last = 0, look = 0, piped, timed;
    struct timespec ts, *tp = NULL;
    /* Handling a signal drains the wake-up pipe, which may also hold the
    ** byte that announced what the caller waits for (a SIGCHLD, a thread
    ** done): so after handling, return and let the caller look again
    ** before it sleeps. The caller's descriptors get a look first,
    ** without waiting ('look'), and past the deadline a last one
    ** ('last'): however hard a flood of signals keeps the handlers busy,
    ** what the caller waits for is seen, and a timed wait ends. */
    if (atomic_load(&any)) {
      next_limit = deadline;  /* the round itself stops at the deadline */
      brood_sig_check(L);
      next_limit = -1;
      if (deadline >= 0 && brood_monotonic() >= deadline) last = 1;
      else if (nfds == 0) return -1;
      else look = 1;
    }
    timed = last || look;
    for (i = 0; i < nfds; i++) fds[i].revents = 0;
    if (wake_stale) make_wakefd();
    piped = wakefd[0] >= 0 && !wake_stale;
    if (piped && !timed) {  /* process-wide: any state may use it */
      fds[n].fd = wakefd[0];
      fds[n].events = POLLIN;
      fds[n].revents = 0;
      n++;
    }
    if (deadline >= 0 || !piped || timed) {
      double left = timed ? 0 : deadline >= 0 ? deadline - brood_monotonic() : NAP;
      if (!piped && left > NAP) left = NAP;
      tp = span(left, &ts);
    }
    /* In a task: the scheduler waits for everyone, the others run
    ** meanwhile (not while handlers run: a round is not switched away) */
    if (!timed && suspender && dispatcher == NULL && suspender(L, fds, nfds, deadline, &r))
      return r;
    if (!timed) {
      atomic_fetch_add(&waiters, 1);
      if (atomic_load(&any)) {  /* a signal came before we announced ourselves */
        atomic_fetch_sub(&waiters, 1);
        continue;
      }
    }
    r = ppoll(fds, (nfds_t)n, tp, NULL);
    if (!timed) atomic_fetch_sub(&waiters, 1);
    if (r < 0) {
      if (errno != EINTR) return brood_syserror(L, "poll");
      if (timed) return last ? 0 : -1;
      continue;
    }
    if (n > nfds && fds[nfds].revents) {  /* the wake-up pipe */
      r--;
      drain(1);
      if (r == 0) {
        brood_sig_check(L);
        return -1;
      }
    }
    if (r > 0) {
      /* what the caller waits for came with (or after) a signal: its
      ** handlers run before the call returns, as they would have, had
      ** the signal come first */
      brood_sig_check(L);
      return r;
    }
    if (look) return -1;
    if (last || (deadline >= 0 && brood_monotonic() >= deadline)) return 0;
    if (!piped) return -1;  /* a nap is over: the caller looks again */
  }
}


/*
** A wait for signals alone (Signal.pause, Signal.wait): the signal is
** taken with sigtimedwait, with every signal brood handles blocked for
** the call -- no handler frame, no wake-up byte written and read back:
** three system calls where the poll costs four, and no signal frame.
** What on_signal would have recorded is recorded the same, so the
** handlers run as they always do; a signal the kernel gives another
** thread meanwhile is handed to this one (pthread_kill). Where others may
** need the pipe (a host polling it, the task scheduler) it is
** brood_sig_wait as usual.
** Returns -1 (look again), 0 (timed out).
*/
int brood_sig_pause(lua_State *L, double deadline) {
  sigset_t set, old;
  siginfo_t info;
  struct timespec ts, *tp = NULL;
  int s, n = 0, got, err;
  if (atomic_load(&any) || atomic_load(&exported) || suspender)
    return brood_sig_wait(L, -1, 0, deadline);
  sigemptyset(&set);
  for (s = 1; s < NSIG; s++)
    if (sigs[s].action != BROOD_SIGACT_NONE && sigs[s].action != BROOD_SIGACT_PIPE) {
      sigaddset(&set, s);
      n++;
    }
  if (n == 0) return brood_sig_wait(L, -1, 0, deadline);
  pthread_sigmask(SIG_BLOCK, &set, &old);
  if (atomic_load(&any)) {  /* came before the block */
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return -1;
  }
  if (deadline >= 0) {
    double left = deadline - brood_monotonic();
    if (left <= 0) {
      pthread_sigmask(SIG_SETMASK, &old, NULL);
      return 0;
    }
    tp = span(left, &ts);
  }
  sleeper = pthread_self();
  atomic_store(&sleeping, 1);
  got = sigtimedwait(&set, &info, tp);
  err = errno;
  atomic_store(&sleeping, 0);
  if (got > 0) on_signal(got);  /* as if delivered: counted, the hook armed */
  pthread_sigmask(SIG_SETMASK, &old, NULL);  /* any other pending: delivered now */
  if (got > 0 || err == EINTR) return -1;
  if (err == EAGAIN) return deadline >= 0 && brood_monotonic() >= deadline ? 0 : -1;
  errno = err;
  return brood_syserror(L, "sigtimedwait");
}


int brood_sig_wait(lua_State *L, int fd, int events, double deadline) {
  struct pollfd p[2];
  int r;
  if (fd < 0) return brood_sig_poll(L, p, 0, deadline);
  p[0].fd = fd;
  p[0].events = (short)events;
  r = brood_sig_poll(L, p, 1, deadline);
  return r > 0 ? p[0].revents : r;
}

/* }====================================================== */


/*
** {======================================================
** Embedding API (brood.h)
** =======================================================
*/

int brood_sig_pipe(void) {
  if (make_wakefd() != 0) return -1;
  return wakefd[0];
}


BROOD_API int brood_signal_fd(void) {
  atomic_store(&exported, 1);  /* the host polls it: every signal must write */
  return brood_sig_pipe();
}


static int dispatch_protected(lua_State *L) {
  brood_sig_check(L);
  return 0;
}


BROOD_API int brood_signal_dispatch(lua_State *L) {
  if (!atomic_load(&any)) return LUA_OK;
  lua_pushcfunction(L, dispatch_protected);
  return lua_pcall(L, 0, 0, 0);
}

/* }====================================================== */


/*
** {======================================================
** brood's CHLD wake-up, for blocking waits
** =======================================================
*/

int brood_sig_chldwake(lua_State *L) {
  struct sigaction old;
  if (owner != NULL && owner != mainthread(L)) return 0;  /* another state's */
  if (owner == NULL) brood_sig_activate(L);
  if (sigs[SIGCHLD].action == BROOD_SIGACT_LUA || sigs[SIGCHLD].action == BROOD_SIGACT_WAKE ||
      sigs[SIGCHLD].action == BROOD_SIGACT_EXIT || sigs[SIGCHLD].action == BROOD_SIGACT_WATCH)
    return 1;
  if (sigaction(SIGCHLD, NULL, &old) != 0) return 0;
  if (old.sa_handler == SIG_IGN) return 0;  /* children reap themselves */
  if (old.sa_handler != SIG_DFL) return 0;  /* a host's handler: leave it */
  return brood_sig_install(SIGCHLD, BROOD_SIGACT_WAKE, 1) == 0;
}

/* }====================================================== */


/*
** {======================================================
** The REPL's Ctrl-C
** =======================================================
*/

unsigned long brood_sig_ran(void) {
  return ran;
}


int brood_sig_replactive(void) {
  return replactive;
}


void brood_sig_replmode(lua_State *L) {
  struct sigaction old;
  brood_sig_activate(L);
  replactive = 1;
  /* A REPL started with INT ignored (in the background, under nohup)
  ** keeps ignoring it. */
  if (sigaction(SIGINT, NULL, &old) == 0 && old.sa_handler == SIG_IGN) return;
  /* No SA_RESTART: Ctrl-C must also cut short a blocking read of Lua's
  ** own io library, as it does in the stock interpreter. */
  if (brood_sig_install(SIGINT, BROOD_SIGACT_INTERRUPT, 0) != 0)
    brood_syserror(L, "sigaction");
}

/* }====================================================== */


