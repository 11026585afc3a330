/* A preforking "Hello" HTTP server: 4 workers accept on one socket.
** usage: prefork_http PORT; prints "ready" once listening. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char response[] =
  "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n"
  "Connection: close\r\n\r\nHello\n";

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 8080, one = 1, s, i;
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  s = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 1024) != 0) return 1;
  for (i = 0; i < 4; i++) {
    if (fork() == 0) {
      for (;;) {
        char buf[4096];
        size_t got = 0;
        int c = accept(s, NULL, NULL);
        if (c < 0) continue;
        for (;;) {  /* the request, up to the empty line */
          ssize_t n = read(c, buf + got, sizeof buf - 1 - got);
          if (n <= 0) break;
          got += (size_t)n;
          buf[got] = '\0';
          if (strstr(buf, "\r\n\r\n") || got == sizeof buf - 1) break;
        }
        if (write(c, response, sizeof response - 1) < 0) {}
        close(c);
      }
    }
  }
  printf("ready\n");
  fflush(stdout);
  while (wait(NULL) > 0) {}
  return 0;
}
