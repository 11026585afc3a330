/*
** signal.c -- brood.signal: Ruby's Signal module and Kernel#trap, plus
** Signal.pause. Delivery itself -- how a caught signal reaches the Lua
** handler stored here -- is in sigcore.c.
*/
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "process.h"
#include "modules.h"



/*
** {======================================================
** trap
** =======================================================
*/

/* How a signal is set, as trap reports it back. */
enum { DISP_UNSET, DISP_DEFAULT, DISP_SYSTEM_DEFAULT, DISP_IGNORE, DISP_EXIT, DISP_LUA };


#define EXIT_TRAP_KEY "brood.signal.exit_trap"


/* The handler argument: a function, a disposition name, or nil (Ruby:
** nil ignores). */
static int checkhandler(lua_State *L, int arg) {
  static const char *const names[] = {"IGNORE", "SIG_IGN", "", "DEFAULT", "SIG_DFL",
                                      "SYSTEM_DEFAULT", "EXIT", NULL};
  static const int kinds[] = {DISP_IGNORE, DISP_IGNORE, DISP_IGNORE, DISP_DEFAULT,
                              DISP_DEFAULT, DISP_SYSTEM_DEFAULT, DISP_EXIT};
  if (lua_isfunction(L, arg)) return DISP_LUA;
  if (lua_isnoneornil(L, arg)) {
    if (lua_isnone(L, arg)) luaL_argerror(L, arg, "handler expected");
    return DISP_IGNORE;
  }
  if (lua_type(L, arg) != LUA_TSTRING)
    return luaL_typeerror(L, arg, "function or handler name");
  return kinds[luaL_checkoption(L, arg, NULL, names)];
}


/* Pushes what trap(signo, ...) replaces, in the forms trap accepts: the
** function, "DEFAULT", "SYSTEM_DEFAULT", "IGNORE", "EXIT" -- or nil for a
** handler brood did not install (a host's). */
static void pushprevious(lua_State *L, int signo) {
  struct sigaction old;
  switch (brood_sig_trapkind(signo)) {
    case DISP_LUA:
      lua_getfield(L, LUA_REGISTRYINDEX, BROOD_HANDLERS_KEY);
      lua_rawgeti(L, -1, signo);
      lua_remove(L, -2);
      return;
    case DISP_EXIT: lua_pushliteral(L, "EXIT"); return;
    case DISP_IGNORE: lua_pushliteral(L, "IGNORE"); return;
    case DISP_DEFAULT: lua_pushliteral(L, "DEFAULT"); return;
    case DISP_SYSTEM_DEFAULT: lua_pushliteral(L, "SYSTEM_DEFAULT"); return;
    default: break;
  }
  if (sigaction(signo, NULL, &old) != 0 || old.sa_handler == SIG_DFL)
    lua_pushliteral(L, "DEFAULT");
  else if (old.sa_handler == SIG_IGN)
    lua_pushliteral(L, "IGNORE");
  else if (brood_sig_action(signo) != BROOD_SIGACT_NONE)
    lua_pushliteral(L, "DEFAULT");  /* brood's own: the REPL's Ctrl-C, CHLD wake-up */
  else
    lua_pushnil(L);
}


static void setdisposition(lua_State *L, int signo, void (*h)(int)) {
  if (signal(signo, h) == SIG_ERR) brood_syserror(L, "sigaction");
  brood_sig_setaction(signo, BROOD_SIGACT_NONE);
}


/* The at_exit function behind trap("EXIT", fn): runs the current one. */
static int run_exit_trap(lua_State *L) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, EXIT_TRAP_KEY) == LUA_TFUNCTION) {
    lua_pushinteger(L, 0);
    lua_call(L, 1, 0);
  }
  return 0;
}


/* trap("EXIT", handler): a function to run when the process exits. */
static int trap_exit(lua_State *L, int kind) {
  if (lua_getfield(L, LUA_REGISTRYINDEX, EXIT_TRAP_KEY) != LUA_TFUNCTION) {
    lua_pop(L, 1);
    lua_pushliteral(L, "DEFAULT");
  }
  if (kind == DISP_LUA) {
    if (!brood_sig_trapkind(0)) {  /* first time: hook into at_exit */
      brood_require(L, "brood.process");
      lua_getfield(L, -1, "at_exit");
      lua_pushcfunction(L, run_exit_trap);
      lua_call(L, 1, 0);
      lua_pop(L, 1);
      brood_sig_settrapkind(0, DISP_LUA);
    }
    lua_pushvalue(L, 2);
  }
  else lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, EXIT_TRAP_KEY);
  return 1;
}


/*
** Signal.trap(signal, handler) -> the previous handler.
** handler: a function (called with the signal number), "IGNORE" /
** "SIG_IGN" / "" / nil, "DEFAULT" / "SIG_DFL" (brood's default: the REPL
** turns INT into an interrupt, otherwise the system's), "SYSTEM_DEFAULT",
** or "EXIT" (Process.exit when the signal arrives). Functions run in the
** interrupted Lua thread at the next safe point, never inside the C
** handler; trapped signals are caught with SA_RESTART, so no system call
** fails with EINTR because of them.
*/
static int signal_trap(lua_State *L) {
  int signo = brood_checksignal(L, 1, NULL);
  int kind = checkhandler(L, 2);
  brood_checknargs(L, 2);
  if (signo == 0) return trap_exit(L, kind);
  if (signo == SIGKILL || signo == SIGSTOP) {
    lua_pushfstring(L, "SIG%s cannot be trapped: no process can catch or ignore it",
                    signo == SIGKILL ? "KILL" : "STOP");
    return luaL_argerror(L, 1, lua_tostring(L, -1));
  }
  if (signo == SIGSEGV || signo == SIGBUS || signo == SIGILL || signo == SIGFPE) {
    char buf[BROOD_SIGNAME_MAX];
    lua_pushfstring(L, "SIG%s is reserved: it reports a fault of the running code, "
                    "which no Lua handler can serve safely",
                    brood_signame(signo, buf, sizeof buf));
    return luaL_argerror(L, 1, lua_tostring(L, -1));
  }
  brood_sig_activate(L);
  pushprevious(L, signo);
  lua_getfield(L, LUA_REGISTRYINDEX, BROOD_HANDLERS_KEY);
  if (kind == DISP_LUA) lua_pushvalue(L, 2);
  else lua_pushnil(L);
  lua_rawseti(L, -2, signo);
  lua_pop(L, 1);
  switch (kind) {
    case DISP_LUA:
    case DISP_EXIT:
      if (brood_sig_install(signo, kind == DISP_LUA ? BROOD_SIGACT_LUA : BROOD_SIGACT_EXIT, 1) != 0)
        return brood_syserror(L, "sigaction");
      break;
    case DISP_IGNORE:
      setdisposition(L, signo, SIG_IGN);
      break;
    case DISP_SYSTEM_DEFAULT:
      setdisposition(L, signo, SIG_DFL);
      break;
    default:  /* DEFAULT: brood's own default */
      if (signo == SIGINT && brood_sig_replactive()) brood_sig_replmode(L);
      else setdisposition(L, signo, SIG_DFL);
      break;
  }
  brood_sig_settrapkind(signo, kind);
  return 1;
}

/* }====================================================== */


/*
** {======================================================
** The brood.signal module
** =======================================================
*/

/* Signal.list() -> {name = number}: every signal of the platform,
** real-time ones included, and EXIT = 0. */
static int signal_list(lua_State *L) {
  brood_checknargs(L, 0);
  brood_pushsignals(L);
  return 1;
}


/* Signal.signame(number) -> "INT" (no "SIG"), or nil. */
static int signal_signame(lua_State *L) {
  char buf[BROOD_SIGNAME_MAX];
  lua_Integer n = luaL_checkinteger(L, 1);
  const char *name = (n >= 0 && n < NSIG) ? brood_signame((int)n, buf, sizeof buf) : NULL;
  brood_checknargs(L, 1);
  if (name) lua_pushstring(L, name);
  else lua_pushnil(L);
  return 1;
}


/*
** Signal.pause([timeout]) -> true once a trap handler has run since the
** previous pause returned (at once if one already has); false when
** timeout seconds pass first. A latch rather than pause(2): a handler
** that ran between kill() and pause() is not missed.
*/
static int signal_pause(lua_State *L) {
  static unsigned long seen;
  double deadline = brood_deadline(brood_opttimeout(L, 1));
  brood_checknargs(L, 1);
  brood_sig_activate(L);
  for (;;) {
    int r;
    brood_sig_check(L);
    if (brood_sig_ran() != seen) {
      seen = brood_sig_ran();
      lua_pushboolean(L, 1);
      return 1;
    }
    r = brood_sig_pause(L, deadline);
    if (r == 0 && brood_sig_ran() == seen) {
      lua_pushboolean(L, 0);
      return 1;
    }
  }
}


/* A signal Signal.wait can wait for, from the value at idx (argument
** 'arg'; 'elem' > 0: that element of a table). */
static int waitable(lua_State *L, int idx, int arg, int elem) {
  int signo = brood_tosignal(L, idx);
  const char *why = NULL;
  if (signo <= 0) why = "unknown signal";
  else if (signo == SIGKILL || signo == SIGSTOP) why = "no process can catch it";
  else if (signo == SIGSEGV || signo == SIGBUS || signo == SIGILL || signo == SIGFPE)
    why = "it reports a fault of the running code";
  if (why == NULL) return signo;
  if (signo <= 0) {
    lua_pushfstring(L, "%s '%s'", why, luaL_tolstring(L, idx, NULL));
    why = lua_tostring(L, -1);
  }
  if (elem > 0) lua_pushfstring(L, "element %d: %s", elem, why);
  else lua_pushstring(L, why);
  return luaL_argerror(L, arg, lua_tostring(L, -1));
}


/* Takes a queued arrival of one of want[0..n-1], lowest number first,
** and pushes its name. Returns 1, or 0 (nothing pushed) when none. */
static int takeone(lua_State *L, const int *want, int n) {
  char buf[BROOD_SIGNAME_MAX];
  int i;
  for (i = 0; i < n; i++)
    if (brood_sig_take(want[i])) {
      lua_pushstring(L, brood_signame(want[i], buf, sizeof buf));
      return 1;
    }
  return 0;
}


/*
** Signal.wait(signal_or_list[, timeout]) -> the name of a signal that
** arrived ("TERM"), or nil when timeout seconds pass first. From the
** first wait for a signal on, each of its arrivals is queued until a
** wait takes it -- one per call, lowest number first -- so none is lost
** between two waits; a signal without a handler is caught for that
** (its default action no longer happens), one with a trap handler keeps
** it (the handler runs too). trap(sig, "DEFAULT") ends the watch.
*/
static int signal_wait(lua_State *L) {
  int want[NSIG], n = 0, i;
  double deadline = brood_deadline(brood_opttimeout(L, 2));
  brood_checknargs(L, 2);
  memset(want, 0, sizeof want);
  if (lua_type(L, 1) == LUA_TTABLE) {
    lua_Integer len = luaL_len(L, 1);
    if (len < 1) return luaL_argerror(L, 1, "no signal given");
    for (i = 1; i <= len && i < NSIG * 4; i++) {
      lua_geti(L, 1, i);
      want[waitable(L, -1, 1, i)] = 1;
      lua_pop(L, 1);
    }
    if (len >= NSIG * 4) return luaL_argerror(L, 1, "too many signals");
  }
  else if (lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER)
    want[waitable(L, 1, 1, 0)] = 1;
  else return luaL_typeerror(L, 1, "signal or table of signals");
  brood_sig_activate(L);
  for (i = 1; i < NSIG; i++)
    if (want[i]) {
      if (brood_sig_watch(i) != 0) return brood_syserror(L, "sigaction");
      want[n++] = i;
    }
  for (;;) {
    int timedout;
    brood_sig_check(L);
    if (takeone(L, want, n)) return 1;
    timedout = brood_sig_pause(L, deadline) == 0;
    if (timedout && !takeone(L, want, n)) lua_pushnil(L);
    if (timedout) return 1;
  }
}


static const luaL_Reg signal_funcs[] = {
  {"trap", signal_trap},
  {"wait", signal_wait},
  {"list", signal_list},
  {"signame", signal_signame},
  {"pause", signal_pause},
  {NULL, NULL}
};


BROOD_API int luaopen_brood_signal(lua_State *L) {
  /* a script that can ignore SIGPIPE needs os.execute and io.popen that
  ** give their programs the default back (stdlib.c) */
  brood_patch_stdlib(L);
  luaL_newlib(L, signal_funcs);
  return 1;
}

/* }====================================================== */
