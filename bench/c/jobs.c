/* Job runner baseline: n runs of /bin/true, at most k at a time, each
** one's stdout captured through a pipe (posix_spawn, poll, waitpid).
** usage: bench-jobs N K */
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

typedef struct { pid_t pid; int fd; } Job;

static void start(Job *j) {
  int p[2];
  posix_spawn_file_actions_t fa;
  char *argv[] = {"/bin/true", NULL};
  if (pipe2(p, O_CLOEXEC) != 0) exit(1);
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  if (posix_spawn(&j->pid, argv[0], &fa, NULL, argv, environ) != 0) exit(1);
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  j->fd = p[0];
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 2000, k = argc > 2 ? atoi(argv[2]) : 2;
  int started = 0, running = 0, i;
  Job *jobs = calloc((size_t)k, sizeof *jobs);
  struct pollfd *p = calloc((size_t)k, sizeof *p);
  for (i = 0; i < k; i++) jobs[i].fd = -1;
  while (started < n || running > 0) {
    for (i = 0; i < k && started < n; i++)
      if (jobs[i].fd < 0) {
        start(&jobs[i]);
        started++;
        running++;
      }
    for (i = 0; i < k; i++) {
      p[i].fd = jobs[i].fd;
      p[i].events = POLLIN;
    }
    if (poll(p, (nfds_t)k, -1) < 0) return 1;
    for (i = 0; i < k; i++) {
      char buf[4096];
      if (jobs[i].fd < 0 || !p[i].revents) continue;
      if (read(jobs[i].fd, buf, sizeof buf) > 0) continue;
      close(jobs[i].fd);
      jobs[i].fd = -1;
      waitpid(jobs[i].pid, NULL, 0);
      running--;
    }
  }
  return 0;
}
