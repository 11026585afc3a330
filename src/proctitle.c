/*
** proctitle.c -- Process.setproctitle: the name `ps` shows (Ruby's
** $PROGRAM_NAME = ...).
**
** Linux shows a process's command line from the memory that held its
** argv strings, followed by its environment strings. To show a new
** title, brood first moves the environment strings that live there to
** the heap (environ keeps working, children inherit it), then writes
** the title over the whole area. The area is found through
** /proc/self/stat, so this works in any host, not only in the brood
** command. The kernel's own short name (comm, 15 bytes) is set with
** prctl. Lua's arg table holds copies and keeps the script's name.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "process.h"


extern char **environ;

static char *area;         /* start of argv strings */
static size_t arglen;      /* bytes of argv strings */
static size_t arealen;     /* argv + environment strings */
static char *moved;        /* the environment strings moved out of the area */
static char *original;     /* a copy of the argv strings, made before the first title */
static size_t originallen;


/* Reads arg_start, arg_end, env_start, env_end (fields 48-51). */
static int find_area(lua_State *L) {
  char buf[2048];
  unsigned long v[4];
  const char *p;
  size_t n;
  int field;
  char **e;
  FILE *f = fopen("/proc/self/stat", "re");
  if (f == NULL) return brood_raise(L, "open", "/proc/self/stat", errno);
  n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  p = strrchr(buf, ')');  /* comm may contain spaces and parentheses */
  if (p == NULL) return brood_raise(L, "setproctitle", NULL, EINVAL);
  for (field = 2; field < 48 && p; field++) p = strchr(p + 1, ' ');
  if (p == NULL || sscanf(p, " %lu %lu %lu %lu", &v[0], &v[1], &v[2], &v[3]) != 4 ||
      v[1] <= v[0] || v[3] < v[2] || v[2] < v[1])
    return brood_raise(L, "setproctitle", NULL, EINVAL);
  /* The original command line is kept for Process.argv. */
  original = malloc(v[1] - v[0]);
  if (original == NULL) return brood_raise(L, "setproctitle", NULL, ENOMEM);
  memcpy(original, (char *)v[0], v[1] - v[0]);
  originallen = v[1] - v[0];
  /* Environment strings inside the area move to the heap first, into one
  ** block that 'moved' keeps for the life of the process (setenv may drop
  ** a string from environ, but the block stays reachable). */
  {
    size_t need = 0;
    char *to;
    for (e = environ; e && *e; e++) {
      unsigned long a = (unsigned long)*e;
      if (a >= v[0] && a < v[3]) need += strlen(*e) + 1;
    }
    moved = to = need ? malloc(need) : NULL;
    if (need && moved == NULL) return brood_raise(L, "setproctitle", NULL, ENOMEM);
    for (e = environ; e && *e; e++) {
      unsigned long a = (unsigned long)*e;
      if (a >= v[0] && a < v[3]) {
        size_t len = strlen(*e) + 1;
        memcpy(to, *e, len);
        *e = to;
        to += len;
      }
    }
  }
  area = (char *)v[0];
  arglen = v[1] - v[0];
  arealen = v[3] - v[0];
  return 0;
}


/* Process.setproctitle(title) */
static int process_setproctitle(lua_State *L) {
  size_t len;
  const char *title = brood_checkcstring(L, 1, "title");
  brood_checknargs(L, 1);
  len = strlen(title);
  if (area == NULL) find_area(L);
  if (len >= arealen) len = arealen - 1;
  memset(area, 0, arealen);
  memcpy(area, title, len);
  /* A non-zero last byte of the argv area tells the kernel the title was
  ** rewritten: /proc/PID/cmdline then reads up to the first NUL instead
  ** of the original argv's length. */
  if (len + 1 < arglen) area[arglen - 1] = ' ';
  prctl(PR_SET_NAME, title, 0, 0, 0);
  return 0;
}


/*
** Process.argv() -> the process's command line as it started, a list:
** the interpreter, its options, the script and the script's arguments
** (whatever -e, -l or -i were given), so a process can re-execute
** itself exactly. Read from /proc/self/cmdline, or from the copy kept
** when setproctitle first wrote over it.
*/
static int process_argv(lua_State *L) {
  luaL_Buffer b;
  const char *p, *end;
  lua_Integer n = 0;
  brood_checknargs(L, 0);
  if (original == NULL) {
    FILE *f = fopen("/proc/self/cmdline", "re");
    size_t r;
    if (f == NULL) return brood_raise(L, "open", "/proc/self/cmdline", errno);
    luaL_buffinit(L, &b);
    do {
      char *to = luaL_prepbuffer(&b);
      r = fread(to, 1, LUAL_BUFFERSIZE, f);
      luaL_addsize(&b, r);
    } while (r == LUAL_BUFFERSIZE);
    fclose(f);
    luaL_pushresult(&b);
    p = lua_tostring(L, -1);
    end = p + lua_rawlen(L, -1);
  }
  else {
    p = original;
    end = original + originallen;
  }
  lua_newtable(L);
  while (p < end) {
    size_t len = strnlen(p, (size_t)(end - p));
    lua_pushlstring(L, p, len);
    lua_rawseti(L, -2, ++n);
    p += len + 1;
  }
  return 1;
}


static const luaL_Reg proctitle_funcs[] = {
  {"setproctitle", process_setproctitle},
  {"argv", process_argv},
  {NULL, NULL}
};


void brood_open_proctitle(lua_State *L) {
  luaL_setfuncs(L, proctitle_funcs, 0);
}
