/* Pipe throughput: the parent writes MB megabytes in 64 KiB chunks to a
** child that reads until EOF. Prints "result <bytes per second>". */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  long mb = argc > 1 ? atol(argv[1]) : 1024, i;
  static char buf[65536];
  int fds[2];
  pid_t pid;
  double t0;
  memset(buf, 'x', sizeof buf);
  if (pipe(fds) != 0) return 1;
  t0 = now();
  pid = fork();
  if (pid == 0) {
    long long total = 0;
    ssize_t n;
    close(fds[1]);
    while ((n = read(fds[0], buf, sizeof buf)) > 0) total += n;
    _exit(total == mb * 1048576LL ? 0 : 1);
  }
  close(fds[0]);
  for (i = 0; i < mb * 16; i++) {
    size_t off = 0;
    while (off < sizeof buf) {
      ssize_t n = write(fds[1], buf + off, sizeof buf - off);
      if (n < 0) return 1;
      off += (size_t)n;
    }
  }
  close(fds[1]);
  waitpid(pid, NULL, 0);
  printf("result %.0f\n", (double)mb * 1048576.0 / (now() - t0));
  return 0;
}
