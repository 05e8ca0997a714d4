/* vidmill-worker: the executable of a decoding process (see vm_worker in vidmill.h). It loads
 * the libraries its parent names, in the parent's order (the FFmpeg libraries the parent
 * loaded by path, then libvidmill), and serves the parent until it is done. It links nothing
 * of FFmpeg or vidmill itself, so that it uses exactly the files the parent uses. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "protocol.h"

/* Tells the parent, which waits for the child's first reply, why this child cannot serve. */
static int not_ready(const char *what, const char *why) {
  char text[1024];
  int n = snprintf(text, sizeof text, "%s: %s", what, why ? why : "unknown error");
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof text) n = sizeof text - 1;
  vm_wire_reply r = {.magic = VM_WIRE_MAGIC, .status = VM_WIRE_NOT_READY, .length = (uint32_t)n};
  send(VM_WIRE_FD_SOCKET, &r, sizeof r, MSG_NOSIGNAL);
  send(VM_WIRE_FD_SOCKET, text, (size_t)n, MSG_NOSIGNAL);
  return 3;
}

int main(int argc, char **argv) {
#ifdef SYS_close_range
  /* what the parent had open stays with the parent (its other children's sockets above all,
   * whose end they would otherwise never see) */
  syscall(SYS_close_range, VM_WIRE_FD_FIRST_FREE, ~0u, 0);
#endif
  const char *library = NULL;
  for (int i = 1; i + 1 < argc; i++) {
    if (strcmp(argv[i], "--preload") == 0) {
      const char *path = argv[++i];
      if (!dlopen(path, RTLD_NOW | RTLD_GLOBAL)) return not_ready("cannot load a library", dlerror());
    } else if (strcmp(argv[i], "--library") == 0) {
      library = argv[++i];
    }
  }
  if (!library) return not_ready("vidmill-worker", "no --library given");
  void *lib = dlopen(library, RTLD_NOW | RTLD_GLOBAL);
  if (!lib) return not_ready("cannot load libvidmill", dlerror());
  int (*serve)(int, char **) = (int (*)(int, char **))dlsym(lib, "vm_worker_serve");
  if (!serve) return not_ready("libvidmill has no vm_worker_serve", dlerror());
  return serve(argc, argv);
}
