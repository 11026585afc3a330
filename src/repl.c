/*
** repl.c -- brood's read-eval-print loop.
**
** As lua5.4's: a line is tried as "return <line>" first, so expressions
** print their values; a statement that is not finished ("<eof>" in the
** syntax error) continues on the next line; "=expr" works too.
**
** brood's additions:
**   - Process, Signal, IO, Socket, Open3 and Task are globals, so the book's
**     "open a session and type Process.pid()" works as is;
**   - line editing and persistent history through libedit, when built
**     with it (history in $BROOD_HISTORY, default ~/.brood_history;
**     an empty BROOD_HISTORY turns it off);
**   - Tab completes names: globals, fields after '.', methods after
**     ':', signal names where a call takes one (brood._repl.complete);
**   - help(Process.spawn), help "io:read": the reference entry, from
**     the documentation compiled into the executable (refdocs.c);
**   - input is read by polling stdin together with brood's signal
**     pipe, so a signal never waits for the next key press: Ctrl-C at
**     the prompt discards the line and gives a fresh prompt, a trapped
**     signal's handler runs at once, and Ctrl-C while code runs raises
**     "interrupted!" in it (inside coroutines too) unless the script
**     traps INT itself.
*/
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include <lua.h>
#include <lauxlib.h>

#include "interp.h"
#include "modules.h"

#ifdef BROOD_HAVE_LIBEDIT
#include <dlfcn.h>
#include <histedit.h>
#include <sys/ioctl.h>

#include "process.h"
#endif

extern const struct brood_luamod brood_refdocs[];

#define PROMPT1 "> "
#define PROMPT2 ">> "
#define EOFMARK "<eof>"
#define HISTORY_SIZE 1000

/* The globals bound in the REPL, and the modules they hold. */
static const char *const prebound[][2] = {
  {"Process", "brood.process"},
  {"Signal", "brood.signal"},
  {"IO", "brood.io"},
  {"Socket", "brood.socket"},
  {"Open3", "brood.open3"},
  {"Task", "brood.task"},
};


/*
** {======================================================
** Reading a line
** =======================================================
*/

enum { READ_OK, READ_EOF, READ_INTERRUPTED };

static lua_State *replL;  /* the state, for the signal checks */


static int check_signals(lua_State *L) {
  brood_sig_check(L);
  return 0;
}


/*
** Runs pending signal handlers while waiting for input. Returns 1 if the
** line being typed must be dropped: Ctrl-C (the REPL's interrupt) or an
** error raised by a handler, which is reported.
*/
static void redraw(void);

static int handle_signals(void) {
  int status;
  unsigned long ran = brood_sig_ran();
  lua_pushcfunction(replL, check_signals);
  status = interp_docall(replL, 0, 0);
  if (status == LUA_OK) {
    if (brood_sig_ran() != ran) redraw();  /* a trap handler may have printed */
    return 0;
  }
  {
    const char *msg = lua_tostring(replL, -1);
    if (msg && strncmp(msg, "interrupted!", 12) == 0) lua_pop(replL, 1);
    else {
      fputc('\n', stdout);
      fflush(stdout);
      interp_report(replL, status);
    }
  }
  return 1;
}


/*
** stdin is non-blocking only while a line is being read (and restored
** before any Lua code runs): poll may report input that is gone by the
** time read runs -- Ctrl-C makes the tty flush its queue -- and a
** blocking read would then hang past the signal.
*/
static int stdin_flags = -1;

static void stdin_nonblock(int on) {
  if (on) {
    stdin_flags = fcntl(0, F_GETFL);
    if (stdin_flags >= 0 && !(stdin_flags & O_NONBLOCK))
      fcntl(0, F_SETFL, stdin_flags | O_NONBLOCK);
  }
  else if (stdin_flags >= 0) {
    if (!(stdin_flags & O_NONBLOCK)) fcntl(0, F_SETFL, stdin_flags);
    stdin_flags = -1;
  }
}


/*
** Reads one byte of input, waiting on stdin and on the signal pipe at
** once. Returns 1 with the byte, 0 at end of input, -1 with errno set on
** error (EINTR when the line must be dropped).
*/
static int read_byte(unsigned char *c) {
  struct pollfd p[2];
  int sigfd = brood_sig_pipe();
  for (;;) {
    ssize_t n;
    int r;
    if (brood_sig_pending() && handle_signals()) {
      errno = EINTR;
      return -1;
    }
    p[0].fd = 0;
    p[0].events = POLLIN;
    p[1].fd = sigfd;
    p[1].events = POLLIN;
    p[0].revents = p[1].revents = 0;
    brood_sig_waiting(1);
    r = brood_sig_pending() ? 0 : poll(p, sigfd >= 0 ? 2 : 1, -1);
    brood_sig_waiting(-1);
    if (r == 0) continue;  /* a signal came just before the poll */
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (!p[0].revents) continue;  /* a signal: handled at the loop's top */
    n = read(0, c, 1);
    if (n == 1) return 1;
    if (n == 0) return 0;
    if (errno != EINTR && errno != EAGAIN) return -1;
  }
}


#ifdef BROOD_HAVE_LIBEDIT

/*
** libedit is loaded with dlopen when the REPL starts, not linked: it
** and the libraries it pulls in would otherwise be mapped by every
** script run, for nothing (it costs a quarter of brood's startup). If it
** is missing at run time, the REPL reads plain lines.
*/
static struct {
  EditLine *(*init)(const char *, FILE *, FILE *, FILE *);
  int (*set)(EditLine *, int, ...);
  int (*wset)(EditLine *, int, ...);
  const char *(*gets)(EditLine *, int *);
  int (*source)(EditLine *, const char *);
  void (*end)(EditLine *);
  History *(*hinit)(void);
  int (*history)(History *, HistEvent *, int, ...);
  void (*hend)(History *);
  const LineInfo *(*line)(EditLine *);
  int (*insertstr)(EditLine *, const char *);
} ed;

static int editor_load(void) {
  static const char *const names[] = {"libedit.so.2", "libedit.so.0", "libedit.so"};
  void *h = NULL;
  size_t i;
  for (i = 0; h == NULL && i < sizeof names / sizeof names[0]; i++)
    h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
  if (h == NULL) return 0;
  *(void **)&ed.init = dlsym(h, "el_init");
  *(void **)&ed.set = dlsym(h, "el_set");
  *(void **)&ed.wset = dlsym(h, "el_wset");
  *(void **)&ed.gets = dlsym(h, "el_gets");
  *(void **)&ed.source = dlsym(h, "el_source");
  *(void **)&ed.end = dlsym(h, "el_end");
  *(void **)&ed.hinit = dlsym(h, "history_init");
  *(void **)&ed.history = dlsym(h, "history");
  *(void **)&ed.hend = dlsym(h, "history_end");
  *(void **)&ed.line = dlsym(h, "el_line");
  *(void **)&ed.insertstr = dlsym(h, "el_insertstr");
  return ed.init && ed.set && ed.wset && ed.gets && ed.source && ed.end && ed.hinit &&
         ed.history && ed.hend && ed.line && ed.insertstr;
}

static EditLine *el;
static History *hist;
static char *histfile;
static const char *cur_prompt = PROMPT1;


static char *repl_prompt(EditLine *e) {
  (void)e;
  return (char *)cur_prompt;
}


/* libedit's character reader: bytes from read_byte, decoded from the
** locale's multibyte encoding. */
static int repl_getc(EditLine *e, wchar_t *wc) {
  mbstate_t st;
  (void)e;
  memset(&st, 0, sizeof st);
  for (;;) {
    unsigned char b;
    size_t k;
    int r = read_byte(&b);
    if (r <= 0) return r;
    k = mbrtowc(wc, (const char *)&b, 1, &st);
    if (k == (size_t)-2) continue;  /* more bytes to come */
    if (k == (size_t)-1) {  /* not valid here: pass the byte through */
      *wc = (wchar_t)b;
      memset(&st, 0, sizeof st);
    }
    return 1;
  }
}


/* Shows the prompt and the line being typed again, on a fresh line. */
static void redraw(void) {
  if (el) {
    fflush(stdout);
    ed.set(el, EL_REFRESH);
  }
}


/* Prints the candidates in columns under the line being typed. */
static void list_candidates(lua_State *L, int t) {
  struct winsize ws;
  size_t width = 0, i, n = lua_rawlen(L, t), cols, rows, r, c;
  size_t term = ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
  for (i = 1; i <= n; i++) {
    size_t len;
    lua_rawgeti(L, t, (lua_Integer)i);
    lua_tolstring(L, -1, &len);
    lua_pop(L, 1);
    if (len > width) width = len;
  }
  width += 2;
  cols = term / width ? term / width : 1;
  rows = (n + cols - 1) / cols;
  fputc('\n', stdout);
  for (r = 0; r < rows; r++) {
    for (c = 0; c < cols && c * rows + r < n; c++) {
      lua_rawgeti(L, t, (lua_Integer)(c * rows + r + 1));
      printf("%-*s", c + 1 < cols && (c + 1) * rows + r < n ? (int)width : 0,
             lua_tostring(L, -1));
      lua_pop(L, 1);
    }
    fputc('\n', stdout);
  }
  fflush(stdout);
}


static int call_complete(lua_State *L) {
  brood_require(L, "brood._repl");
  lua_getfield(L, -1, "complete");
  lua_pushvalue(L, 1);
  lua_call(L, 1, 2);
  return 2;
}


/* Tab: brood._repl.complete on the text before the cursor; inserts what
** all candidates share, or lists them when that is nothing. */
static unsigned char complete_key(EditLine *e, int ch) {
  lua_State *L = replL;
  const LineInfo *li = ed.line(e);
  int top = lua_gettop(L), result = CC_ERROR;
  (void)ch;
  if (L == NULL || li == NULL) return CC_ERROR;
  lua_pushcfunction(L, call_complete);
  lua_pushlstring(L, li->buffer, (size_t)(li->cursor - li->buffer));
  if (lua_pcall(L, 1, 2, 0) == LUA_OK && lua_type(L, -2) == LUA_TSTRING &&
      lua_type(L, -1) == LUA_TTABLE) {
    const char *insert = lua_tostring(L, -2);
    if (*insert) {
      ed.insertstr(e, insert);
      result = CC_REFRESH;
    }
    else if (lua_rawlen(L, -1) > 1) {
      list_candidates(L, lua_gettop(L));
      result = CC_REDISPLAY;
    }
  }
  lua_settop(L, top);
  return (unsigned char)result;
}


static void editor_open(void) {
  HistEvent ev;
  const char *h = getenv("BROOD_HISTORY");
  if (!editor_load()) return;
  setlocale(LC_CTYPE, "");
  el = ed.init("brood", stdin, stdout, stderr);
  if (el == NULL) return;
  ed.set(el, EL_EDITOR, "emacs");
  ed.set(el, EL_SIGNAL, 0);
  ed.set(el, EL_PROMPT, repl_prompt);
  ed.set(el, EL_GETCFN, repl_getc);
  /* the wide call: el_set's narrow EL_ADDFN copies the two strings and
  ** never frees them */
  ed.wset(el, EL_ADDFN, L"brood-complete", L"complete a name", complete_key);
  ed.set(el, EL_BIND, "^I", "brood-complete", NULL);
  hist = ed.hinit();
  if (hist) {
    ed.history(hist, &ev, H_SETSIZE, HISTORY_SIZE);
    ed.history(hist, &ev, H_SETUNIQUE, 1);
    ed.set(el, EL_HIST, ed.history, hist);
  }
  ed.source(el, NULL);  /* the user's ~/.editrc, if any */
  if (h == NULL) {
    const char *home = getenv("HOME");
    if (home && *home) {
      size_t len = strlen(home) + sizeof "/.brood_history";
      histfile = malloc(len);
      if (histfile) snprintf(histfile, len, "%s/.brood_history", home);
    }
  }
  else if (*h) histfile = strdup(h);
  if (hist && histfile) ed.history(hist, &ev, H_LOAD, histfile);
}


static void editor_close(void) {
  if (hist) ed.hend(hist);
  if (el) ed.end(el);
  free(histfile);
  el = NULL;
  hist = NULL;
  histfile = NULL;
}


static void save_line(const char *line) {
  HistEvent ev;
  if (hist == NULL || line[0] == '\0') return;
  ed.history(hist, &ev, H_ENTER, line);
  if (histfile) ed.history(hist, &ev, H_SAVE, histfile);
}

#else

static void editor_open(void) {}
static void editor_close(void) {}
static void redraw(void) {}
static void save_line(const char *line) { (void)line; }

#endif


/* Without libedit (or when it could not start): prompt, then bytes up
** to a newline. */
static int plain_readline(lua_State *L, const char *prompt) {
  luaL_Buffer b;
  int r;
  unsigned char c;
  fputs(prompt, stdout);
  fflush(stdout);
  luaL_buffinit(L, &b);
  while ((r = read_byte(&c)) == 1 && c != '\n') luaL_addchar(&b, (char)c);
  if (r < 0) {
    luaL_pushresult(&b);
    lua_pop(L, 1);
    return errno == EINTR ? READ_INTERRUPTED : READ_EOF;
  }
  luaL_pushresult(&b);
  if (r == 0 && lua_rawlen(L, -1) == 0) {
    lua_pop(L, 1);
    return READ_EOF;
  }
  return READ_OK;
}


/* Shows the prompt (_PROMPT/_PROMPT2 if set) and pushes the line read,
** without its newline. */
static int pushline(lua_State *L, int firstline) {
  const char *prompt;
  size_t len;
  int r;
  if (lua_getglobal(L, firstline ? "_PROMPT" : "_PROMPT2") == LUA_TNIL) {
    lua_pop(L, 1);
    lua_pushstring(L, firstline ? PROMPT1 : PROMPT2);
  }
  else {
    luaL_tolstring(L, -1, NULL);
    lua_remove(L, -2);
  }
  prompt = lua_tostring(L, -1);  /* anchored on the stack */
#ifdef BROOD_HAVE_LIBEDIT
  if (el) {
    int count, err;
    const char *line;
    cur_prompt = prompt;
    stdin_nonblock(1);
    line = ed.gets(el, &count);
    err = errno;
    stdin_nonblock(0);
    errno = err;
    cur_prompt = PROMPT1;
    if (line == NULL) {
      lua_pop(L, 1);
      return count < 0 && errno == EINTR ? READ_INTERRUPTED : READ_EOF;
    }
    lua_pop(L, 1);
    lua_pushstring(L, line);
    r = READ_OK;
  }
  else
#endif
  {
    stdin_nonblock(1);
    r = plain_readline(L, prompt);
    stdin_nonblock(0);
    if (r != READ_OK) {
      lua_pop(L, 1);
      return r;
    }
    lua_remove(L, -2);
  }
  lua_tolstring(L, -1, &len);
  if (len > 0 && lua_tostring(L, -1)[len - 1] == '\n') {
    lua_pushlstring(L, lua_tostring(L, -1), len - 1);
    lua_remove(L, -2);
  }
  if (firstline && lua_tostring(L, -1)[0] == '=') {
    lua_pushfstring(L, "return %s", lua_tostring(L, -1) + 1);
    lua_remove(L, -2);
  }
  return r;
}

/* }====================================================== */


/*
** {======================================================
** Evaluating
** =======================================================
*/

static int incomplete(lua_State *L, int status) {
  if (status == LUA_ERRSYNTAX) {
    size_t lmsg;
    const char *msg = lua_tolstring(L, -1, &lmsg);
    size_t lmark = sizeof(EOFMARK) - 1;
    if (lmsg >= lmark && strcmp(msg + lmsg - lmark, EOFMARK) == 0) {
      lua_pop(L, 1);
      return 1;
    }
  }
  return 0;
}


/* Tries the line on the stack as "return <line>;". */
static int addreturn(lua_State *L) {
  const char *line = lua_tostring(L, -1);
  const char *retline = lua_pushfstring(L, "return %s;", line);
  int status = luaL_loadbuffer(L, retline, strlen(retline), "=stdin");
  if (status == LUA_OK) {
    lua_remove(L, -2);
    save_line(line);
  }
  else lua_pop(L, 2);
  return status;
}


/* Reads continuation lines until the chunk compiles or fails for good. */
static int multiline(lua_State *L) {
  for (;;) {
    size_t len;
    const char *line = lua_tolstring(L, 1, &len);
    int status = luaL_loadbuffer(L, line, len, "=stdin");
    int r;
    if (!incomplete(L, status)) {
      save_line(line);
      return status;
    }
    r = pushline(L, 0);
    if (r == READ_INTERRUPTED) return -2;
    if (r == READ_EOF) {  /* report the unfinished chunk as lua5.4 does */
      save_line(line);
      return luaL_loadbuffer(L, line, len, "=stdin");
    }
    lua_pushliteral(L, "\n");
    lua_insert(L, -2);
    lua_concat(L, 3);
  }
}


/* Returns the load status with the chunk (or error) on the stack; -1 at
** end of input; -2 when Ctrl-C dropped the line. */
static int loadline(lua_State *L) {
  int status, r;
  lua_settop(L, 0);
  r = pushline(L, 1);
  if (r == READ_EOF) return -1;
  if (r == READ_INTERRUPTED) return -2;
  if ((status = addreturn(L)) != LUA_OK) {
    status = multiline(L);
    if (status == -2) {
      lua_settop(L, 0);
      return -2;
    }
  }
  lua_remove(L, 1);
  return status;
}


static void print_results(lua_State *L) {
  int n = lua_gettop(L);
  if (n > 0) {
    luaL_checkstack(L, LUA_MINSTACK, "too many results to print");
    lua_getglobal(L, "print");
    lua_insert(L, 1);
    if (lua_pcall(L, n, 0, 0) != LUA_OK)
      interp_report(L, LUA_ERRRUN);
  }
}


/* help([what]) -- brood._repl.help with the compiled-in reference: a
** table of each page's markdown by name ("process"). */
static int repl_help(lua_State *L) {
  const struct brood_luamod *d;
  lua_settop(L, 1);
  brood_require(L, "brood._repl");
  lua_getfield(L, -1, "help");
  lua_newtable(L);
  for (d = brood_refdocs; d->name; d++) {
    lua_pushlstring(L, d->source, d->size);
    lua_setfield(L, -2, d->name);
  }
  lua_pushvalue(L, 1);
  lua_call(L, 2, 0);
  return 0;
}


static int bind_globals(lua_State *L) {
  size_t i;
  for (i = 0; i < sizeof prebound / sizeof prebound[0]; i++) {
    brood_require(L, prebound[i][1]);
    lua_setglobal(L, prebound[i][0]);
  }
  lua_pushcfunction(L, repl_help);
  lua_setglobal(L, "help");
  brood_sig_replmode(L);
  return 0;
}


void interp_repl(lua_State *L) {
  int status;
  const char *oldprogname = interp_progname;
  interp_progname = NULL;
  replL = L;
  lua_pushcfunction(L, bind_globals);
  interp_report(L, interp_docall(L, 0, 0));
  if (isatty(0)) editor_open();
  while ((status = loadline(L)) != -1) {
    if (status == -2) {  /* Ctrl-C at the prompt: a fresh one */
      fputc('\n', stdout);
      fflush(stdout);
      continue;
    }
    if (status == LUA_OK) status = interp_docall(L, 0, LUA_MULTRET);
    if (status == LUA_OK) print_results(L);
    else interp_report(L, status);
    fflush(stdout);
  }
  lua_settop(L, 0);
  fputc('\n', stdout);
  fflush(stdout);
  editor_close();
  interp_progname = oldprogname;
}

/* }====================================================== */
