/*
** buffer.c -- IO.buffer: a reusable, mutable byte buffer.
**
** Lua strings are immutable: every read that returns one makes a new
** string (a copy of what the kernel copied in, an allocation, work for
** the collector). Ruby lets a read fill a string the caller passes in
** (`readpartial(maxlen, outbuf)`); brood's equivalent is a Buffer:
** io:read(n, buf), io:readpartial(n, buf) and sock:recv(n, flags, buf)
** fill it in place, and io:write, sock:send and IO.copy_stream take it
** where they take a string. Its memory is allocated once and kept.
*/
#include <stdlib.h>
#include <string.h>

#include "io.h"


#define MAXBUF ((size_t)1 << 40)  /* far beyond any machine: a typo's size */
#define PREALLOC ((size_t)1 << 24)  /* a capacity is reserved up to 16 MiB: more
                                    ** comes as the contents grow */

brood_Buffer *brood_buffer_test(lua_State *L, int arg) {
  return luaL_testudata(L, arg, BROOD_BUFFER_TYPE);
}


static brood_Buffer *checkbuffer(lua_State *L, int arg) {
  return luaL_checkudata(L, arg, BROOD_BUFFER_TYPE);
}


char *brood_buffer_reserve(lua_State *L, brood_Buffer *b, size_t n) {
  if (n > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    char *p;
    while (cap < n) cap = cap > MAXBUF / 2 ? n : cap * 2;
    p = realloc(b->data, cap);
    if (p == NULL) luaL_error(L, "not enough memory");
    b->data = p;
    b->cap = cap;
  }
  return b->data;
}


/* The bytes a write may take at arg: a string's or a buffer's. NULL if
** it is neither (no conversion of numbers here: callers that take them
** ask luaL_checklstring afterwards). */
const char *brood_buffer_bytes(lua_State *L, int arg, size_t *len) {
  brood_Buffer *b;
  if (lua_type(L, arg) == LUA_TSTRING) return lua_tolstring(L, arg, len);
  b = brood_buffer_test(L, arg);
  if (b == NULL) return NULL;
  *len = b->len;
  return b->data ? b->data : "";
}


/* IO.buffer([capacity or string]) -> an empty buffer with room for
** capacity bytes (16 MiB at most reserved now; none: it grows as needed),
** or one holding a copy of the string. */
static int buffer_new(lua_State *L) {
  brood_Buffer *b;
  size_t len = 0, cap = 0;
  const char *s = NULL;
  if (lua_type(L, 1) == LUA_TSTRING) s = lua_tolstring(L, 1, &len);
  else if (!lua_isnoneornil(L, 1)) {
    lua_Integer n = luaL_checkinteger(L, 1);
    luaL_argcheck(L, n >= 0 && (lua_Unsigned)n <= MAXBUF, 1, "capacity out of range");
    cap = (size_t)n;
  }
  brood_checknargs(L, 1);
  b = lua_newuserdatauv(L, sizeof *b, 0);
  memset(b, 0, sizeof *b);
  luaL_setmetatable(L, BROOD_BUFFER_TYPE);
  brood_buffer_reserve(L, b, s ? len : cap < PREALLOC ? cap : PREALLOC);
  if (s && len > 0) {
    memcpy(b->data, s, len);
    b->len = len;
  }
  return 1;
}


static int buffer_len(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)checkbuffer(L, 1)->len);
  return 1;
}


static int buffer_tostring(lua_State *L) {
  brood_Buffer *b = checkbuffer(L, 1);
  lua_pushlstring(L, b->data ? b->data : "", b->len);
  return 1;
}


/* buf:sub(i[, j]) -> string.sub of the contents, without the copy of
** all of them. */
static int buffer_sub(lua_State *L) {
  brood_Buffer *b = checkbuffer(L, 1);
  lua_Integer len = (lua_Integer)b->len;
  lua_Integer i = luaL_checkinteger(L, 2), j = luaL_optinteger(L, 3, -1);
  brood_checknargs(L, 3);
  if (i < 0) i = i < -len ? 1 : len + i + 1;
  else if (i == 0) i = 1;
  if (j < 0) j = j < -len ? 0 : len + j + 1;
  else if (j > len) j = len;
  if (i > j) lua_pushliteral(L, "");
  else lua_pushlstring(L, b->data + i - 1, (size_t)(j - i + 1));
  return 1;
}


/* buf:set(s) -> buf, holding a copy of s (a string or buffer). */
static int buffer_set(lua_State *L) {
  brood_Buffer *b = checkbuffer(L, 1);
  size_t len;
  const char *s = brood_buffer_bytes(L, 2, &len);
  if (s == NULL) return luaL_typeerror(L, 2, "string or buffer");
  brood_checknargs(L, 2);
  brood_buffer_reserve(L, b, len);
  if (len > 0) memmove(b->data, s, len);
  b->len = len;
  lua_settop(L, 1);
  return 1;
}


/* buf:append(s...) -> buf, with the strings (or buffers) added. */
static int buffer_append(lua_State *L) {
  brood_Buffer *b = checkbuffer(L, 1);
  int i, n = lua_gettop(L);
  for (i = 2; i <= n; i++) {
    size_t len;
    const char *s = brood_buffer_bytes(L, i, &len);
    if (s == NULL) return luaL_typeerror(L, i, "string or buffer");
    if (len > MAXBUF - b->len) return luaL_error(L, "not enough memory");
    if (len == 0) continue;
    if (s == b->data) {  /* itself: the reserve may move it */
      brood_buffer_reserve(L, b, b->len + len);
      memmove(b->data + b->len, b->data, len);
    }
    else {
      brood_buffer_reserve(L, b, b->len + len);
      memcpy(b->data + b->len, s, len);
    }
    b->len += len;
  }
  lua_settop(L, 1);
  return 1;
}


static int buffer_clear(lua_State *L) {
  checkbuffer(L, 1)->len = 0;
  brood_checknargs(L, 1);
  lua_settop(L, 1);
  return 1;
}


static int buffer_capacity(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)checkbuffer(L, 1)->cap);
  return 1;
}


static int buffer_gc(lua_State *L) {
  brood_Buffer *b = checkbuffer(L, 1);
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
  return 0;
}


static const luaL_Reg buffer_methods[] = {
  {"tostring", buffer_tostring},
  {"sub", buffer_sub},
  {"set", buffer_set},
  {"append", buffer_append},
  {"clear", buffer_clear},
  {"capacity", buffer_capacity},
  {NULL, NULL}
};


/* Pushes IO.buffer, creating the type on first use. */
void brood_buffer_open(lua_State *L) {
  if (luaL_newmetatable(L, BROOD_BUFFER_TYPE)) {
    lua_pushcfunction(L, buffer_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, buffer_tostring);  /* the contents, as Ruby's outbuf */
    lua_setfield(L, -2, "__tostring");
    lua_pushcfunction(L, buffer_gc);
    lua_setfield(L, -2, "__gc");
    luaL_newlib(L, buffer_methods);
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
  lua_pushcfunction(L, buffer_new);
}
