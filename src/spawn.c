/*
** spawn.c -- running other programs: Process.spawn, Process.exec and
** IO.popen, and the command model behind Process.system, Process.capture
** and Open3 (brood/_run.lua).
**
** A command is read as Ruby reads it: several strings are an argv (no
** shell, ever); one string with shell metacharacters -- or starting with
** a shell keyword or special built-in, or an assignment -- runs as
** /bin/sh -c string; one plain string is split on blanks and run
** directly. A {path, argv0} table in first place sets argv[0].
**
** How a child starts: everything is prepared in the parent -- the program
** is found in PATH, files to redirect to are opened, argv and envp built
** -- in memory Lua owns, so that an error anywhere leaks nothing and a
** program that cannot run raises in the parent, with no child left. Then
** a vfork-style clone (CLONE_VM | CLONE_VFORK, what glibc's posix_spawn
** does inside) runs a small C function on its own stack that applies the
** options with plain system calls and execs. No memory is copied, so
** spawning from a huge Lua heap costs what it costs from a small one, and
** the child never touches the Lua state. If the child fails before exec,
** it records errno in the shared plan and exits 127; the parent reaps it
** and raises.
*/
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process.h"


extern char **environ;

#define STACK_SIZE (64 * 1024)
#define MAX_RLIMITS 16

enum { R_FD, R_CLOSE, R_CHILD };  /* redirect kinds */

typedef struct {
  int child;  /* the descriptor number in the child */
  int kind;
  int src;    /* R_FD: parent's fd; R_CHILD: child's fd */
} Redirect;

enum { S_NONE, S_CHDIR, S_UMASK, S_RLIMIT, S_SETSID, S_SETPGID, S_DUP, S_PDEATHSIG, S_EXEC };

/* Everything the child needs, prepared by the parent. */
typedef struct {
  const char *path;
  char **argv;
  char **shargv;          /* "sh", path, args...: for ENOEXEC, as execvp */
  char **envp;
  Redirect *redir;
  int nredir;
  int maxfd;              /* highest fd the redirects mention */
  const char *chdir;
  int umask;              /* -1: unchanged */
  int pgroup;             /* -1: unchanged; 0: new group; >0: join it */
  int setsid;
  int foreground;         /* the terminal's foreground group is the child's */
  int close_others;
  int pdeathsig;          /* 0, or the signal the child gets when we die */
  pid_t parent;           /* our pid, for pdeathsig's check */
  int openmax;            /* the descriptor limit, for close_span's fallback */
  int nrlimit;
  struct { int res; struct rlimit rl; } rlimits[MAX_RLIMITS];
  sigset_t mask;          /* the signal mask to exec with */
  volatile int err;       /* set by a child that failed */
  volatile int stage;
  /* read by the parent only, while it builds the plan */
  const char *argv0;      /* argv[0], when not the program's name */
  int unsetenv_others;    /* start from an empty environment */
  int holder, maxredir;   /* for redirects: the anchor table, and room */
} Plan;


/*
** {======================================================
** The child: async-signal-safe system calls only
** =======================================================
*/

/* The child runs on a small stack of its own, sharing the parent's
** memory, with descriptors rearranged: no place for AddressSanitizer's
** runtime. Its instrumentation before a call that does not return
** (_exit) made the runtime write a warning about the unknown stack to a
** log descriptor the child had just closed -- and loop for ever
** reopening it, holding the parent in vfork (found by the fuzz harness).
** Every function the child calls is marked so (brood_sig_action is, in
** sigcore.c). */
#if defined(__SANITIZE_ADDRESS__)
#define CHILD_CODE __attribute__((no_sanitize_address, no_sanitize_undefined))
#else
#define CHILD_CODE
#endif

CHILD_CODE static void fail(Plan *p, int stage) {
  p->err = errno;
  p->stage = stage;
  _exit(127);
}


/* The lowest fd >= lo that a redirect gives the child, or -1. */
CHILD_CODE static int next_target(const Plan *p, int lo) {
  int i, best = -1;
  for (i = 0; i < p->nredir; i++) {
    int c = p->redir[i].child;
    if (p->redir[i].kind != R_CLOSE && c >= lo && (best < 0 || c < best)) best = c;
  }
  return best;
}


/* Closes fds lo..hi (hi -1: all above lo): close_range where the kernel
** has it (5.9+), else one by one up to the descriptor limit. */
CHILD_CODE static void close_span(const Plan *p, int lo, int hi) {
  int fd;
  if (hi >= 0 && hi < lo) return;
#ifdef SYS_close_range
  if (syscall(SYS_close_range, (unsigned)lo, hi < 0 ? ~0u : (unsigned)hi, 0) == 0) return;
#endif
  for (fd = lo; fd <= (hi < 0 ? p->openmax : hi); fd++) close(fd);
}


/* Runs in the child, on the clone's stack, sharing the parent's memory
** (the parent is suspended until exec). Also used by Process.exec, in
** the process itself. */
CHILD_CODE static int apply_and_exec(void *arg) {
  Plan *p = arg;
  int i, s;
  /* Handlers brood installed would run here, in shared memory: back to
  ** the default (exec resets them anyway). SIGPIPE is always at its
  ** default for programs brood starts. Signals are blocked until exec. */
  for (s = 1; s < NSIG; s++)
    if (s == SIGPIPE || brood_sig_action(s) != BROOD_SIGACT_NONE) signal(s, SIG_DFL);
  if (p->pdeathsig) {
    if (prctl(PR_SET_PDEATHSIG, p->pdeathsig) < 0) fail(p, S_PDEATHSIG);
    /* we may have died already: then no signal would come */
    if (getppid() != p->parent) _exit(127);
  }
  if (p->setsid) {
    if (setsid() < 0) fail(p, S_SETSID);
  }
  else if (p->pgroup >= 0 && setpgid(0, p->pgroup) < 0) fail(p, S_SETPGID);
  if (p->foreground) {
    /* a group of its own (unless one was chosen), made the foreground
    ** group of our terminal: SIGTTOU is blocked here, as it must be for
    ** a background process to do this; no terminal, nothing to do */
    if (!p->setsid && p->pgroup < 0 && setpgid(0, 0) < 0) fail(p, S_SETPGID);
    for (i = 0; i < 3; i++)
      if (isatty(i)) {
        tcsetpgrp(i, getpgrp());
        break;
      }
  }
  if (p->chdir && chdir(p->chdir) < 0) fail(p, S_CHDIR);
  if (p->umask >= 0) umask((mode_t)p->umask);
  for (i = 0; i < p->nrlimit; i++)
    if (setrlimit(p->rlimits[i].res, &p->rlimits[i].rl) < 0) fail(p, S_RLIMIT);
  /* Sources that another redirect would overwrite first move above every
  ** fd the redirects mention. */
  for (i = 0; i < p->nredir; i++) {
    Redirect *r = &p->redir[i];
    int j;
    if (r->kind != R_FD) continue;
    for (j = 0; j < i; j++) {
      if (p->redir[j].child == r->src && p->redir[j].kind != R_CHILD) {
        int moved = fcntl(r->src, F_DUPFD, p->maxfd + 1);
        if (moved < 0) fail(p, S_DUP);
        r->src = moved;
        break;
      }
    }
  }
  for (i = 0; i < p->nredir; i++) {  /* from the parent's descriptors */
    Redirect *r = &p->redir[i];
    if (r->kind == R_CLOSE) close(r->child);
    else if (r->kind == R_FD) {
      if (r->src == r->child) {
        if (fcntl(r->child, F_SETFD, 0) < 0) fail(p, S_DUP);  /* keep it */
      }
      else if (dup2(r->src, r->child) < 0) fail(p, S_DUP);
    }
  }
  for (i = 0; i < p->nredir; i++) {  /* then among the child's own */
    Redirect *r = &p->redir[i];
    if (r->kind == R_CHILD && dup2(r->src, r->child) < 0) fail(p, S_DUP);
  }
  if (p->close_others) {  /* only 0-2 and the redirect targets stay */
    int lo = 3;
    for (;;) {  /* close each span between targets: one call per span */
      int next = next_target(p, lo);
      close_span(p, lo, next < 0 ? -1 : next - 1);
      if (next < 0) break;
      lo = next + 1;
    }
  }
  sigprocmask(SIG_SETMASK, &p->mask, NULL);
  execve(p->path, p->argv, p->envp);
  if (errno == ENOEXEC) execve("/bin/sh", p->shargv, p->envp);
  fail(p, S_EXEC);
  return 127;
}

/* }====================================================== */


/*
** {======================================================
** Reading the command
** =======================================================
*/

static const char *const shell_words[] = {
  "!", ".", ":", "break", "case", "continue", "do", "done", "elif", "else", "esac",
  "eval", "exec", "exit", "export", "fi", "for", "if", "in", "readonly", "return",
  "set", "shift", "then", "times", "trap", "unset", "until", "while", NULL
};


/* Ruby's rule: does this one-string command need /bin/sh? */
static int needs_shell(const char *cmd) {
  const char *p, *first = NULL;
  size_t firstlen = 0;
  int i;
  for (p = cmd; *p; p++) {
    if (strchr("*?{}[]<>()~&|\\$;'`\"\n#", *p)) return 1;
    if (*p == ' ' || *p == '\t') {
      if (first && !firstlen) firstlen = (size_t)(p - first);
    }
    else if (!first) first = p;
    if (first && !firstlen && *p == '=') return 1;  /* VAR=value command */
  }
  if (!first) return 0;
  if (!firstlen) firstlen = strlen(first);
  for (i = 0; shell_words[i]; i++)
    if (strlen(shell_words[i]) == firstlen && strncmp(first, shell_words[i], firstlen) == 0)
      return 1;
  return 0;
}


/* Pushes a NULL-terminated char* array (a userdata) of the strings
** holder[from+1 .. from+n]; they stay anchored in 'holder'. */
static char **strarray(lua_State *L, int holder, int from, int n) {
  char **a = lua_newuserdatauv(L, sizeof(char *) * (size_t)(n + 1), 0);
  int i;
  for (i = 0; i < n; i++) {
    lua_rawgeti(L, holder, from + i + 1);
    a[i] = (char *)lua_tostring(L, -1);
    lua_pop(L, 1);  /* the string stays in 'holder' */
  }
  a[n] = NULL;
  return a;
}


/* Appends the value at the top to the sequence 'holder' (popping it). */
static void append(lua_State *L, int holder) {
  lua_rawseti(L, holder, (lua_Integer)lua_rawlen(L, holder) + 1);
}


/*
** Finds 'prog' in PATH as execvp does (a name with '/' is used as is).
** Pushes the path. Raises ENOENT (or EACCES for a file that is there but
** not executable) in the parent.
*/
static const char *findprog(lua_State *L, const char *prog, const char *pathvar) {
  const char *dir;
  int eacces = 0;
  if (prog[0] == '\0') brood_raise(L, "spawn", prog, ENOENT);
  if (strchr(prog, '/')) {
    lua_pushstring(L, prog);
    return lua_tostring(L, -1);
  }
  if (pathvar == NULL) pathvar = "/usr/local/bin:/usr/bin:/bin";
  for (dir = pathvar;; dir++) {
    const char *end = strchr(dir, ':');
    size_t len = end ? (size_t)(end - dir) : strlen(dir);
    const char *cand;
    struct stat st;
    if (len == 0) lua_pushfstring(L, "./%s", prog);
    else lua_pushfstring(L, "%s/%s", lua_pushlstring(L, dir, len), prog), lua_remove(L, -2);
    cand = lua_tostring(L, -1);
    if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
      if (access(cand, X_OK) == 0) return cand;
      eacces = 1;
    }
    lua_pop(L, 1);
    if (!end) break;
    dir = end;
  }
  return (const char *)(intptr_t)brood_raise(L, "spawn", prog, eacces ? EACCES : ENOENT);
}

/* }====================================================== */


/*
** {======================================================
** Options
** =======================================================
*/

/* 0, 1, 2 for "in", "out", "err" (Ruby's :in, :out, :err) and their
** aliases "stdin", "stdout", "stderr" ({in = r} is not valid Lua); -1
** for anything else. */
static int stdstream(const char *s) {
  if (strcmp(s, "in") == 0 || strcmp(s, "stdin") == 0) return 0;
  if (strcmp(s, "out") == 0 || strcmp(s, "stdout") == 0) return 1;
  if (strcmp(s, "err") == 0 || strcmp(s, "stderr") == 0) return 2;
  return -1;
}


/* A child-side descriptor key: "in" "out" "err" (or "stdin"...), a
** number, an IO object or a Lua file. */
static int childfd(lua_State *L, int idx, int arg) {
  brood_IO *io;
  luaL_Stream *f;
  if (lua_type(L, idx) == LUA_TSTRING) return stdstream(lua_tostring(L, idx));
  if (lua_isinteger(L, idx)) {
    lua_Integer fd = lua_tointeger(L, idx);
    if (fd < 0 || fd > 65535) luaL_argerror(L, arg, "negative or huge file descriptor");
    return (int)fd;
  }
  if ((io = brood_io_test(L, idx)) != NULL) {
    if (io->fd < 0) luaL_argerror(L, arg, "redirect of a closed IO");
    return io->fd;
  }
  if ((f = luaL_testudata(L, idx, LUA_FILEHANDLE)) != NULL && f->closef) return fileno(f->f);
  return -1;
}


/* Opens a redirect's file in the parent (so that errors name the path
** there) as an IO object anchored in 'holder'; returns its fd. */
static int openfile(lua_State *L, int holder, const char *path, int flags, mode_t perm) {
  int fd = brood_io_open(L, path, flags | O_CLOEXEC, perm);
  if (fd < 0) brood_raise(L, "open", path, errno);
  brood_io_new(L, fd, BROOD_IO_READ | BROOD_IO_WRITE, -1, 1);
  append(L, holder);
  return fd;
}


/* One redirect: child fd <- the value at the top of the stack. */
static void addredirect(lua_State *L, Plan *p, int child, int arg) {
  Redirect *r;
  int v = lua_gettop(L), iomode;
  if (p->nredir >= p->maxredir) luaL_argerror(L, arg, "too many redirects");
  r = &p->redir[p->nredir++];
  r->child = child;
  r->kind = R_FD;
  if (lua_type(L, v) == LUA_TSTRING) {
    const char *s = lua_tostring(L, v);
    if (strcmp(s, "close") == 0) r->kind = R_CLOSE;
    else if (stdstream(s) >= 0) r->src = stdstream(s);  /* ours, as Ruby's :out */
    else {
      brood_tocstring(L, v, arg, "redirect path");
      r->src = openfile(L, p->holder, s, child == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC,
                        0644);
    }
  }
  else if (lua_istable(L, v) && !brood_io_test(L, v)) {
    lua_rawgeti(L, v, 1);
    if (lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "child") == 0) {
      lua_rawgeti(L, v, 2);
      r->kind = R_CHILD;
      r->src = childfd(L, -1, arg);
      if (r->src < 0) luaL_argerror(L, arg, "{\"child\", fd} needs a descriptor");
      lua_pop(L, 2);
    }
    else {  /* {path[, mode[, perm]]} */
      const char *path = brood_tocstring(L, -1, arg, "redirect path"), *mode;
      int flags;
      mode_t perm;
      lua_rawgeti(L, v, 2);
      mode = lua_isnil(L, -1) ? (child == 0 ? "r" : "w") : brood_tocstring(L, -1, arg, "redirect mode");
      flags = brood_io_modeflags(L, arg, mode, &iomode);
      perm = lua_rawgeti(L, v, 3) == LUA_TNIL ? 0644
           : (mode_t)brood_tooctal(L, -1, arg, 07777, "redirect permissions", "600");
      r->src = openfile(L, p->holder, path, flags, perm);
      lua_pop(L, 3);
    }
  }
  else {
    r->src = childfd(L, v, arg);
    if (r->src < 0) luaL_argerror(L, arg, "bad redirect target");
  }
  if (r->child > p->maxfd) p->maxfd = r->child;
  if (r->kind != R_CLOSE && r->src > p->maxfd) p->maxfd = r->src;
}


/*
** The named options. Each reads the value at stack index v into the plan;
** errors name argument 'arg'. Adding an option: a function here, a row
** in 'spawn_options', a spec in spec/spawn_spec.lua and a line in
** docs/reference/process.md.
*/
static int optbool(lua_State *L, int v, const char *key, int arg) {
  if (!lua_isboolean(L, v)) {
    lua_pushfstring(L, "option '%s' must be a boolean", key);
    luaL_argerror(L, arg, lua_tostring(L, -1));
  }
  return lua_toboolean(L, v);
}

static void opt_chdir(lua_State *L, Plan *p, const char *key, int v, int arg) {
  (void)key;
  p->chdir = brood_tocstring(L, v, arg, "option 'chdir'");
}

static void opt_umask(lua_State *L, Plan *p, const char *key, int v, int arg) {
  (void)key;
  p->umask = (int)brood_tooctal(L, v, arg, 0777, "umask", "027");
}

static void opt_pgroup(lua_State *L, Plan *p, const char *key, int v, int arg) {
  (void)key;
  if (lua_isboolean(L, v)) p->pgroup = lua_toboolean(L, v) ? 0 : -1;
  else if (lua_isinteger(L, v) && lua_tointeger(L, v) >= 0 && lua_tointeger(L, v) <= INT_MAX)
    p->pgroup = (int)lua_tointeger(L, v);
  else luaL_argerror(L, arg, "option 'pgroup' must be a boolean or a process group id");
}

static void opt_new_pgroup(lua_State *L, Plan *p, const char *key, int v, int arg) {
  if (optbool(L, v, key, arg)) p->pgroup = 0;
}

static void opt_setsid(lua_State *L, Plan *p, const char *key, int v, int arg) {
  p->setsid = optbool(L, v, key, arg);
}

/* foreground = true: the program leads a process group (its own, unless
** pgroup says which) that becomes the terminal's foreground group, as a
** shell does for a job it runs in the foreground (and tini for its
** command): the terminal's Ctrl-C goes to the program, and it may read
** the terminal. */
static void opt_foreground(lua_State *L, Plan *p, const char *key, int v, int arg) {
  p->foreground = optbool(L, v, key, arg);
}

static void opt_close_others(lua_State *L, Plan *p, const char *key, int v, int arg) {
  p->close_others = optbool(L, v, key, arg);
}

static void opt_unsetenv_others(lua_State *L, Plan *p, const char *key, int v, int arg) {
  p->unsetenv_others = optbool(L, v, key, arg);
}

static void opt_argv0(lua_State *L, Plan *p, const char *key, int v, int arg) {
  (void)key;
  p->argv0 = brood_tocstring(L, v, arg, "option 'argv0'");
}

/* pdeathsig = "TERM" (a name or number; false: none): the signal the
** child gets when the thread that started it -- this process -- dies. */
static void opt_pdeathsig(lua_State *L, Plan *p, const char *key, int v, int arg) {
  (void)key;
  if (lua_isboolean(L, v) && !lua_toboolean(L, v)) p->pdeathsig = 0;
  else if (lua_type(L, v) == LUA_TSTRING || lua_type(L, v) == LUA_TNUMBER) {
    int signo = brood_tosignal(L, v);
    if (signo <= 0) luaL_argerror(L, arg, "option 'pdeathsig' must be a signal name or number");
    p->pdeathsig = signo;
    p->parent = getpid();
  }
  else luaL_argerror(L, arg, "option 'pdeathsig' must be a signal name or number");
}

/* rlimit_<resource> = limit or {soft, hard} */
static void opt_rlimit(lua_State *L, Plan *p, const char *key, int v, int arg) {
  char name[32];
  size_t j;
  int res;
  if (p->nrlimit >= MAX_RLIMITS) luaL_argerror(L, arg, "too many rlimits");
  for (j = 0; key[7 + j] && j < sizeof name - 1; j++) name[j] = (char)toupper((unsigned char)key[7 + j]);
  name[j] = '\0';
  res = brood_rlimit_lookup(name);
  if (res < 0) {
    lua_pushfstring(L, "unknown option '%s'", key);
    luaL_argerror(L, arg, lua_tostring(L, -1));
  }
  p->rlimits[p->nrlimit].res = res;
  if (lua_istable(L, v)) {
    if (lua_rawlen(L, v) != 2) {
      lua_pushfstring(L, "option '%s' must be a limit or {soft, hard}", key);
      luaL_argerror(L, arg, lua_tostring(L, -1));
    }
    lua_rawgeti(L, v, 1);
    p->rlimits[p->nrlimit].rl.rlim_cur = brood_rlimit_value(L, lua_gettop(L), arg);
    lua_rawgeti(L, v, 2);
    p->rlimits[p->nrlimit].rl.rlim_max = brood_rlimit_value(L, lua_gettop(L), arg);
    lua_pop(L, 2);
  }
  else {
    rlim_t lim = brood_rlimit_value(L, v, arg);
    p->rlimits[p->nrlimit].rl.rlim_cur = p->rlimits[p->nrlimit].rl.rlim_max = lim;
  }
  p->nrlimit++;
}

static const struct {
  const char *name;  /* ending in '_': a prefix (rlimit_nofile) */
  void (*read)(lua_State *L, Plan *p, const char *key, int v, int arg);
} spawn_options[] = {
  {"argv0", opt_argv0},
  {"chdir", opt_chdir},
  {"close_others", opt_close_others},
  {"foreground", opt_foreground},
  {"new_pgroup", opt_new_pgroup},
  {"pdeathsig", opt_pdeathsig},
  {"pgroup", opt_pgroup},
  {"rlimit_", opt_rlimit},
  {"setsid", opt_setsid},
  {"umask", opt_umask},
  {"unsetenv_others", opt_unsetenv_others},
  {NULL, NULL}
};


/* The reader of a named option, or NULL. */
static void (*findoption(const char *key))(lua_State *, Plan *, const char *, int, int) {
  int i;
  for (i = 0; spawn_options[i].name; i++) {
    const char *name = spawn_options[i].name;
    size_t len = strlen(name);
    if (name[len - 1] == '_' ? strncmp(key, name, len) == 0 : strcmp(key, name) == 0)
      return spawn_options[i].read;
  }
  return NULL;
}


/* Redirects to the value at the top for each child fd the key at k
** names: "in"/"out"/"err", a number, an IO object or a Lua file, or a
** list of those ({"out", "err"} = target). Returns 0 if k names none. */
static int readredirect(lua_State *L, Plan *p, int k, int arg) {
  int child;
  if (lua_istable(L, k) && !brood_io_test(L, k)) {
    lua_Integer i, n = (lua_Integer)lua_rawlen(L, k);
    for (i = 1; i <= n; i++) {
      lua_rawgeti(L, k, i);
      child = childfd(L, -1, arg);
      lua_pop(L, 1);
      if (child < 0) luaL_argerror(L, arg, "bad redirect key");
      lua_pushvalue(L, -1);
      addredirect(L, p, child, arg);
      lua_pop(L, 1);
    }
    return 1;
  }
  if ((child = childfd(L, k, arg)) < 0) return 0;
  lua_pushvalue(L, -1);
  addredirect(L, p, child, arg);
  lua_pop(L, 1);
  return 1;
}


/* Reads the options table at 'opts' into p; errors name argument 'arg'. */
static void readoptions(lua_State *L, Plan *p, int opts, int arg) {
  lua_pushnil(L);
  while (lua_next(L, opts)) {
    int k = lua_absindex(L, -2), v = lua_gettop(L);
    const char *key = lua_type(L, k) == LUA_TSTRING ? brood_tocstring(L, k, arg, "option name") : NULL;
    void (*read)(lua_State *, Plan *, const char *, int, int) = key ? findoption(key) : NULL;
    if (read) read(L, p, key, v, arg);
    else if (!readredirect(L, p, k, arg)) {
      lua_pushfstring(L, "unknown option '%s'", key ? key : luaL_typename(L, k));
      luaL_argerror(L, arg, lua_tostring(L, -1));
    }
    lua_settop(L, v - 1);
  }
}


/* Builds envp: the environment (or nothing, with unsetenv_others)
** changed by the env table at 'env' (0: none). Returns PATH's value. */
static char **buildenv(lua_State *L, int env, int envarg, int unsetenv_others, int holder,
                       const char **pathvar) {
  int t, n = 0;
  char **e;
  *pathvar = getenv("PATH");
  if (env == 0 && !unsetenv_others) return environ;
  lua_newtable(L);  /* name -> "name=value" */
  t = lua_gettop(L);
  if (!unsetenv_others) {
    for (e = environ; e && *e; e++) {
      const char *eq = strchr(*e, '=');
      if (!eq) continue;
      lua_pushlstring(L, *e, (size_t)(eq - *e));
      lua_pushstring(L, *e);
      lua_rawset(L, t);
    }
  }
  if (env) {
    lua_pushnil(L);
    while (lua_next(L, env)) {
      const char *name = lua_type(L, -2) == LUA_TSTRING
                       ? brood_tocstring(L, -2, envarg, "environment variable name") : NULL;
      if (name == NULL || !name[0] || strchr(name, '='))
        luaL_argerror(L, envarg, "environment variable names must be non-empty strings without '='");
      lua_pushvalue(L, -2);
      if (lua_type(L, -2) == LUA_TBOOLEAN && !lua_toboolean(L, -2)) lua_pushnil(L);
      else if (lua_type(L, -2) == LUA_TSTRING || lua_type(L, -2) == LUA_TNUMBER)
        lua_pushfstring(L, "%s=%s", name, brood_tocstring(L, -2, envarg, "environment value"));
      else {
        lua_pushfstring(L, "value of '%s' must be a string or false", name);
        luaL_argerror(L, envarg, lua_tostring(L, -1));
      }
      lua_rawset(L, t);
      lua_pop(L, 1);
    }
  }
  *pathvar = NULL;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    if (strcmp(lua_tostring(L, -2), "PATH") == 0) *pathvar = lua_tostring(L, -1) + 5;
    append(L, holder);
    n++;
  }
  lua_pop(L, 1);
  {  /* the strings sit at the end of holder */
    char **a = strarray(L, holder, (int)lua_rawlen(L, holder) - n, n);
    append(L, holder);
    return a;
  }
}


/* __close of the holder: closes the files opened for redirects (the
** child has its copies), at once after the launch or on any error. */
static int holder_close(lua_State *L) {
  lua_Integer i, n = (lua_Integer)lua_rawlen(L, 1);
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, 1, i);
    if (brood_io_test(L, -1)) brood_io_close(L, -1);
    lua_pop(L, 1);
  }
  return 0;
}


/* Pushes a plan with room for 'maxredir' redirects, every field at its
** default, and its holder: a to-be-closed table that anchors every
** string and file the plan uses (files opened for redirects are closed
** with it, at once after the launch or on any error). */
static Plan *newplan(lua_State *L, int maxredir) {
  Plan *p = lua_newuserdatauv(L, sizeof(Plan) + sizeof(Redirect) * (size_t)maxredir, 0);
  struct rlimit rl;
  memset(p, 0, sizeof *p);
  p->redir = (Redirect *)(void *)(p + 1);
  p->maxredir = maxredir;
  p->umask = -1;
  p->pgroup = -1;
  p->close_others = 1;
  p->maxfd = 2;
  /* fds can exist up to the hard limit (a soft one may have been lowered) */
  p->openmax = 1 << 20;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
      rl.rlim_max < (rlim_t)p->openmax)
    p->openmax = (int)rl.rlim_max - 1;
  lua_newtable(L);
  p->holder = lua_gettop(L);
  if (luaL_newmetatable(L, "brood.spawn.holder")) {
    lua_pushcfunction(L, holder_close);
    lua_setfield(L, -2, "__close");
  }
  lua_setmetatable(L, p->holder);
  lua_toclose(L, p->holder);
  return p;
}


/* Appends the command at first..top to the argv sequence 'argvt', the
** three ways Ruby reads one: {program, argv0} then arguments; one
** string (through /bin/sh if it needs a shell, else split on blanks);
** several strings. Errors name 'cmdarg' when it is not 0. */
static void readcommand(lua_State *L, Plan *p, int first, int top, int cmdarg, int argvt) {
  int i;
  if (lua_istable(L, first)) {  /* {path, argv0} */
    if (lua_rawgeti(L, first, 1) != LUA_TSTRING || lua_rawgeti(L, first, 2) != LUA_TSTRING)
      luaL_argerror(L, cmdarg ? cmdarg : first, "{program, argv0} expected");
    brood_tocstring(L, -2, cmdarg ? cmdarg : first, "program");
    brood_tocstring(L, -1, cmdarg ? cmdarg : first, "argv0");
    if (!p->argv0) p->argv0 = lua_tostring(L, -1);
    append(L, p->holder);
    append(L, argvt);  /* the program */
    first++;
  }
  else if (first == top) {  /* one string */
    const char *cmd = brood_tocstring(L, first, cmdarg ? cmdarg : first, "command");
    if (needs_shell(cmd)) {
      lua_pushliteral(L, "/bin/sh");
      append(L, argvt);
      lua_pushliteral(L, "-c");
      append(L, argvt);
      lua_pushvalue(L, first);
      append(L, argvt);
      if (!p->argv0) p->argv0 = "sh";
    }
    else {
      const char *s = cmd;
      while (*s) {
        size_t n;
        while (*s == ' ' || *s == '\t') s++;
        n = strcspn(s, " \t");
        if (n == 0) break;
        lua_pushlstring(L, s, n);
        append(L, argvt);
        s += n;
      }
      luaL_argcheck(L, lua_rawlen(L, argvt) > 0, cmdarg ? cmdarg : first, "empty command");
    }
    return;
  }
  for (i = first; i <= top; i++) {  /* the arguments */
    brood_tocstring(L, i, cmdarg ? cmdarg : i, "argument");
    lua_pushvalue(L, i);
    append(L, argvt);
  }
}


/* The plan's argv (argv0 in first place when set) and shargv ("sh",
** path, args...: a script without #! runs as execvp runs it), both
** anchored in the holder with the tables they come from. */
static void buildargv(lua_State *L, Plan *p, int argvt) {
  int i, nargs = (int)lua_rawlen(L, argvt);
  if (p->argv0) {
    lua_pushstring(L, p->argv0);
    lua_rawseti(L, argvt, 1);
  }
  p->argv = strarray(L, argvt, 0, nargs);
  append(L, p->holder);
  lua_newtable(L);
  lua_pushliteral(L, "sh");
  lua_rawseti(L, -2, 1);
  lua_pushstring(L, p->path);
  lua_rawseti(L, -2, 2);
  for (i = 2; i <= nargs; i++) {
    lua_rawgeti(L, argvt, i);
    lua_rawseti(L, -2, i + 1);
  }
  p->shargv = strarray(L, lua_gettop(L), 0, nargs + 1);
  append(L, p->holder);
  append(L, p->holder);  /* the sh argv table */
  lua_pushvalue(L, argvt);
  append(L, p->holder);
}


/*
** Reads ([env,] command...[, options]) from the stack (arguments
** first..top) into a plan: leaves the plan and its holder on the stack,
** nothing else. Raises for bad arguments and for programs that cannot
** be found. Errors about the command's pieces name argument 'cmdarg' and
** those about the options 'optarg' when they are not 0 (IO.popen passes
** the command as one table, and builds the options table it hands on);
** otherwise each names its own stack slot, as spawn's arguments.
*/
static Plan *makeplan(lua_State *L, int first, int cmdarg, int optarg) {
  int top = lua_gettop(L), env = 0, opts = 0, argvt;
  const char *prog, *pathvar;
  Plan *p;
  if (first <= top && lua_istable(L, first) && !brood_io_test(L, first) &&
      lua_rawgeti(L, first, 1) == LUA_TNIL) {  /* an env table: no [1] */
    env = first++;
  }
  if (env) lua_pop(L, 1);
  else if (first <= top && lua_istable(L, first)) lua_pop(L, 1);
  if (top > first && lua_istable(L, top)) opts = top--;
  luaL_argcheck(L, first <= top, cmdarg ? cmdarg : first, "command expected");
  p = newplan(L, 64);
  lua_newtable(L);
  argvt = lua_gettop(L);
  if (opts) readoptions(L, p, opts, optarg ? optarg : opts);
  readcommand(L, p, first, top, cmdarg, argvt);
  lua_rawgeti(L, argvt, 1);
  prog = lua_tostring(L, -1);
  lua_pop(L, 1);
  p->envp = buildenv(L, env, cmdarg ? cmdarg : env, p->unsetenv_others, p->holder, &pathvar);
  p->path = findprog(L, prog, pathvar);
  append(L, p->holder);
  buildargv(L, p, argvt);
  lua_settop(L, p->holder);  /* plan, holder (to-be-closed) */
  return p;
}

/* }====================================================== */


/*
** {======================================================
** Spawning
** =======================================================
*/

static const char *stagename(int stage) {
  switch (stage) {
    case S_CHDIR: return "chdir";
    case S_UMASK: return "umask";
    case S_RLIMIT: return "setrlimit";
    case S_SETSID: return "setsid";
    case S_SETPGID: return "setpgid";
    case S_DUP: return "dup2";
    case S_PDEATHSIG: return "prctl";
    default: return "exec";
  }
}


/* Starts the planned child; returns its pid. A failure before or at
** exec raises here, in the parent, after reaping the child. */
static pid_t launch(lua_State *L, Plan *p, const char *subject) {
  sigset_t all;
  char *stack;
  pid_t pid;
  int err;
  brood_io_prefork();
  /* malloc'ed, not a Lua userdata: 64 KB of garbage per spawn would make
  ** the collector walk a big heap over and over */
  stack = malloc(STACK_SIZE);
  if (stack == NULL) return brood_raise(L, "clone", subject, ENOMEM);
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &p->mask);
  pid = clone(apply_and_exec, (void *)(((uintptr_t)(stack + STACK_SIZE)) & ~(uintptr_t)15),
              CLONE_VM | CLONE_VFORK | SIGCHLD, p);
  err = errno;
  pthread_sigmask(SIG_SETMASK, &p->mask, NULL);
  free(stack);
  if (pid < 0) return brood_raise(L, "clone", subject, err);
  if (p->err) {
    int raw;
    brood_waitpid_retry(pid, &raw, 0);
    return brood_raise(L, stagename(p->stage),
                       p->stage == S_CHDIR ? p->chdir : subject, p->err);
  }
  return pid;
}


/* The command's name for error messages: the program as given. */
static const char *subjectof(const Plan *p) {
  return p->argv[0] && strcmp(p->argv[0], "sh") != 0 ? p->argv[0] : p->path;
}


/*
** Process.spawn([env,] command...[, options]) -> pid
** Starts the command and returns at once (wait for it with Process.wait).
** env: {NAME = "value" or false}. Options: redirects ({out = io},
** {err = "out"}, {[2] = 1}, {["in"] = "file"}, {out = {"file", "a"}},
** {[3] = "close"}, {err = {"child", 1}}, {[{"out","err"}] = w}), chdir,
** umask, pgroup, new_pgroup, setsid, rlimit_<name>, close_others
** (default true: only 0-2 and the redirected fds reach the program),
** unsetenv_others, argv0.
*/
static int process_spawn(lua_State *L) {
  Plan *p = makeplan(L, 1, 0, 0);
  pid_t pid = launch(L, p, subjectof(p));
  lua_closeslot(L, lua_gettop(L));  /* the redirect files */
  lua_pushinteger(L, pid);
  return 1;
}


/*
** brood._core.spawn(pids, [env,] command...[, options]) -> pid: as
** Process.spawn, and the pid is also stored at the end of the table
** 'pids' before the call returns -- a trap handler that raises at the
** return cannot make brood's own callers lose the child. (The slot is
** made before the launch, so storing the pid allocates nothing.)
*/
int brood_core_spawn(lua_State *L) {
  lua_Integer slot;
  Plan *p;
  pid_t pid;
  luaL_checktype(L, 1, LUA_TTABLE);
  slot = (lua_Integer)lua_rawlen(L, 1) + 1;
  lua_pushboolean(L, 0);
  lua_rawseti(L, 1, slot);
  p = makeplan(L, 2, 0, 0);
  pid = launch(L, p, subjectof(p));
  lua_pushinteger(L, pid);
  lua_rawseti(L, 1, slot);
  lua_closeslot(L, lua_gettop(L));  /* the redirect files */
  lua_pushinteger(L, pid);
  return 1;
}


/*
** Process.exec([env,] command...[, options]) -- replaces this process
** with the command (flushing output first; no at_exit functions). A
** program that cannot be found raises before anything changes; options
** are applied to this process on the way.
*/
static int process_exec(lua_State *L) {
  Plan *p = makeplan(L, 1, 0, 0);
  sigset_t all;
  brood_io_prefork();
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &p->mask);
  /* apply_and_exec reports a failure by exiting: do the steps that can
  ** fail here first, so that a failure raises instead */
  if (p->chdir && chdir(p->chdir) != 0) {
    int err = errno;
    pthread_sigmask(SIG_SETMASK, &p->mask, NULL);
    return brood_raise(L, "chdir", p->chdir, err);
  }
  p->chdir = NULL;
  if (access(p->path, X_OK) != 0) {
    int err = errno;
    pthread_sigmask(SIG_SETMASK, &p->mask, NULL);
    return brood_raise(L, "exec", subjectof(p), err);
  }
  apply_and_exec(p);  /* exits 127 if execve fails after all */
  return 0;
}

/* }====================================================== */


/*
** {======================================================
** IO.popen
** =======================================================
*/

/* __close of the guard below: a program whose wait was cut short is
** reaped in the background. */
static int reap_guard_close(lua_State *L) {
  int *pid = lua_touserdata(L, 1);
  if (*pid > 0) brood_reap_later(*pid);
  *pid = 0;
  return 0;
}


/* A popen object: an IO object that knows its program. */
typedef struct {
  brood_IO io;
  pid_t pid;  /* 0 once waited for (or handed to a reaper) */
} Popen;


static lua_Integer popen_pid(brood_IO *io) {
  return ((Popen *)io)->pid;
}


/*
** A popen object's close: wait, then os.execute's results. If a trap
** handler raises while it waits, the error goes on and the program is
** reaped in the background -- never left a zombie. The collector never
** waits: it hands the program to a background reaper.
*/
static int popen_close(lua_State *L, brood_IO *io, int how) {
  Popen *po = (Popen *)io;
  int raw = 0, *guard;
  pid_t pid = po->pid;
  po->pid = 0;
  if (pid == 0) return 0;
  if (how == BROOD_CLOSE_GC) {
    brood_reap_later(pid);
    return 0;
  }
  guard = lua_newuserdatauv(L, sizeof(int), 0);
  *guard = pid;
  if (luaL_newmetatable(L, "brood.popen.reaper")) {
    lua_pushcfunction(L, reap_guard_close);
    lua_setfield(L, -2, "__close");
  }
  lua_setmetatable(L, -2);
  lua_toclose(L, -1);
  brood_waitpid(L, pid, &raw, 0);
  *guard = 0;
  brood_setlaststatus(L, pid, raw);
  return brood_execresult(L, raw);
}


static const brood_IO_ops popen_ops = {popen_close, popen_pid};


/* A pipe between us and the program, each end a to-be-closed IO object
** at the stack slots it reports: ours reads (or, 'towrite', writes). */
static void popen_pipe(lua_State *L, int towrite, int *ours, int *theirs) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) brood_syserror(L, "pipe2");
  brood_io_new(L, fds[towrite], towrite ? BROOD_IO_WRITE : BROOD_IO_READ, BROOD_KIND_PIPE, 1);
  *ours = lua_gettop(L);
  lua_toclose(L, *ours);
  brood_io_new(L, fds[!towrite], towrite ? BROOD_IO_READ : BROOD_IO_WRITE, BROOD_KIND_PIPE, 1);
  *theirs = lua_gettop(L);
  lua_toclose(L, *theirs);
}


/* Pushes the options spawn gets: the caller's (at optsidx, 0: none)
** and the redirects to our pipes. Returns their slot. */
static int popen_options(lua_State *L, int optsidx, int childout, int childin) {
  int o;
  lua_newtable(L);
  o = lua_gettop(L);
  if (optsidx) {
    lua_pushnil(L);
    while (lua_next(L, optsidx)) {
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, o);
    }
  }
  if (childout) {
    lua_pushvalue(L, childout);
    lua_setfield(L, o, "out");
  }
  if (childin) {
    lua_pushvalue(L, childin);
    lua_setfield(L, o, "in");
  }
  return o;
}


/* Pushes the command's pieces: argument 1, a string or an argv table.
** Returns the slot of the first. */
static int popen_command(lua_State *L) {
  int first = lua_gettop(L) + 1;
  if (lua_istable(L, 1)) {
    lua_Integer n = (lua_Integer)lua_rawlen(L, 1), k;
    luaL_argcheck(L, n > 0, 1, "empty command");
    luaL_argcheck(L, n < 100000, 1, "command too long");
    luaL_checkstack(L, (int)n + 8, "command too long");
    for (k = 1; k <= n; k++) lua_rawgeti(L, 1, k);
  }
  else lua_pushvalue(L, 1);
  return first;
}


/*
** IO.popen(command[, mode][, options][, fn]) -> io. command: a string
** (as spawn's one-string form) or an argv table, optionally with an env
** table first ({env, "ls", "-l"}). mode "r" (default) reads the
** program's stdout, "w" writes its stdin, "r+" both. Closing waits for
** the program and returns os.execute's results (and sets
** Process.last_status). With fn: fn(io) runs, the object is closed
** after, and fn's results are returned.
*/
static int io_popen(lua_State *L) {
  int nargs = lua_gettop(L), fnidx = 0, optsidx = 0, i, o, first;
  int reading, writing, ours = 0, oursw = 0, childout = 0, childin = 0, obj, flags;
  const char *mode = "r";
  Plan *p;
  brood_IO *io;
  pid_t pid;
  if (nargs >= 2 && lua_isfunction(L, nargs)) fnidx = nargs;
  for (i = 2; i <= nargs; i++) {
    if (i == fnidx) continue;
    if (lua_type(L, i) == LUA_TSTRING) mode = brood_checkcstring(L, i, "mode");
    else if (lua_istable(L, i)) optsidx = i;
    else luaL_argerror(L, i, "mode, options or function expected");
  }
  luaL_argcheck(L, strcmp(mode, "r") == 0 || strcmp(mode, "w") == 0 || strcmp(mode, "r+") == 0,
                2, "mode must be \"r\", \"w\" or \"r+\"");
  reading = mode[0] == 'r';
  writing = mode[0] == 'w' || mode[1] == '+';
  flags = (reading ? BROOD_IO_READ : 0) | (writing ? BROOD_IO_WRITE : 0);
  if (!lua_istable(L, 1)) brood_checkcstring(L, 1, "command");
  /* Pipes: each end is a to-be-closed IO object as soon as it exists, so
  ** an error anywhere below (EMFILE for the second pipe, a bad option, a
  ** program not found) closes every one; on success ours move to the
  ** object returned. */
  if (reading) popen_pipe(L, 0, &ours, &childout);
  if (writing) popen_pipe(L, 1, &oursw, &childin);
  o = popen_options(L, optsidx, childout, childin);
  first = popen_command(L);
  lua_pushvalue(L, o);
  p = makeplan(L, first, 1, optsidx ? optsidx : 1);
  pid = launch(L, p, subjectof(p));
  if (childout) brood_io_close(L, childout);  /* the child has its copies */
  if (childin) brood_io_close(L, childin);
  lua_closeslot(L, lua_gettop(L));  /* the redirect files */
  /* the object returned takes our ends over: made first (inert), so
  ** that no error can come between handing the descriptors over */
  io = brood_io_newx(L, sizeof(Popen), -1, flags, BROOD_KIND_PIPE, 1);
  io->ops = &popen_ops;
  if (ours) {
    brood_IO *r = lua_touserdata(L, ours);
    io->fd = r->fd;
    r->fd = -1;
  }
  if (oursw) {
    brood_IO *w = lua_touserdata(L, oursw);
    if (io->fd < 0) io->fd = w->fd;
    else io->pfd = w->fd;
    w->fd = -1;
  }
  ((Popen *)io)->pid = pid;
  obj = lua_gettop(L);
  if (!fnidx) return 1;
  {
    int status;
    lua_pushvalue(L, fnidx);
    lua_pushvalue(L, obj);
    status = lua_pcall(L, 1, LUA_MULTRET, 0);
    brood_io_close(L, obj);  /* waits; sets last_status */
    if (status != LUA_OK) return lua_error(L);
    return lua_gettop(L) - obj;
  }
}

/* }====================================================== */


static const luaL_Reg spawn_funcs[] = {
  {"spawn", process_spawn},
  {"exec", process_exec},
  {NULL, NULL}
};


void brood_open_spawn(lua_State *L) {
  luaL_setfuncs(L, spawn_funcs, 0);
}


void brood_open_popen(lua_State *L) {
  lua_pushcfunction(L, io_popen);
  lua_setfield(L, -2, "popen");
}
