/* vmtool gpuinfo / gpucheck: the GPU path checked against the CPU path, its reference.
 *
 *   gpucheck emulated [MEDIA]
 *       on any machine: the GPU path's code run on the host (vm_image_process_on with
 *       VM_DEVICE_EMULATED: pictures laid out as NVDEC delivers them, the per-element
 *       functions of the kernels in the kernels' grid and order) against vm_image_process:
 *       every NVDEC output format (8/10/12-bit 4:2:0 and 4:4:4), every output format, resize
 *       mode, filter and orientation, on synthetic pictures and on frames of the corpus;
 *       pixels equal, statistics within STATS_TOLERANCE (dHash, flags and the dark fraction
 *       exactly); and the GPU path's cropping rule against av_frame_apply_cropping.
 *   gpucheck device DIR [MEDIA] [CLIPS]
 *       on a GPU host (77 without one): the CUDA kernels against the emulation (pixels and
 *       statistics bit for bit) and the CPU; then clips decoded on NVDEC against the CPU:
 *       synthetic clips made in DIR, the clips in CLIPS (bench/gpu/bundle.sh makes them) and
 *       the corpus's valid/ and invalid/ files: native frames bit-exact where NVDEC decodes,
 *       a fallback with its reason where it does not, converted frames within +-1, statistics
 *       within the tolerance, the same final status; decoders reused from the cache give the
 *       same frames; sampled decoding equals the CPU's.
 *   gpuinfo
 *       the devices, the probe's verdict, NVDEC's caps per codec, depth and chroma, NVML. */
#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libavutil/frame.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>

#include "vmtool.h"
#include "../cuda/crop.h"

#define SKIP 77
/* The statistics' sums are added in another order on the GPU (a tree per block): relative
 * difference allowed on luma_mean and sharpness, and on the variance behind luma_std relative
 * to the squared mean level (a nearly uniform frame's variance is the difference of two nearly
 * equal sums, exact to that much and no more). docs/gpu.md. */
#define STATS_TOLERANCE 1e-5
#define VARIANCE_TOLERANCE 1e-9

static int failures, checked;

/* vmtool.h's CHECK, counting the checks too: a device run that checked nothing is no pass */
#undef CHECK
#define CHECK(cond, ...)                                   \
  do {                                                     \
    checked++;                                             \
    if (!(cond)) {                                         \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                        \
      fprintf(stderr, "\n");                               \
      failures++;                                          \
    }                                                      \
  } while (0)

static const int NVDEC_FORMATS[] = {AV_PIX_FMT_YUV420P,     AV_PIX_FMT_YUVJ420P,    AV_PIX_FMT_YUV420P10LE,
                                    AV_PIX_FMT_YUV420P12LE, AV_PIX_FMT_YUV444P,     AV_PIX_FMT_YUV444P10LE,
                                    AV_PIX_FMT_YUV444P12LE};

static int is_nvdec_format(int fmt) {
  for (size_t i = 0; i < sizeof NVDEC_FORMATS / sizeof NVDEC_FORMATS[0]; i++)
    if (NVDEC_FORMATS[i] == fmt) return 1;
  return 0;
}

typedef struct result {
  int32_t status;
  vm_frame frame;
  uint8_t *pixels;
} result;

static void run_on(const pic *p, int matrix, int range, int orient, const vm_output *out, int device, result *r) {
  vm_image im = {.struct_size = sizeof im, .pix_fmt = p->fmt, .width = p->w, .height = p->h, .matrix = matrix,
                 .color_range = range, .orientation = orient};
  for (int i = 0; i < 4; i++) {
    im.planes[i] = p->data[i];
    im.strides[i] = p->linesize[i];
  }
  memset(r, 0, sizeof *r);
  vm_batch b = {.struct_size = sizeof b, .want = VM_WANT_PIXELS | VM_WANT_MD5 | VM_WANT_STATS, .frames = &r->frame,
                .capacity = 1};
  r->status = vm_image_process_on(&im, out, &b, device, 0);
  if (r->status == VM_ERR_BUFFER_TOO_SMALL) {
    b.data = av_malloc((size_t)b.data_needed);
    b.data_capacity = b.data_needed;
    r->status = vm_image_process_on(&im, out, &b, device, 0);
  }
  r->pixels = b.data;
}

static int close_to(double a, double b) { return fabs(a - b) <= STATS_TOLERANCE * fmax(1.0, fmax(fabs(a), fabs(b))); }

static int std_close(const vm_frame *x, const vm_frame *y) {
  const double va = (double)x->luma_std * x->luma_std, vb = (double)y->luma_std * y->luma_std;
  return close_to(x->luma_std, y->luma_std) ||
         fabs(va - vb) <= VARIANCE_TOLERANCE * fmax(1.0, (double)x->luma_mean * x->luma_mean);
}

/* b against a: pixels within pixel_tol, statistics bit-equal (exact) or within the
 * tolerance. Returns the largest pixel difference, -1 when the shapes differ. */
static int compare(const char *what, const result *a, const result *b, int pixel_tol, int exact) {
  CHECK(a->status == VM_OK && b->status == VM_OK, "%s: %s / %s", what, vm_status_name(a->status),
        vm_status_name(b->status));
  if (a->status != VM_OK || b->status != VM_OK) return -1;
  const vm_frame *x = &a->frame, *y = &b->frame;
  CHECK(x->data_size == y->data_size && x->width == y->width && x->height == y->height && x->pix_fmt == y->pix_fmt,
        "%s: shape %dx%d %s %" PRId64 " vs %dx%d %s %" PRId64, what, x->width, x->height, vm_pix_fmt_name(x->pix_fmt),
        x->data_size, y->width, y->height, vm_pix_fmt_name(y->pix_fmt), y->data_size);
  if (x->data_size != y->data_size) return -1;
  int worst = 0;
  for (int64_t i = 0; i < x->data_size; i++) {
    int d = abs((int)a->pixels[i] - (int)b->pixels[i]);
    if (d > worst) worst = d;
  }
  CHECK(worst <= pixel_tol, "%s: pixels differ by up to %d", what, worst);
  CHECK(x->dhash == y->dhash && x->flags == y->flags && x->dark_fraction == y->dark_fraction,
        "%s: dhash %016" PRIx64 "/%016" PRIx64 " flags %x/%x dark %.6f/%.6f", what, x->dhash, y->dhash, x->flags,
        y->flags, x->dark_fraction, y->dark_fraction);
  if (exact)
    CHECK(x->luma_mean == y->luma_mean && x->luma_std == y->luma_std && x->sharpness == y->sharpness,
          "%s: statistics not bit-equal: luma %.9g/%.9g std %.9g/%.9g sharpness %.9g/%.9g", what, x->luma_mean,
          y->luma_mean, x->luma_std, y->luma_std, x->sharpness, y->sharpness);
  else
    CHECK(close_to(x->luma_mean, y->luma_mean) && std_close(x, y) && close_to(x->sharpness, y->sharpness),
          "%s: statistics differ: luma %.9g/%.9g std %.9g/%.9g sharpness %.9g/%.9g", what, x->luma_mean, y->luma_mean,
          x->luma_std, y->luma_std, x->sharpness, y->sharpness);
  return worst;
}

static void result_free(result *r) { av_freep(&r->pixels); }

typedef struct out_case {
  const char *name;
  vm_output out;
} out_case;

#define OUT(fmt, mode, w, h, filt) \
  { .struct_size = sizeof(vm_output), .pixel_format = (fmt), .width = (w), .height = (h), .resize = (mode), .filter = (filt) }

static const out_case OUTPUTS[] = {
    {"native", OUT(VM_PIXEL_NATIVE, VM_RESIZE_NONE, 0, 0, 0)},
    {"rgb24", OUT(VM_PIXEL_RGB24, VM_RESIZE_NONE, 0, 0, 0)},
    {"bgr24 224x224 crop", OUT(VM_PIXEL_BGR24, VM_RESIZE_CENTER_CROP, 224, 224, VM_FILTER_BILINEAR)},
    {"gray8 100x100 fit area", OUT(VM_PIXEL_GRAY8, VM_RESIZE_FIT, 100, 100, VM_FILTER_AREA)},
    {"rgb24 128x96 pad bicubic", OUT(VM_PIXEL_RGB24, VM_RESIZE_PAD, 128, 96, VM_FILTER_BICUBIC)},
    {"rgb24 short 40 area", OUT(VM_PIXEL_RGB24, VM_RESIZE_SHORT_SIDE, 40, 0, VM_FILTER_AREA)},
    {"rgb24 50x300 fill bicubic", OUT(VM_PIXEL_RGB24, VM_RESIZE_FILL, 50, 300, VM_FILTER_BICUBIC)},
};
#define NOUTPUTS (sizeof OUTPUTS / sizeof OUTPUTS[0])

/* Every output of one picture on device `b` against device `a`; the orientations on one output. */
static void picture_cases(const char *label, const pic *p, int matrix, int range, int a, int b, int pixel_tol,
                          int exact, int *worst) {
  for (size_t k = 0; k < NOUTPUTS; k++) {
    for (int orient = 0; orient < 8; orient++) {
      if (orient && k != 2 && k != 4) continue; /* all eight orientations on two outputs */
      result ra, rb;
      run_on(p, matrix, range, orient, &OUTPUTS[k].out, a, &ra);
      run_on(p, matrix, range, orient, &OUTPUTS[k].out, b, &rb);
      char what[400];
      snprintf(what, sizeof what, "%s %dx%d %s matrix %d range %d, %s, orientation %d", label, p->w, p->h,
               av_get_pix_fmt_name((enum AVPixelFormat)p->fmt), matrix, range, OUTPUTS[k].name, orient);
      int d = compare(what, &ra, &rb, pixel_tol, exact);
      if (d > *worst) *worst = d;
      result_free(&ra);
      result_free(&rb);
    }
  }
}

static void synthetic_cases(int a, int b, int pixel_tol, int exact, int *worst) {
  const int sizes[][2] = {{64, 48}, {97, 61}, {320, 180}};
  const int colours[][2] = {{VM_MATRIX_AUTO, 0}, {VM_MATRIX_BT709, 2}, {VM_MATRIX_BT2020, 1}};
  for (size_t f = 0; f < sizeof NVDEC_FORMATS / sizeof NVDEC_FORMATS[0]; f++)
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
      pic p;
      if (pic_pattern(&p, NVDEC_FORMATS[f], sizes[s][0], sizes[s][1], (int)(f + s)) != 0) {
        CHECK(0, "cannot make a %s picture", av_get_pix_fmt_name((enum AVPixelFormat)NVDEC_FORMATS[f]));
        continue;
      }
      const size_t c = (f + s) % (sizeof colours / sizeof colours[0]);
      picture_cases("synthetic", &p, colours[c][0], colours[c][1], a, b, pixel_tol, exact, worst);
      pic_free(&p);
    }
}

/* for_each_valid's callback has no context: the comparison it runs */
static int corpus_a, corpus_b, corpus_tol, corpus_exact, *corpus_worst, corpus_frames;

static void corpus_file(const char *path, const char *name) {
  clip_frames c;
  if (decode_first(path, NULL, 0, 1, &c) != VM_OK || c.n == 0) {
    clip_frames_free(&c);
    return;
  }
  pic p;
  pic_of_frame(&c.frames[0], c.pixels[0], &p);
  if (is_nvdec_format(p.fmt)) {
    picture_cases(name, &p, VM_MATRIX_AUTO, 0, corpus_a, corpus_b, corpus_tol, corpus_exact, corpus_worst);
    corpus_frames++;
  }
  clip_frames_free(&c);
}

/* The GPU path's cropping against FFmpeg's own, on software frames of every NVDEC format. */
static void crop_cases(void) {
  int n = 0;
  for (size_t f = 0; f < sizeof NVDEC_FORMATS / sizeof NVDEC_FORMATS[0]; f++)
    for (int cl = 0; cl < 40; cl += 3)
      for (int ct = 0; ct < 5; ct++)
        for (int cr = 0; cr < 7; cr += 2)
          for (int cb = 0; cb < 9; cb += 4) {
            AVFrame *fr = av_frame_alloc();
            fr->format = NVDEC_FORMATS[f];
            fr->width = 128;
            fr->height = 72;
            if (!fr || av_frame_get_buffer(fr, 0) < 0) {
              CHECK(0, "cannot allocate a frame");
              av_frame_free(&fr);
              return;
            }
            fr->crop_left = (size_t)cl;
            fr->crop_top = (size_t)ct;
            fr->crop_right = (size_t)cr;
            fr->crop_bottom = (size_t)cb;
            const uint8_t *before = fr->data[0];
            int x = 0, y = 0, w = 0, h = 0;
            int mine = vm_crop_rect(fr, fr->format, 0, &x, &y, &w, &h);
            int theirs = av_frame_apply_cropping(fr, 0);
            const int step = av_pix_fmt_desc_get((enum AVPixelFormat)fr->format)->comp[0].step;
            const int64_t off = fr->data[0] - before;
            CHECK((mine < 0) == (theirs < 0) &&
                      (theirs < 0 || (fr->width == w && fr->height == h &&
                                      off == (int64_t)y * fr->linesize[0] + (int64_t)x * step)),
                  "crop %s l%d t%d r%d b%d: vidmill %d %d,%d %dx%d, FFmpeg %d %dx%d at offset %" PRId64,
                  av_get_pix_fmt_name((enum AVPixelFormat)fr->format), cl, ct, cr, cb, mine, x, y, w, h, theirs,
                  fr->width, fr->height, off);
            av_frame_free(&fr);
            n++;
          }
  printf("gpucheck: cropping rule equal to av_frame_apply_cropping in %d cases\n", n);
}

/* The first frame of every corpus clip in an NVDEC format, device b against device a; how many. */
static int corpus_cases(const char *media, int a, int b, int pixel_tol, int exact, int *worst) {
  if (!media) return 0;
  corpus_a = a;
  corpus_b = b;
  corpus_tol = pixel_tol;
  corpus_exact = exact;
  corpus_worst = worst;
  corpus_frames = 0;
  for_each_valid(media, corpus_file);
  return corpus_frames;
}

int cmd_gpucheck_emulated(const char *media) {
  int worst = 0;
  crop_cases();
  /* the pixels are the CPU's exactly (the same integer arithmetic); the bound is +-1 */
  synthetic_cases(VM_DEVICE_CPU, VM_DEVICE_EMULATED, 0, 0, &worst);
  int frames = corpus_cases(media, VM_DEVICE_CPU, VM_DEVICE_EMULATED, 0, 0, &worst);
  printf("gpucheck emulated: %d checks, %d failures; pixels differ from the CPU path by at most %d; "
         "%d corpus frames\n", checked, failures, worst, frames);
  return failures != 0;
}

/* ---- gpuinfo ---------------------------------------------------------------------------- */

int cmd_gpuinfo(void) {
  char why[300];
  int n = vm_cuda_device_count(why, sizeof why);
  printf("devices=%d%s%s\n", n, n ? "" : " reason=", n ? "" : why);
  static const char *codecs[] = {"h264", "hevc", "av1", "vp9", "vp8", "mpeg2video"};
  static const char *chroma[] = {"400", "420", "422", "444"};
  for (int i = 0; i < n; i++) {
    char detail[300];
    int32_t probe = vm_cuda_probe(i, detail, sizeof detail);
    vm_cuda_device d = {.struct_size = sizeof d};
    vm_cuda_device_get(i, &d);
    printf("cuda:%d name=\"%s\" compute=%d.%d sms=%d memory=%" PRId64 "MB pci=%s mig=%d nvdec=%d probe=%s%s%s\n", i,
           d.name, d.compute_major, d.compute_minor, d.multiprocessors, d.memory_bytes >> 20, d.pci_bus_id, d.mig,
           d.decoders, vm_status_name(probe), detail[0] ? " " : "", detail);
    if (probe != VM_OK) continue;
    for (size_t c = 0; c < sizeof codecs / sizeof codecs[0]; c++) {
      printf("  caps %-10s", codecs[c]);
      for (int depth = 8; depth <= 12; depth += 2)
        for (int ch = 1; ch <= 3; ch++) {
          vm_decoder_caps caps = {.struct_size = sizeof caps};
          int32_t s = vm_cuda_decoder_caps(i, codecs[c], depth, ch, &caps);
          if (s == VM_OK && caps.supported)
            printf(" %d-bit/%s:%dx%d..%dx%d", depth, chroma[ch], caps.min_width, caps.min_height, caps.max_width,
                   caps.max_height);
        }
      printf("\n");
    }
    vm_cuda_utilization u = {.struct_size = sizeof u};
    if (vm_cuda_utilization_get(i, &u) == VM_OK)
      printf("  nvml decoder=%d%% sm=%d%% memory=%d%% used=%" PRId64 "MB of %" PRId64 "MB\n", u.decoder_percent,
             u.sm_percent, u.memory_percent, u.memory_used_bytes >= 0 ? u.memory_used_bytes >> 20 : -1,
             u.memory_total_bytes >> 20);
  }
  return 0;
}

/* ---- gpucheck device: clips on NVDEC against the CPU --------------------------------------- */

typedef struct decoded {
  int32_t status;
  char error[600];
  vm_clip_info info;
  vm_clip_stats stats;
  int64_t n, cap;
  char (*md5)[33];
  int64_t *pts;
  vm_frame *frames;   /* with statistics */
  uint8_t **pixels;   /* with an output */
} decoded;

static void decoded_free(decoded *d) {
  for (int64_t i = 0; d->pixels && i < d->n; i++) av_free(d->pixels[i]);
  av_free(d->pixels);
  av_free(d->md5);
  av_free(d->pts);
  av_free(d->frames);
  memset(d, 0, sizeof *d);
}

static void decode_clip(const char *path, int device, const vm_output *out, const char *sample, decoded *d) {
  memset(d, 0, sizeof *d);
  vm_source src = {.struct_size = sizeof src, .path = path};
  vm_open_options opts = {.struct_size = sizeof opts, .threads = 1, .timeout_ms = 120000, .device = device};
  vm_clip *clip = NULL;
  int32_t status = vm_clip_open(&src, &opts, &clip);
  if (status == VM_OK && out) status = vm_clip_set_output(clip, out);
  if (status == VM_OK && sample) {
    vm_sampling s = {.struct_size = sizeof s, .mode = VM_SAMPLE_FPS, .rate_num = 2, .rate_den = 1};
    (void)sample;
    status = vm_clip_set_sampling(clip, &s);
  }
  const int want = VM_WANT_MD5 | (out ? VM_WANT_PIXELS | VM_WANT_STATS : 0);
  int64_t cap = 32 << 20;
  uint8_t *data = av_malloc((size_t)cap);
  while (status == VM_OK) {
    vm_frame f[8];
    vm_batch b = {.struct_size = sizeof b, .want = (uint32_t)want, .frames = f, .capacity = 8, .data = data,
                  .data_capacity = cap};
    status = vm_clip_next(clip, &b);
    if (status == VM_ERR_BUFFER_TOO_SMALL) {
      cap = b.data_needed;
      av_free(data);
      data = av_malloc((size_t)cap);
      status = VM_OK;
      continue;
    }
    for (uint32_t i = 0; i < b.count; i++) {
      if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 64;
        d->md5 = av_realloc_array(d->md5, (size_t)d->cap, sizeof *d->md5);
        d->pts = av_realloc_array(d->pts, (size_t)d->cap, sizeof *d->pts);
        d->frames = av_realloc_array(d->frames, (size_t)d->cap, sizeof *d->frames);
        d->pixels = av_realloc_array(d->pixels, (size_t)d->cap, sizeof *d->pixels);
      }
      for (int k = 0; k < 16; k++) sprintf(d->md5[d->n] + 2 * k, "%02x", f[i].md5[k]);
      d->pts[d->n] = f[i].pts;
      d->frames[d->n] = f[i];
      d->pixels[d->n] = out && f[i].data_offset >= 0 ? av_memdup(data + f[i].data_offset, (size_t)f[i].data_size) : NULL;
      d->n++;
    }
  }
  av_free(data);
  d->status = status;
  d->info.struct_size = sizeof d->info;
  d->stats.struct_size = sizeof d->stats;
  if (clip) {
    vm_clip_info_get(clip, &d->info);
    vm_clip_stats_get(clip, &d->stats);
    snprintf(d->error, sizeof d->error, "%s", vm_clip_last_error(clip));
  }
  vm_clip_close(clip);
}

typedef struct clip_totals {
  int clips, on_gpu, exact, fell_back, reused;
  int worst;
} clip_totals;

static void check_clip(const char *path, const char *name, clip_totals *t) {
  decoded cpu, gpu;
  decode_clip(path, VM_DEVICE_CPU, NULL, NULL, &cpu);
  decode_clip(path, VM_DEVICE_CUDA, NULL, NULL, &gpu);
  t->clips++;
  const int on_gpu = gpu.info.backend == VM_BACKEND_CUDA;
  printf("%-48.48s %-10s %-5s %5" PRId64 " frames  %s%s%s\n", name, gpu.info.codec, on_gpu ? "cuda" : "cpu", gpu.n,
         vm_status_name(gpu.status), gpu.info.backend_reason[0] ? "  " : "", gpu.info.backend_reason);
  CHECK(gpu.status == cpu.status, "%s: status %s on the GPU path, %s on the CPU (%s)", name, vm_status_name(gpu.status),
        vm_status_name(cpu.status), gpu.error);
  int same = gpu.n == cpu.n;
  for (int64_t i = 0; same && i < cpu.n; i++) same = strcmp(cpu.md5[i], gpu.md5[i]) == 0 && cpu.pts[i] == gpu.pts[i];
  CHECK(same, "%s: %s frames differ from the CPU's (%" PRId64 " vs %" PRId64 " frames)", name,
        on_gpu ? "NVDEC's" : "the fallback's", gpu.n, cpu.n);
  if (on_gpu) {
    t->on_gpu++;
    t->exact += same;
  } else if (gpu.info.backend_fallback != VM_FALLBACK_NONE) {
    t->fell_back++;
    CHECK(gpu.info.backend_reason[0] != 0, "%s: a fallback without a reason", name);
  }
  if (gpu.stats.restarts)
    printf("  restarted on the CPU %d time(s): %s\n", gpu.stats.restarts, gpu.info.backend_reason);
  if (on_gpu && cpu.status == VM_EOF) {
    /* converted output and statistics: kernels against the CPU path */
    static const vm_output out = OUT(VM_PIXEL_RGB24, VM_RESIZE_CENTER_CROP, 224, 224, VM_FILTER_BILINEAR);
    decoded c2, g2;
    decode_clip(path, VM_DEVICE_CPU, &out, NULL, &c2);
    decode_clip(path, VM_DEVICE_CUDA, &out, NULL, &g2);
    CHECK(c2.n == g2.n && c2.status == g2.status, "%s: rgb24 224x224: %" PRId64 "/%" PRId64 " frames", name, c2.n, g2.n);
    for (int64_t i = 0; i < c2.n && i < g2.n; i++) {
      result a = {VM_OK, c2.frames[i], c2.pixels[i]}, b = {VM_OK, g2.frames[i], g2.pixels[i]};
      char what[300];
      snprintf(what, sizeof what, "%s frame %" PRId64 " rgb24 224x224 crop", name, i);
      if (i > 0) { /* motion and scene score come with the previous frame: compare them too */
        CHECK(close_to(c2.frames[i].motion, g2.frames[i].motion) &&
                  c2.frames[i].scene_score == g2.frames[i].scene_score,
              "%s: motion %.6f/%.6f scene %.6f/%.6f", what, c2.frames[i].motion, g2.frames[i].motion,
              c2.frames[i].scene_score, g2.frames[i].scene_score);
      }
      int d = compare(what, &a, &b, 1, 0);
      if (d > t->worst) t->worst = d;
    }
    decoded_free(&c2);
    decoded_free(&g2);
    /* the decoder kept from the first GPU decode serves this one: the same frames */
    decoded again;
    decode_clip(path, VM_DEVICE_CUDA, NULL, NULL, &again);
    int equal = again.n == gpu.n;
    for (int64_t i = 0; equal && i < gpu.n; i++) equal = strcmp(again.md5[i], gpu.md5[i]) == 0;
    CHECK(equal && again.status == gpu.status, "%s: a cached decoder gave other frames", name);
    t->reused += again.stats.decoder_reused;
    decoded_free(&again);
    /* sampled */
    decoded cs, gs;
    decode_clip(path, VM_DEVICE_CPU, NULL, "fps=2", &cs);
    decode_clip(path, VM_DEVICE_CUDA, NULL, "fps=2", &gs);
    equal = cs.n == gs.n && cs.status == gs.status;
    for (int64_t i = 0; equal && i < cs.n; i++) equal = strcmp(cs.md5[i], gs.md5[i]) == 0;
    CHECK(equal, "%s: sampled fps=2: %" PRId64 " frames on the GPU, %" PRId64 " on the CPU", name, gs.n, cs.n);
    decoded_free(&cs);
    decoded_free(&gs);
  }
  decoded_free(&cpu);
  decoded_free(&gpu);
}

static clip_totals *dir_totals;
static void check_clip_cb(const char *path, const char *name) { check_clip(path, name, dir_totals); }

static void check_dir(const char *dir, clip_totals *t) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char names[256][256];
  int n = 0;
  while ((e = readdir(d)) && n < 256)
    if (e->d_name[0] != '.') snprintf(names[n++], sizeof names[0], "%s", e->d_name);
  closedir(d);
  qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
  for (int i = 0; i < n; i++) {
    char path[4096 + 256];
    snprintf(path, sizeof path, "%.4000s/%.255s", dir, names[i]);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) check_clip(path, names[i], t);
  }
}

int cmd_gpucheck_device(const char *dir, const char *media, const char *clips) {
  char why[300];
  int n = vm_cuda_device_count(why, sizeof why);
  if (n == 0) {
    printf("SKIP: no CUDA device: %s\n", why);
    return SKIP;
  }
  for (int i = 0; i < n; i++) {
    char detail[300];
    int32_t s = vm_cuda_probe(i, detail, sizeof detail);
    CHECK(s == VM_OK, "cuda:%d failed its probe: %s", i, detail);
    if (s != VM_OK) return 1;
  }
  /* 1. the kernels: bit for bit the emulation, within the tolerance the CPU */
  int worst_emu = 0, worst_cpu = 0;
  synthetic_cases(VM_DEVICE_EMULATED, VM_DEVICE_CUDA, 0, 1, &worst_emu);
  synthetic_cases(VM_DEVICE_CPU, VM_DEVICE_CUDA, 1, 0, &worst_cpu);
  int frames = corpus_cases(media, VM_DEVICE_EMULATED, VM_DEVICE_CUDA, 0, 1, &worst_emu);
  printf("gpucheck kernels: %d checks, %d failures; CUDA vs emulation: pixels differ by at most %d (statistics "
         "bit-equal unless failed above); CUDA vs CPU: at most %d; %d corpus frames\n", checked, failures, worst_emu,
         worst_cpu, frames);

  /* 2. clips on NVDEC against the CPU */
  clip_totals t = {0};
  mkdir(dir, 0755);
  struct {
    const char *name, *encoder;
    int w, h, frames;
  } made[] = {{"h264_640x360.mp4", "libopenh264", 640, 360, 60}, {"h264_1280x720.mp4", "libopenh264", 1280, 720, 30},
              {"h264_32x32.mp4", "libopenh264", 32, 32, 10}, /* under NVDEC's minimum: a fallback */
              {"vp9_640x360.webm", "libvpx-vp9", 640, 360, 30}, {"av1_320x240.mp4", "libaom-av1", 320, 240, 10},
              {"mpeg4_640x360.mkv", "mpeg4", 640, 360, 30}}; /* not bit-exact on NVDEC: a fallback */
  for (size_t i = 0; i < sizeof made / sizeof made[0]; i++) {
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, made[i].name);
    vm_synth_options so = {.struct_size = sizeof so, .width = made[i].w, .height = made[i].h, .fps_num = 25,
                           .fps_den = 1, .frames = made[i].frames, .gop = 12, .seed = (int)i, .path = path,
                           .encoder = made[i].encoder};
    char detail[300];
    struct stat st;
    if (stat(path, &st) != 0 && vm_synth_write(&so, detail, sizeof detail) != VM_OK) {
      CHECK(0, "cannot make %s: %s", path, detail);
      continue;
    }
  }
  check_dir(dir, &t);
  if (clips) check_dir(clips, &t);
  if (media) {
    char sub[4096];
    dir_totals = &t;
    for_each_valid(media, check_clip_cb);
    snprintf(sub, sizeof sub, "%s/invalid", media);
    check_dir(sub, &t);
  }
  printf("gpucheck clips: %d clips, %d decoded on NVDEC (%d bit-exact), %d fell back to the CPU with a reason, "
         "%d reused a cached decoder; converted frames within %d of the CPU's; %d checks, %d failures\n", t.clips,
         t.on_gpu, t.exact, t.fell_back, t.reused, t.worst, checked, failures);
  return failures != 0;
}
