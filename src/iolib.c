/*
** iolib.c -- the brood.io module: Ruby's IO class methods (pipe, for_fd,
** open, mkfifo, flock, pidfile, select, copy_stream, shared) and the
** standard streams. The IO object itself is io.c's.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "process.h"
#include "modules.h"



static mode_t checkperm(lua_State *L, int arg, mode_t def) {
  if (lua_isnoneornil(L, arg)) return def;
  return (mode_t)brood_tooctal(L, arg, arg, 07777, "permissions", "644");
}


/*
** {======================================================
** Module functions
** =======================================================
*/

/*
** IO.pipe([fn]) -> reader, writer. Both ends close-on-exec. With fn:
** fn(reader, writer) runs, both are closed after, and fn's results are
** returned (Ruby's block form).
*/
static int io_pipe(lua_State *L) {
  int fds[2], with_fn = !lua_isnoneornil(L, 1);
  if (with_fn) luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  if (pipe2(fds, O_CLOEXEC) != 0) return brood_syserror(L, "pipe2");
  brood_io_new(L, fds[0], BROOD_IO_READ, BROOD_KIND_PIPE, 1);
  brood_io_new(L, fds[1], BROOD_IO_WRITE, BROOD_KIND_PIPE, 1);
  if (!with_fn) return 2;
  {
    int base = lua_gettop(L) - 2, status, nres;
    lua_pushvalue(L, 1);
    lua_pushvalue(L, base + 1);
    lua_pushvalue(L, base + 2);
    status = lua_pcall(L, 2, LUA_MULTRET, 0);
    brood_io_release(lua_touserdata(L, base + 1), 1);
    brood_io_release(lua_touserdata(L, base + 2), 1);
    if (status != LUA_OK) return lua_error(L);
    nres = lua_gettop(L) - base - 2;
    return nres;
  }
}


/* IO.for_fd(fd[, mode]) -- an IO object for a descriptor this process
** holds; closing (or collecting) it closes the descriptor. */
static int io_for_fd(lua_State *L) {
  int fd = brood_checkfd(L, 1);
  int fl = fcntl(fd, F_GETFL), mode;
  if (fl < 0) return brood_syserror(L, "fcntl");
  if (lua_isnoneornil(L, 2)) {
    int acc = fl & O_ACCMODE;
    mode = acc == O_RDONLY ? BROOD_IO_READ
         : acc == O_WRONLY ? BROOD_IO_WRITE : BROOD_IO_READ | BROOD_IO_WRITE;
  }
  else brood_io_modeflags(L, 2, brood_checkcstring(L, 2, "mode"), &mode);
  brood_io_new(L, fd, mode, -1, 1);
  return 1;
}


/* IO.open(path[, mode[, perm]]) -- mode as Lua's ("r", "w", "a", with
** "+", "b"; "x" for O_EXCL); perm (default "666", before the umask) as a
** number or octal string. */
static int io_open(lua_State *L) {
  const char *path = brood_checkcstring(L, 1, "path");
  const char *m = brood_optcstring(L, 2, "r", "mode");
  int mode, flags = brood_io_modeflags(L, 2, m, &mode), fd;
  mode_t perm = checkperm(L, 3, 0666);
  fd = brood_io_open(L, path, flags | O_CLOEXEC, perm);
  if (fd < 0) return brood_raise(L, "open", path, errno);
  brood_io_new(L, fd, mode, -1, 1);
  return 1;
}


/* IO.fileno(x) -- the descriptor number of an IO object, a Lua file
** handle, or a number. */
static int io_fileno_of(lua_State *L) {
  brood_IO *io = brood_io_test(L, 1);
  luaL_Stream *f;
  if (io) {
    if (io->fd < 0) return luaL_argerror(L, 1, "IO is closed");
    lua_pushinteger(L, io->fd);
    return 1;
  }
  f = luaL_testudata(L, 1, LUA_FILEHANDLE);
  if (f) {
    if (f->closef == NULL) return luaL_argerror(L, 1, "file is closed");
    lua_pushinteger(L, fileno(f->f));
    return 1;
  }
  lua_pushinteger(L, brood_checkfd(L, 1));
  return 1;
}


/* IO.mkfifo(path[, perm]) -- a named pipe (perm default "666"). */
static int io_mkfifo(lua_State *L) {
  const char *path = brood_checkcstring(L, 1, "path");
  if (mkfifo(path, checkperm(L, 2, 0666)) != 0) return brood_raise(L, "mkfifo", path, errno);
  return 0;
}


/* IO.flock(io, op[, nonblock]) -- io:flock for IO objects and Lua files. */
static int io_flock_fn(lua_State *L) {
  int fd, op;
  lua_settop(L, 3);
  io_fileno_of(L);
  fd = (int)lua_tointeger(L, -1);
  lua_pop(L, 1);
  op = brood_io_lockop(L, 2);
  lua_pushboolean(L, brood_io_flockfd(L, fd, op, lua_toboolean(L, 3)));
  return 1;
}


/*
** IO.pidfile(path) -> io. Opens (creating) path, takes an exclusive
** flock on it and writes this process's pid; the lock lasts while the
** returned object stays open. If another process holds it, raises the
** error object EAGAIN with field pid = the holder's pid.
** A daemon's pid file often lives in a directory others can write to,
** so the file is opened without following a symbolic link (ELOOP: a link
** planted there cannot make it write elsewhere, nor create a link's
** target), and anything but a regular file is refused (EINVAL).
*/
static int io_pidfile(lua_State *L) {
  const char *path = brood_checkcstring(L, 1, "path");
  char buf[32];
  int fd, len;
  struct stat st;
  brood_IO *io;
  brood_checknargs(L, 1);
  fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
  if (fd < 0) return brood_raise(L, "open", path, errno);
  io = brood_io_new(L, fd, BROOD_IO_READ | BROOD_IO_WRITE, BROOD_KIND_FILE, 1);
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int err = fstat(fd, &st) != 0 ? errno : EINVAL;
    brood_io_release(io, 1);
    return brood_raise(L, "open", path, err);
  }
  if (fcntl(fd, F_SETFL, O_RDWR) != 0) {  /* O_NONBLOCK was for a FIFO planted there */
    int err = errno;
    brood_io_release(io, 1);
    return brood_raise(L, "fcntl", path, err);
  }
  io->nonblock = 0;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    brood_io_release(io, 1);
    brood_pusherror(L, "flock", path, err);
    if (err == EWOULDBLOCK) {
      lua_pushinteger(L, strtol(buf, NULL, 10));
      lua_setfield(L, -2, "pid");
    }
    return lua_error(L);
  }
  len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
  if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
    int err = errno;
    brood_io_release(io, 1);
    return brood_raise(L, "write", path, err);
  }
  return 1;
}

/* }====================================================== */



static const luaL_Reg io_funcs[] = {
  {"pipe", io_pipe},
  {"for_fd", io_for_fd},
  {"open", io_open},
  {"fileno", io_fileno_of},
  {"mkfifo", io_mkfifo},
  {"flock", io_flock_fn},
  {"pidfile", io_pidfile},
  {"select", brood_io_select},
  {"copy_stream", brood_io_copy_stream},
  {"shared", brood_io_shared},
  {NULL, NULL}
};


BROOD_API int luaopen_brood_io(lua_State *L) {
  static const char *const names[] = {"stdin", "stdout", "stderr"};
  int fd;
  luaL_newlib(L, io_funcs);
  brood_buffer_open(L);
  lua_setfield(L, -2, "buffer");
  brood_io_addmethods(L, brood_socket_methods);
  brood_open_popen(L);
  for (fd = 0; fd <= 2; fd++) {
    brood_IO *io = brood_io_new(L, fd, fd == 0 ? BROOD_IO_READ : BROOD_IO_WRITE, -1, 0);
    if (fd > 0) io->sync = 1;  /* in step with print and io.write */
    lua_setfield(L, -2, names[fd]);
  }
  return 1;
}
