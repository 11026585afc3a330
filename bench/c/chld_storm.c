/* N children exit at once (their group is killed); a SIGCHLD handler
** reaps them with a WNOHANG loop. Prints seconds from the kill to the
** last reap. usage: chld_storm N */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t reaped;

static void on_chld(int s) {
  (void)s;
  while (waitpid(-1, NULL, WNOHANG) > 0) reaped++;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 500, i;
  pid_t first = 0;
  sigset_t block, empty;
  struct sigaction sa = {0};
  double t0;
  sa.sa_handler = on_chld;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGCHLD, &sa, NULL);
  sigemptyset(&block);
  sigaddset(&block, SIGCHLD);
  sigprocmask(SIG_BLOCK, &block, NULL);
  sigemptyset(&empty);
  for (i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      setpgid(0, first);
      sigprocmask(SIG_SETMASK, &empty, NULL);
      for (;;) pause();
    }
    if (!first) first = pid;
    setpgid(pid, first);
  }
  t0 = now();
  kill(-first, SIGTERM);
  while (reaped < n) sigsuspend(&empty);
  printf("result %.6f\n", now() - t0);
  return 0;
}
