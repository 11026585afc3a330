/*
** shared.c -- IO.shared(size): memory shared by a process and the
** children it forks afterwards (an anonymous MAP_SHARED mapping), with
** byte access and atomic 64-bit integers, so that related processes can
** count together without a pipe.
**
**   local mem = IO.shared(4096)
**   Process.fork(function() mem:add(0, 1) end)
**   Process.wait()
**   print(mem:load(0))   --> 1
*/
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "process.h"


#define SHARED_TYPE "brood.Shared"

typedef struct {
  unsigned char *base;  /* NULL once closed */
  size_t size;
} Shared;


static Shared *checkshared(lua_State *L) {
  Shared *m = luaL_checkudata(L, 1, SHARED_TYPE);
  if (m->base == NULL) luaL_error(L, "attempt to use closed shared memory");
  return m;
}


/* Checks that [offset, offset + len) lies inside the mapping. */
static size_t checkrange(lua_State *L, Shared *m, int arg, size_t len) {
  lua_Integer off = luaL_checkinteger(L, arg);
  luaL_argcheck(L, off >= 0 && (size_t)off <= m->size && len <= m->size - (size_t)off, arg,
                "out of bounds");
  return (size_t)off;
}


/* An aligned 64-bit slot. */
static _Atomic int64_t *slot(lua_State *L, Shared *m, int arg) {
  size_t off = checkrange(L, m, arg, 8);
  luaL_argcheck(L, off % 8 == 0, arg, "offset must be a multiple of 8");
  return (_Atomic int64_t *)(void *)(m->base + off);
}


/* mem:read(offset, length) -> string */
static int shared_read(lua_State *L) {
  Shared *m = checkshared(L);
  lua_Integer len = luaL_checkinteger(L, 3);
  size_t off;
  luaL_argcheck(L, len >= 0, 3, "length must not be negative");
  off = checkrange(L, m, 2, (size_t)len);
  lua_pushlstring(L, (const char *)m->base + off, (size_t)len);
  return 1;
}


/* mem:write(offset, data) */
static int shared_write(lua_State *L) {
  Shared *m = checkshared(L);
  size_t len;
  const char *data = luaL_checklstring(L, 3, &len);
  size_t off = checkrange(L, m, 2, len);
  memcpy(m->base + off, data, len);
  return 0;
}


/* mem:add(offset, n) -> the new value, atomically (offset multiple of 8).
** Like Lua's integers, the sum wraps around: maxinteger + 1 is
** mininteger. */
static int shared_add(lua_State *L) {
  Shared *m = checkshared(L);
  _Atomic int64_t *p = slot(L, m, 2);
  int64_t n = (int64_t)luaL_checkinteger(L, 3);
  uint64_t sum = (uint64_t)atomic_fetch_add(p, n) + (uint64_t)n;
  lua_pushinteger(L, (lua_Integer)sum);
  return 1;
}


/* mem:load(offset) -> the 64-bit integer there, atomically. */
static int shared_load(lua_State *L) {
  Shared *m = checkshared(L);
  lua_pushinteger(L, (lua_Integer)atomic_load(slot(L, m, 2)));
  return 1;
}


/* mem:store(offset, n), atomically. */
static int shared_store(lua_State *L) {
  Shared *m = checkshared(L);
  _Atomic int64_t *p = slot(L, m, 2);
  atomic_store(p, (int64_t)luaL_checkinteger(L, 3));
  return 0;
}


/* mem:size() and #mem -> bytes */
static int shared_size(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)checkshared(L)->size);
  return 1;
}


/* mem:close() -- unmaps (in this process; children keep theirs). */
static int shared_close(lua_State *L) {
  Shared *m = luaL_checkudata(L, 1, SHARED_TYPE);
  if (m->base) munmap(m->base, m->size);
  m->base = NULL;
  return 0;
}


static int shared_tostring(lua_State *L) {
  Shared *m = luaL_checkudata(L, 1, SHARED_TYPE);
  if (m->base) lua_pushfstring(L, "brood.Shared (%d bytes)", (int)m->size);
  else lua_pushliteral(L, "brood.Shared (closed)");
  return 1;
}


static const luaL_Reg shared_methods[] = {
  {"read", shared_read},
  {"write", shared_write},
  {"add", shared_add},
  {"load", shared_load},
  {"store", shared_store},
  {"size", shared_size},
  {"close", shared_close},
  {NULL, NULL}
};


/* IO.shared(size) -> a shared memory object, zero-filled. */
int brood_io_shared(lua_State *L) {
  lua_Integer size = luaL_checkinteger(L, 1);
  Shared *m;
  void *p;
  luaL_argcheck(L, size > 0 && size <= ((lua_Integer)1 << 40), 1, "size out of range");
  m = lua_newuserdatauv(L, sizeof(Shared), 0);
  m->base = NULL;
  m->size = (size_t)size;
  if (luaL_newmetatable(L, SHARED_TYPE)) {
    luaL_newlib(L, shared_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, shared_close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, shared_close);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, shared_size);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, shared_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_setmetatable(L, -2);
  p = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return brood_syserror(L, "mmap");
  m->base = p;
  return 1;
}
