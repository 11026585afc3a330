/*
** common.c -- error objects, argument checks and clocks shared by all
** of brood's modules.
*/
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <lualib.h>

#include "common.h"



/*
** {======================================================
** Error objects
** =======================================================
*/

/* errno values by name. Where two names share a value, the first listed
** is the one reported (EAGAIN rather than EWOULDBLOCK). */
static const struct { int code; const char *name; } errnames[] = {
#define E(x) {x, #x}
  E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
  E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES),
  E(EFAULT), E(ENOTBLK), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV),
  E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY),
  E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK),
  E(EPIPE), E(EDOM), E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK),
  E(ENOSYS), E(ENOTEMPTY), E(ELOOP), E(ENOMSG), E(EIDRM), E(ENOSTR),
  E(ENODATA), E(ETIME), E(ENOSR), E(ENOLINK), E(EPROTO), E(EMULTIHOP),
  E(EBADMSG), E(EOVERFLOW), E(EILSEQ), E(EUSERS), E(ENOTSOCK),
  E(EDESTADDRREQ), E(EMSGSIZE), E(EPROTOTYPE), E(ENOPROTOOPT),
  E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT), E(EOPNOTSUPP), E(EPFNOSUPPORT),
  E(EAFNOSUPPORT), E(EADDRINUSE), E(EADDRNOTAVAIL), E(ENETDOWN),
  E(ENETUNREACH), E(ENETRESET), E(ECONNABORTED), E(ECONNRESET),
  E(ENOBUFS), E(EISCONN), E(ENOTCONN), E(ESHUTDOWN), E(ETOOMANYREFS),
  E(ETIMEDOUT), E(ECONNREFUSED), E(EHOSTDOWN), E(EHOSTUNREACH),
  E(EALREADY), E(EINPROGRESS), E(ESTALE), E(EDQUOT), E(ECANCELED),
  E(EOWNERDEAD), E(ENOTRECOVERABLE),
#ifdef ENOMEDIUM
  E(ENOMEDIUM),
#endif
#ifdef ERFKILL
  E(ERFKILL),
#endif
  E(EWOULDBLOCK), E(ENOTSUP),
#undef E
};


const char *brood_errname(int err) {
  size_t i;
  for (i = 0; i < sizeof errnames / sizeof errnames[0]; i++)
    if (errnames[i].code == err) return errnames[i].name;
  return NULL;
}


/* __tostring of error objects: "syscall[ subject]: message (ERRNO)".
** The fields are fetched first: a luaL_Buffer needs the top of the
** stack to itself while it grows. */
static int error_tostring(lua_State *L) {
  luaL_Buffer b;
  int syscall, subject, message, err;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  syscall = lua_getfield(L, 1, "syscall") == LUA_TSTRING || lua_type(L, 2) == LUA_TNUMBER;
  subject = lua_getfield(L, 1, "subject") == LUA_TSTRING;
  message = lua_getfield(L, 1, "message") == LUA_TSTRING || lua_type(L, 4) == LUA_TNUMBER;
  err = lua_getfield(L, 1, "errno") == LUA_TSTRING;
  luaL_buffinit(L, &b);
  if (syscall) luaL_addstring(&b, lua_tostring(L, 2));
  if (subject) {
    luaL_addchar(&b, ' ');
    luaL_addstring(&b, lua_tostring(L, 3));
  }
  luaL_addstring(&b, ": ");
  if (message) luaL_addstring(&b, lua_tostring(L, 4));
  if (err) {
    luaL_addstring(&b, " (");
    luaL_addstring(&b, lua_tostring(L, 5));
    luaL_addchar(&b, ')');
  }
  luaL_pushresult(&b);
  return 1;
}


void brood_pusherror(lua_State *L, const char *syscall, const char *subject, int err) {
  const char *name = brood_errname(err);
  lua_createtable(L, 0, 5);
  if (name) lua_pushstring(L, name);
  else lua_pushfstring(L, "E%d", err);
  lua_setfield(L, -2, "errno");
  lua_pushinteger(L, err);
  lua_setfield(L, -2, "code");
  lua_pushstring(L, syscall);
  lua_setfield(L, -2, "syscall");
  lua_pushstring(L, strerror(err));
  lua_setfield(L, -2, "message");
  if (subject) {
    lua_pushstring(L, subject);
    lua_setfield(L, -2, "subject");
  }
  brood_errormeta(L);
}


void brood_errormeta(lua_State *L) {
  if (luaL_newmetatable(L, BROOD_ERROR_TYPE)) {
    lua_pushcfunction(L, error_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_setmetatable(L, -2);
}


int brood_raise(lua_State *L, const char *syscall, const char *subject, int err) {
  brood_pusherror(L, syscall, subject, err);
  return lua_error(L);
}


int brood_syserror(lua_State *L, const char *syscall) {
  return brood_raise(L, syscall, NULL, errno);
}

/* }====================================================== */


/*
** {======================================================
** Arguments
** =======================================================
*/

void brood_checknargs(lua_State *L, int n) {
  if (lua_gettop(L) > n)
    luaL_argerror(L, n + 1, "no value expected");
}


lua_Integer brood_checkrange(lua_State *L, int arg, lua_Integer lo, lua_Integer hi,
                             const char *what) {
  lua_Integer v = luaL_checkinteger(L, arg);
  if (v < lo || v > hi) {
    lua_pushfstring(L, "%s out of range", what);
    luaL_argerror(L, arg, lua_tostring(L, -1));
  }
  return v;
}


int brood_checkint(lua_State *L, int arg) {
  return (int)brood_checkrange(L, arg, INT_MIN, INT_MAX, "number");
}


int brood_optint(lua_State *L, int arg, int def) {
  return lua_isnoneornil(L, arg) ? def : brood_checkint(L, arg);
}


pid_t brood_checkpid(lua_State *L, int arg) {
  return (pid_t)brood_checkrange(L, arg, -INT_MAX, INT_MAX, "pid");
}


pid_t brood_optpid(lua_State *L, int arg, pid_t def) {
  return lua_isnoneornil(L, arg) ? def : brood_checkpid(L, arg);
}


int brood_checkfd(lua_State *L, int arg) {
  return (int)brood_checkrange(L, arg, 0, INT_MAX, "file descriptor");
}


lua_Integer brood_tooctal(lua_State *L, int idx, int arg, lua_Integer max, const char *what,
                          const char *example) {
  lua_Integer v = -1;
  if (lua_type(L, idx) == LUA_TSTRING) {  /* octal digits, and nothing else */
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    if (len > 0 && len <= 8 && strspn(s, "01234567") == len) {
      size_t i;
      for (v = 0, i = 0; i < len; i++) v = v * 8 + (s[i] - '0');
    }
  }
  else if (lua_type(L, idx) == LUA_TNUMBER) {
    int isint;
    v = lua_tointegerx(L, idx, &isint);
    if (!isint) v = -1;
  }
  if (v < 0 || v > max) {
    lua_pushfstring(L, "%s must be 0-%I or an octal string such as \"%s\"", what, max, example);
    luaL_argerror(L, arg, lua_tostring(L, -1));
  }
  return v;
}


const char *brood_checkcstring(lua_State *L, int arg, const char *what) {
  size_t len;
  const char *s = luaL_checklstring(L, arg, &len);
  if (strlen(s) != len) {
    lua_pushfstring(L, "%s contains a zero byte", what);
    luaL_argerror(L, arg, lua_tostring(L, -1));
  }
  return s;
}


const char *brood_optcstring(lua_State *L, int arg, const char *def, const char *what) {
  return lua_isnoneornil(L, arg) ? def : brood_checkcstring(L, arg, what);
}


const char *brood_tocstring(lua_State *L, int idx, int arg, const char *what) {
  size_t len;
  const char *s;
  if (lua_type(L, idx) != LUA_TSTRING && lua_type(L, idx) != LUA_TNUMBER) {
    lua_pushfstring(L, "%s must be a string, not %s", what, luaL_typename(L, idx));
    luaL_argerror(L, arg, lua_tostring(L, -1));
  }
  s = lua_tolstring(L, idx, &len);
  if (strlen(s) != len) {
    lua_pushfstring(L, "%s contains a zero byte", what);
    luaL_argerror(L, arg, lua_tostring(L, -1));
  }
  return s;
}


double brood_opttimeout(lua_State *L, int arg) {
  lua_Number t;
  if (lua_isnoneornil(L, arg)) return -1;
  t = luaL_checknumber(L, arg);
  luaL_argcheck(L, t == t, arg, "timeout is not a number (NaN)");
  luaL_argcheck(L, t >= 0, arg, "timeout must not be negative");
  return (double)t;
}


double brood_deadline(double seconds) {
  if (seconds < 0 || seconds == HUGE_VAL) return -1;
  return brood_monotonic() + seconds;
}

/* }====================================================== */


int brood_traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
      msg = lua_tostring(L, -1);
    else
      msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}


static atomic_int selfpid;
static pthread_once_t selfpid_once = PTHREAD_ONCE_INIT;

static void selfpid_refresh(void) {
  atomic_store(&selfpid, (int)getpid());
}

static void selfpid_init(void) {
  selfpid_refresh();
  pthread_atfork(NULL, NULL, selfpid_refresh);
}

pid_t brood_getpid(void) {
  pthread_once(&selfpid_once, selfpid_init);
  return (pid_t)atomic_load(&selfpid);
}


double brood_monotonic(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}


/*
** {======================================================
** Processes and modules
** =======================================================
*/

pid_t brood_waitpid_retry(pid_t pid, int *raw, int flags) {
  pid_t r;
  do r = waitpid(pid, raw, flags); while (r < 0 && errno == EINTR);
  return r;
}


void brood_require(lua_State *L, const char *name) {
  int loaded, i;
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  loaded = lua_gettop(L);
  if (lua_getfield(L, loaded, name) != LUA_TNIL) {  /* loaded already */
    lua_remove(L, loaded);
    return;
  }
  lua_pop(L, 1);
  /* the package library's own searchers (its table, not the global) */
  if (lua_getfield(L, loaded, LUA_LOADLIBNAME) != LUA_TTABLE ||
      lua_getfield(L, -1, "searchers") != LUA_TTABLE)
    luaL_error(L, "module '%s' not found: no package library", name);
  for (i = 1;; i++) {
    if (lua_rawgeti(L, -1, i) == LUA_TNIL) luaL_error(L, "module '%s' not found", name);
    lua_pushstring(L, name);
    lua_call(L, 1, 2);  /* loader, extra -- or a message */
    if (lua_isfunction(L, -2)) break;
    lua_pop(L, 2);
  }
  lua_pushstring(L, name);
  lua_insert(L, -2);  /* loader, name, extra */
  lua_call(L, 2, 1);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    if (lua_getfield(L, loaded, name) == LUA_TNIL) {  /* as require: true */
      lua_pop(L, 1);
      lua_pushboolean(L, 1);
    }
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, loaded, name);
  lua_replace(L, loaded);
  lua_settop(L, loaded);
}


void brood_pushsentinel(lua_State *L, lua_CFunction gc) {
  lua_newuserdatauv(L, 0, 0);
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
}
