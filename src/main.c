/*
** main.c -- the brood command: a superset of the lua5.4 command line.
**
**   brood [options] [script [args]]
**
** Options, the 'arg' table, LUA_INIT_5_4/LUA_INIT and exit statuses
** behave as in lua5.4; brood adds --version and --help, opens brood's
** modules (registered, not loaded) and runs the REPL with brood's
** modules pre-bound.
**
** One deliberate difference: a script does not catch SIGINT. Ctrl-C
** ends it the Unix way, so a parent sees "killed by SIGINT" in its wait
** status; a script that wants otherwise traps INT. (The REPL does turn
** Ctrl-C into an "interrupted!" error, as lua5.4's does.)
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "process.h"
#include "interp.h"


static void print_usage(FILE *f, const char *badoption) {
  if (badoption) {
    fprintf(f, "%s: ", interp_progname);
    if (badoption[1] == 'e' || badoption[1] == 'l')
      fprintf(f, "'%s' needs argument\n", badoption);
    else
      fprintf(f, "unrecognized option '%s'\n", badoption);
  }
  fprintf(f,
    "usage: %s [options] [script [args]]\n"
    "Available options are:\n"
    "  -e stat   execute string 'stat'\n"
    "  -i        enter interactive mode after executing 'script'\n"
    "  -l mod    require library 'mod' into global 'mod'\n"
    "  -l g=mod  require library 'mod' into global 'g'\n"
    "  -v        show version information\n"
    "  -E        ignore environment variables\n"
    "  -W        turn warnings on\n"
    "  --        stop handling options\n"
    "  -         stop handling options and execute stdin\n"
    "  --version show brood's and Lua's versions and exit\n"
    "  --help    show this help and exit\n"
    "  --init [-g] [--] command [args]\n"
    "            run command as a container's init (see brood.supervisor)\n",
    interp_progname);
  fflush(f);
}


/* Whether this is `brood --init`, and the status it exits with: the
** command's. */
static int init_mode, init_status = EXIT_FAILURE;

static void init_usage(const char *bad) {
  if (bad) fprintf(stderr, "%s: --init: unrecognized option '%s'\n", interp_progname, bad);
  else fprintf(stderr, "%s: --init: a command is needed\n", interp_progname);
  fprintf(stderr,
    "usage: %s --init [-g] [--] command [args]\n"
    "Runs command as init does in a container (as tini): reaps every\n"
    "orphan, passes signals on to the command and exits with its status.\n"
    "  -g   send the signals to the command's whole process group\n",
    interp_progname);
  fflush(stderr);
}


/* brood --init [-g] [--] command [args]: Supervisor.init. argv[0] is
** "--init". Leaves the status to exit with in init_status. */
static int run_init(lua_State *L, char **argv) {
  int i, group = 0, n;
  for (i = 1; argv[i] && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    }
    if (strcmp(argv[i], "-g") != 0) {
      init_usage(argv[i]);
      init_status = 2;
      return 1;
    }
    group = 1;
  }
  if (argv[i] == NULL) {
    init_usage(NULL);
    init_status = 2;
    return 1;
  }
  luaL_openlibs(L);
  brood_openlibs(L);
  brood_sig_tracking(L);
  brood_patch_stdlib(L);
  brood_require(L, "brood.supervisor");
  lua_getfield(L, -1, "init");
  lua_newtable(L);
  for (n = 1; argv[i]; i++, n++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, n);
  }
  lua_newtable(L);
  lua_pushboolean(L, group);
  lua_setfield(L, -2, "group");
  lua_call(L, 2, 1);
  init_status = (int)lua_tointeger(L, -1);
  return 1;
}


/* arg[0] is the script, arguments after it are arg[1..n] and those
** before it (interpreter, options) are negative; without a script the
** interpreter's name is arg[0]. */
static void createargtable(lua_State *L, char **argv, int argc, int script) {
  int i;
  if (script == argc) script = 0;
  lua_createtable(L, argc - (script + 1), script + 1);
  for (i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}


/* Chunks run from the command line leave their error on the stack; pmain
** raises it on, so that main can run the at_exit functions before the
** message is printed (Ruby's order). */
static int dochunk(lua_State *L, int status) {
  if (status == LUA_OK) status = interp_docall(L, 0, 0);
  return status;
}


static int dofile(lua_State *L, const char *name) {
  return dochunk(L, luaL_loadfile(L, name));
}


static int dostring(lua_State *L, const char *s, const char *name) {
  return dochunk(L, luaL_loadbuffer(L, s, strlen(s), name));
}


/* "-l g=mod" or "-l mod": g = require(mod). */
static int dolibrary(lua_State *L, const char *spec) {
  int status;
  const char *eq = strchr(spec, '=');
  const char *modname = eq ? eq + 1 : spec;
  lua_getglobal(L, "require");
  lua_pushstring(L, modname);
  status = interp_docall(L, 1, 1);
  if (status == LUA_OK) {
    if (eq) lua_pushlstring(L, spec, (size_t)(eq - spec));
    else lua_pushstring(L, spec);
    lua_insert(L, -2);
    lua_setglobal(L, lua_tostring(L, -2));
    lua_pop(L, 1);
  }
  return status;
}


static int pushargs(lua_State *L) {
  int i, n;
  if (lua_getglobal(L, "arg") != LUA_TTABLE)
    luaL_error(L, "'arg' is not a table");
  n = (int)luaL_len(L, -1);
  luaL_checkstack(L, n + 3, "too many arguments to script");
  for (i = 1; i <= n; i++) lua_rawgeti(L, -i, i);
  lua_remove(L, -i);
  return n;
}


static int handle_script(lua_State *L, char **argv) {
  int status;
  const char *fname = argv[0];
  if (strcmp(fname, "-") == 0 && strcmp(argv[-1], "--") != 0)
    fname = NULL;  /* stdin */
  status = luaL_loadfile(L, fname);
  if (status == LUA_OK) {
    int n = pushargs(L);
    status = interp_docall(L, n, LUA_MULTRET);
  }
  return status;
}


enum {
  HAS_ERROR = 1, HAS_I = 2, HAS_V = 4, HAS_E = 8, HAS_BIG_E = 16,
  HAS_VERSION = 32, HAS_HELP = 64
};


/* Scans the options; '*first' is left at the script (or at the bad
** option). Returns a mask of HAS_* flags. */
static int collectargs(char **argv, int *first) {
  int args = 0, i;
  for (i = 1; argv[i] != NULL; i++) {
    *first = i;
    if (argv[i][0] != '-') return args;
    switch (argv[i][1]) {
      case '-':
        if (strcmp(argv[i], "--version") == 0 && i == 1) return HAS_VERSION;
        if (strcmp(argv[i], "--help") == 0 && i == 1) return HAS_HELP;
        if (argv[i][2] != '\0') return HAS_ERROR;
        *first = i + 1;
        return args;
      case '\0':
        return args;
      case 'E':
        if (argv[i][2] != '\0') return HAS_ERROR;
        args |= HAS_BIG_E;
        break;
      case 'W':
        if (argv[i][2] != '\0') return HAS_ERROR;
        break;
      case 'i':
        args |= HAS_I;
        /* fall through - -i implies -v */
      case 'v':
        if (argv[i][2] != '\0') return HAS_ERROR;
        args |= HAS_V;
        break;
      case 'e':
        args |= HAS_E;
        /* fall through - both need an argument */
      case 'l':
        if (argv[i][2] == '\0') {
          i++;
          if (argv[i] == NULL || argv[i][0] == '-') return HAS_ERROR;
        }
        break;
      default:
        return HAS_ERROR;
    }
  }
  *first = i;
  return args;
}


/* Runs -e, -l and -W in command-line order; 0 if one of them failed
** (its error left on the stack). */
static int runargs(lua_State *L, char **argv, int n) {
  int i;
  for (i = 1; i < n; i++) {
    int option = argv[i][1];
    if (option == 'e' || option == 'l') {
      const char *extra = argv[i] + 2;
      int status;
      if (*extra == '\0') extra = argv[++i];
      status = option == 'e' ? dostring(L, extra, "=(command line)")
                             : dolibrary(L, extra);
      if (status != LUA_OK) return 0;
    }
    else if (option == 'W')
      lua_warning(L, "@on", 0);
  }
  return 1;
}


static int handle_luainit(lua_State *L) {
  const char *name = "=LUA_INIT" LUA_VERSUFFIX;
  const char *init = getenv(name + 1);
  if (init == NULL) {
    name = "=LUA_INIT";
    init = getenv(name + 1);
  }
  if (init == NULL) return LUA_OK;
  if (init[0] == '@') return dofile(L, init + 1);
  return dostring(L, init, name);
}


static int pmain(lua_State *L) {
  int argc = (int)lua_tointeger(L, 1);
  char **argv = (char **)lua_touserdata(L, 2);
  int script = 1;
  int args = collectargs(argv, &script);
  luaL_checkversion(L);
  if (argv[0] && argv[0][0]) interp_progname = argv[0];
  if (argv[1] && strcmp(argv[1], "--init") == 0) {
    init_mode = 1;
    lua_pushboolean(L, run_init(L, argv + 1));
    return 1;
  }
  if (args == HAS_VERSION) {
    printf("brood %s (%s)\n", brood_version(), LUA_RELEASE);
    lua_pushboolean(L, 1);
    return 1;
  }
  if (args == HAS_HELP) {
    print_usage(stdout, NULL);
    lua_pushboolean(L, 1);
    return 1;
  }
  if (args == HAS_ERROR) {
    print_usage(stderr, argv[script]);
    return 0;
  }
  if (args & HAS_V) interp_version();
  if (args & HAS_BIG_E) {
    lua_pushboolean(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
  }
  luaL_openlibs(L);
  brood_openlibs(L);
  brood_sig_tracking(L);
  brood_patch_stdlib(L);
  createargtable(L, argv, argc, script);
  lua_gc(L, LUA_GCGEN, 0, 0);
  if (!(args & HAS_BIG_E) && handle_luainit(L) != LUA_OK) return lua_error(L);
  if (!runargs(L, argv, script)) return lua_error(L);
  if (script < argc && handle_script(L, argv + script) != LUA_OK) return lua_error(L);
  if (args & HAS_I)
    interp_repl(L);
  else if (script == argc && !(args & (HAS_E | HAS_V))) {
    if (isatty(0)) {
      interp_version();
      interp_repl(L);
    }
    else if (dofile(L, NULL) != LUA_OK) return lua_error(L);
  }
  lua_pushboolean(L, 1);
  return 1;
}


static int run_atexit(lua_State *L) {
  lua_pushboolean(L, brood_run_atexit(L));
  return 1;
}


/* A copy of argv in one block of the heap: Process.setproctitle writes
** over the memory of the original strings, which the options and the
** script's name are read from after -e code may have run. NULL if there
** is no memory (then the original serves). */
static char **copyargv(int argc, char **argv) {
  size_t total = 0;
  char **v, *to;
  int i;
  for (i = 0; i < argc; i++) total += strlen(argv[i]) + 1;
  v = malloc(sizeof(char *) * (size_t)(argc + 1) + total);
  if (v == NULL) return NULL;
  to = (char *)(v + argc + 1);
  for (i = 0; i < argc; i++) {
    size_t len = strlen(argv[i]) + 1;
    v[i] = memcpy(to, argv[i], len);
    to += len;
  }
  v[argc] = NULL;
  return v;
}


int main(int argc, char **argv) {
  int status, result;
  char **copy = copyargv(argc, argv);
  lua_State *L = luaL_newstate();
  if (copy) argv = copy;
  if (L == NULL) {
    fprintf(stderr, "%s: cannot create state: not enough memory\n", argv[0]);
    return EXIT_FAILURE;
  }
  lua_pushcfunction(L, pmain);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  status = lua_pcall(L, 2, 1, 0);
  result = lua_toboolean(L, -1);
  /* Process.at_exit functions run at the end, also after an error (and
  ** before its message, as in Ruby); one that fails makes the status 1. */
  lua_pushcfunction(L, run_atexit);
  if (lua_pcall(L, 0, 1, 0) != LUA_OK || lua_toboolean(L, -1)) result = 0;
  lua_pop(L, 1);
  interp_report(L, status);
  brood_io_flushall();
  lua_close(L);
  free(copy);
  if (init_mode && status == LUA_OK && result) return init_status;
  return (result && status == LUA_OK) ? EXIT_SUCCESS : EXIT_FAILURE;
}
