/* vmtool: drives libvidmill without a JVM. CTest runs it; on a GPU host without Java it is
 * how the native layer is checked and timed.
 *
 *   vmtool abi                          layout and status-name checks
 *   vmtool info FILE                    the clip description
 *   vmtool md5 [--threads N] [--memory] [--pixels] FILE
 *                                       one line per frame: pts dts size md5, then the status
 *   vmtool frames [OUTPUT] [--stats] [--raw OUT] FILE
 *                                       one line per frame of the converted output: pts, size,
 *                                       pix_fmt, md5 and statistics; then the clip aggregates
 *   vmtool bench [--threads N] [--repeat R] [--open-only] [OUTPUT] FILE...
 *                                       frames/s of a full decode (and conversion), ms per open+close
 *   vmtool opscheck MEDIA_DIR DIR [PART] frame operations against swscale, exact references and
 *                                       known answers (parts: convert, resize, geometry, orient,
 *                                       stats, dhash; all by default)
 * OUTPUT: --format rgb24|bgr24|gray8 --size N|WxH --fit fill|fit|crop|pad --filter
 *         bilinear|area|bicubic --keep-orientation (N alone: short side N)
 *   vmtool loop [--workers N] [OUTPUT] FILE...
 *                                       the plain C loop: one single-threaded decoder per worker
 *                                       thread, clips taken in turn; the ceiling a runtime can reach
 *   vmtool synth PATH W H FPS FRAMES [ENCODER]
 *   vmtool selftest DIR                 synthesised clips: decode paths agree, cuts fail cleanly
 *   vmtool corpus MEDIA_DIR             valid/ equals framemd5/ frame for frame; invalid/ fails
 *   vmtool fuzzcheck FILE|DIR...        fuzz inputs through the open/decode contract (fuzz_clip.c)
 *   vmtool leak FILE                    leaks an open clip on purpose (the sanitizer build checks LSan sees it)
 */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vidmill.h"
#include "vmtool.h"

#define SKIP 77

typedef struct {
  int threads;
  int memory;
  int pixels;
  int repeat;
  int open_only;
  int no_md5;       /* decode only: neither hash nor copy the frames */
  int workers;
  int has_output;   /* out is set on every clip */
  vm_output out;
  int stats;        /* VM_WANT_STATS */
  const char *raw;  /* frames: write the pixels here */
} tool_options;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint8_t *read_file(const char *path, int64_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
  if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *size = n;
  return buf;
}

static void hex(const uint8_t md5[16], char out[33]) {
  for (int i = 0; i < 16; i++) sprintf(out + 2 * i, "%02x", md5[i]);
}

/* Decodes a whole clip; calls `fn` for each frame (pixels with --pixels). Returns the final
 * status; the clip's aggregates go to agg_out when set. */
typedef void (*frame_fn)(const vm_frame *frame, const uint8_t *pixels, void *ctx);

static int32_t decode_agg(const char *path, const tool_options *o, frame_fn fn, void *ctx, char *err,
                          size_t err_size, vm_clip_info *info_out, int64_t *frames_out, vm_clip_aggregates *agg_out) {
  vm_source src = {.struct_size = sizeof src, .name = path};
  uint8_t *bytes = NULL;
  if (o->memory) {
    int64_t size = 0;
    bytes = read_file(path, &size);
    if (!bytes) {
      snprintf(err, err_size, "cannot read %s", path);
      return VM_ERR_IO;
    }
    src.data = bytes;
    src.size = size;
  } else {
    src.path = path;
  }
  vm_open_options opts = {.struct_size = sizeof opts, .threads = o->threads, .timeout_ms = 60000};
  vm_clip *clip = NULL;
  int32_t status = vm_clip_open(&src, &opts, &clip);
  if (status == VM_OK && o->has_output) status = vm_clip_set_output(clip, &o->out);
  int64_t frames = 0;
  enum { CAP = 16 };
  vm_frame frame_buf[CAP];
  uint8_t *data = NULL;
  int64_t data_cap = 0;
  if (o->pixels) {
    data_cap = 64 << 20;
    data = malloc((size_t)data_cap);
  }
  while (status == VM_OK) {
    vm_batch batch = {.struct_size = sizeof batch,
                      .want = (o->no_md5 ? 0 : VM_WANT_MD5) | (o->pixels ? VM_WANT_PIXELS : 0) |
                              (o->stats ? VM_WANT_STATS : 0),
                      .frames = frame_buf, .capacity = CAP, .data = data, .data_capacity = data_cap};
    status = vm_clip_next(clip, &batch);
    if (status == VM_ERR_BUFFER_TOO_SMALL) {
      data_cap = batch.data_needed;
      data = realloc(data, (size_t)data_cap);
      status = VM_OK;
      continue;
    }
    for (uint32_t i = 0; i < batch.count; i++) {
      const vm_frame *f = &frame_buf[i];
      if (fn) fn(f, f->data_offset >= 0 ? data + f->data_offset : NULL, ctx);
      frames++;
    }
  }
  if (agg_out) {
    agg_out->struct_size = sizeof *agg_out;
    if (clip) vm_clip_aggregates_get(clip, agg_out);
  }
  if (info_out) {
    info_out->struct_size = sizeof *info_out;
    if (clip) vm_clip_info_get(clip, info_out);
  }
  snprintf(err, err_size, "%s", clip ? vm_clip_last_error(clip) : "");
  vm_clip_close(clip);
  free(data);
  free(bytes);
  if (frames_out) *frames_out = frames;
  return status;
}

static int32_t decode(const char *path, const tool_options *o, frame_fn fn, void *ctx, char *err,
                      size_t err_size, vm_clip_info *info_out, int64_t *frames_out) {
  return decode_agg(path, o, fn, ctx, err, err_size, info_out, frames_out, NULL);
}

/* ---- commands ------------------------------------------------------------------------ */

static int cmd_abi(void) {
  int bad = 0;
  if (vm_abi_version() != VM_ABI_VERSION) {
    fprintf(stderr, "abi version %u != %d\n", vm_abi_version(), VM_ABI_VERSION);
    bad = 1;
  }
  char detail[400];
  if (vm_runtime_check(detail, sizeof detail) != VM_OK) {
    fprintf(stderr, "runtime check: %s\n", detail);
    bad = 1;
  }
  printf("%s\n", detail);
  for (int id = VM_STRUCT_SOURCE; id <= VM_STRUCT_IMAGE; id++)
    if (vm_struct_size(id) == 0) {
      fprintf(stderr, "struct %d has no size\n", id);
      bad = 1;
    }
  if (vm_struct_offset(VM_STRUCT_FRAME, "md5") != (int64_t)offsetof(vm_frame, md5) ||
      vm_struct_offset(VM_STRUCT_CLIP_INFO, "decoder") != (int64_t)offsetof(vm_clip_info, decoder) ||
      vm_struct_offset(VM_STRUCT_FRAME, "nope") != -1 || vm_struct_size(99) != 0) {
    fprintf(stderr, "struct offsets disagree\n");
    bad = 1;
  }
  for (int s = VM_ERR_INTERNAL; s <= VM_EOF; s++)
    for (int t = s + 1; t <= VM_EOF; t++)
      if (strcmp(vm_status_name(s), vm_status_name(t)) == 0) {
        fprintf(stderr, "status %d and %d share the name %s\n", s, t, vm_status_name(s));
        bad = 1;
      }
  if (strcmp(vm_status_name(-1000), "UNKNOWN") != 0) bad = 1;
  return bad;
}

static int cmd_info(const char *path) {
  vm_source src = {.struct_size = sizeof src, .path = path};
  vm_open_options opts = {.struct_size = sizeof opts, .flags = VM_OPEN_FULL_PROBE};
  vm_clip *clip = NULL;
  int32_t status = vm_clip_open(&src, &opts, &clip);
  vm_clip_info i = {.struct_size = sizeof i};
  if (clip) vm_clip_info_get(clip, &i);
  printf("status=%s\nerror=%s\ncontainer=%s\ncodec=%s\nprofile=%s\ndecoder=%s\nwidth=%d\nheight=%d\n"
         "pix_fmt=%s\nbit_depth=%d\nrotation=%d\nmirror=%d\nencrypted=%d\ntime_base=%d/%d\n"
         "avg_frame_rate=%d/%d\nguessed_frame_rate=%d/%d\nstart_time=%" PRId64 "\n"
         "duration_us=%" PRId64 "\ndeclared_frames=%" PRId64 "\ncolor=%s/%s/%s/%s\n",
         vm_status_name(status), vm_clip_last_error(clip), i.container, i.codec, i.profile, i.decoder,
         i.width, i.height, i.pix_fmt_name, i.bit_depth, i.rotation, i.mirror, i.encrypted,
         i.time_base_num, i.time_base_den, i.avg_frame_rate_num, i.avg_frame_rate_den,
         i.guessed_frame_rate_num, i.guessed_frame_rate_den, i.start_time, i.duration_us,
         i.declared_frames, i.color_range, i.color_space, i.color_primaries, i.color_transfer);
  vm_clip_close(clip);
  return status == VM_OK ? 0 : 1;
}

static void print_frame(const vm_frame *f, const uint8_t *pixels, void *ctx) {
  char h[33];
  hex(f->md5, h);
  printf("%" PRId64 " %" PRId64 " %" PRId64 " %s\n", f->pts, f->dts, f->data_size, h);
}

static int cmd_md5(const char *path, const tool_options *o) {
  char err[600];
  int32_t status = decode(path, o, print_frame, NULL, err, sizeof err, NULL, NULL);
  printf("# %s %s\n", vm_status_name(status), err);
  return status == VM_EOF ? 0 : 1;
}

static void print_converted(const vm_frame *f, const uint8_t *pixels, void *ctx) {
  char h[33];
  hex(f->md5, h);
  printf("%" PRId64 " %dx%d %s %" PRId64 " %s", f->pts, f->width, f->height, vm_pix_fmt_name(f->pix_fmt),
         f->data_size, h);
  if (f->flags & VM_FRAME_STATS)
    printf(" luma=%.3f std=%.3f dark=%.4f sharpness=%.2f motion=%.3f scene=%.4f dhash=%016" PRIx64 "%s%s%s",
           f->luma_mean, f->luma_std, f->dark_fraction, f->sharpness, f->motion, f->scene_score, f->dhash,
           f->flags & VM_FRAME_BLACK ? " black" : "", f->flags & VM_FRAME_BLANK ? " blank" : "",
           f->flags & VM_FRAME_SCENE_CUT ? " cut" : "");
  printf("\n");
  if (ctx && pixels) fwrite(pixels, 1, (size_t)f->data_size, ctx);
}

static int cmd_frames(const char *path, const tool_options *o) {
  tool_options t = *o;
  FILE *raw = NULL;
  if (o->raw) {
    raw = fopen(o->raw, "wb");
    if (!raw) {
      fprintf(stderr, "cannot write %s\n", o->raw);
      return 1;
    }
    t.pixels = 1;
  }
  char err[600];
  vm_clip_aggregates a;
  int32_t status = decode_agg(path, &t, print_converted, raw, err, sizeof err, NULL, NULL, &a);
  if (raw) fclose(raw);
  if (o->stats)
    printf("# aggregates frames=%" PRId64 " black=%" PRId64 " blank=%" PRId64 " cuts=%" PRId64
           " luma=%.3f/%.3f/%.3f sharpness=%.2f/%.2f/%.2f motion=%.3f/%.3f/%.3f scene_max=%.4f\n",
           a.frames, a.black_frames, a.blank_frames, a.scene_cuts, a.luma_mean, a.luma_min, a.luma_max,
           a.sharpness_mean, a.sharpness_min, a.sharpness_max, a.motion_mean, a.motion_min, a.motion_max,
           a.scene_score_max);
  printf("# %s %s\n", vm_status_name(status), err);
  return status == VM_EOF ? 0 : 1;
}

static int cmd_bench(int n, char **files, const tool_options *o) {
  double total_s = 0;
  int64_t total_frames = 0;
  for (int r = 0; r < o->repeat; r++) {
    for (int i = 0; i < n; i++) {
      double t0 = now_s();
      if (o->open_only) {
        vm_source src = {.struct_size = sizeof src, .path = files[i]};
        vm_open_options opts = {.struct_size = sizeof opts, .threads = o->threads};
        vm_clip *clip = NULL;
        vm_clip_open(&src, &opts, &clip);
        vm_clip_close(clip);
      } else {
        char err[600];
        int64_t frames = 0;
        tool_options plain = *o;
        plain.no_md5 = 1;
        plain.pixels = o->has_output; /* a conversion is only done when its output is wanted */
        decode(files[i], &plain, NULL, NULL, err, sizeof err, NULL, &frames);
        total_frames += frames;
      }
      total_s += now_s() - t0;
    }
  }
  int64_t clips = (int64_t)n * o->repeat;
  if (o->open_only)
    printf("open+close: %.3f ms per clip over %" PRId64 " clips\n", total_s * 1e3 / clips, clips);
  else
    printf("decode: %" PRId64 " frames in %.3f s = %.1f frames/s, %.2f clips/s (threads=%d)\n",
           total_frames, total_s, total_frames / total_s, clips / total_s, o->threads);
  return 0;
}

typedef struct {
  char **files;
  int n;
  const tool_options *opts;
  atomic_int next;
  atomic_llong frames;
  atomic_int failed;
} loop_state;

static void *loop_worker(void *arg) {
  loop_state *st = arg;
  tool_options o = *st->opts; /* with OUTPUT options: decode and convert, as bench does */
  o.threads = 1;
  o.no_md5 = 1;
  o.pixels = o.has_output;
  for (int i; (i = atomic_fetch_add(&st->next, 1)) < st->n;) {
    char err[600];
    int64_t frames = 0;
    if (decode(st->files[i], &o, NULL, NULL, err, sizeof err, NULL, &frames) != VM_EOF) atomic_fetch_add(&st->failed, 1);
    atomic_fetch_add(&st->frames, frames);
  }
  return NULL;
}

static int cmd_loop(int n, char **files, const tool_options *o) {
  int workers = o->workers > 0 ? o->workers : (int)sysconf(_SC_NPROCESSORS_ONLN);
  loop_state st = {.files = files, .n = n, .opts = o};
  pthread_t threads[256];
  if (workers > 256) workers = 256;
  double t0 = now_s();
  for (int i = 0; i < workers; i++) pthread_create(&threads[i], NULL, loop_worker, &st);
  for (int i = 0; i < workers; i++) pthread_join(threads[i], NULL);
  double s = now_s() - t0;
  long long frames = atomic_load(&st.frames);
  printf("loop: %d clips, %lld frames in %.3f s = %.1f frames/s, %.2f clips/s (%d workers, %d failed)\n", n, frames,
         s, frames / s, n / s, workers, atomic_load(&st.failed));
  return atomic_load(&st.failed) != 0;
}

static int synth(const char *path, int w, int h, int fps, int frames, const char *encoder, int seed) {
  vm_synth_options s = {.struct_size = sizeof s, .width = w, .height = h, .fps_num = fps, .fps_den = 1,
                        .frames = frames, .gop = fps, .seed = seed, .path = path, .encoder = encoder};
  char detail[300];
  int32_t status = vm_synth_write(&s, detail, sizeof detail);
  if (status != VM_OK) fprintf(stderr, "synth %s: %s %s\n", path, vm_status_name(status), detail);
  return status;
}

typedef struct {
  int64_t n;
  char (*md5)[33];
  int64_t cap;
} md5_list;

static void collect(const vm_frame *f, const uint8_t *pixels, void *ctx) {
  md5_list *l = ctx;
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 64;
    l->md5 = realloc(l->md5, (size_t)l->cap * sizeof *l->md5);
  }
  hex(f->md5, l->md5[l->n++]);
}

static int same_frames(const md5_list *a, const md5_list *b) {
  if (a->n != b->n) return 0;
  for (int64_t i = 0; i < a->n; i++)
    if (strcmp(a->md5[i], b->md5[i]) != 0) return 0;
  return 1;
}

/* vmtool leak FILE: writes a small clip to FILE, opens it and decodes a batch, then exits without closing it, on purpose:
 * the sanitizer build's CTest expects LeakSanitizer to report that (proof that it is on). */
static int cmd_leak(const char *path) {
  if (synth(path, 64, 48, 25, 4, NULL, 0) != VM_OK) return 2;
  vm_source src = {.struct_size = sizeof src, .path = path};
  /* one thread: FFmpeg's worker threads would still hold the decoder at exit (reachable) */
  vm_open_options opts = {.struct_size = sizeof opts, .threads = 1};
  vm_clip *clip = NULL;
  if (vm_clip_open(&src, &opts, &clip) != VM_OK) return 2;
  vm_frame frames[4];
  vm_batch batch = {.struct_size = sizeof batch, .want = VM_WANT_MD5, .frames = frames, .capacity = 4};
  vm_clip_next(clip, &batch);
  clip = NULL; /* the handle is lost: everything it owns leaks */
  return 0;
}

static int cmd_selftest(const char *dir) {
  mkdir(dir, 0755);
  struct {
    const char *name, *encoder;
    int w, h, frames;
  } clips[] = {{"h264.mp4", "libopenh264", 320, 240, 48},
               {"vp9.webm", "libvpx-vp9", 176, 144, 30},
               {"mpeg4.mkv", "mpeg4", 161, 121, 25},
               {"av1.mp4", "libaom-av1", 128, 96, 12}};
  int failures = 0;
  for (size_t c = 0; c < sizeof clips / sizeof clips[0]; c++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, clips[c].name);
    if (synth(path, clips[c].w, clips[c].h, 24, clips[c].frames, clips[c].encoder, (int)c) != VM_OK) {
      failures++;
      continue;
    }
    tool_options variants[] = {{.threads = 1}, {.threads = 0}, {.threads = 1, .memory = 1},
                               {.threads = 2, .pixels = 1}};
    md5_list ref = {0};
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
      md5_list got = {0};
      char err[600];
      int32_t status = decode(path, &variants[v], collect, &got, err, sizeof err, NULL, NULL);
      if (status != VM_EOF || got.n != clips[c].frames) {
        fprintf(stderr, "%s variant %zu: %s %s, %" PRId64 " frames\n", path, v, vm_status_name(status), err, got.n);
        failures++;
      } else if (v == 0) {
        ref = got;
        continue;
      } else if (!same_frames(&ref, &got)) {
        fprintf(stderr, "%s variant %zu: frames differ from the single-threaded decode\n", path, v);
        failures++;
      }
      free(got.md5);
    }
    /* every cut of the file fails with a clean error, or decodes a prefix of the frames */
    int64_t size = 0;
    uint8_t *bytes = read_file(path, &size);
    for (int k = 1; k < 24 && bytes; k++) {
      int64_t cut = size * k / 24;
      char cut_path[1100];
      snprintf(cut_path, sizeof cut_path, "%s.cut", path);
      FILE *f = fopen(cut_path, "wb");
      fwrite(bytes, 1, (size_t)cut, f);
      fclose(f);
      md5_list got = {0};
      char err[600];
      tool_options o = {.threads = 0};
      int32_t status = decode(cut_path, &o, collect, &got, err, sizeof err, NULL, NULL);
      int prefix = got.n <= ref.n;
      for (int64_t i = 0; prefix && i + 1 < got.n; i++) prefix = strcmp(got.md5[i], ref.md5[i]) == 0;
      if (status == VM_EOF || status == VM_OK || status == VM_ERR_INTERNAL || !prefix || !err[0]) {
        fprintf(stderr, "%s cut at %" PRId64 "/%" PRId64 ": %s '%s' after %" PRId64 " frames\n", path, cut, size,
                vm_status_name(status), err, got.n);
        failures++;
      }
      free(got.md5);
      unlink(cut_path);
    }
    free(bytes);
    free(ref.md5);
  }
  printf("selftest: %d failures\n", failures);
  return failures != 0;
}

/* Reads the md5 column of an ffmpeg framemd5 file. */
static int read_reference(const char *path, md5_list *out) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#') continue;
    char *last = strrchr(line, ',');
    if (!last) continue;
    last++;
    while (*last == ' ') last++;
    last[strcspn(last, "\r\n")] = 0;
    vm_frame fake;
    memset(&fake, 0, sizeof fake);
    if (out->n == out->cap) {
      out->cap = out->cap ? 2 * out->cap : 64;
      out->md5 = realloc(out->md5, (size_t)out->cap * sizeof *out->md5);
    }
    snprintf(out->md5[out->n++], 33, "%s", last);
  }
  fclose(f);
  return 0;
}

static int cmd_corpus(const char *media) {
  char dir[2048];
  snprintf(dir, sizeof dir, "%s/valid", media);
  DIR *d = opendir(dir);
  if (!d) {
    printf("SKIP: no test media at %s (see ../shared/media)\n", media);
    return SKIP;
  }
  int failures = 0, checked = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[4096], ref_path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    snprintf(ref_path, sizeof ref_path, "%s/framemd5/%s.framemd5", media, e->d_name);
    md5_list ref = {0}, got = {0};
    if (read_reference(ref_path, &ref) != 0) continue;
    char err[600];
    tool_options o = {.threads = 0};
    int32_t status = decode(path, &o, collect, &got, err, sizeof err, NULL, NULL);
    checked++;
    if (status != VM_EOF || !same_frames(&ref, &got)) {
      fprintf(stderr, "FAIL valid/%s: %s %s, %" PRId64 " frames, reference %" PRId64 "\n", e->d_name,
              vm_status_name(status), err, got.n, ref.n);
      failures++;
    }
    free(ref.md5);
    free(got.md5);
  }
  closedir(d);
  snprintf(dir, sizeof dir, "%s/invalid", media);
  d = opendir(dir);
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    char err[600];
    tool_options o = {.threads = 0};
    int64_t frames = 0;
    int32_t status = decode(path, &o, NULL, NULL, err, sizeof err, NULL, &frames);
    checked++;
    printf("invalid/%s: %s %s (%" PRId64 " frames)\n", e->d_name, vm_status_name(status), err, frames);
    if (status >= 0 || status == VM_ERR_INTERNAL || !err[0]) failures++;
  }
  if (d) closedir(d);
  /* hostile files must not take memory: the peak of this whole run stays small */
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  if (ru.ru_maxrss > 512 * 1024) {
    fprintf(stderr, "FAIL peak memory %ld MB over 512 MB\n", ru.ru_maxrss / 1024);
    failures++;
  }
  printf("corpus: %d files, %d failures, peak memory %ld MB\n", checked, failures, ru.ru_maxrss / 1024);
  return failures != 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: vmtool abi|info|md5|frames|bench|loop|synth|selftest|corpus|opscheck|fuzzcheck ...\n");
    return 2;
  }
  tool_options o = {.threads = 0, .repeat = 1, .out = {.struct_size = sizeof(vm_output)}};
  int first = 2;
  while (first < argc && strncmp(argv[first], "--", 2) == 0) {
    if (strcmp(argv[first], "--threads") == 0 && first + 1 < argc) o.threads = atoi(argv[++first]);
    else if (strcmp(argv[first], "--repeat") == 0 && first + 1 < argc) o.repeat = atoi(argv[++first]);
    else if (strcmp(argv[first], "--memory") == 0) o.memory = 1;
    else if (strcmp(argv[first], "--pixels") == 0) o.pixels = 1;
    else if (strcmp(argv[first], "--open-only") == 0) o.open_only = 1;
    else if (strcmp(argv[first], "--workers") == 0 && first + 1 < argc) o.workers = atoi(argv[++first]);
    else if (strcmp(argv[first], "--stats") == 0) o.stats = 1;
    else if (strcmp(argv[first], "--raw") == 0 && first + 1 < argc) o.raw = argv[++first];
    else if (parse_output_option(argc, argv, &first, &o.out)) o.has_output = 1;
    else break;
    first++;
  }
  const char *cmd = argv[1];
  int rest = argc - first;
  if (strcmp(cmd, "abi") == 0) return cmd_abi();
  if (strcmp(cmd, "info") == 0 && rest == 1) return cmd_info(argv[first]);
  if (strcmp(cmd, "md5") == 0 && rest == 1) return cmd_md5(argv[first], &o);
  if (strcmp(cmd, "frames") == 0 && rest == 1) return cmd_frames(argv[first], &o);
  if (strcmp(cmd, "opscheck") == 0 && (rest == 2 || rest == 3))
    return cmd_opscheck(argv[first], argv[first + 1], rest == 3 ? argv[first + 2] : "all");
  if (strcmp(cmd, "bench") == 0 && rest >= 1) return cmd_bench(rest, argv + first, &o);
  if (strcmp(cmd, "loop") == 0 && rest >= 1) return cmd_loop(rest, argv + first, &o);
  if (strcmp(cmd, "synth") == 0 && rest >= 5)
    return synth(argv[first], atoi(argv[first + 1]), atoi(argv[first + 2]), atoi(argv[first + 3]),
                 atoi(argv[first + 4]), rest > 5 ? argv[first + 5] : NULL, 0) != VM_OK;
  if (strcmp(cmd, "selftest") == 0 && rest == 1) return cmd_selftest(argv[first]);
  if (strcmp(cmd, "corpus") == 0 && rest == 1) return cmd_corpus(argv[first]);
  if (strcmp(cmd, "fuzzcheck") == 0 && rest >= 1) return cmd_fuzzcheck(rest, argv + first);
  if (strcmp(cmd, "leak") == 0 && rest == 1) return cmd_leak(argv[first]);
  fprintf(stderr, "vmtool: bad arguments for %s\n", cmd);
  return 2;
}
