/*
** wait.c -- Process.wait and its family, status objects (Ruby's
** Process::Status), Process.last_status and Process.detach.
*/
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process.h"


#define STATUS_TYPE     "brood.Status"
#define WAITER_TYPE     "brood.Waiter"
#define LAST_STATUS_KEY "brood.process.last_status"


/*
** {======================================================
** Status objects
** =======================================================
** A full userdata holding the pid and the raw wait status; fields are
** derived on access, with nil where Ruby gives nil (exitstatus of a
** killed process, success of a stopped one...).
*/

typedef struct {
  lua_Integer pid;
  int raw;
} Status;


void brood_pushstatus(lua_State *L, lua_Integer pid, int raw) {
  Status *s = lua_newuserdatauv(L, sizeof(Status), 0);
  s->pid = pid;
  s->raw = raw;
  luaL_setmetatable(L, STATUS_TYPE);
}


static Status *checkstatus(lua_State *L, int arg) {
  return luaL_checkudata(L, arg, STATUS_TYPE);
}


/* Ruby's Process::Status#to_s. */
static void pushdescription(lua_State *L, const Status *s) {
  char buf[BROOD_SIGNAME_MAX];
  int raw = s->raw;
  if (WIFEXITED(raw))
    lua_pushfstring(L, "pid %I exit %d", s->pid, WEXITSTATUS(raw));
  else if (WIFSIGNALED(raw) || WIFSTOPPED(raw)) {
    int sig = WIFSIGNALED(raw) ? WTERMSIG(raw) : WSTOPSIG(raw);
    const char *name = brood_signame(sig, buf, sizeof buf);
    const char *stopped = WIFSTOPPED(raw) ? "stopped " : "";
    if (name)
      lua_pushfstring(L, "pid %I %sSIG%s (signal %d)%s", s->pid, stopped, name, sig,
                      WIFSIGNALED(raw) && WCOREDUMP(raw) ? " (core dumped)" : "");
    else
      lua_pushfstring(L, "pid %I %ssignal %d", s->pid, stopped, sig);
  }
  else if (WIFCONTINUED(raw))
    lua_pushfstring(L, "pid %I continued", s->pid);
  else
    lua_pushfstring(L, "pid %I status %d", s->pid, raw);
}


static int status_tostring(lua_State *L) {
  pushdescription(L, checkstatus(L, 1));
  return 1;
}


/* status:to_i() -- the raw wait status, as Ruby's to_i. */
static int status_to_i(lua_State *L) {
  lua_pushinteger(L, checkstatus(L, 1)->raw);
  return 1;
}


/* status:inspect() -- "#<brood.Status: pid 42 exit 0>". */
static int status_inspect(lua_State *L) {
  pushdescription(L, checkstatus(L, 1));
  lua_pushfstring(L, "#<%s: %s>", STATUS_TYPE, lua_tostring(L, -1));
  return 1;
}


/* Two statuses are equal when their raw wait statuses are, as in Ruby. */
static int status_eq(lua_State *L) {
  lua_pushboolean(L, checkstatus(L, 1)->raw == checkstatus(L, 2)->raw);
  return 1;
}


static int status_index(lua_State *L) {
  const Status *s = checkstatus(L, 1);
  const char *k = luaL_checkstring(L, 2);
  int raw = s->raw;
  if (strcmp(k, "pid") == 0) lua_pushinteger(L, s->pid);
  else if (strcmp(k, "exitstatus") == 0) {
    if (WIFEXITED(raw)) lua_pushinteger(L, WEXITSTATUS(raw));
    else lua_pushnil(L);
  }
  else if (strcmp(k, "termsig") == 0) {
    if (WIFSIGNALED(raw)) lua_pushinteger(L, WTERMSIG(raw));
    else lua_pushnil(L);
  }
  else if (strcmp(k, "stopsig") == 0) {
    if (WIFSTOPPED(raw)) lua_pushinteger(L, WSTOPSIG(raw));
    else lua_pushnil(L);
  }
  else if (strcmp(k, "success") == 0) {
    if (WIFEXITED(raw)) lua_pushboolean(L, WEXITSTATUS(raw) == 0);
    else lua_pushnil(L);
  }
  else if (strcmp(k, "exited") == 0) lua_pushboolean(L, WIFEXITED(raw));
  else if (strcmp(k, "signaled") == 0) lua_pushboolean(L, WIFSIGNALED(raw));
  else if (strcmp(k, "stopped") == 0) lua_pushboolean(L, WIFSTOPPED(raw));
  else if (strcmp(k, "coredump") == 0) lua_pushboolean(L, WIFSIGNALED(raw) && WCOREDUMP(raw));
  else if (strcmp(k, "to_i") == 0) lua_pushcfunction(L, status_to_i);
  else if (strcmp(k, "inspect") == 0) lua_pushcfunction(L, status_inspect);
  else lua_pushnil(L);
  return 1;
}


static const luaL_Reg status_meta[] = {
  {"__index", status_index},
  {"__tostring", status_tostring},
  {"__eq", status_eq},
  {NULL, NULL}
};


/*
** The last status (Ruby's $?) is kept as plain numbers in one record per
** state, updated in place: a wait must not allocate. Right after a fork
** every page the parent writes costs a page fault, so a fresh object per
** wait would make each fork+wait noticeably slower. The status object is
** made when last_status() asks for it (and reused until the next wait).
*/
typedef struct {
  lua_Integer pid;   /* 0: no status yet */
  int raw;
  int fresh;         /* the cached object, if any, is out of date */
} LastStatus;


static LastStatus *laststatus(lua_State *L) {
  LastStatus *ls;
  if (lua_getfield(L, LUA_REGISTRYINDEX, LAST_STATUS_KEY) == LUA_TUSERDATA) {
    ls = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return ls;
  }
  lua_pop(L, 1);
  ls = lua_newuserdatauv(L, sizeof(LastStatus), 1);
  ls->pid = 0;
  ls->raw = 0;
  ls->fresh = 0;
  lua_setfield(L, LUA_REGISTRYINDEX, LAST_STATUS_KEY);
  return ls;
}


void brood_setlaststatus(lua_State *L, lua_Integer pid, int raw) {
  LastStatus *ls = laststatus(L);
  ls->pid = pid;
  ls->raw = raw;
  ls->fresh = 1;
}

#define setlaststatus brood_setlaststatus


/* Pushes the status object of the last wait (or nil). */
static void pushlaststatus(lua_State *L) {
  LastStatus *ls = laststatus(L);
  if (ls->pid == 0) {
    lua_pushnil(L);
    return;
  }
  lua_getfield(L, LUA_REGISTRYINDEX, LAST_STATUS_KEY);
  if (ls->fresh) {
    brood_pushstatus(L, ls->pid, ls->raw);
    lua_setiuservalue(L, -2, 1);
    ls->fresh = 0;
  }
  lua_getiuservalue(L, -1, 1);
  lua_remove(L, -2);
}


/* Process.last_status() -- the status of the last child waited for in
** this Lua state (Ruby's $?), or nil. */
static int process_last_status(lua_State *L) {
  brood_checknargs(L, 0);
  pushlaststatus(L);
  return 1;
}

/* }====================================================== */


/*
** {======================================================
** Waiting
** =======================================================
*/

/*
** waitpid that runs trapped signal handlers while it blocks. Without
** WNOHANG it never sits in the kernel's waitpid: it asks with WNOHANG and
** then waits -- for one child that can only exit, on its pidfd; else on
** brood's wake-up pipe, which SIGCHLD (and any trapped signal) makes
** readable; a child that changes state between the two steps has
** already made them readable, so no wake-up is lost. When no
** trap is set there is no handler to run, and it simply blocks in
** waitpid (the fast path: no signal per child). When traps are set but
** SIGCHLD cannot reach the pipe (CHLD ignored: children reap themselves;
** or signals owned by another Lua state), it looks again after short
** naps, during which handlers run. Returns the pid, or 0 for WNOHANG with
** no child ready, or -1 with errno set (ECHILD...); brood_waitpid raises
** instead.
*/
/* A pidfd for pid, owned by a to-be-closed IO object pushed at *holder,
** so that a raising handler or a cancelled task closes it on the way
** out; -1 (nothing pushed) when the kernel makes none. */
static int pushpidfd(lua_State *L, pid_t pid, int *holder) {
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) return -1;
  brood_io_new(L, fd, BROOD_IO_READ, BROOD_KIND_OTHER, 1);
  lua_toclose(L, -1);
  *holder = lua_gettop(L);
  return fd;
}


static void droppidfd(lua_State *L, int holder) {
  int err = errno;
  brood_io_close(L, holder);
  lua_settop(L, holder - 1);
  errno = err;
}


static pid_t waitone(lua_State *L, int pid, int *raw, int flags) {
  int handling = !(flags & WNOHANG) && brood_sig_handling();
  int wake = -1, pidfd = -1, holder = 0;
  double nap = 0.001;
  for (;;) {
    pid_t r = waitpid(pid, raw, handling ? (flags | WNOHANG) : flags);
    if (r > 0 || (r == 0 && !handling) || (r < 0 && errno != EINTR)) {
      if (holder) droppidfd(L, holder);
      return r;
    }
    if (r < 0) {
      brood_sig_check(L);
      continue;
    }
    /* one child that may only exit (not stop): its pidfd says when,
    ** with no wake-up for the other children (in a task, only this
    ** task wakes) */
    if (pid > 0 && !(flags & WUNTRACED) && pidfd == -1) {
      pidfd = pushpidfd(L, pid, &holder);
      if (pidfd >= 0) continue;  /* it may have exited before the pidfd was made */
      pidfd = -2;
    }
    if (pidfd >= 0) {
      brood_sig_wait(L, pidfd, POLLIN, -1);
      continue;
    }
    if (wake < 0) wake = brood_sig_chldwake(L);
    if (wake) brood_sig_wait(L, -1, 0, -1);
    else {
      brood_sig_wait(L, -1, 0, brood_monotonic() + nap);
      if (nap < 0.05) nap *= 2;
    }
  }
}


int brood_waitpid(lua_State *L, int pid, int *raw, int flags) {
  pid_t r = waitone(L, pid, raw, flags);
  if (r < 0) brood_syserror(L, "waitpid");
  return r;
}


static int checkflags(lua_State *L, int arg) {
  lua_Integer flags = luaL_optinteger(L, arg, 0);
  luaL_argcheck(L, (flags & ~(lua_Integer)(WNOHANG | WUNTRACED)) == 0, arg,
                "only Process.WNOHANG and Process.WUNTRACED are allowed");
  return (int)flags;
}


/* Common body of wait/wait2: pid (default -1), flags (default 0). */
static int dowait(lua_State *L, int with_status) {
  pid_t pid = brood_optpid(L, 1, -1);
  int flags = checkflags(L, 2);
  int raw = 0;
  pid_t r;
  brood_checknargs(L, 2);
  r = brood_waitpid(L, pid, &raw, flags);
  if (r == 0) {
    lua_pushnil(L);
    return 1;
  }
  setlaststatus(L, r, raw);
  lua_pushinteger(L, r);
  if (!with_status) return 1;
  pushlaststatus(L);
  return 2;
}


/* Process.wait([pid[, flags]]) -> pid, or nil (WNOHANG, none ready). */
static int process_wait(lua_State *L) {
  return dowait(L, 0);
}


/* Process.wait2([pid[, flags]]) -> pid, status */
static int process_wait2(lua_State *L) {
  return dowait(L, 1);
}


/* Process.waitall() -> { {pid, status}, ... } in the order reaped. */
static int process_waitall(lua_State *L) {
  int n = 0;
  brood_checknargs(L, 0);
  lua_newtable(L);
  for (;;) {
    int raw;
    pid_t r = waitone(L, -1, &raw, 0);
    if (r < 0) {
      if (errno == ECHILD) break;
      brood_syserror(L, "waitpid");
    }
    setlaststatus(L, r, raw);
    lua_createtable(L, 2, 0);
    lua_pushinteger(L, r);
    lua_rawseti(L, -2, 1);
    pushlaststatus(L);
    lua_rawseti(L, -2, 2);
    lua_rawseti(L, -2, ++n);
  }
  return 1;
}

/* }====================================================== */


/*
** {======================================================
** Process.detach
** =======================================================
** As in Ruby, a thread waits for that one pid (waitpid(pid), never -1,
** so it cannot take another child's status): the child is reaped as soon
** as it exits whether or not anybody looks at the handle. The record is
** shared by the thread and the handle and freed by whichever lets go
** last. When it is done the thread wakes brood's blocking calls, so
** join() sleeps in brood_sig_wait and trapped signals still run.
**
** The threads are joined, not detached: one that has reaped its child is
** joined before the next fork (and before the next thread starts, so
** ended ones never pile up). A thread ending while this process forks
** may hold a lock of the allocator as it lets go of its memory; glibc's
** fork takes malloc's locks first, but an allocator that does not
** (AddressSanitizer's) would leave it locked forever in the child.
*/

struct waiter {
  atomic_int refs;
  atomic_int done;
  pid_t pid;
  pid_t creator;   /* the process that detached it (join elsewhere: ECHILD) */
  int raw;
  int err;         /* errno when waitpid failed (someone else reaped it) */
  pthread_t tid;
  struct waiter *next;  /* in 'threads' until joined */
};

/* The waiter threads not yet joined (each holds a reference). A child
** keeps its parent's list untouched: those threads are not its own. */
static struct waiter *threads;
static pthread_mutex_t threads_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int nthreads;

typedef struct {
  struct waiter *w;
} Waiter;


static void release(struct waiter *w) {
  if (atomic_fetch_sub(&w->refs, 1) == 1) free(w);
}


static void *waiter_main(void *arg) {
  struct waiter *w = arg;
  int raw;
  pid_t r;
  r = brood_waitpid_retry(w->pid, &raw, 0);
  if (r == w->pid) w->raw = raw;
  else w->err = errno;
  atomic_store(&w->done, 1);
  brood_sig_notify();
  release(w);
  return NULL;
}


void brood_join_waiters(void) {
  struct waiter **link, *w;
  pid_t me;
  if (atomic_load(&nthreads) == 0) return;
  me = brood_getpid();
  pthread_mutex_lock(&threads_lock);
  link = &threads;
  while ((w = *link) != NULL) {
    if (w->creator == me && atomic_load(&w->done)) {  /* ending, or ended */
      pthread_join(w->tid, NULL);
      *link = w->next;
      atomic_fetch_sub(&nthreads, 1);
      release(w);
    }
    else link = &w->next;
  }
  pthread_mutex_unlock(&threads_lock);
}


/* Starts w's thread, which gets one reference and the list another
** (the caller has counted both). Returns 0, or the error of
** pthread_create (the references are then the caller's to drop). */
static int startwaiter(struct waiter *w) {
  pthread_attr_t attr;
  sigset_t all, old;
  int err;
  brood_join_waiters();
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  sigfillset(&all);  /* the thread takes no signals: they are the script's */
  pthread_sigmask(SIG_BLOCK, &all, &old);
  pthread_mutex_lock(&threads_lock);
  err = pthread_create(&w->tid, &attr, waiter_main, w);
  if (err == 0) {
    w->next = threads;
    threads = w;
    atomic_fetch_add(&nthreads, 1);
  }
  pthread_mutex_unlock(&threads_lock);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  return err;
}


/* Reaps pid in the background, with nobody to tell (the thread and the
** list hold the only references). Returns 0, or the error of
** pthread_create. */
int brood_reap_later(int pid) {
  struct waiter *w = calloc(1, sizeof *w);
  int err;
  if (w == NULL) return ENOMEM;
  atomic_init(&w->refs, 2);
  atomic_init(&w->done, 0);
  w->pid = pid;
  w->creator = brood_getpid();
  err = startwaiter(w);
  if (err != 0) free(w);
  return err;
}


/* Process.detach(pid) -> handle (handle.pid, handle:join([timeout]),
** handle:alive()). */
static int process_detach(lua_State *L) {
  pid_t pid = (pid_t)brood_checkrange(L, 1, 1, INT_MAX, "pid");
  Waiter *h;
  struct waiter *w;
  int err;
  brood_checknargs(L, 1);
  h = lua_newuserdatauv(L, sizeof(Waiter), 0);  /* inert until filled */
  h->w = NULL;
  luaL_setmetatable(L, WAITER_TYPE);
  w = calloc(1, sizeof *w);
  if (w == NULL) return brood_raise(L, "detach", NULL, ENOMEM);
  atomic_init(&w->refs, 3);  /* the handle, the thread, the list */
  atomic_init(&w->done, 0);
  w->pid = pid;
  w->creator = brood_getpid();
  h->w = w;
  if (brood_sig_pipe() < 0) {  /* join() sleeps on the wake-up pipe */
    free(w);
    h->w = NULL;
    return brood_syserror(L, "pipe2");
  }
  err = startwaiter(w);
  if (err != 0) {
    free(w);
    h->w = NULL;
    return brood_raise(L, "pthread_create", NULL, err);
  }
  return 1;
}


static Waiter *checkwaiter(lua_State *L) {
  Waiter *h = luaL_checkudata(L, 1, WAITER_TYPE);
  if (h->w == NULL) luaL_argerror(L, 1, "detach handle is not valid");
  return h;
}


/* handle:join([timeout]) -> status, or nil on timeout (and when another
** wait took the status first). handle:value() is the same without a
** timeout (Ruby's Thread#value, for Open3's wait_thr). */
static int waiter_join(lua_State *L) {
  Waiter *h = checkwaiter(L);
  struct waiter *w = h->w;
  double deadline = brood_deadline(brood_opttimeout(L, 2));
  if (w->creator != brood_getpid()) return brood_raise(L, "waitpid", NULL, ECHILD);
  while (!atomic_load(&w->done)) {
    int r = brood_sig_wait(L, -1, 0, deadline);
    if (r == 0 && !atomic_load(&w->done)) {
      lua_pushnil(L);
      return 1;
    }
  }
  if (w->err) {
    lua_pushnil(L);
    return 1;
  }
  brood_pushstatus(L, w->pid, w->raw);
  return 1;
}


/* handle:alive() -> true while the process has not been reaped. */
static int waiter_alive(lua_State *L) {
  lua_pushboolean(L, !atomic_load(&checkwaiter(L)->w->done));
  return 1;
}


static int waiter_gc(lua_State *L) {
  Waiter *h = luaL_checkudata(L, 1, WAITER_TYPE);
  if (h->w) release(h->w);
  h->w = NULL;
  return 0;
}


static int waiter_index(lua_State *L) {
  Waiter *h = checkwaiter(L);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "pid") == 0) lua_pushinteger(L, h->w->pid);
  else if (strcmp(k, "join") == 0 || strcmp(k, "value") == 0) lua_pushcfunction(L, waiter_join);
  else if (strcmp(k, "alive") == 0) lua_pushcfunction(L, waiter_alive);
  else lua_pushnil(L);
  return 1;
}


static int waiter_tostring(lua_State *L) {
  Waiter *h = luaL_checkudata(L, 1, WAITER_TYPE);
  if (h->w == NULL) lua_pushliteral(L, "brood.Waiter (invalid)");
  else lua_pushfstring(L, "brood.Waiter (pid %d, %s)", (int)h->w->pid,
                       atomic_load(&h->w->done) ? "reaped" : "waiting");
  return 1;
}


static const luaL_Reg waiter_meta[] = {
  {"__index", waiter_index},
  {"__gc", waiter_gc},
  {"__tostring", waiter_tostring},
  {NULL, NULL}
};

/* }====================================================== */


/*
** brood._core.wait_timeout(pid, seconds) -> pid, status; or nil when the
** time passes first (the child is left running). Waits on a pidfd beside
** the signal pipe, so trap handlers run; falls back to WNOHANG polls.
*/
int brood_core_wait_timeout(lua_State *L) {
  pid_t pid = (pid_t)brood_checkrange(L, 1, 1, INT_MAX, "pid");
  double deadline = (luaL_checknumber(L, 2), brood_deadline(brood_opttimeout(L, 2)));
  int holder = 0, pidfd = pushpidfd(L, pid, &holder), raw;
  double nap = 0.001;
  for (;;) {
    pid_t r = waitpid(pid, &raw, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) brood_syserror(L, "waitpid");
    if (deadline >= 0 && brood_monotonic() >= deadline) {
      if (holder) droppidfd(L, holder);
      lua_pushnil(L);
      return 1;
    }
    if (pidfd >= 0) brood_sig_wait(L, pidfd, POLLIN, deadline);
    else {
      double until = brood_monotonic() + nap;
      brood_sig_wait(L, -1, 0, deadline >= 0 && deadline < until ? deadline : until);
      if (nap < 0.05) nap *= 2;
    }
  }
  if (holder) droppidfd(L, holder);
  setlaststatus(L, pid, raw);
  lua_pushinteger(L, pid);
  pushlaststatus(L);
  return 2;
}


static const luaL_Reg wait_funcs[] = {
  {"wait", process_wait},
  {"wait2", process_wait2},
  {"waitpid", process_wait},
  {"waitpid2", process_wait2},
  {"waitall", process_waitall},
  {"last_status", process_last_status},
  {"detach", process_detach},
  {NULL, NULL}
};


void brood_open_wait(lua_State *L) {
  luaL_setfuncs(L, wait_funcs, 0);
  lua_pushinteger(L, WNOHANG);
  lua_setfield(L, -2, "WNOHANG");
  lua_pushinteger(L, WUNTRACED);
  lua_setfield(L, -2, "WUNTRACED");
  if (luaL_newmetatable(L, STATUS_TYPE)) luaL_setfuncs(L, status_meta, 0);
  lua_pop(L, 1);
  if (luaL_newmetatable(L, WAITER_TYPE)) luaL_setfuncs(L, waiter_meta, 0);
  lua_pop(L, 1);
}
