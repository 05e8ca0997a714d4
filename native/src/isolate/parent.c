/* The parent's side of a vm_worker: starts the child (the vidmill-worker executable, which
 * serves with serve.c), forwards the calls on a clip opened in it, and supervises it: a child
 * that dies, passes its clip's time or its memory limit costs that clip a status and a
 * message, and the next open starts a fresh child. See vidmill.h, "Decoding processes". */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../internal.h"
#include "../ops/ops.h"
#include "protocol.h"

extern char **environ;

#define DEFAULT_GRACE_MS 5000
#define START_TIMEOUT_MS 60000
#define MEMORY_POLL_MS 100
/* the memory files are made bigger in steps, never by less than this */
#define MIN_FILE_SIZE ((uint64_t)1 << 20)
/* descriptors are moved this high, clear of the numbers the child is given */
#define HIGH_FD 64

struct vm_worker {
  char *executable;
  char **preload;          /* NULL-terminated copies */
  char **environment;
  char *crash_dir;
  int32_t grace_ms;
  int64_t memory_limit;
  char library[PATH_MAX];  /* this library's file, loaded by the child */

  pid_t pid;               /* 0: no child (not started, or dead) */
  int sock;
  int source_fd, output_fd;
  uint8_t *source_at, *output_at;
  uint64_t source_size, output_size;
  int32_t starts, deaths;
  vm_clip *clip;           /* the clip open in the child, NULL when none */
  int64_t deadline_ns;     /* the open clip's calls must be answered by then; 0 = no limit */
  int64_t memory_look_ns;  /* when the child's memory was last read */
  int closing;             /* a CLOSE was sent whose reply has not been read */
  uint8_t *buf;            /* requests and replies */
  size_t buf_size;
  char why[VM_ERROR_SIZE]; /* what happened to the last child that was lost */
};

/* ---- small helpers ------------------------------------------------------------------------ */

static char *copy_text(const char *s) { return s ? strdup(s) : NULL; }

static char **copy_list(const char *const *list) {
  if (!list) return NULL;
  size_t n = 0;
  while (list[n]) n++;
  char **c = calloc(n + 1, sizeof *c);
  if (!c) return NULL;
  for (size_t i = 0; i < n; i++) c[i] = strdup(list[i]);
  return c;
}

static void free_list(char **list) {
  if (!list) return;
  for (char **p = list; *p; p++) free(*p);
  free(list);
}

static int high(int fd) {
  if (fd < 0 || fd >= HIGH_FD) return fd;
  int h = fcntl(fd, F_DUPFD_CLOEXEC, HIGH_FD);
  close(fd);
  return h;
}

static int64_t resident_bytes(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%ld/statm", (long)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char text[128];
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return 0;
  text[n] = 0;
  long long size = 0, resident = 0;
  if (sscanf(text, "%lld %lld", &size, &resident) != 2) return 0;
  return (int64_t)resident * sysconf(_SC_PAGESIZE);
}

/* Makes one of the shared files at least `need` bytes and maps it again in this process. */
static int grow(int fd, uint8_t **at, uint64_t *size, uint64_t need) {
  if (need <= *size && *at) return 1;
  uint64_t n = *size > MIN_FILE_SIZE ? *size : MIN_FILE_SIZE;
  while (n < need) n *= 2;
  if (ftruncate(fd, (off_t)n) != 0) return 0;
  if (*at) munmap(*at, *size);
  void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  *at = NULL;
  *size = 0;
  if (p == MAP_FAILED) return 0;
  *at = p;
  *size = n;
  return 1;
}

/* ---- the child's life ---------------------------------------------------------------------- */

static const char *signal_name(int sig, char *buf, size_t size) {
  const char *abbrev = sigabbrev_np(sig);
  if (abbrev) snprintf(buf, size, "SIG%s", abbrev);
  else snprintf(buf, size, "signal %d", sig);
  return buf;
}

/* Waits for the child to end (it is on its way: the socket is closed, or it was killed), at
 * most a few seconds before it is killed; returns its wait status. */
static int reap(pid_t pid) {
  int status = 0;
  for (int i = 0; i < 520; i++) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) return status;
    usleep(i < 20 ? 1000 : 10 * 1000); /* a child told to exit is gone within a millisecond or two */
  }
  kill(pid, SIGKILL);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

/* "at libavcodec.so.61+0x3b349a (...); report: DIR/vidmill-worker-PID.crash" from the report the
 * dying child wrote, or "" when it wrote none. */
static void report_detail(const vm_worker *w, pid_t pid, char *out, size_t size) {
  out[0] = 0;
  if (!w->crash_dir) return;
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/vidmill-worker-%ld.crash", w->crash_dir, (long)pid);
  FILE *f = fopen(path, "re");
  if (!f) return;
  char line[512], at[400] = "";
  int next_is_frame = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    if (next_is_frame) {
      vm_strlcpy(at, line, sizeof at);
      break;
    }
    next_is_frame = strcmp(line, "# Problematic frame:") == 0;
  }
  fclose(f);
  snprintf(out, size, "%s%sreport: %.300s", at, at[0] ? "; " : "", path);
}

/* The child is gone (or is now killed, for `status` other than VM_ERR_CRASHED): reaps it,
 * says why in w->why, and forgets it; the next open starts another. */
static int32_t lose(vm_worker *w, int32_t status, const char *killed_for) {
  pid_t pid = w->pid;
  if (status != VM_ERR_CRASHED) kill(pid, SIGKILL);
  int st = reap(pid);
  if (status == VM_ERR_CRASHED) {
    char name[32], detail[VM_ERROR_SIZE];
    report_detail(w, pid, detail, sizeof detail);
    if (WIFSIGNALED(st)) {
      snprintf(w->why, sizeof w->why, "the decoding process was killed by %s%s%s%s",
               signal_name(WTERMSIG(st), name, sizeof name), detail[0] ? " (" : "", detail, detail[0] ? ")" : "");
    } else {
      snprintf(w->why, sizeof w->why, "the decoding process exited with status %d%s%s%s",
               WIFEXITED(st) ? WEXITSTATUS(st) : -1, detail[0] ? " (" : "", detail, detail[0] ? ")" : "");
    }
  } else {
    vm_strlcpy(w->why, killed_for, sizeof w->why);
  }
  close(w->sock);
  w->sock = -1;
  w->pid = 0;
  w->closing = 0;
  w->deaths++;
  w->clip = NULL; /* it died with the child */
  return status;
}

/* Kills a child over its memory limit: VM_ERR_OUT_OF_MEMORY, or VM_OK when it is within it. */
static int32_t check_memory(vm_worker *w) {
  if (w->memory_limit <= 0 || !w->pid) return VM_OK;
  w->memory_look_ns = vm_now_ns();
  int64_t rss = resident_bytes(w->pid);
  if (rss <= w->memory_limit) return VM_OK;
  char why[200];
  snprintf(why, sizeof why, "the decoding process grew to %" PRId64 " MB, over its limit of %" PRId64
           " MB, and was killed", rss >> 20, w->memory_limit >> 20);
  return lose(w, VM_ERR_OUT_OF_MEMORY, why);
}

/* Waits for the child's reply: its header in *r, its payload at w->buf. Returns VM_OK, or the
 * status of a child lost meanwhile (died, killed at the deadline, or, with watch_memory, over
 * its memory limit: looked at every MEMORY_POLL_MS of the wait). */
static int32_t await_reply(vm_worker *w, vm_wire_reply *r, int64_t deadline_ns, int watch_memory) {
  /* most calls are answered sooner than the first look */
  int64_t next_memory_look = vm_now_ns() + (int64_t)MEMORY_POLL_MS * 1000000;
  for (;;) {
    int64_t now = vm_now_ns();
    int wait_ms = -1;
    if (deadline_ns) {
      if (now >= deadline_ns) {
        char why[160];
        snprintf(why, sizeof why, "the decoding process did not answer within the clip's time limit and %d ms "
                 "more, and was killed", w->grace_ms);
        return lose(w, VM_ERR_TIMEOUT, why);
      }
      int64_t left = (deadline_ns - now) / 1000000 + 1;
      wait_ms = left > INT_MAX ? INT_MAX : (int)left;
    }
    if (w->memory_limit > 0 && watch_memory) {
      int64_t until = (next_memory_look - now) / 1000000;
      if (until < 0) until = 0;
      if (wait_ms < 0 || until < wait_ms) wait_ms = (int)until;
    }
    struct pollfd p = {.fd = w->sock, .events = POLLIN};
    int n = poll(&p, 1, wait_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      if (w->memory_limit > 0 && watch_memory && vm_now_ns() >= next_memory_look) {
        int32_t m = check_memory(w);
        if (m != VM_OK) return m;
        next_memory_look = w->memory_look_ns + (int64_t)MEMORY_POLL_MS * 1000000;
      }
      continue;
    }
    if (!vm_wire_recv(w->sock, r, sizeof *r) || r->magic != VM_WIRE_MAGIC || !vm_wire_reserve(&w->buf, &w->buf_size, r->length) ||
        !vm_wire_recv(w->sock, w->buf, r->length))
      return lose(w, VM_ERR_CRASHED, NULL);
    return VM_OK;
  }
}

/* Sends one request; VM_OK or how the child was lost. */
static int32_t request(vm_worker *w, uint32_t op, const void *payload, size_t length) {
  vm_wire_request rq = {.magic = VM_WIRE_MAGIC,
                        .op = op,
                        .source_size = w->source_size,
                        .output_size = w->output_size,
                        .length = (uint32_t)length};
  if (!vm_wire_reserve(&w->buf, &w->buf_size, sizeof rq + length)) return VM_ERR_OUT_OF_MEMORY;
  memcpy(w->buf, &rq, sizeof rq);
  if (length) memcpy(w->buf + sizeof rq, payload, length);
  if (!vm_wire_send(w->sock, w->buf, sizeof rq + length)) return lose(w, VM_ERR_CRASHED, NULL);
  return VM_OK;
}

/* The reply to a CLOSE sent without waiting (see vm_remote_close), read before the next call. */
static int32_t settle_close(vm_worker *w) {
  if (!w->closing) return VM_OK;
  w->closing = 0;
  vm_wire_reply r;
  return await_reply(w, &r, vm_now_ns() + (int64_t)START_TIMEOUT_MS * 1000000, 0);
}

/* One request and its reply (header in *r, payload at w->buf). VM_OK, or how the child was lost. */
static int32_t call(vm_worker *w, uint32_t op, const void *payload, size_t length, vm_wire_reply *r) {
  int32_t s = settle_close(w);
  if (s == VM_OK) s = request(w, op, payload, length);
  if (s != VM_OK) return s;
  return await_reply(w, r, w->deadline_ns, 1);
}

static int32_t spawn(vm_worker *w, char *detail, size_t detail_size) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    snprintf(detail, detail_size, "socketpair: %s", strerror(errno));
    return VM_ERR_INTERNAL;
  }
  sv[0] = high(sv[0]);
  sv[1] = high(sv[1]);

  /* the command line: the libraries to load, in order, then where to report a crash */
  size_t preloads = 0;
  for (char **p = w->preload; p && *p; p++) preloads++;
  char **argv = calloc(2 * preloads + 10, sizeof *argv);
  char max_alloc[32];
  snprintf(max_alloc, sizeof max_alloc, "%" PRId64, vm_max_alloc()); /* the limits hold in the child too */
  size_t a = 0;
  if (argv) {
    argv[a++] = w->executable;
    for (size_t i = 0; i < preloads; i++) {
      argv[a++] = "--preload";
      argv[a++] = w->preload[i];
    }
    argv[a++] = "--library";
    argv[a++] = w->library;
    argv[a++] = "--max-alloc";
    argv[a++] = max_alloc;
    if (w->crash_dir) {
      argv[a++] = "--crash-dir";
      argv[a++] = w->crash_dir;
    }
  }
  /* this process's environment, with the given entries added (replacing those of their names) */
  size_t own = 0, extra = 0;
  while (environ && environ[own]) own++;
  for (char **e = w->environment; e && *e; e++) extra++;
  char **envp = calloc(own + extra + 1, sizeof *envp);
  if (envp) {
    size_t n = 0;
    for (size_t i = 0; i < own; i++) {
      const char *eq = strchr(environ[i], '=');
      size_t name = eq ? (size_t)(eq - environ[i]) + 1 : strlen(environ[i]);
      int replaced = 0;
      for (char **e = w->environment; e && *e && !replaced; e++) replaced = strncmp(*e, environ[i], name) == 0;
      if (!replaced) envp[n++] = environ[i];
    }
    for (size_t i = 0; i < extra; i++) envp[n++] = w->environment[i];
  }

  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, 2, 1); /* what libraries print goes to stderr */
  posix_spawn_file_actions_adddup2(&fa, sv[1], VM_WIRE_FD_SOCKET);
  posix_spawn_file_actions_adddup2(&fa, w->source_fd, VM_WIRE_FD_SOURCE);
  posix_spawn_file_actions_adddup2(&fa, w->output_fd, VM_WIRE_FD_OUTPUT);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  int rc = argv && envp ? posix_spawn(&pid, w->executable, &fa, &attr, argv, envp) : ENOMEM;
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  free(argv);
  free(envp);
  close(sv[1]);
  if (rc != 0) {
    close(sv[0]);
    snprintf(detail, detail_size, "cannot run %.300s: %s", w->executable, strerror(rc));
    return VM_ERR_INTERNAL;
  }
  w->pid = pid;
  w->sock = sv[0];
  w->starts++;
  w->closing = 0;
  w->memory_look_ns = 0; /* the new child's first batch looks */

  /* its first reply says it has loaded the libraries */
  vm_wire_reply r;
  int32_t s = await_reply(w, &r, vm_now_ns() + (int64_t)START_TIMEOUT_MS * 1000000, 0);
  if (s != VM_OK) {
    w->deaths--; /* never started: not a death during a call */
    snprintf(detail, detail_size, "the decoding process did not start: %s", w->why);
    return VM_ERR_INTERNAL;
  }
  if (r.status != VM_OK) {
    snprintf(detail, detail_size, "the decoding process cannot decode: %.*s", (int)r.length, (const char *)w->buf);
    lose(w, VM_ERR_INTERNAL, "");
    w->deaths--;
    return VM_ERR_INTERNAL;
  }
  return VM_OK;
}

/* ---- the worker ---------------------------------------------------------------------------- */

int32_t vm_worker_start(const vm_worker_options *options, vm_worker **out, char *detail, size_t detail_size) {
  char ignored[8];
  if (!detail || !detail_size) {
    detail = ignored;
    detail_size = sizeof ignored;
  }
  detail[0] = 0;
  if (!out) return VM_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (options && options->struct_size < sizeof *options) return VM_ERR_INVALID_ARGUMENT;
  vm_library_once();
  vm_worker *w = calloc(1, sizeof *w);
  if (!w) return VM_ERR_OUT_OF_MEMORY;
  w->sock = w->source_fd = w->output_fd = -1;
  w->grace_ms = options && options->grace_ms > 0 ? options->grace_ms : DEFAULT_GRACE_MS;
  w->memory_limit = options ? options->memory_limit : 0;
  Dl_info self;
  if (!dladdr((void *)vm_worker_start, &self) || !self.dli_fname || !realpath(self.dli_fname, w->library)) {
    snprintf(detail, detail_size, "cannot tell where libvidmill was loaded from");
    vm_worker_close(w);
    return VM_ERR_INTERNAL;
  }
  if (options && options->executable) {
    w->executable = strdup(options->executable);
  } else {
    char exe[PATH_MAX + 32];
    vm_strlcpy(exe, w->library, sizeof exe);
    char *slash = strrchr(exe, '/');
    vm_strlcpy(slash ? slash + 1 : exe, "vidmill-worker", sizeof exe - (size_t)(slash ? slash + 1 - exe : 0));
    w->executable = strdup(exe);
  }
  w->preload = options ? copy_list(options->preload) : NULL;
  w->environment = options ? copy_list(options->environment) : NULL;
  w->crash_dir = options ? copy_text(options->crash_dir) : NULL;
  w->source_fd = high(memfd_create("vidmill-worker-source", MFD_CLOEXEC));
  w->output_fd = high(memfd_create("vidmill-worker-output", MFD_CLOEXEC));
  if (!w->executable || w->source_fd < 0 || w->output_fd < 0) {
    snprintf(detail, detail_size, "cannot make the shared memory: %s", strerror(errno));
    vm_worker_close(w);
    return VM_ERR_INTERNAL;
  }
  int32_t s = spawn(w, detail, detail_size);
  if (s != VM_OK) {
    vm_worker_close(w);
    return s;
  }
  *out = w;
  return VM_OK;
}

void vm_worker_close(vm_worker *w) {
  if (!w) return;
  if (w->pid) {
    vm_wire_request rq = {.magic = VM_WIRE_MAGIC, .op = VM_WIRE_EXIT};
    vm_wire_send(w->sock, &rq, sizeof rq);
    reap(w->pid); /* it exits at once; killed if it does not */
  }
  if (w->sock >= 0) close(w->sock);
  if (w->source_at) munmap(w->source_at, w->source_size);
  if (w->output_at) munmap(w->output_at, w->output_size);
  if (w->source_fd >= 0) close(w->source_fd);
  if (w->output_fd >= 0) close(w->output_fd);
  free(w->executable);
  free_list(w->preload);
  free_list(w->environment);
  free(w->crash_dir);
  free(w->buf);
  free(w);
}

int32_t vm_worker_state_get(const vm_worker *w, vm_worker_state *state) {
  if (!w || !state || state->struct_size < sizeof *state) return VM_ERR_INVALID_ARGUMENT;
  state->pid = w->pid;
  state->starts = w->starts;
  state->deaths = w->deaths;
  return VM_OK;
}

/* ---- clips in a worker ---------------------------------------------------------------------- */

/* What the child said of the clip after a call: kept here, where the getters read it. */
static void take_state(vm_clip *clip, const vm_wire_clip *c, const uint8_t *text) {
  if (!c->has_clip) return;
  clip->info = c->info;
  clip->stats = c->stats;
  clip->input.bytes_read = c->stats.bytes_read;
  size_t n = c->error_length < sizeof clip->error - 1 ? c->error_length : sizeof clip->error - 1;
  memcpy(clip->error, text, n);
  clip->error[n] = 0;
}

/* The child was lost during a call on the clip: the clip ends with that status. */
static int32_t clip_lost(vm_clip *clip, int32_t status) {
  clip->state = status;
  vm_strlcpy(clip->error, clip->worker->why, sizeof clip->error);
  return status;
}

/* Whether the clip's child is still the one it was opened in; else its calls fail as it did. */
static int attached(const vm_clip *clip) { return clip->worker->clip == clip && clip->worker->pid; }

int32_t vm_clip_open_in(vm_worker *w, const vm_source *source, const vm_open_options *options, vm_clip **out) {
  if (!out) return VM_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (!w || !vm_open_arguments_valid(source, options) || w->clip) return VM_ERR_INVALID_ARGUMENT;
  vm_clip *clip = vm_clip_alloc(source);
  if (!clip) return VM_ERR_OUT_OF_MEMORY;
  clip->worker = w;
  *out = clip;
  int64_t start = vm_now_ns();
  /* a child that died closing the last clip is replaced without blaming this one */
  if (w->pid) settle_close(w);
  if (!w->pid) {
    char why[VM_ERROR_SIZE];
    if (spawn(w, why, sizeof why) != VM_OK) {
      vm_clip_fail_own(clip, VM_ERR_INTERNAL, "cannot start a decoding process: %s", why);
      return clip->state;
    }
  }
  if (source->data && !grow(w->source_fd, &w->source_at, &w->source_size, (uint64_t)source->size)) {
    vm_clip_fail_own(clip, VM_ERR_OUT_OF_MEMORY, "cannot share %" PRId64 " bytes with the decoding process",
                     source->size);
    return clip->state;
  }
  if (source->data && source->size > 0) memcpy(w->source_at, source->data, (size_t)source->size);

  vm_wire_open o;
  memset(&o, 0, sizeof o);
  if (options) {
    memcpy(&o.options, options, options->struct_size < sizeof o.options ? options->struct_size : sizeof o.options);
    o.options.denied_codecs = NULL;
    o.has_options = 1;
    o.has_denied = options->denied_codecs != NULL;
  }
  o.data_size = source->data ? source->size : -1;
  const char *path = source->path ? source->path : "";
  const char *name = source->name ? source->name : "";
  const char *denied = o.has_denied ? options->denied_codecs : "";
  o.has_name = source->name != NULL;
  o.path_length = (uint32_t)strlen(path);
  o.name_length = (uint32_t)strlen(name);
  o.denied_length = (uint32_t)strlen(denied);
  size_t length = sizeof o + o.path_length + o.name_length + o.denied_length;
  uint8_t *payload = malloc(length);
  if (!payload) {
    vm_clip_fail_own(clip, VM_ERR_OUT_OF_MEMORY, "out of memory");
    return clip->state;
  }
  memcpy(payload, &o, sizeof o);
  memcpy(payload + sizeof o, path, o.path_length);
  memcpy(payload + sizeof o + o.path_length, name, o.name_length);
  memcpy(payload + sizeof o + o.path_length + o.name_length, denied, o.denied_length);
  int64_t timeout_ms = options ? options->timeout_ms : 0;
  w->deadline_ns = timeout_ms > 0 ? start + (timeout_ms + w->grace_ms) * 1000000 : 0;
  vm_wire_reply r;
  int32_t s = call(w, VM_WIRE_OPEN, payload, length, &r);
  free(payload);
  if (s != VM_OK) return clip_lost(clip, s);
  vm_wire_clip c;
  if (r.length < sizeof c) return clip_lost(clip, lose(w, VM_ERR_CRASHED, NULL));
  memcpy(&c, w->buf, sizeof c);
  if (!c.has_clip) { /* the child had nothing to open with: no handle, as vm_clip_open */
    vm_clip_close(clip);
    *out = NULL;
    return r.status;
  }
  take_state(clip, &c, w->buf + sizeof c);
  w->clip = clip;
  if (r.status < 0) clip->state = r.status;
  return r.status;
}

int32_t vm_remote_next(vm_clip *clip, vm_batch *batch) {
  if (clip->state != VM_OK) return clip->state;
  vm_worker *w = clip->worker;
  if (!attached(clip)) return clip_lost(clip, VM_ERR_CRASHED);
  int pixels = (batch->want & VM_WANT_PIXELS) != 0;
  uint64_t data_at = vm_wire_data_offset(batch->capacity);
  if (!grow(w->output_fd, &w->output_at, &w->output_size, data_at + (pixels ? (uint64_t)batch->data_capacity : 0))) {
    vm_clip_fail_own(clip, VM_ERR_OUT_OF_MEMORY, "cannot share a batch with the decoding process");
    return clip->state;
  }
  /* a child that grew between two calls is caught before it is given more to do */
  int32_t s = vm_now_ns() - w->memory_look_ns >= (int64_t)MEMORY_POLL_MS * 1000000 ? check_memory(w) : VM_OK;
  if (s != VM_OK) return clip_lost(clip, s);
  vm_wire_next n = {.want = batch->want, .capacity = batch->capacity, .data_capacity = pixels ? batch->data_capacity : 0};
  vm_wire_reply r;
  s = call(w, VM_WIRE_NEXT, &n, sizeof n, &r);
  if (s != VM_OK) return clip_lost(clip, s);
  vm_wire_next_reply nr;
  if (r.length < sizeof nr) return clip_lost(clip, lose(w, VM_ERR_CRASHED, NULL));
  memcpy(&nr, w->buf, sizeof nr);
  if (nr.count > batch->capacity || (pixels && nr.data_used > batch->data_capacity))
    return clip_lost(clip, lose(w, VM_ERR_CRASHED, NULL));
  memcpy(batch->frames, w->output_at, (size_t)nr.count * sizeof(vm_frame));
  if (pixels && nr.data_used > 0) memcpy(batch->data, w->output_at + data_at, (size_t)nr.data_used);
  batch->count = nr.count;
  batch->data_used = nr.data_used;
  batch->data_needed = nr.data_needed;
  take_state(clip, &nr.clip, w->buf + sizeof nr);
  if (r.status == VM_EOF || (r.status < 0 && r.status != VM_ERR_BUFFER_TOO_SMALL)) clip->state = r.status;
  return r.status;
}

/* A call that answers with the clip's state (sampling, output). */
static int32_t remote_setting(vm_clip *clip, uint32_t op, const void *payload, size_t length) {
  vm_worker *w = clip->worker;
  if (!attached(clip)) {
    if (clip->state == VM_OK) clip_lost(clip, VM_ERR_CRASHED);
    return clip->state;
  }
  vm_wire_reply r;
  int32_t s = call(w, op, payload, length, &r);
  if (s != VM_OK) return clip_lost(clip, s);
  vm_wire_clip c;
  if (r.length < sizeof c) return clip_lost(clip, lose(w, VM_ERR_CRASHED, NULL));
  memcpy(&c, w->buf, sizeof c);
  take_state(clip, &c, w->buf + sizeof c);
  return r.status;
}

int32_t vm_remote_set_sampling(vm_clip *clip, const vm_sampling *sampling) {
  return remote_setting(clip, VM_WIRE_SAMPLING, sampling, sampling ? sizeof *sampling : 0);
}

int32_t vm_remote_set_output(vm_clip *clip, const vm_output *output) {
  vm_wire_output o;
  memset(&o, 0, sizeof o);
  if (output) {
    o.has_output = 1;
    o.output = *output;
  }
  return remote_setting(clip, VM_WIRE_OUTPUT, &o, sizeof o);
}

int32_t vm_remote_aggregates(const vm_clip *clip, vm_clip_aggregates *aggregates) {
  vm_worker *w = clip->worker;
  vm_ops_aggregates(NULL, aggregates); /* what a clip without statistics has */
  if (!attached(clip)) return clip->state != VM_OK ? clip->state : VM_ERR_CRASHED;
  vm_wire_reply r;
  int32_t s = call(w, VM_WIRE_AGGREGATES, NULL, 0, &r);
  if (s != VM_OK) return clip_lost((vm_clip *)clip, s);
  if (r.status == VM_OK && r.length >= sizeof *aggregates) memcpy(aggregates, w->buf, sizeof *aggregates);
  return r.status;
}

/* The close is sent and its reply read at the next call (the child has closed the clip by then):
 * a round trip less per clip. A child that dies closing a clip is found at the next call, whose
 * clip then gets CRASHED and another try in a fresh process. */
void vm_remote_close(vm_clip *clip) {
  vm_worker *w = clip->worker;
  if (!attached(clip)) return;
  w->clip = NULL;
  w->deadline_ns = 0;
  if (request(w, VM_WIRE_CLOSE, NULL, 0) == VM_OK) w->closing = 1;
}
