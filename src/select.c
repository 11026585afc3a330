/*
** select.c -- IO.select and IO.copy_stream: waiting on many IO objects,
** and moving bytes between two without passing them through Lua.
*/
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "process.h"



/* The length of the set at 'arg' (nil: none). Sets are plain arrays,
** read raw: a __len or __index could otherwise answer differently
** between counting and filling. */
static lua_Integer setlen(lua_State *L, int arg) {
  if (lua_isnoneornil(L, arg)) return 0;
  luaL_checktype(L, arg, LUA_TTABLE);
  return (lua_Integer)lua_rawlen(L, arg);
}


/* Adds the IO objects of the set at 'arg' to fds, with 'events'. */
static int addset(lua_State *L, int arg, struct pollfd *fds, int n, short events) {
  lua_Integer i, len = setlen(L, arg);
  for (i = 1; i <= len; i++) {
    brood_IO *io;
    lua_rawgeti(L, arg, i);
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


/* Builds the result table of one set from revents (or, for readers,
** data already buffered). */
static void pushready(lua_State *L, int arg, struct pollfd *fds, int first, int readers) {
  lua_Integer i, len = setlen(L, arg);
  int k = 0;
  lua_createtable(L, 0, 0);
  for (i = 1; i <= len; i++) {
    struct pollfd *p = &fds[first + i - 1];
    int ready = p->revents != 0;
    lua_rawgeti(L, arg, i);
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
** the time left. timeout: seconds, nil or math.huge to wait for ever.
*/
int brood_io_select(lua_State *L) {
  double deadline = brood_deadline(brood_opttimeout(L, 4));
  lua_Integer n;
  struct pollfd *fds;
  int nfds = 0, r, i, buffered = 0;
  brood_checknargs(L, 4);
  lua_settop(L, 4);  /* what is pushed below must not pass for a set */
  n = setlen(L, 1) + setlen(L, 2) + setlen(L, 3);
  luaL_argcheck(L, n < 1000000, 1, "too many IO objects");
  /* in memory Lua owns: an error anywhere below cannot leak it */
  fds = lua_newuserdatauv(L, sizeof(struct pollfd) * (size_t)(n + 1), 0);
  nfds = addset(L, 1, fds, nfds, POLLIN);
  nfds = addset(L, 2, fds, nfds, POLLOUT);
  nfds = addset(L, 3, fds, nfds, POLLPRI);
  for (i = 1; i <= setlen(L, 1); i++) {
    brood_IO *io;
    lua_rawgeti(L, 1, i);
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


/* Opens a path argument of copy_stream (closed when copy_stream
** returns or raises), or takes an IO object; either must be open for
** reading (the source) or writing ('write': the destination). */
static brood_IO *streamarg(lua_State *L, int arg, int write) {
  brood_IO *io;
  if (lua_type(L, arg) == LUA_TSTRING) {
    const char *path = brood_checkcstring(L, arg, "path");
    int fd = write ? brood_io_open(L, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)
                   : brood_io_open(L, path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) brood_raise(L, "open", path, errno);
    brood_io_new(L, fd, write ? BROOD_IO_WRITE : BROOD_IO_READ, -1, 1);
    lua_replace(L, arg);
    lua_toclose(L, arg);
  }
  io = brood_io_check(L, arg);
  if (write ? !(io->mode & BROOD_IO_WRITE) || io->wrshut
            : !(io->mode & BROOD_IO_READ) || io->rdshut)
    luaL_argerror(L, arg, write ? "not opened for writing" : "not opened for reading");
  return io;
}


enum { BY_READWRITE, BY_SENDFILE, BY_SPLICE };

/* A descriptor that may make a transfer wait: not a file, not a pipe
** (splice takes SPLICE_F_NONBLOCK for pipes). */
#define MAYBLOCK(io) ((io)->kind != BROOD_KIND_FILE && (io)->kind != BROOD_KIND_PIPE)

/*
** How to move the bytes. The kernel does it where it can: splice
** between a pipe and a pipe or file, sendfile from a file. While traps are set no
** call may block where a handler could not run: a socket or terminal
** end then goes through brood's own reads and writes, which wait beside
** the signal pipe.
*/
static int copymethod(brood_IO *src, brood_IO *dst) {
  int trapping = brood_sig_handling();
  if (trapping && (MAYBLOCK(src) || MAYBLOCK(dst))) return BY_READWRITE;
  /* splice holds the pipe's lock while it waits for the other end: with
  ** a socket or terminal there (a datagram that never comes), every
  ** other process reading or writing that pipe would hang in the kernel,
  ** unkillable, for as long -- so not splice then */
  if (src->kind == BROOD_KIND_PIPE || dst->kind == BROOD_KIND_PIPE)
    return MAYBLOCK(src) || MAYBLOCK(dst) ? BY_READWRITE : BY_SPLICE;
  if (src->kind == BROOD_KIND_FILE) return BY_SENDFILE;
  return BY_READWRITE;
}


/*
** IO.copy_stream(src, dst[, length]) -> bytes copied. src and dst are IO
** objects or paths. Bytes src has buffered go first. A destination
** whose reader is gone raises EPIPE, as every write does.
*/
/* copy_stream with a buffer (IO.buffer) at either end: its contents go
** out (from its memory), or it is filled with what src has (replacing
** its contents). */
static int copy_buffer(lua_State *L, brood_Buffer *from, brood_Buffer *to, lua_Integer limit) {
  size_t done = 0;
  if (from) {
    size_t n = from->len;
    if (limit >= 0 && (lua_Unsigned)limit < n) n = (size_t)limit;
    if (to) {
      brood_buffer_reserve(L, to, n);
      if (n > 0) memmove(to->data, from->data, n);
      to->len = n;
    }
    else {
      brood_IO *dst = streamarg(L, 2, 1);
      brood_io_flush(L, dst);
      brood_io_writebuffer(L, dst, from, n);
    }
    done = n;
  }
  else {
    brood_IO *src = streamarg(L, 1, 0);
    done = brood_io_fill(L, src, to, limit < 0 ? SIZE_MAX : (size_t)limit, 0);
  }
  lua_pushinteger(L, (lua_Integer)done);
  return 1;
}


int brood_io_copy_stream(lua_State *L) {
  brood_IO *src, *dst;
  lua_Integer limit = lua_isnoneornil(L, 3) ? -1 : luaL_checkinteger(L, 3);
  lua_Integer done = 0;
  int method, out;
  char *buf = NULL;
  brood_Buffer *from = brood_buffer_test(L, 1), *to = brood_buffer_test(L, 2);
  luaL_argcheck(L, limit >= -1, 3, "length must not be negative");
  brood_checknargs(L, 3);
  if (from || to) return copy_buffer(L, from, to, limit);
  src = streamarg(L, 1, 0);
  dst = streamarg(L, 2, 1);
  method = copymethod(src, dst);
  out = dst->pfd >= 0 ? dst->pfd : dst->fd;
  brood_io_flush(L, dst);
  /* what src has buffered goes first */
  if (src->rlen > src->rpos) {
    size_t n = src->rlen - src->rpos;
    if (limit >= 0 && (lua_Integer)n > limit) n = (size_t)limit;
    brood_io_writeall(L, dst, out, src->rbuf + src->rpos, n);
    src->rpos += n;
    done += (lua_Integer)n;
  }
  if (dst->kind != BROOD_KIND_FILE) brood_sig_guardpipe();
  while (limit < 0 || done < limit) {
    size_t chunk = 1 << 20;
    ssize_t n;
    int err;
    brood_sig_check(L);  /* a copy that never has to wait still lets handlers in */
    if (limit >= 0 && (lua_Integer)chunk > limit - done) chunk = (size_t)(limit - done);
    if (method == BY_READWRITE) {
      if (buf == NULL) buf = lua_newuserdatauv(L, 65536, 0);
      if (chunk > 65536) chunk = 65536;
      n = (ssize_t)brood_io_read(L, src, buf, chunk);
      if (n == 0) break;
      brood_io_writeall(L, dst, out, buf, (size_t)n);
      done += n;
      continue;
    }
    brood_sig_inwrite = 1;  /* a reader gone: EPIPE, not death by SIGPIPE */
    if (method == BY_SENDFILE) n = sendfile(out, src->fd, NULL, chunk);
    else n = splice(src->fd, NULL, out, NULL, chunk, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    err = errno;
    brood_sig_inwrite = 0;
    if (n > 0) {
      done += n;
      continue;
    }
    if (n == 0) break;
    if (err == EINTR) brood_sig_check(L);
    else if (err == EAGAIN) {
      /* one side is not ready: wait for the source, then the sink */
      brood_io_wait(L, src, POLLIN, -1);
      brood_io_wait(L, dst, POLLOUT, -1);
    }
    else if (err == EINVAL || err == ENOSYS) method = BY_READWRITE;
    else brood_raise(L, method == BY_SENDFILE ? "sendfile" : "splice", NULL, err);
  }
  lua_pushinteger(L, done);
  return 1;  /* files opened here are closed on the way out */
}
