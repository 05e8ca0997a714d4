/* What both ends of the wire (parent.c, serve.c) do alike: the socket's two loops, the message buffer. */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "protocol.h"

int vm_wire_send(int fd, const void *buf, size_t n) {
  const uint8_t *p = buf;
  while (n > 0) {
    /* MSG_NOSIGNAL: a peer that is gone is an error return, not SIGPIPE for the whole process */
    ssize_t s = send(fd, p, n, MSG_NOSIGNAL);
    if (s < 0) {
      if (errno == EINTR) continue;
      return 0;
    }
    p += s;
    n -= (size_t)s;
  }
  return 1;
}

int vm_wire_recv(int fd, void *buf, size_t n) {
  uint8_t *p = buf;
  while (n > 0) {
    ssize_t r = recv(fd, p, n, 0);
    if (r == 0) return 0;
    if (r < 0) {
      if (errno == EINTR) continue;
      return 0;
    }
    p += r;
    n -= (size_t)r;
  }
  return 1;
}

int vm_wire_reserve(uint8_t **buf, size_t *size, size_t need) {
  if (need <= *size) return 1;
  size_t n = *size ? *size : 4096;
  while (n < need) n *= 2;
  uint8_t *p = realloc(*buf, n);
  if (!p) return 0;
  *buf = p;
  *size = n;
  return 1;
}
