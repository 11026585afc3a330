/*
** respawn.c -- the C baseline of a supervisor's restart: a child
** (`sleep 1000`) is killed, and the supervisor waits for it and starts
** a new one (waitpid + posix_spawn). Prints "result <seconds>": the
** median time from kill(2) to the replacement's pid, over N restarts.
** usage: bench-respawn [N]
*/
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static pid_t start(void) {
  char *argv[] = {"sleep", "1000", NULL};
  pid_t pid;
  if (posix_spawnp(&pid, "sleep", NULL, NULL, argv, environ) != 0) exit(1);
  return pid;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 200, i;
  double *t = malloc(sizeof(double) * (size_t)n);
  pid_t pid = start();
  for (i = 0; i < n; i++) {
    double t0 = now();
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    pid = start();
    t[i] = now() - t0;
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  qsort(t, (size_t)n, sizeof *t, cmp);
  printf("result %.9f\n", t[n / 2]);
  return 0;
}
