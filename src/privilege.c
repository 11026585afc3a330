/*
** privilege.c -- brood.process: changing who the process is. Ruby's
** Process.uid=/gid=/euid=/egid=, Process.groups, Process.initgroups and
** Process::UID.change_privilege, as functions; and change_privilege in
** one call, the way a daemon that binds as root drops to a user.
*/
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "process.h"


/* uid_t and gid_t are 32 bits; (uid_t)-1 means "leave unchanged" to the
** kernel, so it is refused as an id. */
#define MAXID 4294967294

/* Runs a getpw*_r / getgr*_r lookup with a buffer Lua owns (collected
** with the call), larger while the entry does not fit. Returns 0 or the
** error; *found is NULL when there is no such entry. */
#define LOOKUP(call, key, ent, found) \
  do { \
    size_t size_ = 1024; \
    for (;;) { \
      char *buf_ = lua_newuserdatauv(L, size_, 0); \
      r = call(key, ent, buf_, size_, found); \
      if (r != ERANGE || size_ >= ((size_t)1 << 24)) break; \
      lua_pop(L, 1); \
      size_ *= 2; \
    } \
  } while (0)


/* The user at arg: an id, or a name looked up in the user database.
** With 'pw', the entry is copied there (its strings stay on the stack):
** pw_gid is (gid_t)-1 and *name NULL when an id has no entry. */
static uid_t checkuser(lua_State *L, int arg, struct passwd *pw, char **name) {
  struct passwd ent, *res = NULL;
  int r;
  if (lua_type(L, arg) == LUA_TNUMBER) {
    uid_t uid = (uid_t)brood_checkrange(L, arg, 0, MAXID, "uid");
    if (pw == NULL) return uid;
    LOOKUP(getpwuid_r, uid, &ent, &res);
    memset(pw, 0, sizeof *pw);
    pw->pw_uid = uid;
    pw->pw_gid = (gid_t)-1;
    *name = NULL;
    if (r == 0 && res) {
      pw->pw_gid = res->pw_gid;
      *name = res->pw_name;
    }
    return uid;
  }
  {
    const char *user = brood_checkcstring(L, arg, "user");
    LOOKUP(getpwnam_r, user, &ent, &res);
    if (r != 0) return (uid_t)brood_raise(L, "getpwnam", user, r);
    if (res == NULL) {
      lua_pushfstring(L, "no such user: %s", user);
      return (uid_t)luaL_argerror(L, arg, lua_tostring(L, -1));
    }
    if (pw) {
      *pw = ent;
      *name = res->pw_name;
    }
    return res->pw_uid;
  }
}


/* The group at stack index idx (errors name argument arg, and 'what'):
** an id, or a name looked up in the group database. */
static gid_t togroup(lua_State *L, int idx, int arg, const char *what) {
  struct group ent, *res = NULL;
  const char *name;
  int r;
  if (lua_type(L, idx) == LUA_TNUMBER) {
    lua_Integer v;
    if (!lua_isinteger(L, idx) || (v = lua_tointeger(L, idx)) < 0 || v > MAXID) {
      lua_pushfstring(L, "%s: gid out of range", what);
      return (gid_t)luaL_argerror(L, arg, lua_tostring(L, -1));
    }
    return (gid_t)v;
  }
  name = brood_tocstring(L, idx, arg, what);
  LOOKUP(getgrnam_r, name, &ent, &res);
  if (r != 0) return (gid_t)brood_raise(L, "getgrnam", name, r);
  if (res == NULL) {
    lua_pushfstring(L, "no such group: %s", name);
    return (gid_t)luaL_argerror(L, arg, lua_tostring(L, -1));
  }
  lua_pop(L, 1);
  return res->gr_gid;
}


static gid_t checkgroup(lua_State *L, int arg) {
  if (lua_type(L, arg) == LUA_TNUMBER) return (gid_t)brood_checkrange(L, arg, 0, MAXID, "gid");
  return togroup(L, arg, arg, "group");
}


#define SETID(name, type, check, call) \
  static int process_##name(lua_State *L) { \
    type id; \
    brood_checknargs(L, 1); \
    lua_settop(L, 1);  /* lookups push their buffers above */ \
    id = check(L, 1); \
    if (call(id) != 0) return brood_syserror(L, #name); \
    lua_pushinteger(L, (lua_Integer)id); \
    return 1; \
  }

static uid_t uidarg(lua_State *L, int arg) { return checkuser(L, arg, NULL, NULL); }

/* Process.setuid(user), setgid(group), seteuid(user), setegid(group):
** the system calls, with a name or an id; each returns the id. */
SETID(setuid, uid_t, uidarg, setuid)
SETID(seteuid, uid_t, uidarg, seteuid)
SETID(setgid, gid_t, checkgroup, setgid)
SETID(setegid, gid_t, checkgroup, setegid)


/* Pushes the supplementary groups as a list. */
static int pushgroups(lua_State *L) {
  int n = getgroups(0, NULL), i;
  gid_t *list;
  if (n < 0) return brood_syserror(L, "getgroups");
  list = lua_newuserdatauv(L, sizeof(gid_t) * (size_t)(n + 1), 0);
  n = getgroups(n, list);
  if (n < 0) return brood_syserror(L, "getgroups");
  lua_createtable(L, n, 0);
  for (i = 0; i < n; i++) {
    lua_pushinteger(L, (lua_Integer)list[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_remove(L, -2);
  return 1;
}


/* Process.groups() -> the supplementary group ids (Ruby's Process.groups). */
static int process_groups(lua_State *L) {
  brood_checknargs(L, 0);
  return pushgroups(L);
}


/* Process.setgroups(list) -> the list set: group names or ids
** (Ruby's Process.groups=). Needs privilege. */
static int process_setgroups(lua_State *L) {
  lua_Integer n, i, max = sysconf(_SC_NGROUPS_MAX);
  gid_t *list;
  luaL_checktype(L, 1, LUA_TTABLE);
  brood_checknargs(L, 1);
  lua_settop(L, 1);
  n = (lua_Integer)lua_rawlen(L, 1);
  luaL_argcheck(L, n <= (max > 0 ? max : 65536), 1, "too many groups");
  list = lua_newuserdatauv(L, sizeof(gid_t) * (size_t)(n + 1), 0);
  for (i = 1; i <= n; i++) {
    char what[32];
    lua_settop(L, 2);
    lua_rawgeti(L, 1, i);
    snprintf(what, sizeof what, "group %d", (int)i);
    list[i - 1] = togroup(L, 3, 1, what);
  }
  lua_settop(L, 2);
  if (setgroups((size_t)n, list) != 0) return brood_syserror(L, "setgroups");
  return pushgroups(L);
}


/* Process.initgroups(user, group) -> the groups now set: the user's
** groups from the group database, plus group. Needs privilege. */
static int process_initgroups(lua_State *L) {
  const char *user;
  gid_t gid;
  brood_checknargs(L, 2);
  lua_settop(L, 2);  /* lookups push their buffers above */
  user = brood_checkcstring(L, 1, "user");
  gid = checkgroup(L, 2);
  if (initgroups(user, gid) != 0) return brood_raise(L, "initgroups", user, errno);
  return pushgroups(L);
}


/*
** Process.change_privilege(user[, group]) -> uid, gid
** Becomes user for good: the supplementary groups (the user's, from the
** group database), then real, effective and saved group id, then real,
** effective and saved user id -- in that order, since a process can
** change its groups only while it still has the privilege. group
** defaults to the user's primary group. Either all of it happens or
** none: a step that fails puts the earlier ones back and raises, so no
** process is left half-dropped.
*/
static int process_change_privilege(lua_State *L) {
  struct passwd pw;
  char *name = NULL;
  uid_t uid, ruid, euid, suid;
  gid_t gid, rgid, egid, sgid, *saved;
  int nsaved, err = 0;
  const char *step = NULL;
  brood_checknargs(L, 2);
  lua_settop(L, 2);  /* lookups push their buffers above */
  uid = checkuser(L, 1, &pw, &name);
  if (lua_isnil(L, 2)) {
    if (pw.pw_gid == (gid_t)-1)
      return luaL_argerror(L, 2, "a group is needed: the uid has no user entry");
    gid = pw.pw_gid;
  }
  else gid = checkgroup(L, 2);
  getresuid(&ruid, &euid, &suid);
  getresgid(&rgid, &egid, &sgid);
  if (ruid == uid && euid == uid && suid == uid && rgid == gid && egid == gid && sgid == gid) {
    /* already that user (no privilege needed to stay one) */
    lua_pushinteger(L, (lua_Integer)uid);
    lua_pushinteger(L, (lua_Integer)gid);
    return 2;
  }
  /* what to put back */
  nsaved = getgroups(0, NULL);
  if (nsaved < 0) return brood_syserror(L, "getgroups");
  saved = lua_newuserdatauv(L, sizeof(gid_t) * (size_t)(nsaved + 1), 0);
  nsaved = getgroups(nsaved, saved);
  if (nsaved < 0) return brood_syserror(L, "getgroups");
  /* groups: the user's own when it has a name, else just gid */
  if (name ? initgroups(name, gid) != 0 : setgroups(1, &gid) != 0) {
    err = errno;
    step = name ? "initgroups" : "setgroups";
  }
  else if (setresgid(gid, gid, gid) != 0) {
    err = errno;
    step = "setresgid";
    setgroups((size_t)nsaved, saved);
  }
  else if (setresuid(uid, uid, uid) != 0) {
    err = errno;
    step = "setresuid";
    if (setresgid(rgid, egid, sgid) != 0) step = "setresuid (group ids not restored)";
    setgroups((size_t)nsaved, saved);
  }
  if (step) return brood_raise(L, step, lua_isstring(L, 1) ? lua_tostring(L, 1) : NULL, err);
  lua_pushinteger(L, (lua_Integer)uid);
  lua_pushinteger(L, (lua_Integer)gid);
  return 2;
}


static const luaL_Reg privilege_funcs[] = {
  {"setuid", process_setuid},
  {"setgid", process_setgid},
  {"seteuid", process_seteuid},
  {"setegid", process_setegid},
  {"groups", process_groups},
  {"setgroups", process_setgroups},
  {"initgroups", process_initgroups},
  {"change_privilege", process_change_privilege},
  {NULL, NULL}
};


void brood_open_privilege(lua_State *L) {
  luaL_setfuncs(L, privilege_funcs, 0);
}
