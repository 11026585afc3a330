/* Echo load generator: C connections to 127.0.0.1:PORT, each sending M
** messages of 64 bytes one at a time (send, wait for the echo), all at
** once through epoll. Prints "result <round trips/s> rss <bytes per
** connection>": the server's VmRSS (pid SERVER) with every connection
** open and used once, less its VmRSS before, over C.
** usage: bench-echoload PORT C M SERVER_PID */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long rss(int pid) {
  char path[64], line[256];
  long kb = -1;
  FILE *f;
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  if (!(f = fopen(path, "r"))) return -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld", &kb) == 1) break;
  fclose(f);
  return kb * 1024;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef struct { int fd, left, got; } Conn;

/* One message out on c. */
static void sendone(Conn *c) {
  char msg[64];
  memset(msg, 'x', sizeof msg);
  if (write(c->fd, msg, sizeof msg) != (ssize_t)sizeof msg) exit(3);
  c->got = 0;
}

/* Runs every connection through 'rounds' messages. */
static void run(Conn *cs, int n, int rounds, int ep) {
  struct epoll_event evs[256];
  int i, active = n;
  for (i = 0; i < n; i++) {
    cs[i].left = rounds;
    sendone(&cs[i]);
  }
  while (active > 0) {
    int k = epoll_wait(ep, evs, 256, 10000);
    if (k <= 0) exit(4);
    for (i = 0; i < k; i++) {
      Conn *c = evs[i].data.ptr;
      char buf[4096];
      ssize_t r = read(c->fd, buf, sizeof buf);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        exit(5);
      }
      c->got += (int)r;
      if (c->got < 64) continue;
      if (--c->left > 0) sendone(c);
      else active--;
    }
  }
}

int main(int argc, char **argv) {
  int port, n, m, server, i, ep = epoll_create1(EPOLL_CLOEXEC);
  long before, after;
  double t0, dt;
  Conn *cs;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (argc < 5) return 2;
  port = atoi(argv[1]);
  n = atoi(argv[2]);
  m = atoi(argv[3]);
  server = atoi(argv[4]);
  a.sin_port = htons((unsigned short)port);
  cs = calloc((size_t)n, sizeof *cs);
  before = rss(server);
  for (i = 0; i < n; i++) {
    int one = 1;
    struct epoll_event ev = {.events = EPOLLIN};
    cs[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(cs[i].fd, (struct sockaddr *)&a, sizeof a) != 0) return 6;
    setsockopt(cs[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ev.data.ptr = &cs[i];
    epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
  }
  run(cs, n, 1, ep);  /* every connection accepted and used once */
  after = rss(server);
  t0 = now();
  run(cs, n, m, ep);
  dt = now() - t0;
  printf("result %.1f rss %.0f\n", (double)n * m / dt, (double)(after - before) / n);
  for (i = 0; i < n; i++) close(cs[i].fd);
  return 0;
}
