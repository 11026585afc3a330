/*
** ptyexpect -- runs a command on a new pseudo-terminal and plays a
** script against it, waiting for output instead of sleeping. Used by the
** specs that need a real terminal (the REPL, Ctrl-C).
**
** usage: ptyexpect [-t seconds] command [args...] < script
**
** Script lines:
**   send TEXT     write TEXT to the terminal; \n \r \t \\ and \xHH
**                 escapes are understood (\x03 is Ctrl-C, \x04 Ctrl-D)
**   expect TEXT   wait until TEXT appears in the output that follows the
**                 previous match (same escapes)
**   raw           wait until the program has put the terminal in
**                 non-canonical mode (a line editor reading keys); keys
**                 sent before that are cooked by the tty instead
**   eof           wait for the command to exit
**
** Prints the whole transcript, then a last line "exit N" or "signal N".
** Exits 0 when the script ran to its end, 2 on a timeout (the transcript
** then ends with "TIMEOUT waiting for: TEXT").
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static char *out;        /* transcript */
static size_t outlen, outcap, mark;
static int master = -1;
static double timeout = 10.0;
static pid_t child;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void append(const char *buf, size_t n) {
  if (outlen + n + 1 > outcap) {
    outcap = (outlen + n + 1) * 2;
    out = realloc(out, outcap);
    if (!out) exit(3);
  }
  memcpy(out + outlen, buf, n);
  outlen += n;
  out[outlen] = '\0';
}

/* Reads what the terminal has within 'ms' milliseconds; 0 at EOF. */
static int pump(int ms) {
  struct pollfd p = {master, POLLIN, 0};
  char buf[4096];
  ssize_t n;
  if (poll(&p, 1, ms) <= 0) return 1;
  n = read(master, buf, sizeof buf);
  if (n <= 0) return 0;  /* EIO once the child side is gone */
  append(buf, (size_t)n);
  return 1;
}

static size_t unescape(const char *s, char *d) {
  size_t n = 0;
  while (*s) {
    if (*s == '\\' && s[1]) {
      s++;
      switch (*s) {
        case 'n': d[n++] = '\n'; s++; break;
        case 'r': d[n++] = '\r'; s++; break;
        case 't': d[n++] = '\t'; s++; break;
        case 'x': {
          char hex[3] = {s[1], s[1] ? s[2] : 0, 0};
          d[n++] = (char)strtol(hex, NULL, 16);
          s += 3;
          break;
        }
        default: d[n++] = *s++;
      }
    }
    else d[n++] = *s++;
  }
  d[n] = '\0';
  return n;
}

static void finish(int code, const char *why) {
  int status;
  double end = now() + 2;
  if (why) {
    fwrite(out ? out : "", 1, outlen, stdout);
    printf("\nTIMEOUT waiting for: %s\n", why);
    kill(child, SIGKILL);
  }
  else {
    while (now() < end && pump(50)) {}
    fwrite(out ? out : "", 1, outlen, stdout);
  }
  if (waitpid(child, &status, 0) == child) {
    if (WIFEXITED(status)) printf("\nexit %d\n", WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) printf("\nsignal %d\n", WTERMSIG(status));
  }
  exit(code);
}

int main(int argc, char **argv) {
  int argi = 1;
  char line[8192], text[8192];
  struct winsize ws = {24, 80, 0, 0};
  if (argc > 2 && strcmp(argv[1], "-t") == 0) {
    timeout = atof(argv[2]);
    argi = 3;
  }
  if (argi >= argc) {
    fprintf(stderr, "usage: ptyexpect [-t seconds] command [args...] < script\n");
    return 3;
  }
  master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) || unlockpt(master)) {
    perror("ptyexpect: pty");
    return 3;
  }
  ioctl(master, TIOCSWINSZ, &ws);
  child = fork();
  if (child < 0) {
    perror("ptyexpect: fork");
    return 3;
  }
  if (child == 0) {
    int slave;
    setsid();
    slave = open(ptsname(master), O_RDWR);
    if (slave < 0) _exit(127);
    ioctl(slave, TIOCSCTTY, 0);
    dup2(slave, 0);
    dup2(slave, 1);
    dup2(slave, 2);
    if (slave > 2) close(slave);
    signal(SIGINT, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    if (!getenv("TERM")) setenv("TERM", "dumb", 1);
    execvp(argv[argi], argv + argi);
    _exit(127);
  }
  while (fgets(line, sizeof line, stdin)) {
    size_t len = strlen(line);
    if (len && line[len - 1] == '\n') line[--len] = '\0';
    if (line[0] == '\0' || line[0] == '#') continue;
    if (strncmp(line, "send ", 5) == 0) {
      size_t n = unescape(line + 5, text);
      if (write(master, text, n) != (ssize_t)n) finish(2, "write to terminal");
    }
    else if (strncmp(line, "expect ", 7) == 0) {
      double end = now() + timeout;
      char *hit;
      unescape(line + 7, text);
      while (!(out && (hit = strstr(out + mark, text)))) {
        if (now() > end || !pump(50)) finish(2, line + 7);
      }
      mark = (size_t)(hit - out) + strlen(text);
    }
    else if (strcmp(line, "raw") == 0) {
      double end = now() + timeout;
      struct termios t;
      while (tcgetattr(master, &t) == 0 && (t.c_lflag & ICANON)) {
        if (now() > end) finish(2, "raw mode");
        pump(5);
      }
    }
    else if (strcmp(line, "eof") == 0) {
      double end = now() + timeout;
      while (pump(50))
        if (now() > end) finish(2, "eof");
    }
    else {
      fprintf(stderr, "ptyexpect: unknown script line: %s\n", line);
      kill(child, SIGKILL);
      return 3;
    }
  }
  finish(0, NULL);
  return 0;
}
