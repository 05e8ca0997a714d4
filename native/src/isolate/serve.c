/* The child's side of a vm_worker: serves the clip calls of one parent (parent.c) on the
 * descriptors it set up, one clip at a time, until told to exit or the parent is gone. A
 * signal that kills it first leaves a report where the parent can point at it. */
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/ucontext.h>
#include <unistd.h>

#include "../internal.h"
#include "protocol.h"

/* ---- the report of a fatal signal ------------------------------------------------------ */

static char report_path[4096];
static char current_clip[256]; /* the clip being worked on, for the report */
static char alt_stack[64 * 1024]; /* a stack overflow still gets its report */

static void put(int fd, const char *s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

static void put_hex(int fd, uintptr_t v) {
  char buf[2 + 2 * sizeof v + 1];
  char *p = buf + sizeof buf - 1;
  *p = 0;
  do {
    *--p = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v);
  *--p = 'x';
  *--p = '0';
  put(fd, p);
}

static void put_dec(int fd, long v) {
  char buf[24];
  char *p = buf + sizeof buf - 1;
  *p = 0;
  unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
  do {
    *--p = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) *--p = '-';
  put(fd, p);
}

static const char *signal_name(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGABRT: return "SIGABRT";
    case SIGTRAP: return "SIGTRAP";
    case SIGSYS: return "SIGSYS";
    default: return "a signal";
  }
}

/* "libavcodec.so.61+0x3b349a (ff_h264_decode_mb_cabac)": where pc is, by the loaded file. */
static void put_place(int fd, uintptr_t pc) {
  Dl_info d;
  if (pc && dladdr((void *)pc, &d) && d.dli_fname) {
    const char *base = strrchr(d.dli_fname, '/');
    put(fd, base ? base + 1 : d.dli_fname);
    put(fd, "+");
    put_hex(fd, pc - (uintptr_t)d.dli_fbase);
    if (d.dli_sname) {
      put(fd, " (");
      put(fd, d.dli_sname);
      put(fd, ")");
    }
  } else {
    put_hex(fd, pc);
  }
}

/* Writes what the parent shows (the signal, where it struck, the clip) and a backtrace, then
 * dies of the same signal, so that the parent's waitpid sees it. Only what is safe enough in
 * a dying process: no stdio, no allocation (backtrace was warmed up at start). */
static void on_fatal_signal(int sig, siginfo_t *info, void *context) {
  if (report_path[0]) {
    int fd = open(report_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      uintptr_t pc = 0;
#if defined(__x86_64__)
      pc = (uintptr_t)((ucontext_t *)context)->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
      pc = (uintptr_t)((ucontext_t *)context)->uc_mcontext.pc;
#endif
      put(fd, "vidmill-worker ");
      put_dec(fd, (long)getpid());
      put(fd, " died of ");
      put(fd, signal_name(sig));
      put(fd, " (fault address ");
      put_hex(fd, (uintptr_t)info->si_addr);
      put(fd, ") while decoding ");
      put(fd, current_clip[0] ? current_clip : "no clip");
      put(fd, "\n# Problematic frame:\nat ");
      put_place(fd, pc);
      put(fd, "\n# Backtrace:\n");
      void *frames[64];
      int n = backtrace(frames, 64);
      backtrace_symbols_fd(frames, n, fd);
      close(fd);
    }
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

static void install_crash_handlers(const char *crash_dir) {
  if (crash_dir && crash_dir[0]) {
    snprintf(report_path, sizeof report_path, "%s/vidmill-worker-%ld.crash", crash_dir, (long)getpid());
    void *warm[4];
    backtrace(warm, 4); /* loads libgcc's unwinder now, not in the handler */
  }
  stack_t ss = {.ss_sp = alt_stack, .ss_size = sizeof alt_stack};
  sigaltstack(&ss, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fatal_signal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS};
  for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) sigaction(fatal[i], &sa, NULL);
}

/* ---- the parent ------------------------------------------------------------------------ */

/* A child ends with its parent: the socket tells when the child is waiting for a request, and
 * this thread when it is busy with a long clip. (PR_SET_PDEATHSIG would follow the parent
 * thread that spawned it, not the process.) */
static void *watch_parent(void *arg) {
  pid_t parent = (pid_t)(intptr_t)arg;
  for (;;) {
    usleep(200 * 1000);
    if (getppid() != parent) _exit(0);
  }
  return NULL;
}

/* ---- serving ----------------------------------------------------------------------------- */

typedef struct mapping {
  int fd;
  uint8_t *at;
  uint64_t size;
} mapping;

/* Maps the parent's file as big as the parent says it is now (it only grows a file when the
 * child holds no pointer into it: the source between clips, the output between calls). */
static int remap(mapping *m, uint64_t size) {
  if (size == m->size) return 1;
  if (m->at) munmap(m->at, m->size);
  m->at = NULL;
  m->size = 0;
  if (size == 0) return 1;
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
  if (p == MAP_FAILED) return 0;
  m->at = p;
  m->size = size;
  return 1;
}

typedef struct server {
  int fd;
  mapping source, output;
  vm_clip *clip;
  uint8_t *in;       /* the request's payload */
  size_t in_capacity;
  size_t in_size;    /* bytes of payload */
  uint8_t *out;      /* the reply */
  size_t out_size;
} server;

static int reply(server *s, int32_t status, const void *payload, size_t length) {
  vm_wire_reply r = {.magic = VM_WIRE_MAGIC, .status = status, .length = (uint32_t)length};
  if (!vm_wire_reserve(&s->out, &s->out_size, sizeof r + length)) return 0;
  memcpy(s->out, &r, sizeof r);
  if (length) memcpy(s->out + sizeof r, payload, length);
  return vm_wire_send(s->fd, s->out, sizeof r + length);
}

/* The clip's state after a call into *w, its error text into `text`; returns the text's length. */
static size_t describe(server *s, vm_wire_clip *w, uint8_t *text, size_t text_room) {
  memset(w, 0, sizeof *w);
  w->has_clip = s->clip != NULL;
  w->info.struct_size = sizeof w->info;
  w->stats.struct_size = sizeof w->stats;
  if (!s->clip) return 0;
  vm_clip_info_get(s->clip, &w->info);
  vm_clip_stats_get(s->clip, &w->stats);
  const char *e = vm_clip_last_error(s->clip);
  size_t n = strlen(e);
  if (n > text_room) n = text_room;
  memcpy(text, e, n);
  w->error_length = (uint32_t)n;
  return n;
}

static int reply_clip(server *s, int32_t status) {
  uint8_t buf[sizeof(vm_wire_clip) + VM_ERROR_SIZE];
  vm_wire_clip w;
  size_t n = describe(s, &w, buf + sizeof w, VM_ERROR_SIZE);
  memcpy(buf, &w, sizeof w);
  return reply(s, status, buf, sizeof w + n);
}

static int serve_open(server *s) {
  if (s->in_size < sizeof(vm_wire_open)) return reply(s, VM_ERR_INVALID_ARGUMENT, NULL, 0);
  vm_wire_open o;
  memcpy(&o, s->in, sizeof o);
  if ((uint64_t)sizeof o + o.path_length + o.name_length + o.denied_length > s->in_size)
    return reply(s, VM_ERR_INVALID_ARGUMENT, NULL, 0);
  if (s->clip) {
    vm_clip_close(s->clip); /* the parent lost track of it: not this clip's concern */
    s->clip = NULL;
  }
  const char *text = (const char *)s->in + sizeof o;
  char *path = strndup(text, o.path_length);
  char *name = o.has_name ? strndup(text + o.path_length, o.name_length) : NULL;
  char *denied = o.has_denied ? strndup(text + o.path_length + o.name_length, o.denied_length) : NULL;
  vm_source src = {.struct_size = sizeof src, .name = name};
  if (o.data_size >= 0) {
    src.data = s->source.at ? s->source.at : (const uint8_t *)"";
    src.size = o.data_size;
  } else {
    src.path = path;
  }
  o.options.denied_codecs = denied;
  vm_strlcpy(current_clip, name ? name : path, sizeof current_clip);
  int32_t status = (o.data_size >= 0 && (uint64_t)o.data_size > s->source.size)
                       ? VM_ERR_INVALID_ARGUMENT
                       : vm_clip_open(&src, o.has_options ? &o.options : NULL, &s->clip);
  free(path);
  free(name);
  free(denied);
  return reply_clip(s, status);
}

static int serve_next(server *s) {
  vm_wire_next n;
  if (!s->clip || s->in_size < sizeof n) return reply(s, VM_ERR_INVALID_ARGUMENT, NULL, 0);
  memcpy(&n, s->in, sizeof n);
  uint64_t data_at = vm_wire_data_offset(n.capacity);
  int pixels = (n.want & VM_WANT_PIXELS) != 0;
  if (n.capacity < 1 || data_at + (pixels ? (uint64_t)n.data_capacity : 0) > s->output.size)
    return reply(s, VM_ERR_INVALID_ARGUMENT, NULL, 0);
  vm_batch b = {.struct_size = sizeof b,
                .want = n.want,
                .frames = (vm_frame *)s->output.at,
                .capacity = n.capacity,
                .data = pixels ? s->output.at + data_at : NULL,
                .data_capacity = pixels ? n.data_capacity : 0};
  int32_t status = vm_clip_next(s->clip, &b);
  uint8_t buf[sizeof(vm_wire_next_reply) + VM_ERROR_SIZE];
  vm_wire_next_reply r;
  memset(&r, 0, sizeof r);
  r.count = b.count;
  r.data_used = b.data_used;
  r.data_needed = b.data_needed;
  size_t text = describe(s, &r.clip, buf + sizeof r, VM_ERROR_SIZE);
  memcpy(buf, &r, sizeof r);
  return reply(s, status, buf, sizeof r + text);
}

static int serve(server *s, const vm_wire_request *rq) {
  switch (rq->op) {
    case VM_WIRE_OPEN:
      return serve_open(s);
    case VM_WIRE_SAMPLING: {
      vm_sampling sampling; /* no payload: NULL, every frame */
      if (!s->clip || (s->in_size != 0 && s->in_size < sizeof sampling)) return reply(s, VM_ERR_INVALID_ARGUMENT, NULL, 0);
      if (s->in_size) memcpy(&sampling, s->in, sizeof sampling);
      return reply_clip(s, vm_clip_set_sampling(s->clip, s->in_size ? &sampling : NULL));
    }
    case VM_WIRE_OUTPUT: {
      vm_wire_output o;
      if (!s->clip || s->in_size < sizeof o) return reply(s, VM_ERR_INVALID_ARGUMENT, NULL, 0);
      memcpy(&o, s->in, sizeof o);
      return reply_clip(s, vm_clip_set_output(s->clip, o.has_output ? &o.output : NULL));
    }
    case VM_WIRE_NEXT:
      return serve_next(s);
    case VM_WIRE_AGGREGATES: {
      vm_clip_aggregates a;
      memset(&a, 0, sizeof a);
      a.struct_size = sizeof a;
      int32_t status = s->clip ? vm_clip_aggregates_get(s->clip, &a) : VM_ERR_INVALID_ARGUMENT;
      return reply(s, status, &a, sizeof a);
    }
    case VM_WIRE_CLOSE:
      vm_clip_close(s->clip);
      s->clip = NULL;
      current_clip[0] = 0;
      return reply(s, VM_OK, NULL, 0);
    default:
      return reply(s, VM_ERR_INVALID_ARGUMENT, NULL, 0);
  }
}

int vm_worker_serve(int argc, char **argv) {
  const char *crash_dir = NULL;
  int64_t max_alloc = 0;
  for (int i = 1; i + 1 < argc; i++) {
    if (strcmp(argv[i], "--crash-dir") == 0) crash_dir = argv[++i];
    else if (strcmp(argv[i], "--max-alloc") == 0) max_alloc = strtoll(argv[++i], NULL, 10);
  }
  install_crash_handlers(crash_dir);
  /* the parent decides when this process ends: an interrupt or termination of the whole
   * process group reaches the parent too, which then ends its children (or leaves them
   * orphaned, and they notice) */
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  pthread_t watcher;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  if (pthread_create(&watcher, &attr, watch_parent, (void *)(intptr_t)getppid()) == 0) pthread_detach(watcher);
  pthread_attr_destroy(&attr);
  vm_set_max_alloc(max_alloc); /* the parent's limit (0: the default) */

  server s = {.fd = VM_WIRE_FD_SOCKET,
              .source = {.fd = VM_WIRE_FD_SOURCE},
              .output = {.fd = VM_WIRE_FD_OUTPUT}};
  if (!reply(&s, VM_OK, NULL, 0)) return 0; /* ready */
  int status = 0;
  for (;;) {
    vm_wire_request rq;
    if (!vm_wire_recv(s.fd, &rq, sizeof rq)) break; /* the parent is gone */
    if (rq.magic != VM_WIRE_MAGIC || rq.op == VM_WIRE_EXIT) break;
    if (!vm_wire_reserve(&s.in, &s.in_capacity, rq.length) || !vm_wire_recv(s.fd, s.in, rq.length)) {
      status = 1;
      break;
    }
    s.in_size = rq.length;
    if ((!s.clip && !remap(&s.source, rq.source_size)) || !remap(&s.output, rq.output_size)) {
      status = 1;
      break;
    }
    int ok = serve(&s, &rq);
    if (!ok) break;
  }
  vm_clip_close(s.clip);
  remap(&s.source, 0);
  remap(&s.output, 0);
  free(s.in);
  free(s.out);
  return status;
}
