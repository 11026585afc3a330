/*
** select.c -- IO.select and IO.copy_stream: waiting on many IO objects,
** and moving bytes between two without passing them through Lua.
*/
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "common.h"


/* Adds the IO objects of the table at 'arg' to fds, with 'events'. */
static int addset(lua_State *L, int arg, struct pollfd *fds, int n, short events) {
  lua_Integer i, len;
  if (lua_isnoneornil(L, arg)) return n;
  luaL_checktype(L, arg, LUA_TTABLE);
  len = luaL_len(L, arg);
  for (i = 1; i <= len; i++) {
    brood_IO *io;
    lua_geti(L, arg, i);
    io = brood_io_test(L, -1);
    if (io == NULL || io->fd < 0) {
      lua_pushfstring(L, "element %I is not an open IO object", i);
      luaL_argerror(L, arg, lua_tostring(L, -1));
    }
    fds[n].fd = (events & POLLOUT) && io->pfd >= 0 ? io->pfd : io->fd;
    fds[n].events = events;
    fds[n].revents = 0;
    n++;
    lua_pop(L, 1);
  }
  return n;
}


static lua_Integer setlen(lua_State *L, int arg) {
  if (lua_isnoneornil(L, arg)) return 0;
  luaL_checktype(L, arg, LUA_TTABLE);
  return luaL_len(L, arg);
}


/* Builds the result table of one set from revents (or, for readers,
** data already buffered). */
static void pushready(lua_State *L, int arg, struct pollfd *fds, int first, int readers) {
  lua_Integer i, len = setlen(L, arg);
  int k = 0;
  lua_createtable(L, 0, 0);
  for (i = 1; i <= len; i++) {
    struct pollfd *p = &fds[first + i - 1];
    int ready = p->revents != 0;
    lua_geti(L, arg, i);
    if (readers) {
      brood_IO *io = brood_io_test(L, -1);
      if (io && io->rlen > io->rpos) ready = 1;
    }
    if (ready) lua_rawseti(L, -2, ++k);
    else lua_pop(L, 1);
  }
}


/*
** IO.select(readers[, writers[, errors[, timeout]]]) -> ready readers,
** writers, errors (three tables), or nil on timeout. Any number of IO
** objects (poll, not select(2)); an object with buffered input counts as
** readable; trap handlers run during the wait, which then goes on for
** the time left.
*/
int brood_io_select(lua_State *L) {
  lua_Integer n = setlen(L, 1) + setlen(L, 2) + setlen(L, 3);
  double deadline = -1;
  struct pollfd *fds;
  int nfds = 0, r, i, buffered = 0;
  if (!lua_isnoneornil(L, 4)) {
    lua_Number t = luaL_checknumber(L, 4);
    luaL_argcheck(L, t >= 0, 4, "timeout must not be negative");
    deadline = brood_monotonic() + t;
  }
  luaL_argcheck(L, n < 1000000, 1, "too many IO objects");
  /* in memory Lua owns: an error anywhere below cannot leak it */
  fds = lua_newuserdatauv(L, sizeof(struct pollfd) * (size_t)(n + 1), 0);
  nfds = addset(L, 1, fds, nfds, POLLIN);
  nfds = addset(L, 2, fds, nfds, POLLOUT);
  nfds = addset(L, 3, fds, nfds, POLLPRI);
  for (i = 1; i <= setlen(L, 1); i++) {
    brood_IO *io;
    lua_geti(L, 1, i);
    io = brood_io_test(L, -1);
    if (io && io->rlen > io->rpos) buffered = 1;
    lua_pop(L, 1);
  }
  for (;;) {
    r = brood_sig_poll(L, fds, nfds, buffered ? 0 : deadline);
    if (r != -1) break;
  }
  if (r == 0 && !buffered) {
    lua_pushnil(L);
    return 1;
  }
  pushready(L, 1, fds, 0, 1);
  pushready(L, 2, fds, (int)setlen(L, 1), 0);
  pushready(L, 3, fds, (int)(setlen(L, 1) + setlen(L, 2)), 0);
  return 3;
}


/* Opens a path argument of copy_stream, or takes an IO object. */
static brood_IO *streamarg(lua_State *L, int arg, int write) {
  if (lua_type(L, arg) == LUA_TSTRING) {
    const char *path = lua_tostring(L, arg);
    int fd = write ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)
                   : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) brood_raise(L, "open", path, errno);
    brood_io_new(L, fd, write ? BROOD_IO_WRITE : BROOD_IO_READ, -1, 1);
    lua_replace(L, arg);
  }
  return brood_io_check(L, arg);
}


/*
** IO.copy_stream(src, dst[, length]) -> bytes copied. src and dst are IO
** objects or paths. The kernel moves the data where it can: sendfile
** from a file, splice to or from a pipe; otherwise a read/write loop.
*/
int brood_io_copy_stream(lua_State *L) {
  int opened_src = lua_type(L, 1) == LUA_TSTRING, opened_dst = lua_type(L, 2) == LUA_TSTRING;
  brood_IO *src = streamarg(L, 1, 0), *dst = streamarg(L, 2, 1);
  lua_Integer limit = luaL_optinteger(L, 3, -1);
  lua_Integer done = 0;
  int method = src->kind == BROOD_KIND_FILE ? 1
             : (src->kind == BROOD_KIND_PIPE || dst->kind == BROOD_KIND_PIPE) ? 2 : 0;
  char *buf = NULL;
  luaL_argcheck(L, limit >= -1, 3, "length must not be negative");
  brood_io_flush(L, dst);
  /* what src has buffered goes first */
  if (src->rlen > src->rpos) {
    size_t n = src->rlen - src->rpos;
    if (limit >= 0 && (lua_Integer)n > limit) n = (size_t)limit;
    brood_io_writeall(L, dst, dst->fd, src->rbuf + src->rpos, n);
    src->rpos += n;
    done += (lua_Integer)n;
  }
  while (limit < 0 || done < limit) {
    size_t chunk = 1 << 20;
    ssize_t n;
    if (limit >= 0 && (lua_Integer)chunk > limit - done) chunk = (size_t)(limit - done);
    if (method == 1) n = sendfile(dst->fd, src->fd, NULL, chunk);
    else if (method == 2) n = splice(src->fd, NULL, dst->fd, NULL, chunk, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    else {
      if (buf == NULL) buf = lua_newuserdatauv(L, 65536, 0);
      if (chunk > 65536) chunk = 65536;
      n = read(src->fd, buf, chunk);
      if (n > 0) {
        brood_io_writeall(L, dst, dst->fd, buf, (size_t)n);
      }
    }
    if (n > 0) {
      done += n;
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) brood_sig_check(L);
    else if (errno == EAGAIN) {
      /* one side is not ready: wait for the source, then the sink */
      brood_io_wait(L, src, POLLIN, -1);
      if (method != 0) brood_io_wait(L, dst, POLLOUT, -1);
    }
    else if (method != 0 && (errno == EINVAL || errno == ENOSYS)) method = 0;
    else brood_syserror(L, method == 1 ? "sendfile" : method == 2 ? "splice" : "read");
  }
  if (opened_dst) brood_io_close(L, 2);  /* the files opened here: closed now */
  if (opened_src) brood_io_close(L, 1);
  lua_pushinteger(L, done);
  return 1;
}
