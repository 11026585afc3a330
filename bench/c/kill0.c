/* The cost of one small system call: kill(own pid, 0), N times.
** usage: kill0 N. Prints "result <seconds per call>". */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000000, i;
  pid_t pid = getpid();
  double t0 = now();
  for (i = 0; i < n; i++)
    if (kill(pid, 0) != 0) return 1;
  printf("result %.12f\n", (now() - t0) / n);
  return 0;
}
