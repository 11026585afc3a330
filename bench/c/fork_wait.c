/* fork + waitpid round trips, the child exiting at once; optionally with
** MB megabytes of touched heap. usage: fork_wait N [MB]
** Prints "result <seconds per round trip>". */
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
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  size_t mb = argc > 2 ? (size_t)atoi(argv[2]) : 0;
  char *big = NULL;
  double t0;
  int i;
  if (mb) {
    big = malloc(mb << 20);
    if (!big) return 1;
    memset(big, 1, mb << 20);
  }
  t0 = now();
  for (i = 0; i < n; i++) {
    int status;
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) _exit(0);
    if (waitpid(pid, &status, 0) != pid) return 1;
  }
  {
    char line[256];
    long rss = 0;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
      if (sscanf(line, "VmRSS: %ld", &rss) == 1) break;
    if (f) fclose(f);
    printf("result %.9f rss_kb %ld\n", (now() - t0) / n, rss);
  }
  free(big);
  return 0;
}
