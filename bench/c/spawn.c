/* Starting programs with posix_spawn: "spawn" runs /bin/true and waits;
** "capture" runs `echo hi` with stdout on a pipe, reads it all and
** waits. Optionally with MB megabytes of touched heap.
** usage: spawn spawn|capture N [MB]   Prints "result <seconds per run>". */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int spawn_true(void) {
  char *argv[] = {"/bin/true", NULL};
  pid_t pid;
  int status;
  if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0) return -1;
  return waitpid(pid, &status, 0) == pid ? 0 : -1;
}

static int capture_echo(void) {
  char *argv[] = {"echo", "hi", NULL};
  char buf[4096];
  size_t len = 0;
  ssize_t n;
  posix_spawn_file_actions_t fa;
  pid_t pid;
  int p[2], status;
  if (pipe2(p, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  if (posix_spawnp(&pid, "echo", &fa, NULL, argv, environ) != 0) return -1;
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  while ((n = read(p[0], buf + len, sizeof buf - len)) > 0) len += (size_t)n;
  close(p[0]);
  if (len != 3) return -1;
  return waitpid(pid, &status, 0) == pid ? 0 : -1;
}

int main(int argc, char **argv) {
  int capture = argc > 1 && strcmp(argv[1], "capture") == 0;
  int n = argc > 2 ? atoi(argv[2]) : 1000;
  size_t mb = argc > 3 ? (size_t)atoi(argv[3]) : 0;
  char *big = NULL;
  double t0;
  int i;
  if (mb) {
    big = malloc(mb << 20);
    if (!big) return 1;
    memset(big, 1, mb << 20);
  }
  t0 = now();
  for (i = 0; i < n; i++)
    if ((capture ? capture_echo() : spawn_true()) != 0) return 1;
  printf("result %.9f\n", (now() - t0) / n);
  free(big);
  return 0;
}
