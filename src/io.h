/*
** io.h -- the IO object: one type for every descriptor brood hands out,
** its buffers, reads and writes (which wait through sigcore), and its
** close. Above sigcore.h; the modules (brood.io, brood.socket, spawn's
** popen, select, shared memory) build on it.
*/
#ifndef BROOD_IO_H
#define BROOD_IO_H

#include <sys/types.h>

#include "sigcore.h"

/*
** {======================================================
** IO objects (io.c)
** =======================================================
** One type, "brood.IO", for every descriptor brood hands out: files,
** pipe ends, sockets, the standard streams. Descriptors are blocking;
** while traps are set, calls ask the kernel not to block and wait in
** brood_sig_poll beside the signal pipe instead (see io.c).
*/

#define BROOD_IO_TYPE "brood.IO"

enum { BROOD_IO_READ = 1, BROOD_IO_WRITE = 2 };
enum { BROOD_KIND_FILE, BROOD_KIND_PIPE, BROOD_KIND_SOCKET, BROOD_KIND_TTY, BROOD_KIND_OTHER };

typedef struct brood_IO brood_IO;

/* How an object is being closed, for its own close function. */
enum {
  BROOD_CLOSE_CALL,  /* io:close(): may wait; pushes close's results, returns their count */
  BROOD_CLOSE_TBC,   /* a to-be-closed variable going out of scope: may wait */
  BROOD_CLOSE_GC     /* the collector: must not wait or raise */
};

/*
** What a kind of IO object does its own way (as the closef of Lua's
** luaL_Stream). Plain objects have none; IO.popen's objects (spawn.c)
** wait for their program when closed. 'close' runs once, after the
** object's buffers are freed and its descriptors closed.
*/
typedef struct brood_IO_ops {
  int (*close)(lua_State *L, brood_IO *io, int how);
  lua_Integer (*pid)(brood_IO *io);  /* io:pid(); 0: none */
} brood_IO_ops;

struct brood_IO {
  int fd;                 /* -1 once closed */
  int mode;               /* BROOD_IO_READ | BROOD_IO_WRITE */
  int kind;               /* BROOD_KIND_* */
  int socktype;           /* a socket's SOCK_* type once looked up; 0: not yet */
  int nonblock;           /* O_NONBLOCK is set on the descriptor */
  int owned;              /* close the fd with the object (not fds 0-2) */
  int sync;               /* writes go straight out, no buffering */
  int linebuf;            /* flush the write buffer at each newline */
  int eof;                /* the read side reached end of file */
  int waitfirst;          /* the last read had to wait: poll before reading */
  int rdshut, wrshut;     /* close_read / close_write done */
  char *rbuf;             /* read buffer: rbuf[rpos..rlen) unread */
  size_t rpos, rlen, rcap;
  char *wbuf;             /* write buffer */
  size_t wlen, wcap;
  struct brood_IO *prev, *next;  /* objects with a write buffer (flushall) */
  int pfd;                /* a duplex object's write descriptor (popen "r+"), else -1 */
  const brood_IO_ops *ops;  /* NULL: a plain descriptor */
};

/* open(2) flags for a Lua/Ruby mode string ("r", "w", "a", with "+",
** "b", and "x" for O_EXCL); *iomode gets BROOD_IO_READ/WRITE. Raises
** "invalid mode" naming argument arg. */
int brood_io_modeflags(lua_State *L, int arg, const char *m, int *iomode);

/* Pushes a new IO object for fd (taking ownership when 'owned'). */
brood_IO *brood_io_new(lua_State *L, int fd, int mode, int kind, int owned);

/* The same, 'size' bytes large: a kind of object that extends brood_IO
** (its first member) with fields of its own, and sets io->ops. */
brood_IO *brood_io_newx(lua_State *L, size_t size, int fd, int mode, int kind, int owned);

/* The open IO object at arg (raises for closed ones), or NULL / error. */
brood_IO *brood_io_check(lua_State *L, int arg);
brood_IO *brood_io_test(lua_State *L, int arg);

/* True when the next call on io must not block: its descriptor is
** O_NONBLOCK, or traps are set (a signal may need a handler run). */
int brood_io_mustnotblock(brood_IO *io);

/* Waits until io's fd is ready for events (running trap handlers);
** returns 0 if the monotonic deadline (>= 0) passes first. */
int brood_io_wait(lua_State *L, brood_IO *io, int events, double deadline);

/* open(2), running trap handlers while a FIFO makes it wait (io.c).
** Returns the descriptor, or -1 with errno set. */
int brood_io_open(lua_State *L, const char *path, int flags, mode_t perm);

/* Reads up to n bytes straight from io's descriptor (not its buffer),
** waiting as needed and running trap handlers meanwhile; returns how
** many, 0 at end of file. Raises on errors. */
size_t brood_io_read(lua_State *L, brood_IO *io, char *buf, size_t n);

/* Writes all of data (waiting as needed; EPIPE raises, never SIGPIPE). */
void brood_io_writeall(lua_State *L, brood_IO *io, int fd, const char *data, size_t len);

/* Flushes io's write buffer (raising on error). */
void brood_io_flush(lua_State *L, brood_IO *io);

/* Drops io's buffers and descriptors (closing them when 'closefd');
** the object stays, closed. Runs no close function (brood_IO_ops). */
void brood_io_release(brood_IO *io, int closefd);

/* flock's operation from a name ("EX", "SH", "UN", with "NB") or number
** at arg; and flock(2) on fd that runs trap handlers while it waits
** (returns 0 when 'nonblock' and the lock is taken elsewhere). */
int brood_io_lockop(lua_State *L, int arg);
int brood_io_flockfd(lua_State *L, int fd, int op, int nonblock);

/*
** {======================================================
** Buffers (buffer.c): IO.buffer, what reads fill and writes take
** =======================================================
*/

#define BROOD_BUFFER_TYPE "brood.Buffer"

typedef struct brood_Buffer {
  char *data;             /* data[0..len) the contents; NULL until first needed */
  size_t len, cap;
} brood_Buffer;

/* The buffer at arg, or NULL. */
brood_Buffer *brood_buffer_test(lua_State *L, int arg);

/* Makes room for n bytes (contents kept; it never shrinks); returns
** b->data. Raises when memory runs out. */
char *brood_buffer_reserve(lua_State *L, brood_Buffer *b, size_t n);

/* The bytes of the string or buffer at arg (*len set), or NULL when it
** is neither. */
const char *brood_buffer_bytes(lua_State *L, int arg, size_t *len);

/* Writes b's first len bytes to io's (write) descriptor, straight from
** b's memory, looked up again after every wait. */
void brood_io_writebuffer(lua_State *L, brood_IO *io, brood_Buffer *b, size_t len);

/* Pushes the IO.buffer constructor (creating the type). */
void brood_buffer_open(lua_State *L);

/* Fills b with up to n bytes of io (replacing its contents): what io
** has buffered, then straight from the descriptor; 'partial': one read's
** worth at most, else n bytes, fewer only at end of file (SIZE_MAX: up
** to it). Safe against handlers that touch b while it waits. Returns how
** many. */
size_t brood_io_fill(lua_State *L, brood_IO *io, brood_Buffer *b, size_t n, int partial);

/* }====================================================== */

/* Adds methods to every IO object (the modules' own: socket.c's). */
void brood_io_addmethods(lua_State *L, const luaL_Reg *methods);

/* Closes the IO object at idx as io:close() does. */
void brood_io_close(lua_State *L, int idx);

/* Flushes every brood IO object with buffered output and C stdio, at
** exit: Lua's own buffered output to a pipe whose reader is gone kills
** the process with SIGPIPE, as it does in stock Lua. */
void brood_io_flushall(void);

/* The same before a new process starts (fork, spawn, exec, system,
** popen; Ruby's prefork), so that no child inherits buffered output: the
** flush is brood's, not a write the script made, so a reader gone drops
** the data (C stdio's too) instead of killing the process. */
void brood_io_prefork(void);

/* }====================================================== */

#endif
