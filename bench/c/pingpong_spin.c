/* SIGUSR1 ping-pong between parent and child: round trips per second.
** usage: pingpong N. Busy-waits on a flag set by the handler. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static void on_usr1(int s) { (void)s; got = 1; }

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10000, i;
  sigset_t block, empty;
  struct sigaction sa = {0};
  pid_t child, parent = getpid();
  double t0;
  sa.sa_handler = on_usr1;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);

  sigemptyset(&empty);
  child = fork();
  if (child == 0) {
    for (;;) {
      while (!got) {}
      got = 0;
      kill(parent, SIGUSR1);
    }
  }
  t0 = now();
  for (i = 0; i < n; i++) {
    kill(child, SIGUSR1);
    while (!got) {}
    got = 0;
  }
  printf("result %.3f\n", n / (now() - t0));
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  return 0;
}
