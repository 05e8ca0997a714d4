/* The socket's two loops, for both ends of the wire (parent.c, serve.c). */
#include <errno.h>
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
