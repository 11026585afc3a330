/*
** signames.c -- signal names and numbers, as Ruby's Signal.list has
** them: the argument checks of every function that takes a signal.
*/
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"



/*
** {======================================================
** Signal names
** =======================================================
** Names as Ruby's Signal.list has them (no "SIG" prefix), the first of
** two names for one number being the one signame() gives. Real-time
** signals are RTMIN, RTMIN+1, ..., RTMAX-1, RTMAX.
*/

static const struct { const char *name; int signo; } signames[] = {
  {"EXIT", 0},
  {"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"ILL", SIGILL},
  {"TRAP", SIGTRAP}, {"ABRT", SIGABRT}, {"IOT", SIGIOT}, {"BUS", SIGBUS},
  {"FPE", SIGFPE}, {"KILL", SIGKILL}, {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},
  {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM},
#ifdef SIGSTKFLT
  {"STKFLT", SIGSTKFLT},
#endif
  {"CHLD", SIGCHLD}, {"CLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP},
  {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU}, {"URG", SIGURG},
  {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
  {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO}, {"POLL", SIGPOLL},
#ifdef SIGPWR
  {"PWR", SIGPWR},
#endif
  {"SYS", SIGSYS},
};

#define NSIGNAMES (sizeof signames / sizeof signames[0])


/* Writes the name of signo into buf ("INT", "RTMIN+3"); NULL if it has
** none. */
const char *brood_signame(int signo, char *buf, size_t size) {
  size_t i;
  for (i = 0; i < NSIGNAMES; i++)
    if (signames[i].signo == signo) return signames[i].name;
  if (signo >= SIGRTMIN && signo <= SIGRTMAX) {
    int lo = signo - SIGRTMIN, hi = SIGRTMAX - signo;
    if (lo == 0) snprintf(buf, size, "RTMIN");
    else if (hi == 0) snprintf(buf, size, "RTMAX");
    else if (lo <= hi) snprintf(buf, size, "RTMIN+%d", lo);
    else snprintf(buf, size, "RTMAX-%d", hi);
    return buf;
  }
  return NULL;
}


/* Number of a signal name without "SIG"; -1 if unknown. */
static int signumber(const char *name) {
  size_t i;
  char *end;
  long off;
  for (i = 0; i < NSIGNAMES; i++)
    if (strcmp(signames[i].name, name) == 0) return signames[i].signo;
  if (strncmp(name, "RTMIN", 5) == 0 || strncmp(name, "RTMAX", 5) == 0) {
    int base = name[4] == 'N' ? SIGRTMIN : SIGRTMAX;
    if (name[5] == '\0') return base;
    if (name[5] != '+' && name[5] != '-') return -1;
    off = strtol(name + 5, &end, 10);
    if (*end != '\0' || end == name + 6 || off < -NSIG || off > NSIG) return -1;
    if (base + off < SIGRTMIN || base + off > SIGRTMAX) return -1;
    return (int)(base + off);
  }
  return -1;
}


int brood_checksignal(lua_State *L, int arg, int *negative) {
  int signo;
  if (negative) *negative = 0;
  if (lua_type(L, arg) == LUA_TNUMBER) {
    lua_Integer n = luaL_checkinteger(L, arg);
    luaL_argcheck(L, n > -NSIG && n < NSIG && (n >= 0 || negative), arg, "invalid signal number");
    if (n < 0) {
      *negative = 1;
      n = -n;
    }
    return (int)n;
  }
  else {
    const char *name = brood_checkcstring(L, arg, "signal name");
    if (negative && name[0] == '-') {
      *negative = 1;
      name++;
    }
    signo = signumber(strncmp(name, "SIG", 3) == 0 ? name + 3 : name);
    if (signo < 0) {
      lua_pushfstring(L, "unknown signal '%s'", lua_tostring(L, arg));
      return luaL_argerror(L, arg, lua_tostring(L, -1));
    }
    return signo;
  }
}


int brood_tosignal(lua_State *L, int idx) {
  if (lua_type(L, idx) == LUA_TNUMBER) {
    int isint;
    lua_Integer n = lua_tointegerx(L, idx, &isint);
    return isint && n > 0 && n < NSIG ? (int)n : -1;
  }
  if (lua_type(L, idx) == LUA_TSTRING) {
    size_t len;
    const char *name = lua_tolstring(L, idx, &len);
    if (strlen(name) != len) return -1;
    return signumber(strncmp(name, "SIG", 3) == 0 ? name + 3 : name);
  }
  return -1;
}


void brood_pushsignals(lua_State *L) {
  size_t i;
  int s;
  char buf[BROOD_SIGNAME_MAX];
  lua_createtable(L, 0, (int)NSIGNAMES + 32);
  for (i = 0; i < NSIGNAMES; i++) {
    lua_pushinteger(L, signames[i].signo);
    lua_setfield(L, -2, signames[i].name);
  }
  for (s = SIGRTMIN; s <= SIGRTMAX; s++) {
    lua_pushinteger(L, s);
    lua_setfield(L, -2, brood_signame(s, buf, sizeof buf));
  }
}


/* }====================================================== */
