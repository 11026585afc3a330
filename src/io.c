/*
** io.c -- brood.io: IO objects over file descriptors (Ruby's IO), with
** the methods of Lua's file handles.
**
** One type for every descriptor brood hands out. An IO object reads like
** a Lua file (read with "a" "l" "L" "n" and counts, lines, write, seek,
** setvbuf, close) and answers Ruby's names too (gets, puts, print,
** fileno, eof, sync, reopen, dup, readpartial, read_nonblock...).
**
** Blocking, signals and SIGPIPE:
**  - Descriptors are blocking, as in C. While no trap is set, a read or
**    write is the plain system call -- no signal could need a handler
**    run. While traps are set, each call asks not to block (RWF_NOWAIT on
**    pipes, MSG_DONTWAIT on sockets; poll first where the kernel has
**    neither) and, when it would, waits in brood_sig_poll beside the
**    signal pipe: trap handlers run at once and the call then goes on.
**    An O_NONBLOCK descriptor (a listening socket, or one a script set)
**    is tried first and waited for on EAGAIN.
**  - A write to a pipe whose reader is gone raises EPIPE instead of
**    killing the process: sockets send with MSG_NOSIGNAL, and pipe writes
**    hold SIGPIPE blocked for the call (consuming it if it came) while its
**    disposition is the default. Lua's own print and io.write are left
**    alone, so `brood script | head` still ends quietly, as a filter
**    should.
**
** Buffering: pipes, sockets and the standard streams write through (Ruby
** makes pipes and sockets sync too); files are buffered. Buffered output
** is flushed before fork and exec, at exit, and when an object is
** collected; Process._exit flushes nothing.
*/
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "io.h"


#define BUFSIZE 65536
#define READSTEP ((size_t)1 << 20)  /* read(n)'s first step for big n */

static brood_IO *withbuffers;  /* objects with a write buffer */


/*
** {======================================================
** Creating and checking
** =======================================================
*/

static int fdkind(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return BROOD_KIND_OTHER;
  if (S_ISREG(st.st_mode)) return BROOD_KIND_FILE;
  if (S_ISFIFO(st.st_mode)) return BROOD_KIND_PIPE;
  if (S_ISSOCK(st.st_mode)) return BROOD_KIND_SOCKET;
  if (S_ISCHR(st.st_mode) && isatty(fd)) return BROOD_KIND_TTY;
  return BROOD_KIND_OTHER;
}


static void iometa(lua_State *L);


brood_IO *brood_io_newx(lua_State *L, size_t size, int fd, int mode, int kind, int owned) {
  brood_IO *io = lua_newuserdatauv(L, size, 0);
  int fl;
  memset(io, 0, size);  /* inert: a closed object */
  io->fd = -1;
  io->pfd = -1;
  if (luaL_getmetatable(L, BROOD_IO_TYPE) == LUA_TNIL) {
    lua_pop(L, 1);
    iometa(L);
  }
  lua_setmetatable(L, -2);
  io->fd = fd;
  brood_sig_fdchange(fd);
  io->mode = mode;
  io->kind = kind < 0 ? fdkind(fd) : kind;
  io->owned = owned;
  fl = fcntl(fd, F_GETFL);
  io->nonblock = fl >= 0 && (fl & O_NONBLOCK);
  io->sync = io->kind != BROOD_KIND_FILE;
  io->linebuf = io->kind == BROOD_KIND_TTY;
  return io;
}


brood_IO *brood_io_new(lua_State *L, int fd, int mode, int kind, int owned) {
  return brood_io_newx(L, sizeof(brood_IO), fd, mode, kind, owned);
}


brood_IO *brood_io_test(lua_State *L, int arg) {
  return luaL_testudata(L, arg, BROOD_IO_TYPE);
}


static brood_IO *toio(lua_State *L, int arg) {
  return luaL_checkudata(L, arg, BROOD_IO_TYPE);
}


brood_IO *brood_io_check(lua_State *L, int arg) {
  brood_IO *io = toio(L, arg);
  if (io->fd < 0) luaL_error(L, "attempt to use a closed IO");
  return io;
}


static brood_IO *checkreadable(lua_State *L, int arg) {
  brood_IO *io = brood_io_check(L, arg);
  if (!(io->mode & BROOD_IO_READ) || io->rdshut) luaL_error(L, "not opened for reading");
  return io;
}


static brood_IO *checkwritable(lua_State *L, int arg) {
  brood_IO *io = brood_io_check(L, arg);
  if (!(io->mode & BROOD_IO_WRITE) || io->wrshut) luaL_error(L, "not opened for writing");
  return io;
}

/* }====================================================== */


/*
** {======================================================
** Raw reading and writing
** =======================================================
*/

int brood_io_wait(lua_State *L, brood_IO *io, int events, double deadline) {
  for (;;) {
    int fd = io->fd, r;
    if (fd < 0) return luaL_error(L, "IO closed while waiting");
    if ((events & POLLOUT) && io->pfd >= 0) fd = io->pfd;
    r = brood_sig_wait(L, fd, events, deadline);
    if (r > 0 || r == 0) return r;
  }
}


/* Whether the kernel takes RWF_NOWAIT on this kind of descriptor. */
static int nowait_ok[BROOD_KIND_OTHER + 1] = {0, 1, 0, 1, 1};


int brood_io_mustnotblock(brood_IO *io) {
  return io->nonblock || brood_sig_handling();
}


/*
** One read that never blocks when 'nowait' (else a plain read). Returns
** what read returns; EAGAIN when nothing is there.
*/
static ssize_t read_once(brood_IO *io, char *buf, size_t n, int nowait) {
  /* not trusting io->nonblock: another object sharing the open file
  ** (a dup, a child's copy) may have cleared O_NONBLOCK since */
  if (!nowait || io->kind == BROOD_KIND_FILE) return read(io->fd, buf, n);
  if (io->kind == BROOD_KIND_SOCKET) return recv(io->fd, buf, n, MSG_DONTWAIT);
  if (nowait_ok[io->kind]) {
    struct iovec iov = {buf, n};
    ssize_t r = preadv2(io->fd, &iov, 1, -1, RWF_NOWAIT);
    if (r >= 0 || (errno != EOPNOTSUPP && errno != EINVAL && errno != ENOSYS)) return r;
    nowait_ok[io->kind] = 0;
  }
  {  /* no per-call non-blocking read here: poll, then read */
    struct pollfd p = {io->fd, POLLIN, 0};
    if (poll(&p, 1, 0) == 0) {
      errno = EAGAIN;
      return -1;
    }
    return read(io->fd, buf, n);
  }
}


/*
** An object of a file may find another kind of descriptor under its
** number -- another object's reopen put it there (IO.for_fd(0):reopen
** under IO.stdin): while traps are set, where a plain read or write of a
** file would be made, the kind is looked at again, since a pipe or
** socket must not be read in a way that waits where no handler runs.
*/
static void recheck(brood_IO *io, int nowait) {
  if (nowait && io->kind == BROOD_KIND_FILE) {
    io->kind = fdkind(io->fd);
    io->socktype = 0;
  }
}


/* Reads up to n bytes into buf -- or, with b, into the buffer at offset
** off, its memory looked up again after every wait (a handler run
** meanwhile may have grown, and so moved, it). Returns how many, 0 at end
** of file. Pending handlers run first: a source that never makes it wait
** (/dev/zero, a big file) still lets them in between reads. */
static size_t rawread(lua_State *L, brood_IO *io, char *buf, brood_Buffer *b, size_t off,
                      size_t n) {
  brood_sig_check(L);
  for (;;) {
    int nowait = brood_io_mustnotblock(io);
    ssize_t r;
    recheck(io, nowait);
    if (nowait && io->waitfirst) brood_io_wait(L, io, POLLIN, -1);
    r = read_once(io, b ? brood_buffer_reserve(L, b, off + n) + off : buf, n, nowait);
    if (r >= 0) {
      if ((size_t)r == n) io->waitfirst = 0;  /* data was plentiful */
      return (size_t)r;
    }
    if (errno == EINTR) brood_sig_check(L);
    else if (errno == EAGAIN) {
      /* a plain read found O_NONBLOCK: another object sharing the open
      ** file set it; wait from now on, rather than spin */
      if (!nowait) io->nonblock = 1;
      io->waitfirst = 1;
    }
    else brood_syserror(L, "read");
  }
}


size_t brood_io_read(lua_State *L, brood_IO *io, char *buf, size_t n) {
  return rawread(L, io, buf, NULL, 0, n);
}


static size_t readinto(lua_State *L, brood_IO *io, brood_Buffer *b, size_t off,
                       size_t n) {
  brood_buffer_reserve(L, b, off + n);  /* memory first: no error after the read */
  return rawread(L, io, NULL, b, off, n);
}


/* One write (EPIPE, never SIGPIPE) that never blocks when 'nowait'. */
static ssize_t write_once(brood_IO *io, int fd, const char *p, size_t n, int nowait) {
  ssize_t r;
  if (io->kind == BROOD_KIND_SOCKET)
    return send(fd, p, n, MSG_NOSIGNAL | (nowait ? MSG_DONTWAIT : 0));
  /* a file too: its number may name a pipe by now (closed behind the
  ** object's back and reused), and a write there must not kill */
  brood_sig_guardpipe();
  brood_sig_inwrite = 1;
  if (nowait && io->kind != BROOD_KIND_FILE && nowait_ok[io->kind]) {
    struct iovec iov = {(void *)p, n};
    r = pwritev2(fd, &iov, 1, -1, RWF_NOWAIT);
    if (r < 0 && (errno == EOPNOTSUPP || errno == EINVAL || errno == ENOSYS)) {
      nowait_ok[io->kind] = 0;
      r = write(fd, p, n);
    }
  }
  else r = write(fd, p, n);
  brood_sig_inwrite = 0;
  return r;
}


/* Writes len bytes from data -- or, with b, from the buffer's memory,
** looked up again after every wait: a handler run meanwhile may have
** grown (moved) it. */
static void writeall(lua_State *L, brood_IO *io, int fd, const char *data, brood_Buffer *b,
                     size_t len) {
  size_t off = 0;
  while (off < len) {
    int nowait = brood_io_mustnotblock(io);
    ssize_t n;
    if (fd == io->fd) recheck(io, nowait);
    n = write_once(io, fd, (b ? b->data : data) + off, len - off, nowait);
    if (n >= 0) off += (size_t)n;
    else if (errno == EINTR) brood_sig_check(L);
    else if (errno == EAGAIN) brood_io_wait(L, io, POLLOUT, -1);
    else brood_syserror(L, "write");
  }
}


void brood_io_writeall(lua_State *L, brood_IO *io, int fd, const char *data, size_t len) {
  writeall(L, io, fd, data, NULL, len);
}


void brood_io_writebuffer(lua_State *L, brood_IO *io, brood_Buffer *b, size_t len) {
  writeall(L, io, io->pfd >= 0 ? io->pfd : io->fd, NULL, b, len);
}


void brood_io_flush(lua_State *L, brood_IO *io) {
  if (io->wlen > 0) {
    size_t n = io->wlen;
    io->wlen = 0;  /* an error below drops the data rather than retrying it forever */
    brood_io_writeall(L, io, io->pfd >= 0 ? io->pfd : io->fd, io->wbuf, n);
  }
}


/* Flushing without a Lua state (before fork and exec, at exit, at
** collection): plain poll on EAGAIN; errors drop the data. */
static void flush_raw(brood_IO *io) {
  size_t off = 0;
  int fd = io->pfd >= 0 ? io->pfd : io->fd;
  while (fd >= 0 && off < io->wlen) {
    ssize_t n = write_once(io, fd, io->wbuf + off, io->wlen - off, 0);
    if (n >= 0) off += (size_t)n;
    else if (errno == EAGAIN) {
      struct pollfd p = {fd, POLLOUT, 0};
      poll(&p, 1, -1);
    }
    else if (errno != EINTR) break;
  }
  io->wlen = 0;
}


/* fflush(f) (all streams for NULL) that fails with EPIPE rather than
** kill the process when a reader is gone; C stdio then drops the data. */
static void fflush_guarded(FILE *f) {
  brood_sig_guardpipe();
  brood_sig_inwrite = 1;
  fflush(f);
  brood_sig_inwrite = 0;
}


static void flushbuffers(void) {
  brood_IO *io;
  for (io = withbuffers; io; io = io->next)
    if (io->wlen) flush_raw(io);
}


void brood_io_flushall(void) {
  flushbuffers();
  fflush(NULL);
}


void brood_io_prefork(void) {
  flushbuffers();
  fflush_guarded(NULL);
}


/* Output to fds 1 and 2 keeps its order with Lua's print and io.write;
** the write that follows is brood's, so a reader gone raises EPIPE. */
static void syncstdio(brood_IO *io) {
  if (io->fd == 1) fflush_guarded(stdout);
  else if (io->fd == 2) fflush_guarded(stderr);
}


static void addwrite(lua_State *L, brood_IO *io, const char *s, size_t n) {
  syncstdio(io);
  if (io->sync || n >= BUFSIZE) {
    brood_io_flush(L, io);
    brood_io_writeall(L, io, io->pfd >= 0 ? io->pfd : io->fd, s, n);
    return;
  }
  if (io->wbuf == NULL) {
    io->wbuf = malloc(BUFSIZE);
    if (io->wbuf == NULL) brood_raise(L, "write", NULL, ENOMEM);
    io->wcap = BUFSIZE;
    io->next = withbuffers;
    if (withbuffers) withbuffers->prev = io;
    withbuffers = io;
  }
  if (io->wlen + n > io->wcap) brood_io_flush(L, io);
  memcpy(io->wbuf + io->wlen, s, n);
  io->wlen += n;
  if (io->linebuf) {  /* as C's line buffering: out through the last newline */
    char *nl = memrchr(io->wbuf, '\n', io->wlen);
    if (nl) {
      size_t upto = (size_t)(nl - io->wbuf) + 1, rest = io->wlen - upto;
      io->wlen = 0;
      brood_io_writeall(L, io, io->pfd >= 0 ? io->pfd : io->fd, io->wbuf, upto);
      memmove(io->wbuf, io->wbuf + upto, rest);
      io->wlen = rest;
    }
  }
}


/* A buffer's contents, written as addwrite writes a string: a small one
** through the object's write buffer (as a string, since the flush that
** makes room may wait), a large one straight from the buffer's memory. */
static void writebuffer(lua_State *L, brood_IO *io, brood_Buffer *b) {
  size_t len = b->len;
  if (len == 0) return;
  if (!io->sync && len < BUFSIZE) {
    lua_pushlstring(L, b->data, len);
    addwrite(L, io, lua_tostring(L, -1), len);
    lua_pop(L, 1);
    return;
  }
  syncstdio(io);
  brood_io_flush(L, io);
  brood_io_writebuffer(L, io, b, len);
}


/* Refills the read buffer; returns the bytes read, 0 at end of file. */
static size_t fill(lua_State *L, brood_IO *io) {
  size_t n;
  if (io->rbuf == NULL) {
    io->rbuf = malloc(BUFSIZE);
    if (io->rbuf == NULL) brood_raise(L, "read", NULL, ENOMEM);
    io->rcap = BUFSIZE;
  }
  if (io->rpos == io->rlen) io->rpos = io->rlen = 0;
  else if (io->rpos > 0) {
    memmove(io->rbuf, io->rbuf + io->rpos, io->rlen - io->rpos);
    io->rlen -= io->rpos;
    io->rpos = 0;
  }
  n = rawread(L, io, io->rbuf + io->rlen, NULL, 0, io->rcap - io->rlen);
  io->rlen += n;
  io->eof = n == 0;
  return n;
}


#define buffered(io) ((io)->rlen - (io)->rpos)

/* }====================================================== */


/*
** {======================================================
** Reading formats
** =======================================================
*/

/* A line up to the separator (kept when 'keep'); 0 at end of file. */
static int read_until(lua_State *L, brood_IO *io, const char *sep, size_t seplen, int keep) {
  luaL_Buffer b;
  int any = 0;
  luaL_buffinit(L, &b);
  for (;;) {
    char *start = io->rbuf + io->rpos, *hit = NULL;
    size_t avail = buffered(io);
    if (avail > 0) {
      if (seplen == 1) hit = memchr(start, sep[0], avail);
      else if (seplen > 1) hit = memmem(start, avail, sep, seplen);
      if (hit) {
        size_t take = (size_t)(hit - start);
        luaL_addlstring(&b, start, take + (keep ? seplen : 0));
        io->rpos += take + seplen;
        luaL_pushresult(&b);
        return 1;
      }
      /* keep a possible partial separator for the next round */
      if (seplen > 1 && avail >= seplen) avail -= seplen - 1;
      else if (seplen > 1) avail = 0;
      luaL_addlstring(&b, start, avail);
      io->rpos += avail;
      any |= avail > 0;
    }
    if (fill(L, io) == 0) {
      size_t rest = buffered(io);
      luaL_addlstring(&b, io->rbuf + io->rpos, rest);
      io->rpos = io->rlen;
      any |= rest > 0;
      luaL_pushresult(&b);
      if (!any) {
        lua_pop(L, 1);
        return 0;
      }
      return 1;
    }
  }
}


static void read_all(lua_State *L, brood_IO *io) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addlstring(&b, io->rbuf ? io->rbuf + io->rpos : "", buffered(io));
  io->rpos = io->rlen = 0;
  for (;;) {
    char *p = luaL_prepbuffsize(&b, BUFSIZE);
    size_t n = rawread(L, io, p, NULL, 0, BUFSIZE);
    if (n == 0) break;
    luaL_addsize(&b, n);
  }
  io->eof = 1;
  luaL_pushresult(&b);
}


/* Up to n bytes (fewer only at end of file); 0 if none at all. */
static int read_chars(lua_State *L, brood_IO *io, size_t n) {
  luaL_Buffer b;
  size_t got = 0;
  /* The common case -- the object's buffer (refilled if empty) holds all
  ** of it -- makes the string straight from there, with no temporary. */
  if (buffered(io) == 0 && n <= BUFSIZE && fill(L, io) == 0) return 0;
  if (buffered(io) >= n) {
    lua_pushlstring(L, io->rbuf + io->rpos, n);
    io->rpos += n;
    return 1;
  }
  luaL_buffinit(L, &b);
  while (got < n) {
    size_t avail = buffered(io), want = n - got;
    if (avail > 0) {
      size_t take = avail < want ? avail : want;
      luaL_addlstring(&b, io->rbuf + io->rpos, take);
      io->rpos += take;
      got += take;
    }
    else if (want >= BUFSIZE) {
      /* big reads go straight into the result, in steps that grow with
      ** what came: read(2^53) on a socket that sends a line allocates
      ** for the line, not 2^53 bytes */
      size_t step = got > READSTEP ? got : READSTEP;
      char *p = luaL_prepbuffsize(&b, step < want ? step : want);
      size_t r = rawread(L, io, p, NULL, 0, step < want ? step : want);
      if (r == 0) {
        io->eof = 1;
        break;
      }
      luaL_addsize(&b, r);
      got += r;
    }
    else if (fill(L, io) == 0) break;
  }
  luaL_pushresult(&b);
  if (got == 0 && n > 0) {
    lua_pop(L, 1);
    return 0;
  }
  return 1;
}


static int peekc(lua_State *L, brood_IO *io) {
  if (buffered(io) == 0 && fill(L, io) == 0) return EOF;
  return (unsigned char)io->rbuf[io->rpos];
}


/* A numeral, as Lua's "n": at most 200 characters of one. */
static int read_number(lua_State *L, brood_IO *io) {
  char buf[201];
  size_t n = 0;
  int c;
  while ((c = peekc(L, io)) != EOF && strchr(" \t\n\r\f\v", c)) io->rpos++;
  while ((c = peekc(L, io)) != EOF && n < sizeof buf - 1 &&
         strchr("0123456789abcdefABCDEFxXpP.+-", c)) {
    buf[n++] = (char)c;
    io->rpos++;
  }
  buf[n] = '\0';
  if (n > 0 && lua_stringtonumber(L, buf) != 0) return 1;
  return 0;
}


/* The read formats of Lua's file:read, several at once. */
static int g_read(lua_State *L, brood_IO *io, int first) {
  int nargs = lua_gettop(L) - first + 1, n, ok = 1;
  if (nargs <= 0) return read_until(L, io, "\n", 1, 0) ? 1 : (lua_pushnil(L), 1);
  luaL_checkstack(L, nargs + LUA_MINSTACK, "too many arguments");
  for (n = first; n < first + nargs && ok; n++) {
    if (lua_type(L, n) == LUA_TNUMBER) {
      lua_Integer l = luaL_checkinteger(L, n);
      luaL_argcheck(L, l >= 0, n, "negative count");
      if (l == 0) {
        ok = buffered(io) > 0 || fill(L, io) > 0;
        if (ok) lua_pushliteral(L, "");
      }
      else ok = read_chars(L, io, (size_t)l);
    }
    else {
      const char *p = luaL_checkstring(L, n);
      if (*p == '*') p++;
      switch (*p) {
        case 'n': ok = read_number(L, io); break;
        case 'l': ok = read_until(L, io, "\n", 1, 0); break;
        case 'L': ok = read_until(L, io, "\n", 1, 1); break;
        case 'a': read_all(L, io); break;
        default: return luaL_argerror(L, n, "invalid format");
      }
    }
  }
  if (!ok) lua_pushnil(L);
  return n - first;
}

/*
** Up to n bytes into buffer b, replacing its contents: what the object
** has buffered first, then straight from the descriptor into b (no
** string, no second copy). 'partial': one read's worth (readpartial);
** else n bytes, fewer only at end of file. Returns how many.
*/
size_t brood_io_fill(lua_State *L, brood_IO *io, brood_Buffer *b, size_t n, int partial) {
  size_t got = 0;
  b->len = 0;
  if (buffered(io) > 0 && n > 0) {
    size_t take = buffered(io) < n ? buffered(io) : n;
    brood_buffer_reserve(L, b, take);
    memcpy(b->data, io->rbuf + io->rpos, take);
    io->rpos += take;
    got = b->len = take;
    if (partial) return got;
  }
  while (got < n) {
    /* big counts in steps that grow with what came (as read_chars) */
    size_t step = got > READSTEP ? got : READSTEP, want = n - got, r;
    if (partial && want > BUFSIZE && b->cap < n) want = BUFSIZE;  /* one read's worth */
    if (want > step && b->cap < got + want) want = step;
    r = readinto(L, io, b, got, want);
    if (r == 0) {
      io->eof = 1;
      break;
    }
    got += r;
    b->len = got;
    if (partial) break;
  }
  return got;
}


/* io:read(n, buf) and io:readpartial(n, buf): pushes the buffer, or nil
** when end of file came before any byte (the buffer is then empty). */
static int read_buffer(lua_State *L, brood_IO *io, size_t n, int bufarg, int partial) {
  size_t got = brood_io_fill(L, io, brood_buffer_test(L, bufarg), n, partial);
  if (got == 0 && n > 0) lua_pushnil(L);
  else lua_pushvalue(L, bufarg);
  return 1;
}

/* }====================================================== */


/*
** {======================================================
** Methods
** =======================================================
*/

/* io:read(...) -- Lua's formats: "l" (default), "L", "n", "a", a count;
** io:read(n, buffer) fills the buffer (IO.buffer) instead. */
static int io_read(lua_State *L) {
  brood_IO *io = checkreadable(L, 1);
  if (lua_gettop(L) == 3 && brood_buffer_test(L, 3)) {
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_argcheck(L, n >= 0, 2, "negative count");
    return read_buffer(L, io, (size_t)n, 3, 0);
  }
  return g_read(L, io, 2);
}


static int lines_iter(lua_State *L) {
  brood_IO *io = toio(L, lua_upvalueindex(1));
  int n = (int)lua_tointeger(L, lua_upvalueindex(2)), i;
  if (io->fd < 0) return luaL_error(L, "IO is already closed");
  lua_settop(L, 0);
  luaL_checkstack(L, n + 1, "too many formats");  /* a fresh coroutine's stack is small */
  lua_pushvalue(L, lua_upvalueindex(1));
  for (i = 1; i <= n; i++) lua_pushvalue(L, lua_upvalueindex(2 + i));
  return g_read(L, io, 2);
}


/* io:lines(...) -- an iterator reading with the given formats. */
static int io_lines(lua_State *L) {
  int n = lua_gettop(L) - 1;
  checkreadable(L, 1);
  luaL_argcheck(L, n <= 250, 252, "too many arguments");
  lua_pushinteger(L, n);
  lua_insert(L, 2);
  lua_pushcclosure(L, lines_iter, 2 + n);
  return 1;
}


/* io:gets([sep]) -- the next line with its separator (Ruby keeps it), or
** nil at end of file; sep nil reads everything. */
static int io_gets(lua_State *L) {
  brood_IO *io = checkreadable(L, 1);
  if (lua_isnoneornil(L, 2) && lua_gettop(L) >= 2) {
    read_all(L, io);
    if (lua_rawlen(L, -1) == 0) lua_pushnil(L);
    return 1;
  }
  {
    size_t seplen;
    const char *sep = luaL_optlstring(L, 2, "\n", &seplen);
    luaL_argcheck(L, seplen > 0, 2, "empty separator");
    if (!read_until(L, io, sep, seplen, 1)) lua_pushnil(L);
    return 1;
  }
}


/* io:write(...) -> io */
static int io_write(lua_State *L) {
  brood_IO *io = checkwritable(L, 1);
  int n = lua_gettop(L), i;
  for (i = 2; i <= n; i++) {
    size_t len;
    brood_Buffer *b = lua_type(L, i) == LUA_TUSERDATA ? brood_buffer_test(L, i) : NULL;
    const char *s;
    if (b) {
      /* straight from the buffer; a handler that runs while the write
      ** waits may grow (move) it: a copy is written in that case */
      writebuffer(L, io, b);
      continue;
    }
    s = luaL_checklstring(L, i, &len);
    addwrite(L, io, s, len);
  }
  lua_settop(L, 1);
  return 1;
}


/* Appends the puts form of the value at idx: arrays flattened, nil as
** an empty line, each line ending with exactly one newline. */
static void puts_value(lua_State *L, brood_IO *io, int idx, int depth) {
  size_t len;
  const char *s;
  idx = lua_absindex(L, idx);
  if (lua_istable(L, idx) && !luaL_getmetafield(L, idx, "__tostring")) {
    lua_Integer i, n = (lua_Integer)lua_rawlen(L, idx);  /* an array, read raw */
    if (depth > 100) luaL_error(L, "puts: nesting too deep");
    luaL_checkstack(L, 3, "puts: nesting too deep");  /* a slot per level */
    for (i = 1; i <= n; i++) {
      lua_rawgeti(L, idx, i);
      puts_value(L, io, -1, depth + 1);
      lua_pop(L, 1);
    }
    return;
  }
  if (lua_istable(L, idx)) lua_pop(L, 1);  /* the __tostring fetched */
  /* the string stays on the stack while it is written: a wait in the
  ** write may run handlers, and the collector with them */
  if (lua_isnil(L, idx)) lua_pushliteral(L, "");
  else luaL_tolstring(L, idx, &len);
  s = lua_tolstring(L, -1, &len);
  if (len > 0 && s[len - 1] == '\n') addwrite(L, io, s, len);
  else if (len < PIPE_BUF) {
    /* the line and its newline in one write, as Ruby's puts: another
    ** process writing lines to the same pipe cannot land in between */
    char line[PIPE_BUF];
    memcpy(line, s, len);
    line[len] = '\n';
    addwrite(L, io, line, len + 1);
  }
  else {
    addwrite(L, io, s, len);
    addwrite(L, io, "\n", 1);
  }
  lua_pop(L, 1);
}


/* io:puts(...) -- each value on its own line (Ruby's puts). */
static int io_puts(lua_State *L) {
  brood_IO *io = checkwritable(L, 1);
  int n = lua_gettop(L), i;
  if (n == 1) addwrite(L, io, "\n", 1);
  for (i = 2; i <= n; i++) puts_value(L, io, i, 0);
  return 0;
}


/* io:print(...) -- the values' strings, nothing between or after. */
static int io_print(lua_State *L) {
  brood_IO *io = checkwritable(L, 1);
  int n = lua_gettop(L), i;
  for (i = 2; i <= n; i++) {
    size_t len;
    const char *s = luaL_tolstring(L, i, &len);
    addwrite(L, io, s, len);
    lua_pop(L, 1);
  }
  return 0;
}


static int io_flush(lua_State *L) {
  brood_IO *io = brood_io_check(L, 1);
  syncstdio(io);
  brood_io_flush(L, io);
  lua_settop(L, 1);
  return 1;
}


void brood_io_release(brood_IO *io, int closefd) {
  if (io->wbuf) {
    if (io->prev) io->prev->next = io->next;
    else if (withbuffers == io) withbuffers = io->next;
    if (io->next) io->next->prev = io->prev;
    free(io->wbuf);
    io->wbuf = NULL;
    io->wlen = io->wcap = 0;
    io->prev = io->next = NULL;
  }
  free(io->rbuf);
  io->rbuf = NULL;
  io->rpos = io->rlen = io->rcap = 0;
  if (closefd) {
    brood_sig_fdchange(io->pfd);
    brood_sig_fdchange(io->fd);
    if (io->pfd >= 0) close(io->pfd);
    if (io->fd >= 0) close(io->fd);
  }
  io->fd = io->pfd = -1;
}


/* io:close() -> true (for a popen object: as os.execute's results).
** Closing a closed IO does nothing, as in Ruby. */
static int io_close(lua_State *L) {
  brood_IO *io = toio(L, 1);
  int failed = 0;
  if (io->fd < 0) {
    lua_pushboolean(L, 1);
    return 1;
  }
  if (io->wlen) {
    lua_pushcfunction(L, io_flush);
    lua_pushvalue(L, 1);
    failed = lua_pcall(L, 1, 0, 0) != LUA_OK;  /* close even if flushing fails */
  }
  brood_io_release(io, 1);
  if (io->ops && io->ops->close) {
    if (failed) lua_pop(L, 1);
    return io->ops->close(L, io, BROOD_CLOSE_CALL);
  }
  if (failed) return lua_error(L);
  lua_pushboolean(L, 1);
  return 1;
}


void brood_io_close(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  lua_pushcfunction(L, io_close);
  lua_pushvalue(L, idx);
  lua_call(L, 1, 0);
}


/* __close (local f <close> = ...): as __gc, but a popen object waits for
** its program, as close() does. */
static int io_tbc(lua_State *L) {
  brood_IO *io = toio(L, 1);
  if (io->fd >= 0) {
    flush_raw(io);
    brood_io_release(io, io->owned);
    if (io->ops && io->ops->close) io->ops->close(L, io, BROOD_CLOSE_TBC);
  }
  return 0;
}


/* __gc: flush what is buffered and close what is owned (a popen
** object's program is reaped in the background: the collector never
** waits). */
static int io_gc(lua_State *L) {
  brood_IO *io = toio(L, 1);
  if (io->fd >= 0) {
    flush_raw(io);
    brood_io_release(io, io->owned);
    if (io->ops && io->ops->close) io->ops->close(L, io, BROOD_CLOSE_GC);
  }
  return 0;
}


static int io_closed(lua_State *L) {
  lua_pushboolean(L, toio(L, 1)->fd < 0);
  return 1;
}


static int io_fileno(lua_State *L) {
  lua_pushinteger(L, brood_io_check(L, 1)->fd);
  return 1;
}


/* io:isatty() -> whether the descriptor is a terminal (Ruby's isatty). */
static int io_isatty(lua_State *L) {
  brood_IO *io = brood_io_check(L, 1);
  brood_checknargs(L, 1);
  lua_pushboolean(L, isatty(io->fd));
  return 1;
}


/* io:pid() -> the program's pid for an IO.popen object, else nil. */
static int io_pid(lua_State *L) {
  brood_IO *io = toio(L, 1);
  lua_Integer pid = io->ops && io->ops->pid ? io->ops->pid(io) : 0;
  if (pid) lua_pushinteger(L, pid);
  else lua_pushnil(L);
  return 1;
}


/* io:eof() -> true at end of file (waits for data or EOF, as Ruby). */
static int io_eof(lua_State *L) {
  brood_IO *io = checkreadable(L, 1);
  lua_pushboolean(L, buffered(io) == 0 && fill(L, io) == 0);
  return 1;
}


/* io:readpartial(n) -- at least one byte, at most n: what is there once
** anything is; nil at end of file. */
static int io_readpartial(lua_State *L) {
  brood_IO *io = checkreadable(L, 1);
  lua_Integer n = luaL_checkinteger(L, 2);
  luaL_argcheck(L, n > 0, 2, "count must be positive");
  if (!lua_isnoneornil(L, 3)) {
    if (!brood_buffer_test(L, 3)) return luaL_typeerror(L, 3, "buffer");
    brood_checknargs(L, 3);
    return read_buffer(L, io, (size_t)n, 3, 1);
  }
  if (buffered(io) == 0) {
    /* nothing buffered: read into this thread's scratch buffer, not the
    ** object's own (a server's thousand idle connections then hold no
    ** read buffer each). Nothing runs between the read and the string
    ** made of it, so no task or handler can reuse the scratch meanwhile. */
    static _Thread_local char *scratch;
    size_t r;
    if (scratch == NULL && (scratch = malloc(BUFSIZE)) == NULL)
      return brood_raise(L, "read", NULL, ENOMEM);
    r = rawread(L, io, scratch, NULL, 0, (size_t)n < BUFSIZE ? (size_t)n : BUFSIZE);
    io->eof = r == 0;
    if (r == 0) lua_pushnil(L);
    else lua_pushlstring(L, scratch, r);
    return 1;
  }
  if ((size_t)n > buffered(io)) n = (lua_Integer)buffered(io);
  lua_pushlstring(L, io->rbuf + io->rpos, (size_t)n);
  io->rpos += (size_t)n;
  return 1;
}


/* io:read_nonblock(n) -> data; nil, "EAGAIN" when nothing is there yet;
** nil at end of file. Never waits. */
static int io_read_nonblock(lua_State *L) {
  brood_IO *io = checkreadable(L, 1);
  lua_Integer n = luaL_checkinteger(L, 2);
  ssize_t r;
  luaL_argcheck(L, n > 0, 2, "count must be positive");
  if (buffered(io) > 0) {
    if ((size_t)n > buffered(io)) n = (lua_Integer)buffered(io);
    lua_pushlstring(L, io->rbuf + io->rpos, (size_t)n);
    io->rpos += (size_t)n;
    return 1;
  }
  if (io->rbuf == NULL) {
    io->rbuf = malloc(BUFSIZE);
    if (io->rbuf == NULL) return brood_raise(L, "read", NULL, ENOMEM);
    io->rcap = BUFSIZE;
  }
  if ((size_t)n > io->rcap) n = (lua_Integer)io->rcap;
  for (;;) {
    r = read_once(io, io->rbuf, (size_t)n, 1);
    if (r >= 0) break;
    if (errno == EINTR) {
      brood_sig_check(L);
      continue;
    }
    if (errno == EAGAIN) {
      lua_pushnil(L);
      lua_pushliteral(L, "EAGAIN");
      return 2;
    }
    return brood_syserror(L, "read");
  }
  if (r == 0) {
    io->eof = 1;
    lua_pushnil(L);
    return 1;
  }
  lua_pushlstring(L, io->rbuf, (size_t)r);
  return 1;
}


/* io:write_nonblock(data) -> bytes written (maybe fewer than all); nil,
** "EAGAIN" when none fit now. Never waits; EPIPE raises. */
static int io_write_nonblock(lua_State *L) {
  brood_IO *io = checkwritable(L, 1);
  size_t len;
  const char *data = luaL_checklstring(L, 2, &len);
  int fd;
  ssize_t n;
  syncstdio(io);
  brood_io_flush(L, io);
  fd = io->pfd >= 0 ? io->pfd : io->fd;
  for (;;) {
    if (io->kind != BROOD_KIND_SOCKET && !nowait_ok[io->kind]) {
      /* no per-call non-blocking write: at most PIPE_BUF once poll says so */
      struct pollfd p = {fd, POLLOUT, 0};
      if (poll(&p, 1, 0) == 0) {
        errno = EAGAIN;
        n = -1;
      }
      else n = write_once(io, fd, data, len > 4096 ? 4096 : len, 0);
    }
    else n = write_once(io, fd, data, len, 1);
    if (n >= 0) {
      lua_pushinteger(L, n);
      return 1;
    }
    if (errno == EINTR) brood_sig_check(L);
    else if (errno == EAGAIN) {
      lua_pushnil(L);
      lua_pushliteral(L, "EAGAIN");
      return 2;
    }
    else return brood_syserror(L, "write");
  }
}


/* io:close_on_exec([on]) -> whether the descriptor was close-on-exec.
** With on, sets or clears FD_CLOEXEC (Ruby's close_on_exec=): brood
** opens everything close-on-exec; a master that re-executes itself
** clears it on the sockets the new program must inherit. */
static int io_close_on_exec(lua_State *L) {
  brood_IO *io = brood_io_check(L, 1);
  int fl;
  brood_checknargs(L, 2);
  if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TBOOLEAN);
  fl = fcntl(io->fd, F_GETFD);
  if (fl < 0) return brood_syserror(L, "fcntl");
  if (!lua_isnoneornil(L, 2)) {
    int nfl = lua_toboolean(L, 2) ? (fl | FD_CLOEXEC) : (fl & ~FD_CLOEXEC);
    if (nfl != fl && fcntl(io->fd, F_SETFD, nfl) != 0) return brood_syserror(L, "fcntl");
  }
  lua_pushboolean(L, (fl & FD_CLOEXEC) != 0);
  return 1;
}


/* io:set_nonblock(on) -- O_NONBLOCK on the descriptor itself (shared by
** every process holding it). brood's calls work either way. */
static int io_set_nonblock(lua_State *L) {
  brood_IO *io = brood_io_check(L, 1);
  int on = lua_toboolean(L, 2);
  int fl = fcntl(io->fd, F_GETFL);
  if (fl < 0 || fcntl(io->fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) < 0)
    return brood_syserror(L, "fcntl");
  io->nonblock = on;
  lua_settop(L, 1);
  return 1;
}


/* io:setvbuf("no" | "full" | "line") -- write buffering. */
static int io_setvbuf(lua_State *L) {
  static const char *const modes[] = {"no", "full", "line", NULL};
  brood_IO *io = brood_io_check(L, 1);
  int m = luaL_checkoption(L, 2, NULL, modes);
  brood_io_flush(L, io);
  io->sync = m == 0;
  io->linebuf = m == 2;
  lua_pushboolean(L, 1);
  return 1;
}


/* io:seek([whence[, offset]]) -> position, as Lua's. */
static int io_seek(lua_State *L) {
  static const int mode[] = {SEEK_SET, SEEK_CUR, SEEK_END};
  static const char *const modenames[] = {"set", "cur", "end", NULL};
  brood_IO *io = brood_io_check(L, 1);
  int op = luaL_checkoption(L, 2, "cur", modenames);
  lua_Integer offset = luaL_optinteger(L, 3, 0);
  off_t r;
  brood_io_flush(L, io);
  if (mode[op] == SEEK_CUR) {  /* where the caller is: before what is buffered */
    luaL_argcheck(L, offset >= LUA_MININTEGER + (lua_Integer)buffered(io), 3, "offset out of range");
    offset -= (lua_Integer)buffered(io);
  }
  io->rpos = io->rlen = 0;
  io->eof = 0;
  r = lseek(io->fd, (off_t)offset, mode[op]);
  if (r < 0) return brood_syserror(L, "lseek");
  lua_pushinteger(L, (lua_Integer)r);
  return 1;
}


/*
** open(2) that runs trap handlers while it waits. Only a FIFO makes open
** wait (for the other end), and there, with SA_RESTART, the kernel would
** wait on without a handler ever running. So while traps are set the
** file is opened O_NONBLOCK: a FIFO's read end then waits for a writer's
** data (or its leaving) beside the signal pipe; its write end, which
** fails with ENXIO while no reader is there, is retried after short
** naps. O_NONBLOCK is taken off again unless the caller asked for it.
** Returns the descriptor, or -1 with errno set; raises only what a
** handler raises (the descriptor is closed then).
*/
int brood_io_open(lua_State *L, const char *path, int flags, mode_t perm) {
  int fd;
  struct stat st;
  double nap = 0.001;
  if (!brood_sig_handling() || (flags & O_NONBLOCK)) return open(path, flags, perm);
  for (;;) {
    fd = open(path, flags | O_NONBLOCK, perm);
    if (fd >= 0) break;
    if (errno == EINTR) {
      brood_sig_check(L);
      continue;
    }
    if (errno != ENXIO) return -1;
    brood_sig_wait(L, -1, 0, brood_monotonic() + nap);  /* no reader yet */
    if (nap < 0.05) nap *= 2;
  }
  if ((flags & O_ACCMODE) == O_RDONLY && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
    /* held by an IO object while it waits: a handler's error closes it */
    brood_IO *io = brood_io_new(L, fd, BROOD_IO_READ, BROOD_KIND_PIPE, 1);
    lua_toclose(L, -1);
    while (brood_sig_wait(L, fd, POLLIN, -1) < 0) {}
    io->fd = -1;
    lua_closeslot(L, -1);
    lua_pop(L, 1);
  }
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}


int brood_io_modeflags(lua_State *L, int arg, const char *m, int *iomode) {
  int flags, plus = strchr(m, '+') != NULL;
  switch (m[0]) {
    case 'r': flags = plus ? O_RDWR : O_RDONLY; break;
    case 'w': flags = (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_TRUNC; break;
    case 'a': flags = (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_APPEND; break;
    default: return luaL_argerror(L, arg, "invalid mode");
  }
  if (strspn(m + 1, "+bx") != strlen(m + 1)) return luaL_argerror(L, arg, "invalid mode");
  if (strchr(m, 'x')) flags |= O_EXCL;
  *iomode = plus ? BROOD_IO_READ | BROOD_IO_WRITE
                 : (m[0] == 'r' ? BROOD_IO_READ : BROOD_IO_WRITE);
  return flags;
}




/*
** io:reopen(path[, mode]) or io:reopen(other_io) -- points this object's
** descriptor (same number) at another file: IO.stdout:reopen("/dev/null",
** "a") redirects fd 1 for the whole process, Lua's print included.
*/
static int io_reopen(lua_State *L) {
  brood_IO *io = brood_io_check(L, 1);
  brood_IO *other = brood_io_test(L, 2);
  int src, mode, opened = -1;
  if (other) {
    if (other->fd < 0) return luaL_argerror(L, 2, "IO is closed");
    syncstdio(other);
    brood_io_flush(L, other);
    src = other->fd;
    mode = other->mode;
  }
  else {
    const char *path = brood_checkcstring(L, 2, "path");
    const char *m = brood_optcstring(L, 3, (io->mode & BROOD_IO_WRITE)
                                     ? ((io->mode & BROOD_IO_READ) ? "r+" : "w") : "r", "mode");
    int flags = brood_io_modeflags(L, 3, m, &mode);
    opened = brood_io_open(L, path, flags | O_CLOEXEC, 0666);
    if (opened < 0) return brood_raise(L, "open", path, errno);
    src = opened;
  }
  syncstdio(io);
  brood_io_flush(L, io);
  brood_sig_fdchange(io->fd);
  if (dup3(src, io->fd, io->fd > 2 ? O_CLOEXEC : 0) < 0 && errno != EINVAL) {
    int err = errno;
    if (opened >= 0) close(opened);
    return brood_raise(L, "dup2", NULL, err);
  }
  if (opened >= 0) close(opened);
  io->mode = mode;
  io->kind = fdkind(io->fd);
  io->socktype = 0;  /* another file now: look again */
  io->nonblock = (fcntl(io->fd, F_GETFL) & O_NONBLOCK) != 0;
  io->rpos = io->rlen = 0;
  io->eof = 0;
  io->rdshut = io->wrshut = 0;
  lua_settop(L, 1);
  return 1;
}


/* io:dup() -> a new IO object on a duplicate descriptor. */
static int io_dup(lua_State *L) {
  brood_IO *io = brood_io_check(L, 1);
  brood_IO *copy;
  int fd = fcntl(io->fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return brood_syserror(L, "dup");
  copy = brood_io_new(L, fd, io->mode, io->kind, 1);
  copy->sync = io->sync;
  copy->linebuf = io->linebuf;
  return 1;
}


/* io:close_read() / io:close_write() -- one direction of a duplex object
** (a socket: shutdown; a popen "r+": that pipe). */
static int closeside(lua_State *L, int write) {
  brood_IO *io = brood_io_check(L, 1);
  if (write) brood_io_flush(L, io);
  if (io->kind == BROOD_KIND_SOCKET) {
    if (shutdown(io->fd, write ? SHUT_WR : SHUT_RD) != 0 && errno != ENOTCONN)
      return brood_syserror(L, "shutdown");
  }
  else if (io->pfd >= 0) {
    if (write) {
      brood_sig_fdchange(io->pfd);
      close(io->pfd);
      io->pfd = -1;
      io->mode &= ~BROOD_IO_WRITE;
    }
    else io->rdshut = 1;
  }
  else if (io->mode == (write ? BROOD_IO_WRITE : BROOD_IO_READ)) {
    lua_settop(L, 1);
    return io_close(L);
  }
  if (write) io->wrshut = 1;
  else io->rdshut = 1;
  if (io->rdshut && io->wrshut) {
    lua_settop(L, 1);
    return io_close(L);
  }
  return 0;
}


static int io_close_read(lua_State *L) {
  return closeside(L, 0);
}


static int io_close_write(lua_State *L) {
  return closeside(L, 1);
}


/*
** io:flock(op[, nonblock]) -- "EX", "SH" or "UN" (flock(2)). Returns
** true; with nonblock, false when another holds the lock. A blocking
** lock is retried with short naps so that trap handlers keep running.
*/
int brood_io_lockop(lua_State *L, int arg) {
  static const char *const ops[] = {"EX", "SH", "UN", NULL};
  static const int values[] = {LOCK_EX, LOCK_SH, LOCK_UN};
  if (lua_type(L, arg) == LUA_TSTRING) {
    const char *s = lua_tostring(L, arg);
    if (strncmp(s, "LOCK_", 5) == 0) {
      lua_pushstring(L, s + 5);
      lua_replace(L, arg);
    }
  }
  return values[luaL_checkoption(L, arg, NULL, ops)];
}


int brood_io_flockfd(lua_State *L, int fd, int op, int nonblock) {
  double nap = 0.001;
  for (;;) {
    if (flock(fd, op | LOCK_NB) == 0) return 1;
    if (errno == EINTR) {
      brood_sig_check(L);
      continue;
    }
    if (errno != EWOULDBLOCK) return brood_syserror(L, "flock");
    if (nonblock) return 0;
    brood_sig_wait(L, -1, 0, brood_monotonic() + nap);
    if (nap < 0.05) nap *= 2;
  }
}


static int io_flock(lua_State *L) {
  brood_IO *io = brood_io_check(L, 1);
  int op = brood_io_lockop(L, 2);
  lua_pushboolean(L, brood_io_flockfd(L, io->fd, op, lua_toboolean(L, 3)));
  return 1;
}


static int io_tostring(lua_State *L) {
  brood_IO *io = toio(L, 1);
  const char *kind = io->kind == BROOD_KIND_SOCKET ? "Socket" : "IO";
  if (io->fd < 0) lua_pushfstring(L, "#<%s:(closed)>", kind);
  else lua_pushfstring(L, "#<%s:fd %d>", kind, io->fd);
  return 1;
}


/* __index: the methods (upvalue 1), and io.sync -- true when writes go
** straight out. */
static int io_index(lua_State *L) {
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
  if (lua_type(L, 2) == LUA_TSTRING && strcmp(lua_tostring(L, 2), "sync") == 0) {
    lua_pushboolean(L, toio(L, 1)->sync);
    return 1;
  }
  return 1;  /* nil */
}


/* io.sync = true | false (Ruby's $stdout.sync = true). */
static int io_newindex(lua_State *L) {
  brood_IO *io = toio(L, 1);
  if (lua_type(L, 2) == LUA_TSTRING && strcmp(lua_tostring(L, 2), "sync") == 0) {
    if (lua_toboolean(L, 3) && io->fd >= 0) brood_io_flush(L, io);
    io->sync = lua_toboolean(L, 3);
    return 0;
  }
  return luaL_error(L, "cannot set field '%s' of an IO", luaL_tolstring(L, 2, NULL));
}


static const luaL_Reg io_methods[] = {
  {"read", io_read},
  {"lines", io_lines},
  {"gets", io_gets},
  {"write", io_write},
  {"puts", io_puts},
  {"print", io_print},
  {"flush", io_flush},
  {"close", io_close},
  {"closed", io_closed},
  {"fileno", io_fileno},
  {"isatty", io_isatty},
  {"pid", io_pid},
  {"eof", io_eof},
  {"readpartial", io_readpartial},
  {"read_nonblock", io_read_nonblock},
  {"write_nonblock", io_write_nonblock},
  {"set_nonblock", io_set_nonblock},
  {"close_on_exec", io_close_on_exec},
  {"setvbuf", io_setvbuf},
  {"seek", io_seek},
  {"reopen", io_reopen},
  {"dup", io_dup},
  {"close_read", io_close_read},
  {"close_write", io_close_write},
  {"flock", io_flock},
  {NULL, NULL}
};


static void iometa(lua_State *L) {
  luaL_newmetatable(L, BROOD_IO_TYPE);
  lua_pushcfunction(L, io_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, io_tbc);
  lua_setfield(L, -2, "__close");
  lua_pushcfunction(L, io_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushcfunction(L, io_newindex);
  lua_setfield(L, -2, "__newindex");
  luaL_newlib(L, io_methods);  /* the modules add theirs (brood_io_addmethods) */
  lua_pushcclosure(L, io_index, 1);
  lua_setfield(L, -2, "__index");
}

/* }====================================================== */


void brood_io_addmethods(lua_State *L, const luaL_Reg *methods) {
  if (luaL_getmetatable(L, BROOD_IO_TYPE) == LUA_TNIL) {
    lua_pop(L, 1);
    iometa(L);
  }
  lua_getfield(L, -1, "__index");
  lua_getupvalue(L, -1, 1);  /* io_index's method table */
  luaL_setfuncs(L, methods, 0);
  lua_pop(L, 3);
}
