/* vmtool isolatecheck DIR [MEDIA]: clips opened in a vm_worker (a decoding process) against the
 * same clips decoded here, call for call, and the supervision: a crash, a child that stops
 * answering, one over its memory limit, a child whose parent dies. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vidmill.h"
#include "vmtool.h"

static int failures;
static int compared;

enum { CAP = 8 };

/* Everything a caller can see of one decode, from open to close. */
typedef struct seen {
  int32_t open_status, status, output_status, sampling_status;
  int has_clip;
  char open_error[600], error[600];
  vm_clip_info info;
  vm_clip_stats stats;
  vm_clip_aggregates agg;
  int64_t frames;
  vm_frame *frame;      /* each frame's struct, as returned */
  char (*pixels)[33];   /* the MD5 of each frame's pixels (with VM_WANT_PIXELS) */
  int64_t cap;
} seen;

typedef struct how {
  int memory;           /* a memory source rather than the path */
  const vm_output *out; /* NULL: native */
  const vm_sampling *sampling;
  uint32_t want;
} how;

static void seen_free(seen *s) {
  free(s->frame);
  free(s->pixels);
}

static void md5_hex(const uint8_t *data, int64_t size, char out[33]) {
  /* a cheap stand-in that any difference in the bytes changes: FNV-1a in both halves */
  uint64_t a = 1469598103934665603ull, b = 1099511628211ull ^ (uint64_t)size;
  for (int64_t i = 0; i < size; i++) {
    a = (a ^ data[i]) * 1099511628211ull;
    b = (b ^ data[size - 1 - i]) * 1469598103934665603ull;
  }
  snprintf(out, 33, "%016" PRIx64 "%016" PRIx64, a, b);
}

/* Decodes `path` as `h` says, here (worker NULL) or in the worker, recording what it sees. */
static void decode(vm_worker *worker, const char *path, const how *h, seen *s) {
  memset(s, 0, sizeof *s);
  vm_source src = {.struct_size = sizeof src, .name = path};
  int64_t size = 0;
  uint8_t *bytes = NULL;
  if (h->memory) {
    bytes = read_file(path, &size);
    src.data = bytes ? bytes : (const uint8_t *)"";
    src.size = bytes ? size : 0;
  } else {
    src.path = path;
  }
  vm_open_options opts = {.struct_size = sizeof opts, .threads = 1, .timeout_ms = 60000};
  vm_clip *clip = NULL;
  s->open_status = worker ? vm_clip_open_in(worker, &src, &opts, &clip) : vm_clip_open(&src, &opts, &clip);
  s->has_clip = clip != NULL;
  snprintf(s->open_error, sizeof s->open_error, "%s", vm_clip_last_error(clip));
  s->status = s->open_status;
  if (s->status == VM_OK && h->out) s->output_status = vm_clip_set_output(clip, h->out);
  if (s->status == VM_OK && h->sampling) s->sampling_status = vm_clip_set_sampling(clip, h->sampling);
  vm_frame frames[CAP];
  int64_t data_cap = (h->want & VM_WANT_PIXELS) ? 4096 : 0; /* small: BUFFER_TOO_SMALL is tried too */
  uint8_t *data = data_cap ? malloc((size_t)data_cap) : NULL;
  while (s->status == VM_OK) {
    vm_batch b = {.struct_size = sizeof b, .want = h->want, .frames = frames, .capacity = CAP,
                  .data = data, .data_capacity = data_cap};
    s->status = vm_clip_next(clip, &b);
    if (s->status == VM_ERR_BUFFER_TOO_SMALL) {
      data_cap = b.data_needed * 3;
      data = realloc(data, (size_t)data_cap);
      s->status = VM_OK;
      continue;
    }
    for (uint32_t i = 0; i < b.count; i++) {
      if (s->frames == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->frame = realloc(s->frame, (size_t)s->cap * sizeof *s->frame);
        s->pixels = realloc(s->pixels, (size_t)s->cap * sizeof *s->pixels);
      }
      s->frame[s->frames] = frames[i];
      if (frames[i].data_offset >= 0) md5_hex(data + frames[i].data_offset, frames[i].data_size, s->pixels[s->frames]);
      else s->pixels[s->frames][0] = 0;
      s->frames++;
    }
  }
  s->info.struct_size = sizeof s->info;
  s->stats.struct_size = sizeof s->stats;
  s->agg.struct_size = sizeof s->agg;
  if (clip) {
    vm_clip_info_get(clip, &s->info);
    vm_clip_stats_get(clip, &s->stats);
    vm_clip_aggregates_get(clip, &s->agg);
  }
  snprintf(s->error, sizeof s->error, "%s", vm_clip_last_error(clip));
  vm_clip_close(clip);
  free(data);
  free(bytes);
}

/* The same calls give the same answers: statuses, messages, descriptions, counters (not the
 * timings), every frame's struct and pixels, the aggregates. */
static void compare(vm_worker *worker, const char *path, const char *what, const how *h) {
  seen a, b;
  decode(NULL, path, h, &a);
  decode(worker, path, h, &b);
  compared++;
  const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  CHECK(a.open_status == b.open_status && a.has_clip == b.has_clip, "%s %s: open %s here, %s in the worker", name,
        what, vm_status_name(a.open_status), vm_status_name(b.open_status));
  CHECK(strcmp(a.open_error, b.open_error) == 0, "%s %s: open error '%s' here, '%s' in the worker", name, what,
        a.open_error, b.open_error);
  CHECK(a.output_status == b.output_status && a.sampling_status == b.sampling_status, "%s %s: settings differ",
        name, what);
  CHECK(a.status == b.status, "%s %s: ends %s here, %s in the worker", name, what, vm_status_name(a.status),
        vm_status_name(b.status));
  CHECK(strcmp(a.error, b.error) == 0, "%s %s: error '%s' here, '%s' in the worker", name, what, a.error, b.error);
  CHECK(memcmp(&a.info, &b.info, sizeof a.info) == 0, "%s %s: clip info differs", name, what);
  CHECK(a.stats.frames == b.stats.frames && a.stats.packets == b.stats.packets &&
            a.stats.decode_errors == b.stats.decode_errors && a.stats.bytes_read == b.stats.bytes_read &&
            a.stats.frames_decoded == b.stats.frames_decoded && a.stats.packets_skipped == b.stats.packets_skipped &&
            a.stats.threads == b.stats.threads && a.stats.sample_path == b.stats.sample_path,
        "%s %s: stats differ (frames %" PRId64 "/%" PRId64 ", bytes %" PRId64 "/%" PRId64 ")", name, what,
        a.stats.frames, b.stats.frames, a.stats.bytes_read, b.stats.bytes_read);
  CHECK(memcmp(&a.agg, &b.agg, sizeof a.agg) == 0, "%s %s: aggregates differ", name, what);
  CHECK(a.frames == b.frames, "%s %s: %" PRId64 " frames here, %" PRId64 " in the worker", name, what, a.frames,
        b.frames);
  for (int64_t i = 0; i < a.frames && i < b.frames; i++) {
    if (memcmp(&a.frame[i], &b.frame[i], sizeof a.frame[i]) != 0 || strcmp(a.pixels[i], b.pixels[i]) != 0) {
      CHECK(0, "%s %s: frame %" PRId64 " differs", name, what, i);
      break;
    }
  }
  seen_free(&a);
  seen_free(&b);
}

static void compare_all_ways(vm_worker *worker, const char *path) {
  vm_output rgb = {.struct_size = sizeof rgb, .pixel_format = VM_PIXEL_RGB24, .width = 96, .height = 64,
                   .resize = VM_RESIZE_CENTER_CROP};
  vm_sampling fps = {.struct_size = sizeof fps, .mode = VM_SAMPLE_FPS, .rate_num = 2, .rate_den = 1};
  compare(worker, path, "(path, md5)", &(how){.want = VM_WANT_MD5});
  compare(worker, path, "(memory, md5)", &(how){.memory = 1, .want = VM_WANT_MD5});
  compare(worker, path, "(rgb24 crop, stats, pixels)",
          &(how){.out = &rgb, .want = VM_WANT_MD5 | VM_WANT_PIXELS | VM_WANT_STATS});
  compare(worker, path, "(fps=2, native pixels)", &(how){.memory = 1, .sampling = &fps, .want = VM_WANT_PIXELS});
}

/* NULL settings (every frame, frames as decoded) mean the same in a worker as here. */
static void compare_nulls(vm_worker *worker, const char *path) {
  vm_source src = {.struct_size = sizeof src, .path = path};
  vm_clip *here = NULL, *there = NULL;
  vm_clip_open(&src, NULL, &here);
  vm_clip_open_in(worker, &src, NULL, &there);
  int32_t a = vm_clip_set_sampling(here, NULL), b = vm_clip_set_sampling(there, NULL);
  CHECK(a == b, "set_sampling(NULL): %s here, %s in the worker", vm_status_name(a), vm_status_name(b));
  a = vm_clip_set_output(here, NULL);
  b = vm_clip_set_output(there, NULL);
  CHECK(a == b, "set_output(NULL): %s here, %s in the worker", vm_status_name(a), vm_status_name(b));
  vm_clip_close(here);
  vm_clip_close(there);
  compared++;
}

static void compare_dir(vm_worker *worker, const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (64 << 20)) continue;
    compare_all_ways(worker, path);
  }
  closedir(d);
}

static vm_worker *start(const char *crash_dir, const char *const *env, int64_t memory_limit, int grace_ms) {
  vm_worker_options wo = {.struct_size = sizeof wo, .crash_dir = crash_dir, .environment = env,
                          .memory_limit = memory_limit, .grace_ms = grace_ms};
  vm_worker *w = NULL;
  char detail[600];
  int32_t s = vm_worker_start(&wo, &w, detail, sizeof detail);
  CHECK(s == VM_OK && w, "vm_worker_start: %s %s", vm_status_name(s), detail);
  return w;
}

static vm_worker_state state_of(const vm_worker *w) {
  vm_worker_state st = {.struct_size = sizeof st};
  vm_worker_state_get(w, &st);
  return st;
}

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* Whether the process is gone (a zombie counts: a container's init may be slow to reap it). */
static int gone(pid_t pid) {
  char path[64], text[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return 1;
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = 0;
  const char *paren = strrchr(text, ')');
  return paren && paren[1] && paren[2] == 'Z';
}

static int contains_file_text(const char *path, const char *text) {
  int64_t size = 0;
  uint8_t *b = read_file(path, &size);
  if (!b) return 0;
  b = realloc(b, (size_t)size + 1);
  b[size] = 0;
  int found = strstr((char *)b, text) != NULL;
  free(b);
  return found;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A clip whose decoder crashes: CRASHED with the signal and the report, the next clip in a
 * fresh process; a child that stops answering is killed at the clip's limit plus the grace; one
 * over its memory limit is killed. */
static void check_supervision(const char *dir, const char *clip, const char *crashing) {
  char crashes[4096];
  snprintf(crashes, sizeof crashes, "%s/crashes", dir);
  mkdir(crashes, 0755);
  const char *env[] = {"VIDMILL_TEST_CRASH_ON=crash-here", NULL};
  vm_worker *w = start(crashes, env, 0, 300);
  if (!w) return;
  vm_worker_state before = state_of(w);
  CHECK(before.pid > 0 && before.starts == 1 && before.deaths == 0, "a started worker has a process");

  vm_source src = {.struct_size = sizeof src, .path = crashing};
  vm_clip *c = NULL;
  int32_t s = vm_clip_open_in(w, &src, NULL, &c);
  const char *err = vm_clip_last_error(c);
  CHECK(s == VM_ERR_CRASHED, "a crashing clip: %s, not CRASHED", vm_status_name(s));
  CHECK(strstr(err, "killed by SIGSEGV") && strstr(err, "report: "), "the crash is described: '%s'", err);
  char report[4200];
  snprintf(report, sizeof report, "%s/vidmill-worker-%d.crash", crashes, before.pid);
  CHECK(exists(report) && contains_file_text(report, "# Problematic frame:") && contains_file_text(report, "crash-here"),
        "the child left its report at %s", report);
  vm_frame f[2];
  vm_batch b = {.struct_size = sizeof b, .frames = f, .capacity = 2};
  CHECK(c && vm_clip_next(c, &b) == VM_ERR_CRASHED && b.count == 0, "later calls on a crashed clip say so");
  vm_clip_close(c);
  vm_worker_state after = state_of(w);
  CHECK(after.pid == 0 && after.deaths == 1, "the dead child is forgotten (pid %d, deaths %d)", after.pid,
        after.deaths);

  src.path = clip;
  s = vm_clip_open_in(w, &src, NULL, &c);
  CHECK(s == VM_OK, "the next clip opens in a fresh process: %s %s", vm_status_name(s), vm_clip_last_error(c));
  vm_clip *second = NULL;
  CHECK(vm_clip_open_in(w, &src, NULL, &second) == VM_ERR_INVALID_ARGUMENT && !second,
        "one clip at a time in a worker");
  vm_worker_state fresh = state_of(w);
  CHECK(fresh.starts == 2 && fresh.pid > 0 && fresh.pid != before.pid, "a second process started");
  vm_clip_close(c);

  /* a child that stops answering: killed at its clip's limit plus the grace */
  vm_open_options quick = {.struct_size = sizeof quick, .timeout_ms = 200};
  s = vm_clip_open_in(w, &src, &quick, &c);
  CHECK(s == VM_OK, "open with a time limit: %s", vm_status_name(s));
  kill(fresh.pid, SIGSTOP);
  double t0 = now_s();
  s = vm_clip_next(c, &b);
  double waited = now_s() - t0;
  CHECK(s == VM_ERR_TIMEOUT && strstr(vm_clip_last_error(c), "did not answer"), "a stopped child times out: %s '%s'",
        vm_status_name(s), vm_clip_last_error(c));
  CHECK(waited > 0.2 && waited < 5, "killed after the limit and the grace, not before nor much later: %.2f s", waited);
  CHECK(gone(fresh.pid), "the stopped child is gone");
  vm_clip_close(c);
  vm_worker_close(w);

  /* over the memory limit: the child is killed and the clip fails with OUT_OF_MEMORY */
  w = start(NULL, NULL, 1 << 20, 0);
  if (!w) return;
  s = vm_clip_open_in(w, &src, NULL, &c);
  CHECK(s == VM_OK, "open under a memory limit: %s", vm_status_name(s));
  s = vm_clip_next(c, &b);
  CHECK(s == VM_ERR_OUT_OF_MEMORY && strstr(vm_clip_last_error(c), "over its limit of 1 MB"),
        "a child over its limit: %s '%s'", vm_status_name(s), vm_clip_last_error(c));
  vm_clip_close(c);
  vm_worker_close(w);

  /* an executable that cannot run: a clear reason, no worker */
  vm_worker_options bad = {.struct_size = sizeof bad, .executable = "/nonexistent/vidmill-worker"};
  char detail[600] = "";
  vm_worker *none = NULL;
  s = vm_worker_start(&bad, &none, detail, sizeof detail);
  CHECK(s != VM_OK && !none && strstr(detail, "/nonexistent/vidmill-worker"), "a missing executable: %s '%s'",
        vm_status_name(s), detail);
}

/* The allocation limit of this process holds in a child started under it. */
static void check_allocation_limit(const char *clip) {
  vm_set_max_alloc(64 << 10);
  vm_worker *w = start(NULL, NULL, 0, 0);
  if (w) {
    seen here, there;
    how md5 = {.want = VM_WANT_MD5};
    decode(NULL, clip, &md5, &here);
    decode(w, clip, &md5, &there);
    CHECK(here.status == VM_ERR_TOO_LARGE, "a 64 KB allocation limit stops the clip here: %s", vm_status_name(here.status));
    CHECK(there.status == here.status, "and in the worker: %s", vm_status_name(there.status));
    seen_free(&here);
    seen_free(&there);
    vm_worker_close(w);
  }
  vm_set_max_alloc(0);
}

/* A child outlives its parent by a fraction of a second, even in the middle of nothing. */
static void check_orphan(void) {
  int fds[2];
  if (pipe(fds) != 0) return;
  pid_t parent = fork();
  if (parent == 0) {
    close(fds[0]);
    vm_worker *w = NULL;
    vm_worker_options wo = {.struct_size = sizeof wo};
    if (vm_worker_start(&wo, &w, NULL, 0) == VM_OK) {
      vm_worker_state st = state_of(w);
      if (write(fds[1], &st.pid, sizeof st.pid) != sizeof st.pid) _exit(2);
    }
    _exit(0); /* without closing the worker: as a killed parent would */
  }
  close(fds[1]);
  int32_t child = 0;
  ssize_t n = read(fds[0], &child, sizeof child);
  close(fds[0]);
  waitpid(parent, NULL, 0);
  CHECK(n == sizeof child && child > 0, "the helper started a worker");
  if (n != sizeof child || child <= 0) return;
  int ended = 0;
  for (int i = 0; i < 300 && !ended; i++) {
    ended = gone(child);
    if (!ended) usleep(10 * 1000);
  }
  CHECK(ended, "the child of a dead parent ended within 3 s");
}

int cmd_isolatecheck(const char *dir, const char *media) {
  mkdir(dir, 0755);
  /* clips of our own, so that the check runs without the shared corpus too */
  char clip[4096], crashing[4096], cut[4096];
  snprintf(clip, sizeof clip, "%s/plain.mp4", dir);
  snprintf(crashing, sizeof crashing, "%s/crash-here.mp4", dir);
  snprintf(cut, sizeof cut, "%s/cut.mp4", dir);
  vm_synth_options so = {.struct_size = sizeof so, .width = 160, .height = 96, .fps_num = 10, .fps_den = 1,
                         .frames = 25, .gop = 10, .seed = 3, .path = clip, .encoder = "mpeg4"};
  char detail[300];
  if (vm_synth_write(&so, detail, sizeof detail) != VM_OK) {
    fprintf(stderr, "FAIL synth: %s\n", detail);
    return 1;
  }
  so.path = crashing;
  vm_synth_write(&so, detail, sizeof detail);
  int64_t size = 0;
  uint8_t *bytes = read_file(clip, &size);
  FILE *f = fopen(cut, "wb");
  if (f && bytes) fwrite(bytes, 1, (size_t)(size * 2 / 3), f);
  if (f) fclose(f);
  free(bytes);

  vm_worker *w = start(NULL, NULL, 0, 0);
  if (!w) return 1;
  compare_all_ways(w, clip);
  compare_all_ways(w, cut);
  compare_nulls(w, clip);
  if (media) {
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/valid", media);
    compare_dir(w, sub);
    snprintf(sub, sizeof sub, "%s/invalid", media);
    compare_dir(w, sub);
  }
  vm_worker_state st = state_of(w);
  CHECK(st.starts == 1 && st.deaths == 0, "every clip in one process (%d started, %d died)", st.starts, st.deaths);
  vm_worker_close(w);
  check_supervision(dir, clip, crashing);
  check_allocation_limit(clip);
  check_orphan();
  printf("isolatecheck: %d decodes compared, %d failures\n", compared, failures);
  return failures != 0;
}
