/* A 64-byte message bounced between parent and child over a UNIX DGRAM
** socketpair. Prints "result <round trips per second>". */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 100000, i, sv[2];
  char msg[64], buf[64];
  pid_t pid;
  double t0;
  memset(msg, 'm', sizeof msg);
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0) return 1;
  pid = fork();
  if (pid == 0) {
    ssize_t r;
    close(sv[0]);
    while ((r = recv(sv[1], buf, sizeof buf, 0)) > 0) send(sv[1], buf, (size_t)r, 0);
    _exit(0);
  }
  close(sv[1]);
  t0 = now();
  for (i = 0; i < n; i++) {
    send(sv[0], msg, sizeof msg, 0);
    recv(sv[0], buf, sizeof buf, 0);
  }
  printf("result %.3f\n", n / (now() - t0));
  shutdown(sv[0], SHUT_RDWR);
  kill(pid, 9);
  waitpid(pid, NULL, 0);
  return 0;
}
