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
 *   vmtool md5 --sample SPEC [--start S] [--end S] [--max-frames N] [--decode-all] [--buffer B] FILE
 *                                       the selected frames only (SPEC: all, every=N, fps=K,
 *                                       uniform=N, keyframes), then what sampling skipped
 *   vmtool samplecheck [--threads N] [--cases N] MEDIA_DIR
 *                                       sampled decoding equals decode-all-then-select, corpus
 *   vmtool sampleseek DIR               the same on synthetic long-GOP clips, and jumps happen
 *   vmtool fuzzcheck FILE|DIR...        fuzz inputs through the open/decode contract (fuzz_clip.c)
 *   vmtool leak FILE                    leaks an open clip on purpose (the sanitizer build checks LSan sees it)
 *   vmtool isolatecheck DIR [MEDIA]     clips in a decoding process (vm_worker) equal clips decoded
 *                                       here; a crash, a hang, a memory limit, an orphan are handled
 *   vmtool enccheck [MEDIA_DIR]         JPEG and PNG encoding against FFmpeg's decoders
 *   vmtool gpuinfo                      CUDA devices, their probe, NVDEC caps, NVML utilization
 *   vmtool gpucheck emulated [MEDIA]    the GPU path's arithmetic run on the host against the CPU's
 *   vmtool gpucheck device DIR [MEDIA] [CLIPS]
 *                                       on a GPU: kernels and NVDEC against the CPU path (77 without)
 * --isolate (md5, frames, bench, loop): each thread opens its clips in a decoding process of its own.
 * --device cpu|cuda|cuda:N (md5, frames, bench, loop): where clips decode; cuda spreads loop's
 * workers over every GPU. A clip the GPU cannot take decodes on the CPU and says why.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
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
  int cases;        /* samplecheck: only the first N cases */
  int sampled;      /* set `sampling` after open */
  vm_sampling sampling;
  int device;       /* vm_device */
  int device_index; /* -1: every GPU (loop spreads its workers) */
  int isolate;      /* open clips in a decoding process of this thread's (vm_worker) */
} tool_options;

/* --isolate: each thread's decoding process, started at its first clip */
static _Thread_local vm_worker *thread_worker;

static vm_worker *worker_of_thread(void) {
  if (!thread_worker) {
    vm_worker_options wo = {.struct_size = sizeof wo};
    char detail[600];
    if (vm_worker_start(&wo, &thread_worker, detail, sizeof detail) != VM_OK)
      fprintf(stderr, "vmtool: no decoding process: %s\n", detail);
  }
  return thread_worker;
}

static void end_thread_worker(void) {
  vm_worker_close(thread_worker);
  thread_worker = NULL;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

uint8_t *read_file(const char *path, int64_t *size) {
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

static int32_t decode_full(const char *path, const tool_options *o, frame_fn fn, void *ctx, char *err,
                           size_t err_size, vm_clip_info *info_out, int64_t *frames_out,
                           vm_clip_aggregates *agg_out, vm_clip_stats *stats_out) {
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
  vm_open_options opts = {.struct_size = sizeof opts, .threads = o->threads, .timeout_ms = 60000,
                          .device = o->device, .device_index = o->device_index < 0 ? 0 : o->device_index};
  vm_clip *clip = NULL;
  int32_t status = o->isolate ? vm_clip_open_in(worker_of_thread(), &src, &opts, &clip) : vm_clip_open(&src, &opts, &clip);
  if (status == VM_OK && o->has_output) status = vm_clip_set_output(clip, &o->out);
  if (status == VM_OK && o->sampled) status = vm_clip_set_sampling(clip, &o->sampling);
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
  if (stats_out) {
    memset(stats_out, 0, sizeof *stats_out);
    stats_out->struct_size = sizeof *stats_out;
    if (clip) vm_clip_stats_get(clip, stats_out);
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
  return decode_full(path, o, fn, ctx, err, err_size, info_out, frames_out, NULL, NULL);
}

static int32_t decode_agg(const char *path, const tool_options *o, frame_fn fn, void *ctx, char *err,
                          size_t err_size, vm_clip_info *info_out, int64_t *frames_out, vm_clip_aggregates *agg_out) {
  return decode_full(path, o, fn, ctx, err, err_size, info_out, frames_out, agg_out, NULL);
}

static int32_t decode_stats(const char *path, const tool_options *o, frame_fn fn, void *ctx, char *err,
                            size_t err_size, vm_clip_info *info_out, int64_t *frames_out, vm_clip_stats *stats_out) {
  return decode_full(path, o, fn, ctx, err, err_size, info_out, frames_out, NULL, stats_out);
}

/* "all", "every=N", "fps=K" (K: 7.5, 30000/1001), "uniform=N", "keyframes" */
static int parse_sample(const char *spec, vm_sampling *s) {
  const char *eq = strchr(spec, '=');
  size_t name = eq ? (size_t)(eq - spec) : strlen(spec);
  const char *arg = eq ? eq + 1 : "";
  s->struct_size = sizeof *s;
  if (name == 3 && !strncmp(spec, "all", 3) && !eq) s->mode = VM_SAMPLE_ALL;
  else if (name == 9 && !strncmp(spec, "keyframes", 9) && !eq) s->mode = VM_SAMPLE_KEYFRAMES;
  else if (name == 5 && !strncmp(spec, "every", 5)) s->mode = VM_SAMPLE_EVERY, s->n = atoll(arg);
  else if (name == 7 && !strncmp(spec, "uniform", 7)) s->mode = VM_SAMPLE_UNIFORM, s->n = atoll(arg);
  else if (name == 3 && !strncmp(spec, "fps", 3)) {
    s->mode = VM_SAMPLE_FPS;
    long long num = 0, den = 1;
    const char *slash = strchr(arg, '/'), *dot = strchr(arg, '.');
    if (slash) {
      num = atoll(arg);
      den = atoll(slash + 1);
    } else {
      num = atoll(arg);
      if (dot)
        for (const char *p = dot + 1; *p >= '0' && *p <= '9' && den < 1000000; p++) num = num * 10 + (*p - '0'), den *= 10;
    }
    s->rate_num = (int32_t)num;
    s->rate_den = (int32_t)den;
  } else {
    return -1;
  }
  return 0;
}

static int64_t seconds_us(const char *text) { return (int64_t)llround(atof(text) * 1e6); }

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
  for (int id = VM_STRUCT_SOURCE; id <= VM_STRUCT_WORKER_STATE; id++)
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
  for (int f = VM_FALLBACK_NONE; f <= VM_FALLBACK_GPU_ERROR; f++)
    if (strcmp(vm_fallback_name(f), "UNKNOWN") == 0) bad = 1;
  /* a caller of the older layouts is still served */
  {
    vm_clip_stats old = {.struct_size = 128};
    vm_open_options v1 = {.struct_size = 48};
    vm_source src = {.struct_size = sizeof src, .path = "/nonexistent/clip.mp4"};
    vm_clip *clip = NULL;
    if (vm_clip_open(&src, &v1, &clip) != VM_ERR_NOT_FOUND || !clip || vm_clip_stats_get(clip, &old) != VM_OK ||
        old.struct_size != 128) {
      fprintf(stderr, "the older struct sizes are refused\n");
      bad = 1;
    }
    vm_clip_close(clip);
  }
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

static void print_backend(const vm_clip_info *i) {
  if (i->backend == VM_BACKEND_CUDA) printf("# backend cuda:%d\n", i->backend_device);
  else printf("# backend cpu%s%s\n", i->backend_reason[0] ? " " : "", i->backend_reason);
}

static int cmd_md5(const char *path, const tool_options *o) {
  char err[600];
  vm_clip_stats st;
  vm_clip_info info;
  int32_t status = decode_full(path, o, print_frame, NULL, err, sizeof err, &info, NULL, NULL, &st);
  printf("# %s %s\n", vm_status_name(status), err);
  print_backend(&info);
  if (o->sampled)
    printf("# path=%d packets_read=%" PRId64 " sent=%" PRId64 " skipped=%" PRId64 " decoded=%" PRId64
           " returned=%" PRId64 " seeks=%" PRId64 " fallbacks=%d plan_ms=%.2f\n",
           st.sample_path, st.packets_read, st.packets, st.packets_skipped, st.frames_decoded, st.frames,
           st.seeks, st.fallbacks, st.plan_ns / 1e6);
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
  vm_clip_info info;
  int32_t status = decode_agg(path, &t, print_converted, raw, err, sizeof err, &info, NULL, &a);
  if (raw) fclose(raw);
  if (o->stats)
    printf("# aggregates frames=%" PRId64 " black=%" PRId64 " blank=%" PRId64 " cuts=%" PRId64
           " luma=%.3f/%.3f/%.3f sharpness=%.2f/%.2f/%.2f motion=%.3f/%.3f/%.3f scene_max=%.4f\n",
           a.frames, a.black_frames, a.blank_frames, a.scene_cuts, a.luma_mean, a.luma_min, a.luma_max,
           a.sharpness_mean, a.sharpness_min, a.sharpness_max, a.motion_mean, a.motion_min, a.motion_max,
           a.scene_score_max);
  printf("# %s %s\n", vm_status_name(status), err);
  print_backend(&info);
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
  int gpus;            /* --device cuda: workers spread over this many GPUs */
  atomic_int next;
  atomic_int started;
  atomic_llong frames;
  atomic_int failed;
  atomic_int on_gpu;
  atomic_int reused;
} loop_state;

static void *loop_worker(void *arg) {
  loop_state *st = arg;
  tool_options o = *st->opts; /* with OUTPUT options: decode and convert, as bench does */
  o.threads = 1;
  o.no_md5 = 1;
  o.pixels = o.has_output;
  int me = atomic_fetch_add(&st->started, 1);
  if (o.device == VM_DEVICE_CUDA && o.device_index < 0) o.device_index = st->gpus > 0 ? me % st->gpus : 0;
  for (int i; (i = atomic_fetch_add(&st->next, 1)) < st->n;) {
    char err[600];
    int64_t frames = 0;
    vm_clip_info info;
    vm_clip_stats cs;
    if (decode_full(st->files[i], &o, NULL, NULL, err, sizeof err, &info, &frames, NULL, &cs) != VM_EOF)
      atomic_fetch_add(&st->failed, 1);
    atomic_fetch_add(&st->frames, frames);
    if (info.backend == VM_BACKEND_CUDA) atomic_fetch_add(&st->on_gpu, 1);
    atomic_fetch_add(&st->reused, cs.decoder_reused);
  }
  end_thread_worker();
  return NULL;
}

static int cmd_loop(int n, char **files, const tool_options *o) {
  int workers = o->workers > 0 ? o->workers : (int)sysconf(_SC_NPROCESSORS_ONLN);
  loop_state st = {.files = files, .n = n, .opts = o};
  if (o->device == VM_DEVICE_CUDA) st.gpus = vm_cuda_device_count(NULL, 0);
  pthread_t threads[256];
  if (workers > 256) workers = 256;
  double t0 = now_s();
  for (int i = 0; i < workers; i++) pthread_create(&threads[i], NULL, loop_worker, &st);
  for (int i = 0; i < workers; i++) pthread_join(threads[i], NULL);
  double s = now_s() - t0;
  long long frames = atomic_load(&st.frames);
  printf("loop: %d clips, %lld frames in %.3f s = %.1f frames/s, %.2f clips/s (%d workers, %d failed, %d on a GPU, "
         "%d with a cached decoder)\n", n, frames, s, frames / s, n / s, workers, atomic_load(&st.failed),
         atomic_load(&st.on_gpu), atomic_load(&st.reused));
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
  int64_t n, cap;
  int64_t *pts;
  uint32_t *flags;
  char (*md5)[33];
} frame_list;

/* Frames as a decode returned them (or as a framemd5 file lists them: md5 only). */
static void push_frame(frame_list *l, int64_t pts, uint32_t flags, const char *md5) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 64;
    l->pts = realloc(l->pts, (size_t)l->cap * sizeof *l->pts);
    l->flags = realloc(l->flags, (size_t)l->cap * sizeof *l->flags);
    l->md5 = realloc(l->md5, (size_t)l->cap * sizeof *l->md5);
  }
  l->pts[l->n] = pts;
  l->flags[l->n] = flags;
  snprintf(l->md5[l->n], sizeof l->md5[l->n], "%s", md5);
  l->n++;
}

static void collect_frame(const vm_frame *f, const uint8_t *pixels, void *ctx) {
  (void)pixels;
  char h[33];
  hex(f->md5, h);
  push_frame(ctx, f->pts, f->flags, h);
}

static void free_frames(frame_list *l) {
  free(l->pts);
  free(l->flags);
  free(l->md5);
  memset(l, 0, sizeof *l);
}

static int same_frames(const frame_list *a, const frame_list *b) {
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
    frame_list ref = {0};
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
      frame_list got = {0};
      char err[600];
      int32_t status = decode(path, &variants[v], collect_frame, &got, err, sizeof err, NULL, NULL);
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
      free_frames(&got);
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
      frame_list got = {0};
      char err[600];
      tool_options o = {.threads = 0};
      int32_t status = decode(cut_path, &o, collect_frame, &got, err, sizeof err, NULL, NULL);
      int prefix = got.n <= ref.n;
      for (int64_t i = 0; prefix && i + 1 < got.n; i++) prefix = strcmp(got.md5[i], ref.md5[i]) == 0;
      if (status == VM_EOF || status == VM_OK || status == VM_ERR_INTERNAL || !prefix || !err[0]) {
        fprintf(stderr, "%s cut at %" PRId64 "/%" PRId64 ": %s '%s' after %" PRId64 " frames\n", path, cut, size,
                vm_status_name(status), err, got.n);
        failures++;
      }
      free_frames(&got);
      unlink(cut_path);
    }
    free(bytes);
    free_frames(&ref);
  }
  printf("selftest: %d failures\n", failures);
  return failures != 0;
}

/* ---- sampling: the fast path against decode-all-then-select ---------------------------- */

typedef struct {
  const char *label;
  const char *spec;
  double start, end; /* < -1e8: unset */
  int64_t max_frames;
} sample_case;

#define NO_TIME (-1e9)

/* The cases of the issue (every=3, fps=1, fps=7.5, uniform=5, keyframes, a window, a cap)
 * and combinations of a window or a cap with each kind of rule. CTest runs the first 8 (the
 * sanitizer build the first 4); `vmtool samplecheck MEDIA` runs them all. */
static const sample_case SAMPLE_CASES[] = {
    {"every=3", "every=3", NO_TIME, NO_TIME, 0},
    {"fps=1", "fps=1", NO_TIME, NO_TIME, 0},
    {"uniform=5", "uniform=5", NO_TIME, NO_TIME, 0},
    {"keyframes", "keyframes", NO_TIME, NO_TIME, 0},
    {"fps=7.5[0.25,2.5)", "fps=7.5", 0.25, 2.5, 0},
    {"fps=7.5", "fps=7.5", NO_TIME, NO_TIME, 0},
    {"all[0.3,0.9)", "all", 0.3, 0.9, 0},
    {"all max=4", "all", NO_TIME, NO_TIME, 4},
    {"every=2[0.5,) max=5", "every=2", 0.5, NO_TIME, 5},
    {"uniform=3[0.2,)", "uniform=3", 0.2, NO_TIME, 0},
    {"keyframes[0.5,)", "keyframes", 0.5, NO_TIME, 0},
    {"fps=30000/1001", "fps=30000/1001", NO_TIME, NO_TIME, 0},
};

static void sample_case_options(const sample_case *c, vm_sampling *s) {
  memset(s, 0, sizeof *s);
  parse_sample(c->spec, s);
  if (c->start > NO_TIME) s->start_us = (int64_t)llround(c->start * 1e6), s->flags |= VM_SAMPLING_START;
  if (c->end > NO_TIME) s->end_us = (int64_t)llround(c->end * 1e6), s->flags |= VM_SAMPLING_END;
  s->max_frames = c->max_frames;
}

typedef struct {
  int checked, failures, fallbacks, planned;
  int64_t sent, sent_all;
} sample_totals;

/* One clip: decodes it plainly once, then once per case with sampling, and compares. */
static int index_mode(const vm_sampling *s) { return s->mode == VM_SAMPLE_EVERY || s->mode == VM_SAMPLE_UNIFORM; }

static void sample_check_file(const char *path, const char *name, int threads, int verbose, size_t cases,
                              sample_totals *t) {
  tool_options plain = {.threads = threads};
  frame_list all = {0};
  char err[600];
  vm_clip_info info;
  vm_clip_stats plain_stats;
  int32_t ref_status = decode_stats(path, &plain, collect_frame, &all, err, sizeof err, &info, NULL, &plain_stats);
  uint8_t *selected = malloc((size_t)(all.n ? all.n : 1));
  for (size_t c = 0; c < cases; c++) {
    tool_options o = {.threads = threads, .sampled = 1};
    sample_case_options(&SAMPLE_CASES[c], &o.sampling);
    int64_t want = vm_sampling_select(&o.sampling, &info, all.pts, all.flags, all.n, selected);
    frame_list got = {0};
    vm_clip_stats st;
    int32_t status = decode_stats(path, &o, collect_frame, &got, err, sizeof err, NULL, NULL, &st);
    int ok = want >= 0 && got.n == want;
    for (int64_t i = 0, k = 0; ok && i < all.n; i++) {
      if (!selected[i]) continue;
      ok = all.pts[i] == got.pts[k] && strcmp(all.md5[i], got.md5[k]) == 0;
      k++;
    }
    /* The same verdict. The one exception: a bitstream error in a packet that sampling never
     * decodes is not seen (the clip then ends with EOF), and for the rules that count frames,
     * the frame it did not produce shifts the count, so only the verdict is compared. */
    int same_status = status == ref_status;
    int unseen_bitstream_error = ref_status == VM_ERR_CORRUPT && plain_stats.decode_errors > 0 &&
                                 (status == VM_EOF || status == VM_ERR_CORRUPT);
    if (unseen_bitstream_error) {
      same_status = 1;
      if (index_mode(&o.sampling) || status == VM_ERR_CORRUPT) ok = 1;
    }
    t->checked++;
    t->fallbacks += st.fallbacks != 0;
    t->planned += st.sample_path == VM_SAMPLE_PATH_PLANNED;
    t->sent += st.packets;
    t->sent_all += plain_stats.packets;
    if (!ok || !same_status) {
      t->failures++;
      fprintf(stderr, "FAIL %s %s (threads=%d): %s (reference %s), %" PRId64 " frames, want %" PRId64 " of %" PRId64
              ", path %d, fallbacks %d: %s\n", name, SAMPLE_CASES[c].label, threads, vm_status_name(status),
              vm_status_name(ref_status), got.n, want, all.n, st.sample_path, st.fallbacks, err);
    } else if (verbose || st.fallbacks) {
      printf("%s %s: %" PRId64 "/%" PRId64 " frames, path %d, sent %" PRId64 "/%" PRId64 " packets, seeks %" PRId64
             ", fallbacks %d\n", name, SAMPLE_CASES[c].label, got.n, all.n, st.sample_path, st.packets,
             plain_stats.packets, st.seeks, st.fallbacks);
    }
    free_frames(&got);
  }
  free(selected);
  free_frames(&all);
}

/* The decode-all reference of one clip, to compare sampled decodes against. */
typedef struct {
  frame_list all;
  vm_clip_info info;
  int32_t status;
} reference;

static int sampled_equals_reference(const char *path, const reference *ref, const vm_sampling *sampling, int threads,
                                    vm_clip_stats *st, char *err, size_t err_size) {
  uint8_t *selected = malloc((size_t)(ref->all.n ? ref->all.n : 1));
  int64_t want = vm_sampling_select(sampling, &ref->info, ref->all.pts, ref->all.flags, ref->all.n, selected);
  tool_options o = {.threads = threads, .sampled = 1, .sampling = *sampling};
  frame_list got = {0};
  int32_t status = decode_stats(path, &o, collect_frame, &got, err, err_size, NULL, NULL, st);
  int ok = status == ref->status && want >= 0 && got.n == want;
  for (int64_t i = 0, k = 0; ok && i < ref->all.n; i++) {
    if (!selected[i]) continue;
    ok = ref->all.pts[i] == got.pts[k] && strcmp(ref->all.md5[i], got.md5[k]) == 0;
    k++;
  }
  if (!ok && !err[0]) snprintf(err, err_size, "%s, %" PRId64 " frames where the reference selects %" PRId64,
                               vm_status_name(status), got.n, want);
  free_frames(&got);
  free(selected);
  return ok;
}

/* Synthetic long-GOP clips: sparse samples must be reached by jumping (in memory, and with
 * buffering off by seeking in the file), dense ones by decoding through, and the frames must
 * be those of decode-all-then-select in every case. */
static int cmd_sampleseek(const char *dir, const tool_options *opt) {
  mkdir(dir, 0755);
  struct {
    const char *name, *encoder;
    int frames, gop;
    const char *remux; /* made from gop2s.mp4 by the ffmpeg binary, when there is one */
  } clips[] = {{"gop2s.mp4", "libopenh264", 400, 50, NULL}, {"gop2s.webm", "libvpx-vp9", 200, 50, NULL},
               {"onegop.mp4", "libopenh264", 150, 150, NULL},
               /* fragmented MP4: no global index, the demuxer learns it fragment by fragment */
               {"gop2s_frag.mp4", NULL, 400, 50, "-movflags frag_keyframe+empty_moov -f mp4"},
               /* Matroska written to a pipe: no Cues, no duration */
               {"gop2s_nocues.mkv", NULL, 400, 50, "-f matroska pipe:1 >"}};
  struct {
    const char *spec;
    double start;
    int sparse;          /* whole GOPs lie between the samples: expect jumps */
    double most_sent;    /* of the packets, when the clip has several GOPs */
  } cases[] = {{"fps=0.25", NO_TIME, 1, 0.05},  {"every=100", NO_TIME, 1, 0.05}, {"uniform=3", NO_TIME, 1, 0.3},
               {"fps=0.5", 1.0, 1, 0.6}, /* targets in mid-GOP: half of each GOP leads to them */
               {"keyframes", NO_TIME, 0, 0.05}, {"fps=3", NO_TIME, 0, 0.9}};
  int failures = 0;
  for (size_t c = 0; c < sizeof clips / sizeof clips[0]; c++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, clips[c].name);
    vm_synth_options so = {.struct_size = sizeof so, .width = 320, .height = 240, .fps_num = 25, .fps_den = 1,
                           .frames = clips[c].frames, .gop = clips[c].gop, .bit_rate_kbps = 4000, .seed = 7,
                           .path = path, .encoder = clips[c].encoder, .pattern = "mandelbrot"};
    char detail[300];
    if (clips[c].remux && access(path, R_OK) != 0) {
      char cmd[3000];
      snprintf(cmd, sizeof cmd, "ffmpeg -nostdin -v error -y -i '%s/gop2s.mp4' -c copy %s '%s'", dir, clips[c].remux, path);
      if (system("ffmpeg -version >/dev/null 2>&1") != 0 || system(cmd) != 0) {
        printf("%s: skipped (no ffmpeg binary to make it)\n", clips[c].name);
        continue;
      }
    } else if (access(path, R_OK) != 0 && vm_synth_write(&so, detail, sizeof detail) != VM_OK) {
      fprintf(stderr, "FAIL synth %s: %s\n", path, detail);
      failures++;
      continue;
    }
    reference ref = {0};
    tool_options plain = {.threads = opt->threads};
    char err[600];
    vm_clip_stats plain_stats;
    ref.status = decode_stats(path, &plain, collect_frame, &ref.all, err, sizeof err, &ref.info, NULL, &plain_stats);
    if (ref.status != VM_EOF || ref.all.n != clips[c].frames) {
      fprintf(stderr, "FAIL %s: reference %s %s, %" PRId64 " frames\n", path, vm_status_name(ref.status), err, ref.all.n);
      failures++;
      free_frames(&ref.all);
      continue;
    }
    int one_gop = clips[c].gop >= clips[c].frames;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
      for (int buffered = 1; buffered >= 0; buffered--) {
        vm_sampling s;
        memset(&s, 0, sizeof s);
        parse_sample(cases[k].spec, &s);
        if (cases[k].start > NO_TIME) s.start_us = (int64_t)llround(cases[k].start * 1e6), s.flags |= VM_SAMPLING_START;
        s.buffer_bytes = buffered ? 0 : -1;
        vm_clip_stats st;
        err[0] = 0;
        int ok = sampled_equals_reference(path, &ref, &s, opt->threads, &st, err, sizeof err);
        const char *why = NULL;
        if (!ok) why = err;
        else if (st.fallbacks) why = "fell back to decoding through";
        else if (cases[k].sparse && !one_gop && st.seeks == 0) why = "never jumped over a GOP";
        else if (cases[k].sparse && !one_gop && !buffered && st.file_seeks == 0 && !clips[c].remux)
          why = "never seeked in the file";
        else if (one_gop && st.seeks != 0) why = "jumped although the clip is one GOP";
        else if (!one_gop && st.packets > cases[k].most_sent * plain_stats.packets) why = "sent too many packets";
        if (why) {
          fprintf(stderr, "FAIL %s %s%s (%s): %s\n", clips[c].name, cases[k].spec, cases[k].start > NO_TIME ? " start=1" : "",
                  buffered ? "buffered" : "unbuffered", why);
          failures++;
        }
        printf("%s %s%s %s: sent %" PRId64 "/%" PRId64 " packets, decoded %" PRId64 " frames, seeks %" PRId64
               " (in the file %" PRId64 ")\n", clips[c].name, cases[k].spec, cases[k].start > NO_TIME ? " start=1" : "",
               buffered ? "buffered" : "unbuffered", st.packets, plain_stats.packets, st.frames_decoded, st.seeks,
               st.file_seeks);
      }
    }
    free_frames(&ref.all);
  }
  printf("sampleseek: %d failures\n", failures);
  return failures != 0;
}

/* The corpus' valid/ folder, or NULL after saying the test is skipped. */
static DIR *open_valid_media(const char *media, char *dir, size_t size) {
  snprintf(dir, size, "%s/valid", media);
  DIR *d = opendir(dir);
  if (!d) printf("SKIP: no test media at %s (see ../shared/media)\n", media);
  return d;
}

static int cmd_samplecheck(const char *media, const tool_options *o, int verbose) {
  size_t cases = sizeof SAMPLE_CASES / sizeof SAMPLE_CASES[0];
  if (o->cases > 0 && (size_t)o->cases < cases) cases = (size_t)o->cases;
  char dir[2048];
  DIR *d = open_valid_media(media, dir, sizeof dir);
  if (!d) return SKIP;
  sample_totals t = {0};
  const char *sub[] = {"valid", "invalid"};
  closedir(d);
  for (int k = 0; k < 2; k++) {
    snprintf(dir, sizeof dir, "%s/%s", media, sub[k]);
    d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
      if (e->d_name[0] == '.') continue;
      char path[4096], name[600];
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      snprintf(name, sizeof name, "%s/%s", sub[k], e->d_name);
      sample_check_file(path, name, o->threads, verbose, cases, &t);
    }
    if (d) closedir(d);
  }
  printf("samplecheck: %d cases, %d failures, %d planned, %d fell back; packets sent %" PRId64 " of %" PRId64 "\n",
         t.checked, t.failures, t.planned, t.fallbacks, t.sent, t.sent_all);
  return t.failures != 0;
}

/* Reads the md5 column of an ffmpeg framemd5 file. */
static int read_reference(const char *path, frame_list *out) {
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
    push_frame(out, INT64_MIN, 0, last);
  }
  fclose(f);
  return 0;
}

static int cmd_corpus(const char *media) {
  char dir[2048];
  DIR *d = open_valid_media(media, dir, sizeof dir);
  if (!d) return SKIP;
  int failures = 0, checked = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[4096], ref_path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    snprintf(ref_path, sizeof ref_path, "%s/framemd5/%s.framemd5", media, e->d_name);
    frame_list ref = {0}, got = {0};
    if (read_reference(ref_path, &ref) != 0) continue;
    char err[600];
    tool_options o = {.threads = 0};
    int32_t status = decode(path, &o, collect_frame, &got, err, sizeof err, NULL, NULL);
    checked++;
    if (status != VM_EOF || !same_frames(&ref, &got)) {
      fprintf(stderr, "FAIL valid/%s: %s %s, %" PRId64 " frames, reference %" PRId64 "\n", e->d_name,
              vm_status_name(status), err, got.n, ref.n);
      failures++;
    }
    free_frames(&ref);
    free_frames(&got);
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
    fprintf(stderr, "usage: vmtool abi|info|md5|frames|bench|loop|synth|selftest|corpus|opscheck|fuzzcheck|enccheck|gpuinfo|gpucheck ...\n");
    return 2;
  }
  tool_options o = {.threads = 0, .repeat = 1, .out = {.struct_size = sizeof(vm_output)},
                    .sampling = {.struct_size = sizeof(vm_sampling)}};
  int first = 2;
  while (first < argc && strncmp(argv[first], "--", 2) == 0) {
    if (strcmp(argv[first], "--threads") == 0 && first + 1 < argc) o.threads = atoi(argv[++first]);
    else if (strcmp(argv[first], "--repeat") == 0 && first + 1 < argc) o.repeat = atoi(argv[++first]);
    else if (strcmp(argv[first], "--memory") == 0) o.memory = 1;
    else if (strcmp(argv[first], "--pixels") == 0) o.pixels = 1;
    else if (strcmp(argv[first], "--open-only") == 0) o.open_only = 1;
    else if (strcmp(argv[first], "--cases") == 0 && first + 1 < argc) o.cases = atoi(argv[++first]);
    else if (strcmp(argv[first], "--workers") == 0 && first + 1 < argc) o.workers = atoi(argv[++first]);
    else if (strcmp(argv[first], "--stats") == 0) o.stats = 1;
    else if (strcmp(argv[first], "--isolate") == 0) o.isolate = 1;
    else if (strcmp(argv[first], "--device") == 0 && first + 1 < argc) {
      const char *d = argv[++first];
      if (strcmp(d, "cpu") == 0) o.device = VM_DEVICE_CPU;
      else if (strcmp(d, "cuda") == 0) o.device = VM_DEVICE_CUDA, o.device_index = -1;
      else if (strncmp(d, "cuda:", 5) == 0 && d[5] >= '0' && d[5] <= '9') o.device = VM_DEVICE_CUDA, o.device_index = atoi(d + 5);
      else {
        fprintf(stderr, "vmtool: --device cpu|cuda|cuda:N, not %s\n", d);
        return 2;
      }
    }
    else if (strcmp(argv[first], "--raw") == 0 && first + 1 < argc) o.raw = argv[++first];
    else if (parse_output_option(argc, argv, &first, &o.out)) o.has_output = 1;
    else if (strcmp(argv[first], "--sample") == 0 && first + 1 < argc) {
      if (parse_sample(argv[++first], &o.sampling) != 0) {
        fprintf(stderr, "vmtool: bad --sample %s\n", argv[first]);
        return 2;
      }
      o.sampled = 1;
    } else if (strcmp(argv[first], "--start") == 0 && first + 1 < argc) {
      o.sampling.start_us = seconds_us(argv[++first]);
      o.sampling.flags |= VM_SAMPLING_START;
      o.sampled = 1;
    } else if (strcmp(argv[first], "--end") == 0 && first + 1 < argc) {
      o.sampling.end_us = seconds_us(argv[++first]);
      o.sampling.flags |= VM_SAMPLING_END;
      o.sampled = 1;
    } else if (strcmp(argv[first], "--max-frames") == 0 && first + 1 < argc) {
      o.sampling.max_frames = atoll(argv[++first]);
      o.sampled = 1;
    } else if (strcmp(argv[first], "--buffer") == 0 && first + 1 < argc) {
      o.sampling.buffer_bytes = atoll(argv[++first]); /* -1: planned packets are read again */
      o.sampled = 1;
    } else if (strcmp(argv[first], "--decode-all") == 0) {
      o.sampling.flags |= VM_SAMPLING_DECODE_ALL;
      o.sampled = 1;
    } else break;
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
  if (strcmp(cmd, "enccheck") == 0 && rest <= 1) return cmd_enccheck(rest == 1 ? argv[first] : NULL);
  if (strcmp(cmd, "sampleseek") == 0 && rest == 1) return cmd_sampleseek(argv[first], &o);
  if (strcmp(cmd, "gpuinfo") == 0 && rest == 0) return cmd_gpuinfo();
  if (strcmp(cmd, "gpucheck") == 0 && rest >= 1 && strcmp(argv[first], "emulated") == 0 && rest <= 2)
    return cmd_gpucheck_emulated(rest == 2 ? argv[first + 1] : NULL);
  if (strcmp(cmd, "gpucheck") == 0 && rest >= 2 && strcmp(argv[first], "device") == 0 && rest <= 4)
    return cmd_gpucheck_device(argv[first + 1], rest >= 3 ? argv[first + 2] : NULL, rest >= 4 ? argv[first + 3] : NULL);
  if (strcmp(cmd, "samplecheck") == 0 && rest == 1)
    return cmd_samplecheck(argv[first], &o, getenv("VMTOOL_VERBOSE") != NULL);
  if (strcmp(cmd, "fuzzcheck") == 0 && rest >= 1) return cmd_fuzzcheck(rest, argv + first);
  if (strcmp(cmd, "leak") == 0 && rest == 1) return cmd_leak(argv[first]);
  if (strcmp(cmd, "isolatecheck") == 0 && (rest == 1 || rest == 2))
    return cmd_isolatecheck(argv[first], rest == 2 ? argv[first + 1] : NULL);
  fprintf(stderr, "vmtool: bad arguments for %s\n", cmd);
  return 2;
}
