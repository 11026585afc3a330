/*
** socket.c -- brood.socket: socket pairs, TCP and UNIX servers and
** clients, and the socket methods of IO objects (send, recv, accept,
** shutdown, send_io, recv_io, addresses).
**
** Every socket is an ordinary brood IO object (read, gets, puts... work
** on it), close-on-exec. Connected sockets are blocking, and calls on
** them follow io.c's rule (non-blocking calls and a wait beside the
** signal pipe while traps are set); listening sockets are non-blocking,
** because forked workers all wake for one connection and the others must
** not sit in accept. Either way trap handlers run while a server waits. Sends never raise SIGPIPE (MSG_NOSIGNAL): a closed peer is an
** EPIPE error.
*/
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "process.h"
#include "modules.h"



/*
** {======================================================
** Arguments
** =======================================================
*/

static int checkdomain(lua_State *L, int arg) {
  static const char *const names[] = {"UNIX", "LOCAL", "INET", "INET6", NULL};
  static const int values[] = {AF_UNIX, AF_UNIX, AF_INET, AF_INET6};
  const char *s;
  if (lua_type(L, arg) == LUA_TNUMBER) return brood_checkint(L, arg);
  s = luaL_checkstring(L, arg);
  if (strncmp(s, "AF_", 3) == 0 || strncmp(s, "PF_", 3) == 0) {
    lua_pushstring(L, s + 3);
    lua_replace(L, arg);
  }
  return values[luaL_checkoption(L, arg, NULL, names)];
}


static int checktype(lua_State *L, int arg) {
  static const char *const names[] = {"STREAM", "DGRAM", "SEQPACKET", NULL};
  static const int values[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
  const char *s;
  if (lua_type(L, arg) == LUA_TNUMBER) return brood_checkint(L, arg);
  s = luaL_checkstring(L, arg);
  if (strncmp(s, "SOCK_", 5) == 0) {
    lua_pushstring(L, s + 5);
    lua_replace(L, arg);
  }
  return values[luaL_checkoption(L, arg, NULL, names)];
}


static void checkport(lua_State *L, int arg, char *buf, size_t size) {
  lua_Integer port = luaL_checkinteger(L, arg);
  luaL_argcheck(L, port >= 0 && port <= 65535, arg, "port out of range");
  snprintf(buf, size, "%d", (int)port);
}


/* Resolves host:port; raises (with EAI's message) when it cannot. */
static struct addrinfo *resolve(lua_State *L, const char *host, const char *port, int passive) {
  struct addrinfo hints, *res;
  int r;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  r = getaddrinfo(host, port, &hints, &res);
  if (r != 0) {
    if (r == EAI_SYSTEM) brood_raise(L, "getaddrinfo", host, errno);
    luaL_error(L, "getaddrinfo %s: %s", host ? host : "*", gai_strerror(r));
  }
  return res;
}

/* }====================================================== */


/*
** {======================================================
** Creating sockets
** =======================================================
*/

static void pushsocket(lua_State *L, int fd) {
  brood_io_new(L, fd, BROOD_IO_READ | BROOD_IO_WRITE, BROOD_KIND_SOCKET, 1);
}


/* A connected socket (made non-blocking to connect with a timeout) goes
** back to blocking, like every other descriptor brood hands out; the
** object on top of the stack is told. */
static void blocking(lua_State *L, int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  ((brood_IO *)lua_touserdata(L, -1))->nonblock = 0;
}


/* Socket.pair(domain, type[, protocol]) -> two connected sockets. */
static int socket_pair(lua_State *L) {
  int domain = checkdomain(L, 1), type = checktype(L, 2);
  int proto = brood_optint(L, 3, 0), fds[2];
  if (socketpair(domain, type | SOCK_CLOEXEC, proto, fds) != 0)
    return brood_syserror(L, "socketpair");
  pushsocket(L, fds[0]);
  pushsocket(L, fds[1]);
  return 2;
}


/* Binds and listens; the error of the last address tried if none works. */
static int listen_on(lua_State *L, struct addrinfo *res, int backlog, const char *what) {
  struct addrinfo *ai;
  int err = EADDRNOTAVAIL;
  const char *call = "bind";
  for (ai = res; ai; ai = ai->ai_next) {
    int one = 1;
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      err = errno;
      call = "socket";
      continue;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, backlog) == 0) {
      freeaddrinfo(res);
      pushsocket(L, fd);
      return 1;
    }
    err = errno;
    call = "bind";
    close(fd);
  }
  freeaddrinfo(res);
  return brood_raise(L, call, what, err);
}


/*
** Socket.tcp_server(host, port[, backlog]) -> a listening socket (Ruby's
** TCPServer.new). host nil means every IPv4 address ("0.0.0.0"); "::" is
** every IPv6 one. Port 0 picks a free port: server:local_address() tells
** which. SO_REUSEADDR is set, so a restarted server can bind at once.
*/
static int socket_tcp_server(lua_State *L) {
  const char *host = brood_optcstring(L, 1, "0.0.0.0", "host");
  char port[16], what[300];
  int backlog = brood_optint(L, 3, SOMAXCONN);
  checkport(L, 2, port, sizeof port);
  snprintf(what, sizeof what, "%s:%s", host, port);
  return listen_on(L, resolve(L, host, port, 1), backlog, what);
}


/* While connect waits, the attempt's socket is a to-be-closed IO object
** at 'holder': a cancellation or a trap handler's error closes it at
** once, not at some later collection. Once connected, the descriptor
** moves to a new object, the one returned, and the holder closes empty. */
static int connected(lua_State *L, int holder, int fd) {
  pushsocket(L, fd);
  blocking(L, fd);
  ((brood_IO *)lua_touserdata(L, holder))->fd = -1;
  lua_closeslot(L, holder);
  return 1;
}


/* Waits for a non-blocking connect to finish; returns 0 or the errno. */
static int finish_connect(lua_State *L, int fd, double deadline) {
  int err = 0;
  socklen_t len = sizeof err;
  for (;;) {
    int r = brood_sig_wait(L, fd, POLLOUT, deadline);
    if (r == 0) return ETIMEDOUT;
    if (r > 0) break;
  }
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}


/*
** Socket.tcp_connect(host, port[, timeout]) -> a connected socket
** (Ruby's TCPSocket.new), trying every address of host, IPv4 or IPv6.
** timeout (seconds) bounds the whole attempt: ETIMEDOUT.
*/
static int socket_tcp_connect(lua_State *L) {
  typedef struct { int family, type, proto; socklen_t len; struct sockaddr_storage addr; } Addr;
  const char *host = brood_checkcstring(L, 1, "host");
  char port[16], what[300];
  double deadline;
  struct addrinfo *res, *ai;
  Addr *addrs;
  int n = 0, i, err = ECONNREFUSED;
  checkport(L, 2, port, sizeof port);
  deadline = brood_deadline(brood_opttimeout(L, 3));
  snprintf(what, sizeof what, "%s:%s", host, port);
  /* The addresses go into memory Lua owns, and each attempt's socket is
  ** an IO object from the start, closed on the way out (connected). */
  res = resolve(L, host, port, 0);
  for (ai = res; ai && n < 16; ai = ai->ai_next) n++;
  addrs = lua_newuserdatauv(L, sizeof(Addr) * (size_t)n, 0);
  for (ai = res, i = 0; i < n; ai = ai->ai_next, i++) {
    addrs[i].family = ai->ai_family;
    addrs[i].type = ai->ai_socktype;
    addrs[i].proto = ai->ai_protocol;
    addrs[i].len = ai->ai_addrlen;
    memcpy(&addrs[i].addr, ai->ai_addr, ai->ai_addrlen);
  }
  freeaddrinfo(res);
  for (i = 0; i < n; i++) {
    int fd = socket(addrs[i].family, addrs[i].type | SOCK_CLOEXEC | SOCK_NONBLOCK, addrs[i].proto);
    if (fd < 0) {
      err = errno;
      continue;
    }
    pushsocket(L, fd);
    lua_toclose(L, -1);
    if (connect(fd, (struct sockaddr *)&addrs[i].addr, addrs[i].len) == 0) err = 0;
    else if (errno == EINPROGRESS || errno == EINTR) err = finish_connect(L, fd, deadline);
    else err = errno;
    if (err == 0) return connected(L, lua_gettop(L), fd);
    lua_closeslot(L, -1);
    lua_pop(L, 1);
    if (err == ETIMEDOUT) break;
  }
  return brood_raise(L, "connect", what, err);
}


/* The address of a UNIX socket: a path, or "@name" for a name in Linux's
** abstract namespace (no file; systemd's NOTIFY_SOCKET may be one). */
static socklen_t unixaddr(lua_State *L, int arg, struct sockaddr_un *sun) {
  size_t len;
  const char *path = brood_checkcstring(L, arg, "path");
  len = strlen(path);
  luaL_argcheck(L, len > 0 && len < sizeof sun->sun_path, arg, "path too long (or empty)");
  memset(sun, 0, sizeof *sun);
  sun->sun_family = AF_UNIX;
  memcpy(sun->sun_path, path, len);
  if (path[0] == '@') {
    sun->sun_path[0] = '\0';
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
  }
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}


/* Socket.unix_dgram([path]) -> a UNIX datagram socket, bound to path
** when given (a receiver), else unbound (a sender: sock:send(msg, 0,
** path)). */
static int socket_unix_dgram(lua_State *L) {
  struct sockaddr_un sun;
  socklen_t len = 0;
  int fd;
  brood_checknargs(L, 1);
  if (!lua_isnoneornil(L, 1)) len = unixaddr(L, 1, &sun);
  fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return brood_syserror(L, "socket");
  pushsocket(L, fd);
  if (len && bind(fd, (struct sockaddr *)&sun, len) != 0) {
    int err = errno;
    brood_io_close(L, -1);
    return brood_raise(L, "bind", lua_tostring(L, 1), err);
  }
  return 1;
}


/* Socket.unix_server(path[, backlog]) -> a listening UNIX socket. */
static int socket_unix_server(lua_State *L) {
  struct sockaddr_un sun;
  socklen_t len = unixaddr(L, 1, &sun);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return brood_syserror(L, "socket");
  if (bind(fd, (struct sockaddr *)&sun, len) != 0 || listen(fd, brood_optint(L, 2, SOMAXCONN)) != 0) {
    int err = errno;
    close(fd);
    return brood_raise(L, "bind", lua_tostring(L, 1), err);
  }
  pushsocket(L, fd);
  return 1;
}


/* Socket.unix_connect(path) -> a connected UNIX socket. */
static int socket_unix_connect(lua_State *L) {
  struct sockaddr_un sun;
  socklen_t len = unixaddr(L, 1, &sun);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), err = 0;
  if (fd < 0) return brood_syserror(L, "socket");
  pushsocket(L, fd);  /* closed on the way out, whatever it is (connected) */
  lua_toclose(L, -1);
  if (connect(fd, (struct sockaddr *)&sun, len) != 0) {
    if (errno == EINPROGRESS || errno == EAGAIN) err = finish_connect(L, fd, -1);
    else err = errno;
  }
  if (err) {
    lua_closeslot(L, -1);
    return brood_raise(L, "connect", lua_tostring(L, 1), err);
  }
  return connected(L, lua_gettop(L), fd);
}

/* }====================================================== */


/*
** {======================================================
** Methods
** =======================================================
*/

/* Message flags: Socket.MSG_* values or'ed together. */
static int checkflags(lua_State *L, int arg) {
  return lua_isnoneornil(L, arg) ? 0 : (int)brood_checkrange(L, arg, 0, INT_MAX, "flags");
}


/*
** sock:accept([timeout]) -> a connected socket, once a client comes;
** nil, "ETIMEDOUT" when timeout seconds pass first. Inside a task,
** cancelling the task stops the wait (how a worker blocked in accept is
** told to stop).
*/
static int sock_accept(lua_State *L) {
  brood_IO *io = brood_io_check(L, 1);
  double deadline = brood_deadline(brood_opttimeout(L, 2));
  int rev = 0;
  brood_checknargs(L, 2);
  for (;;) {
    int fd;
    /* with handlers to run or a time limit, accept only what poll saw:
    ** O_NONBLOCK may have been cleared by another object sharing it */
    if (brood_sig_handling() || deadline >= 0) {
      rev = brood_io_wait(L, io, POLLIN | POLLRDHUP, deadline);
      if (rev == 0) {
        lua_pushnil(L);
        lua_pushliteral(L, "ETIMEDOUT");
        return 2;
      }
    }
    fd = accept4(io->fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0) {
      pushsocket(L, fd);
      return 1;
    }
    if (errno == EAGAIN || errno == ECONNABORTED) {
      /* a listening socket shut down for reading (close_read) polls
      ** readable for ever while accept finds nothing: waiting again
      ** would spin, so it is the error accept gives a socket that does
      ** not listen */
      if (rev & POLLRDHUP) return brood_raise(L, "accept", NULL, EINVAL);
      if (deadline < 0) rev = brood_io_wait(L, io, POLLIN | POLLRDHUP, -1);
    }
    else if (errno == EINTR) brood_sig_check(L);
    else return brood_syserror(L, "accept");
  }
}


/* sock:accept_nonblock() -> a connected socket; nil, "EAGAIN" when no
** client is waiting. Never waits. As Ruby's, it sets O_NONBLOCK on the
** listening socket for good (only that makes accept never wait when
** another process takes the client first); brood's accept works
** either way. */
static int sock_accept_nonblock(lua_State *L) {
  brood_IO *io = brood_io_check(L, 1);
  brood_checknargs(L, 1);
  if (!io->nonblock) {
    int fl = fcntl(io->fd, F_GETFL);
    if (fl < 0 || fcntl(io->fd, F_SETFL, fl | O_NONBLOCK) != 0) return brood_syserror(L, "fcntl");
    io->nonblock = 1;
  }
  for (;;) {
    int fd = accept4(io->fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0) {
      pushsocket(L, fd);
      return 1;
    }
    if (errno == EINTR) brood_sig_check(L);
    else if (errno == EAGAIN || errno == ECONNABORTED) {
      lua_pushnil(L);
      lua_pushliteral(L, "EAGAIN");
      return 2;
    }
    else return brood_syserror(L, "accept");
  }
}


/* The socket's type, looked up once per object (a send or recv on a
** message socket must not cost a getsockopt each). */
static int socktype(brood_IO *io) {
  if (io->socktype == 0) {
    int type = SOCK_STREAM;
    socklen_t len = sizeof type;
    if (getsockopt(io->fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return SOCK_STREAM;
    io->socktype = type;
  }
  return io->socktype;
}


/* sock:send(msg[, flags[, to]]) -> bytes sent; to: the UNIX address a
** datagram goes to (Ruby's send(mesg, flags, dest)). A message socket (DGRAM,
** SEQPACKET) sends msg as one message; a stream sends all of it. */
static int sock_send(lua_State *L) {
  brood_IO *io = brood_io_check(L, 1);
  size_t len;
  /* a buffer's memory is looked up again after each wait (a handler
  ** may move it); a string's stays put */
  brood_Buffer *buf = lua_type(L, 2) == LUA_TUSERDATA ? brood_buffer_test(L, 2) : NULL;
  const char *msg = buf ? NULL : luaL_checklstring(L, 2, &len);
  int flags = checkflags(L, 3) | MSG_NOSIGNAL;
  struct sockaddr_un to;
  socklen_t tolen = 0;
  brood_checknargs(L, 4);
  if (buf) len = buf->len;
  if (!lua_isnoneornil(L, 4)) tolen = unixaddr(L, 4, &to);
  if (tolen == 0 && socktype(io) == SOCK_STREAM) {
    brood_io_flush(L, io);
    if (buf) brood_io_writebuffer(L, io, buf, len);
    else brood_io_writeall(L, io, io->fd, msg, len);
    lua_pushinteger(L, (lua_Integer)len);
    return 1;
  }
  for (;;) {
    ssize_t n = sendto(io->fd, buf ? (buf->data ? buf->data : "") : msg, len,
                       flags | (brood_io_mustnotblock(io) ? MSG_DONTWAIT : 0),
                       tolen ? (struct sockaddr *)&to : NULL, tolen);
    if (n >= 0) {
      lua_pushinteger(L, n);
      return 1;
    }
    if (errno == EAGAIN && !(flags & MSG_DONTWAIT)) brood_io_wait(L, io, POLLOUT, -1);
    else if (errno == EINTR) brood_sig_check(L);
    else return brood_syserror(L, "send");
  }
}


/* sock:recv(maxlen[, flags]) -> a message (whole, on DGRAM/SEQPACKET) or
** what a stream has, up to maxlen; nil at end of a stream. With
** Socket.MSG_DONTWAIT: nil, "EAGAIN" when nothing is there. */
static int sock_recv(lua_State *L) {
  brood_IO *io = brood_io_check(L, 1);
  lua_Integer maxlen = luaL_checkinteger(L, 2);
  int flags = checkflags(L, 3);
  brood_Buffer *buf = NULL;
  luaL_Buffer b;
  char *p = NULL;
  luaL_argcheck(L, maxlen > 0 && maxlen <= (1 << 26), 2, "maxlen out of range");
  if (!lua_isnoneornil(L, 4)) {  /* Ruby's outbuf: filled in place, returned */
    buf = brood_buffer_test(L, 4);
    if (buf == NULL) return luaL_typeerror(L, 4, "buffer");
    brood_checknargs(L, 4);
    brood_buffer_reserve(L, buf, (size_t)maxlen);
    buf->len = 0;
  }
  if (io->rlen > io->rpos) {  /* read() buffered some: that comes first */
    size_t n = io->rlen - io->rpos;
    if ((size_t)maxlen < n) n = (size_t)maxlen;
    if (buf) {
      memcpy(buf->data, io->rbuf + io->rpos, n);
      buf->len = n;
      lua_pushvalue(L, 4);
    }
    else lua_pushlstring(L, io->rbuf + io->rpos, n);
    if (!(flags & MSG_PEEK)) io->rpos += n;
    return 1;
  }
  if (!buf) p = luaL_buffinitsize(L, &b, (size_t)maxlen);
  for (;;) {
    ssize_t n;
    int nowait = brood_io_mustnotblock(io);
    if (nowait && io->waitfirst && !(flags & MSG_DONTWAIT)) brood_io_wait(L, io, POLLIN, -1);
    if (buf) p = brood_buffer_reserve(L, buf, (size_t)maxlen);  /* (a handler may move it) */
    n = recv(io->fd, p, (size_t)maxlen, flags | (nowait ? MSG_DONTWAIT : 0));
    if (n > 0 || (n == 0 && socktype(io) != SOCK_STREAM)) {
      if (n == maxlen) io->waitfirst = 0;
      if (buf) {
        buf->len = (size_t)n;
        lua_pushvalue(L, 4);
      }
      else luaL_pushresultsize(&b, (size_t)n);
      return 1;
    }
    if (n == 0) {
      if (!buf) luaL_pushresultsize(&b, 0);
      lua_pushnil(L);
      return 1;
    }
    if (errno == EAGAIN) {
      if (flags & MSG_DONTWAIT) {
        if (!buf) luaL_pushresultsize(&b, 0);
        lua_pushnil(L);
        lua_pushliteral(L, "EAGAIN");
        return 2;
      }
      io->waitfirst = 1;  /* a ping-pong: poll first next time */
      if (!nowait) io->nonblock = 1;  /* O_NONBLOCK set by another object: wait, not spin */
    }
    else if (errno == EINTR) brood_sig_check(L);
    else return brood_syserror(L, "recv");
  }
}


/* sock:shutdown([how]) -- "RD", "WR" or "RDWR" (default), or 0, 1, 2. */
static int sock_shutdown(lua_State *L) {
  static const char *const names[] = {"RD", "WR", "RDWR", NULL};
  brood_IO *io = brood_io_check(L, 1);
  int how;
  if (lua_type(L, 2) == LUA_TNUMBER) {
    how = brood_checkint(L, 2);
    luaL_argcheck(L, how >= 0 && how <= 2, 2, "expected 0, 1 or 2");
  }
  else {
    const char *s = luaL_optstring(L, 2, "RDWR");
    if (strncmp(s, "SHUT_", 5) == 0) {
      lua_pushstring(L, s + 5);
      lua_replace(L, 2);
    }
    how = luaL_checkoption(L, 2, "RDWR", names);
  }
  brood_io_flush(L, io);
  if (shutdown(io->fd, how == 0 ? SHUT_RD : how == 1 ? SHUT_WR : SHUT_RDWR) != 0)
    return brood_syserror(L, "shutdown");
  if (how != 1) io->rdshut = 0;  /* reads now see end of file */
  return 0;
}


/* sock:send_io(io) -- passes a descriptor (IO object, Lua file or fd
** number) over a UNIX socket (SCM_RIGHTS): the receiver gets its own
** descriptor for the same open file. */
static int sock_send_io(lua_State *L) {
  brood_IO *io = brood_io_check(L, 1);
  brood_IO *other = brood_io_test(L, 2);
  int fd;
  char byte = 0;
  struct iovec iov = {&byte, 1};
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
  struct msghdr msg;
  struct cmsghdr *c;
  if (other) {
    if (other->fd < 0) return luaL_argerror(L, 2, "IO is closed");
    fd = other->fd;
  }
  else {
    luaL_Stream *f = luaL_testudata(L, 2, LUA_FILEHANDLE);
    if (f && f->closef) fd = fileno(f->f);
    else fd = brood_checkfd(L, 2);
  }
  memset(&msg, 0, sizeof msg);
  memset(&u, 0, sizeof u);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof u.buf;
  c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  for (;;) {
    if (sendmsg(io->fd, &msg, MSG_NOSIGNAL | (brood_io_mustnotblock(io) ? MSG_DONTWAIT : 0)) >= 0)
      return 0;
    if (errno == EAGAIN) brood_io_wait(L, io, POLLOUT, -1);
    else if (errno == EINTR) brood_sig_check(L);
    else return brood_syserror(L, "sendmsg");
  }
}


/* sock:recv_io() -> an IO object for the passed descriptor (close-on-
** exec), or nil at end of the stream. */
static int sock_recv_io(lua_State *L) {
  brood_IO *io = brood_io_check(L, 1);
  char byte;
  struct iovec iov = {&byte, 1};
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int) * 4)]; } u;
  struct msghdr msg;
  for (;;) {
    ssize_t n;
    struct cmsghdr *c;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = u.buf;
    msg.msg_controllen = sizeof u.buf;
    n = recvmsg(io->fd, &msg, MSG_CMSG_CLOEXEC | (brood_io_mustnotblock(io) ? MSG_DONTWAIT : 0));
    if (n < 0) {
      if (errno == EAGAIN) brood_io_wait(L, io, POLLIN, -1);
      else if (errno == EINTR) brood_sig_check(L);
      else return brood_syserror(L, "recvmsg");
      continue;
    }
    if (n == 0) {
      lua_pushnil(L);
      return 1;
    }
    for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        int fds[4], k, count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)count);
        for (k = 1; k < count; k++) close(fds[k]);  /* one at a time */
        {
          int fl = fcntl(fds[0], F_GETFL), acc = fl & O_ACCMODE;
          brood_io_new(L, fds[0], acc == O_RDONLY ? BROOD_IO_READ
                                  : acc == O_WRONLY ? BROOD_IO_WRITE
                                  : BROOD_IO_READ | BROOD_IO_WRITE, -1, 1);
        }
        return 1;
      }
    }
    return luaL_error(L, "recv_io: a message came without a descriptor");
  }
}


/* Pushes an address: ip, port for INET/INET6; the path for UNIX. */
static int pushaddr(lua_State *L, const struct sockaddr_storage *ss, socklen_t len) {
  char ip[INET6_ADDRSTRLEN];
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &s->sin_addr, ip, sizeof ip);
    lua_pushstring(L, ip);
    lua_pushinteger(L, ntohs(s->sin_port));
    return 2;
  }
  if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof ip);
    lua_pushstring(L, ip);
    lua_pushinteger(L, ntohs(s->sin6_port));
    return 2;
  }
  if (ss->ss_family == AF_UNIX) {
    const struct sockaddr_un *s = (const struct sockaddr_un *)ss;
    size_t n = len > offsetof(struct sockaddr_un, sun_path)
             ? strnlen(s->sun_path, len - offsetof(struct sockaddr_un, sun_path)) : 0;
    lua_pushlstring(L, s->sun_path, n);
    return 1;
  }
  lua_pushnil(L);
  return 1;
}


/* sock:local_address() -> ip, port (or the path of a UNIX socket). */
static int sock_local_address(lua_State *L) {
  brood_IO *io = brood_io_check(L, 1);
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(io->fd, (struct sockaddr *)&ss, &len) != 0) return brood_syserror(L, "getsockname");
  return pushaddr(L, &ss, len);
}


/* sock:remote_address() -> the peer's ip, port (or path). */
static int sock_remote_address(lua_State *L) {
  brood_IO *io = brood_io_check(L, 1);
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getpeername(io->fd, (struct sockaddr *)&ss, &len) != 0) return brood_syserror(L, "getpeername");
  return pushaddr(L, &ss, len);
}


const luaL_Reg brood_socket_methods[] = {
  {"accept", sock_accept},
  {"accept_nonblock", sock_accept_nonblock},
  {"send", sock_send},
  {"recv", sock_recv},
  {"shutdown", sock_shutdown},
  {"send_io", sock_send_io},
  {"recv_io", sock_recv_io},
  {"local_address", sock_local_address},
  {"remote_address", sock_remote_address},
  {NULL, NULL}
};

/* }====================================================== */


static const luaL_Reg socket_funcs[] = {
  {"pair", socket_pair},
  {"tcp_server", socket_tcp_server},
  {"tcp_connect", socket_tcp_connect},
  {"unix_server", socket_unix_server},
  {"unix_connect", socket_unix_connect},
  {"unix_dgram", socket_unix_dgram},
  {NULL, NULL}
};


BROOD_API int luaopen_brood_socket(lua_State *L) {
  brood_io_addmethods(L, brood_socket_methods);
  luaL_newlib(L, socket_funcs);
  lua_pushinteger(L, MSG_PEEK);
  lua_setfield(L, -2, "MSG_PEEK");
  lua_pushinteger(L, MSG_DONTWAIT);
  lua_setfield(L, -2, "MSG_DONTWAIT");
  lua_pushinteger(L, MSG_WAITALL);
  lua_setfield(L, -2, "MSG_WAITALL");
  lua_pushinteger(L, MSG_OOB);
  lua_setfield(L, -2, "MSG_OOB");
  lua_pushinteger(L, SOMAXCONN);
  lua_setfield(L, -2, "SOMAXCONN");
  return 1;
}
