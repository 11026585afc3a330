/*
** runner -- runs a command several times and prints, per run, its wall
** time in seconds, its peak resident set size in KiB (from wait4) and
** its wait status. The command's stdout and stderr go to /dev/null.
**
** usage: runner RUNS command [args...]
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int runs, i;
  posix_spawn_file_actions_t fa;
  if (argc < 3) {
    fprintf(stderr, "usage: runner RUNS command [args...]\n");
    return 2;
  }
  runs = atoi(argv[1]);
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  for (i = 0; i < runs; i++) {
    pid_t pid;
    int status;
    struct rusage ru;
    double t0 = now(), t1;
    if (posix_spawnp(&pid, argv[2], &fa, NULL, argv + 2, environ) != 0) {
      perror("runner: spawn");
      return 1;
    }
    if (wait4(pid, &status, 0, &ru) != pid) {
      perror("runner: wait4");
      return 1;
    }
    t1 = now();
    printf("%.9f %ld %d\n", t1 - t0, ru.ru_maxrss, status);
  }
  return 0;
}
