/* vmtool opscheck: the frame operations checked against libswscale, against an exact
 * double-precision reference of their own definition, and on pictures with known answers.
 *
 *   convert   rgb24/bgr24/gray8 within +-1 of swscale (SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT,
 *             the same matrix, range and chroma siting) on frames of every valid corpus file
 *             and on synthetic pictures of every kind of pixel format (8/10/12/16-bit,
 *             planar, semi-planar, packed, RGB, and formats that go through swscale first);
 *             and the clip path equal to the picture path, byte for byte
 *   resize    every filter within +-1 of the double-precision reference; the mean difference
 *             to swscale's area/bilinear/bicubic reported and bounded
 *   geometry  output sizes of every mode, crop offsets and padding exact
 *   orient    the eight orientations exact on an asymmetric pattern; the corpus's display
 *             matrices applied the way ffmpeg's autorotation does
 *   stats     known answers on constant, checkerboard, ramp and shifted pictures and clips
 *   dhash     the same content encoded with OpenH264 and VP9 at different bit rates hashes
 *             within a few bits
 * Exit status 0 when every check passes, 77 (skip) for corpus parts without the corpus. */
#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libavutil/imgutils.h>
#include <libavutil/intreadwrite.h>
#include <libavutil/mem.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "vmtool.h"

static int failures;


/* ---- OUTPUT options (also used by vmtool frames/bench) ---------------------------------- */

int parse_output_option(int argc, char **argv, int *i, vm_output *out) {
  const char *opt = argv[*i];
  const char *val = *i + 1 < argc ? argv[*i + 1] : NULL;
  if (strcmp(opt, "--keep-orientation") == 0) {
    out->flags |= VM_OUTPUT_KEEP_ORIENTATION;
    return 1;
  }
  if (!val) return 0;
  if (strcmp(opt, "--format") == 0) {
    out->pixel_format = strcmp(val, "rgb24") == 0   ? VM_PIXEL_RGB24
                        : strcmp(val, "bgr24") == 0 ? VM_PIXEL_BGR24
                        : strcmp(val, "gray8") == 0 ? VM_PIXEL_GRAY8
                                                    : -1;
  } else if (strcmp(opt, "--size") == 0) {
    int w = 0, h = 0;
    if (sscanf(val, "%dx%d", &w, &h) == 2) {
      out->width = w;
      out->height = h;
      if (out->resize == VM_RESIZE_NONE || out->resize == VM_RESIZE_SHORT_SIDE) out->resize = VM_RESIZE_FILL;
    } else {
      out->width = atoi(val);
      out->height = 0;
      out->resize = VM_RESIZE_SHORT_SIDE;
    }
    if (out->pixel_format == VM_PIXEL_NATIVE) out->pixel_format = VM_PIXEL_RGB24;
  } else if (strcmp(opt, "--fit") == 0) {
    out->resize = strcmp(val, "fill") == 0   ? VM_RESIZE_FILL
                  : strcmp(val, "fit") == 0  ? VM_RESIZE_FIT
                  : strcmp(val, "crop") == 0 ? VM_RESIZE_CENTER_CROP
                  : strcmp(val, "pad") == 0  ? VM_RESIZE_PAD
                                             : -1;
  } else if (strcmp(opt, "--filter") == 0) {
    out->filter = strcmp(val, "bilinear") == 0 ? VM_FILTER_BILINEAR
                  : strcmp(val, "area") == 0   ? VM_FILTER_AREA
                  : strcmp(val, "bicubic") == 0 ? VM_FILTER_BICUBIC
                                                : -1;
  } else {
    return 0;
  }
  (*i)++;
  return 1;
}

/* ---- pictures --------------------------------------------------------------------------- */

void pic_free(pic *p) {
  av_freep(&p->data[0]);
  memset(p, 0, sizeof *p);
}

int pic_alloc(pic *p, int fmt, int w, int h) {
  memset(p, 0, sizeof *p);
  p->fmt = fmt;
  p->w = w;
  p->h = h;
  return av_image_alloc(p->data, p->linesize, w, h, (enum AVPixelFormat)fmt, fmt == AV_PIX_FMT_PAL8 ? 4 : 1) >= 0
             ? 0
             : -1;
}

/* A picture with smooth gradients, edges and fine detail, in `fmt` (made through swscale
 * from 16-bit planar RGB: what matters is that both sides see the same samples). */
int pic_pattern(pic *p, int fmt, int w, int h, int seed) {
  if (fmt == AV_PIX_FMT_PAL8) { /* swscale does not write palettes: a palette of its own */
    if (pic_alloc(p, fmt, w, h) < 0) return -1;
    uint32_t *pal = (uint32_t *)(void *)p->data[1];
    for (int i = 0; i < 256; i++) pal[i] = 0xff000000u | (uint32_t)i << 16 | (uint32_t)(255 - i) << 8 | (uint32_t)(i * 7 & 255);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) p->data[0][y * p->linesize[0] + x] = (uint8_t)((x * 5 + y * 3 + seed) & 255);
    return 0;
  }
  pic master;
  if (pic_alloc(&master, AV_PIX_FMT_GBRP16LE, w, h) < 0) return -1;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      double fxy = (double)x / w, fyy = (double)y / h;
      int edge = ((x / 7 + y / 5 + seed) & 1) ? 9000 : 0;
      int v[3] = {(int)(60000 * fxy) ^ edge, (int)(50000 * fyy + 7000 * sin(x * 0.7 + seed)) + 4000,
                  (int)(30000 + 25000 * sin((x + 2 * y) * 0.21 + seed))};
      /* GBRP planes: G, B, R */
      for (int c = 0; c < 3; c++) {
        int val = v[c] < 0 ? 0 : (v[c] > 65535 ? 65535 : v[c]);
        int plane = c == 0 ? 2 : c - 1;
        ((uint16_t *)(master.data[plane] + (int64_t)y * master.linesize[plane]))[x] = (uint16_t)val;
      }
    }
  if (pic_alloc(p, fmt, w, h) < 0) {
    pic_free(&master);
    return -1;
  }
  struct SwsContext *c = sws_getContext(w, h, AV_PIX_FMT_GBRP16LE, w, h, (enum AVPixelFormat)fmt,
                                        SWS_POINT | SWS_ACCURATE_RND, NULL, NULL, NULL);
  int ok = c && sws_scale(c, (const uint8_t *const *)master.data, master.linesize, 0, h, p->data, p->linesize) == h;
  sws_freeContext(c);
  pic_free(&master);
  if (!ok) pic_free(p);
  return ok ? 0 : -1;
}

/* vm_image_process on a picture; *pixels (caller frees) gets the packed output. */
static int32_t vm_run(const pic *p, int matrix, int range, int loc, int orient, const vm_output *out, int want,
                      vm_frame *frame, uint8_t **pixels) {
  vm_image im = {.struct_size = sizeof im, .pix_fmt = p->fmt, .width = p->w, .height = p->h, .matrix = matrix,
                 .color_range = range, .chroma_location = loc, .orientation = orient};
  for (int i = 0; i < 4; i++) {
    im.planes[i] = p->data[i];
    im.strides[i] = p->linesize[i];
  }
  vm_batch b = {.struct_size = sizeof b, .want = want | VM_WANT_PIXELS, .frames = frame, .capacity = 1};
  int32_t status = vm_image_process(&im, out, &b);
  if (status == VM_ERR_BUFFER_TOO_SMALL) {
    b.data = av_malloc((size_t)b.data_needed);
    b.data_capacity = b.data_needed;
    status = vm_image_process(&im, out, &b);
  }
  *pixels = b.data;
  return status;
}

static const int sws_cs[] = {0, SWS_CS_ITU601, SWS_CS_ITU709, SWS_CS_BT2020, SWS_CS_FCC, SWS_CS_SMPTE240M};

/* swscale's conversion (and scaling) of a picture, with the given matrix, range and siting.
 * Subsampled chroma is first upsampled to 4:4:4 at 16 bits (and the picture scaled), then
 * converted: swscale's one-step RGB output rounds the vertical chroma weights of an unscaled
 * picture to 0 or 1/2 (its yuv2packed1 shortcut), which is not the reference we want. */
static uint8_t *sws_one(const pic *p, int matrix, int full, int loc, int dst_fmt, int dw, int dh, int flags,
                        pic *planar);

static uint8_t *sws_run(const pic *p, int matrix, int full, int loc, int dst_fmt, int dw, int dh, int flags) {
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)p->fmt);
  int yuv = !(d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL)) && d->nb_components >= 3;
  if (!yuv || dst_fmt == AV_PIX_FMT_GRAY16LE) return sws_one(p, matrix, full, loc, dst_fmt, dw, dh, flags, NULL);
  pic up;
  if (pic_alloc(&up, AV_PIX_FMT_YUV444P16LE, dw, dh) < 0) return NULL;
  uint8_t *out = NULL;
  if (sws_one(p, matrix, full, loc, AV_PIX_FMT_YUV444P16LE, dw, dh, flags, &up))
    out = sws_one(&up, matrix, full, AVCHROMA_LOC_LEFT, dst_fmt, dw, dh, SWS_POINT, NULL);
  pic_free(&up);
  return out;
}

static uint8_t *sws_one(const pic *p, int matrix, int full, int loc, int dst_fmt, int dw, int dh, int flags,
                        pic *planar) {
  struct SwsContext *c = sws_alloc_context();
  int xpos = 0, ypos = 0;
  av_chroma_location_enum_to_pos(&xpos, &ypos, (enum AVChromaLocation)loc);
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)p->fmt);
  if (!d->log2_chroma_w) xpos = 0; /* swscale shifts even chroma that is not subsampled */
  if (!d->log2_chroma_h) ypos = 0;
  av_opt_set_int(c, "srcw", p->w, 0);
  av_opt_set_int(c, "srch", p->h, 0);
  av_opt_set_int(c, "src_format", p->fmt, 0);
  av_opt_set_int(c, "dstw", dw, 0);
  av_opt_set_int(c, "dsth", dh, 0);
  av_opt_set_int(c, "dst_format", dst_fmt, 0);
  av_opt_set_int(c, "sws_flags", flags | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP, 0);
  av_opt_set_int(c, "src_h_chr_pos", xpos, 0);
  av_opt_set_int(c, "src_v_chr_pos", ypos, 0);
  if (flags & SWS_BICUBIC) { /* Catmull-Rom, our bicubic */
    av_opt_set_double(c, "param0", 0, 0);
    av_opt_set_double(c, "param1", 0.5, 0);
  }
  uint8_t *out = NULL;
  if (sws_init_context(c, NULL, NULL) >= 0) {
    const int *table = sws_getCoefficients(sws_cs[matrix < 6 ? matrix : 1]);
    sws_setColorspaceDetails(c, table, full, table, planar ? full : 1, 0, 1 << 16, 1 << 16);
    if (planar) {
      if (sws_scale(c, (const uint8_t *const *)p->data, p->linesize, 0, p->h, planar->data, planar->linesize) == dh)
        out = planar->data[0];
    } else {
      int bpp = dst_fmt == AV_PIX_FMT_GRAY8 ? 1 : dst_fmt == AV_PIX_FMT_GRAY16LE ? 2 : dst_fmt == AV_PIX_FMT_RGB48LE ? 6 : 3;
      out = av_malloc((size_t)dw * dh * bpp);
      uint8_t *dst[4] = {out};
      int dst_linesize[4] = {dw * bpp};
      if (sws_scale(c, (const uint8_t *const *)p->data, p->linesize, 0, p->h, dst, dst_linesize) != dh)
        av_freep(&out);
    }
  }
  sws_freeContext(c);
  return out;
}

typedef struct diff {
  int max;
  double mean;
  int64_t over1;
} diff;

static diff compare(const uint8_t *a, const uint8_t *b, int64_t n) {
  diff d = {0};
  double sum = 0;
  for (int64_t i = 0; i < n; i++) {
    int e = abs(a[i] - b[i]);
    if (e > d.max) d.max = e;
    d.over1 += e > 1;
    sum += e;
  }
  d.mean = n ? sum / n : 0;
  return d;
}

static int range_full(const char *name, const char *pix_fmt) {
  if (strcmp(name, "pc") == 0) return 1;
  if (strcmp(name, "tv") == 0) return 0;
  return strncmp(pix_fmt, "yuvj", 4) == 0;
}

static int matrix_of(const char *cs, int w, int h) {
  if (strcmp(cs, "bt709") == 0) return VM_MATRIX_BT709;
  if (strcmp(cs, "bt470bg") == 0 || strcmp(cs, "smpte170m") == 0) return VM_MATRIX_BT601;
  if (strncmp(cs, "bt2020", 6) == 0) return VM_MATRIX_BT2020;
  if (strcmp(cs, "fcc") == 0) return VM_MATRIX_FCC;
  if (strcmp(cs, "smpte240m") == 0) return VM_MATRIX_SMPTE240M;
  return w >= 1280 || h > 576 ? VM_MATRIX_BT709 : VM_MATRIX_BT601;
}

/* ---- decoding frames for the checks --------------------------------------------------- */

void clip_frames_free(clip_frames *c) {
  for (int i = 0; i < c->n; i++) av_freep(&c->pixels[i]);
  c->n = 0;
}

int32_t decode_first(const char *path, const vm_output *out, int want, int max, clip_frames *c) {
  memset(c, 0, sizeof *c);
  vm_source src = {.struct_size = sizeof src, .path = path};
  /* full probe: the stream's colour description then comes from the decoder, as the frames' */
  vm_open_options opts = {.struct_size = sizeof opts, .flags = VM_OPEN_FULL_PROBE, .threads = 1, .timeout_ms = 120000};
  vm_clip *clip = NULL;
  int32_t status = vm_clip_open(&src, &opts, &clip);
  if (status == VM_OK && out) status = vm_clip_set_output(clip, out);
  int64_t cap = 64 << 20;
  uint8_t *data = av_malloc((size_t)cap);
  while (status == VM_OK && c->n < max) {
    vm_frame f;
    vm_batch b = {.struct_size = sizeof b, .want = want | VM_WANT_PIXELS, .frames = &f, .capacity = 1,
                  .data = data, .data_capacity = cap};
    status = vm_clip_next(clip, &b);
    if (b.count == 1) {
      c->frames[c->n] = f;
      c->pixels[c->n] = av_memdup(data, (size_t)f.data_size);
      c->n++;
    }
  }
  c->info.struct_size = sizeof c->info;
  c->agg.struct_size = sizeof c->agg;
  if (clip) {
    vm_clip_info_get(clip, &c->info);
    vm_clip_aggregates_get(clip, &c->agg);
  }
  if (status != VM_OK && status != VM_EOF) fprintf(stderr, "%s: %s %s\n", path, vm_status_name(status),
                                                   clip ? vm_clip_last_error(clip) : "");
  vm_clip_close(clip);
  av_free(data);
  c->status = status;
  return status == VM_EOF ? VM_OK : status;
}

void pic_of_frame(const vm_frame *f, uint8_t *pixels, pic *p) {
  memset(p, 0, sizeof *p);
  p->fmt = f->pix_fmt;
  p->w = f->width;
  p->h = f->height;
  av_image_fill_arrays(p->data, p->linesize, pixels, (enum AVPixelFormat)f->pix_fmt, f->width, f->height, 1);
}

/* ---- convert ---------------------------------------------------------------------------- */

static const vm_output RGB = {.struct_size = sizeof(vm_output), .pixel_format = VM_PIXEL_RGB24};
static const vm_output BGR = {.struct_size = sizeof(vm_output), .pixel_format = VM_PIXEL_BGR24};
static const vm_output GRAY = {.struct_size = sizeof(vm_output), .pixel_format = VM_PIXEL_GRAY8};

/* Ours and swscale's conversions of one picture agree within 1; bgr24 is rgb24 reversed. */
static void check_against_swscale(const char *what, const pic *p, int matrix, int range, int loc) {
  int full = range == 2;
  vm_frame f;
  uint8_t *rgb = NULL, *bgr = NULL, *gray = NULL;
  int32_t s1 = vm_run(p, matrix, range, loc, 0, &RGB, 0, &f, &rgb);
  int32_t s2 = vm_run(p, matrix, range, loc, 0, &BGR, 0, &f, &bgr);
  int32_t s3 = vm_run(p, matrix, range, loc, 0, &GRAY, 0, &f, &gray);
  CHECK(s1 == VM_OK && s2 == VM_OK && s3 == VM_OK, "%s: vm_image_process %s", what, vm_status_name(s1));
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)p->fmt);
  int is_rgb = (d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL)) != 0;
  /* swscale stretches the chroma of an odd-sized picture over it (its chroma step is
   * ceil(w/2)/w, not 1/2): compare odd pictures on their even part, without its last row and
   * column (where edge repetition differs) */
  pic even = *p;
  even.w &= ~1;
  even.h &= ~1;
  int cw = even.w == p->w ? p->w : even.w - 1, ch = even.h == p->h ? p->h : even.h - 1;
  uint8_t *ref = sws_run(&even, matrix, full, loc, AV_PIX_FMT_RGB24, even.w, even.h, SWS_BILINEAR);
  /* gray from RGB: swscale's own luma weights are its matrix's; ours are BT.601. At 16 bits,
   * rounded here: swscale dithers when it reduces depth. */
  uint8_t *ref_gray = sws_run(p, is_rgb ? VM_MATRIX_BT601 : matrix, full, loc, AV_PIX_FMT_GRAY16LE, p->w, p->h,
                              SWS_BILINEAR);
  for (int64_t i = 0; ref_gray && i < (int64_t)p->w * p->h; i++)
    ref_gray[i] = (uint8_t)((((uint16_t *)(void *)ref_gray)[i] * 255 + 32767) / 65535);
  /* swscale's RGB to gray goes through its own YUV: take BT.601 luma of its exact RGB instead */
  int deep = d->comp[0].depth > 8;
  uint8_t *rgb_ref = is_rgb && ref_gray ? sws_run(p, matrix, full, loc, deep ? AV_PIX_FMT_RGB48LE : AV_PIX_FMT_RGB24,
                                                  p->w, p->h, SWS_BILINEAR)
                                        : NULL;
  const uint16_t *c16 = (const uint16_t *)(const void *)rgb_ref;
  for (int64_t i = 0; rgb_ref && i < (int64_t)p->w * p->h; i++) {
    double r = deep ? c16[3 * i] / 257.0 : rgb_ref[3 * i], g = deep ? c16[3 * i + 1] / 257.0 : rgb_ref[3 * i + 1],
           b = deep ? c16[3 * i + 2] / 257.0 : rgb_ref[3 * i + 2];
    ref_gray[i] = (uint8_t)floor(0.299 * r + 0.587 * g + 0.114 * b + 0.5);
  }
  av_free(rgb_ref);
  if (s1 == VM_OK && ref) {
    int64_t n = (int64_t)p->w * p->h * 3;
    diff dr = {0};
    for (int y = 0; y < ch; y++) {
      diff row = compare(rgb + (int64_t)y * p->w * 3, ref + (int64_t)y * even.w * 3, (int64_t)cw * 3);
      if (row.max > dr.max) dr.max = row.max;
      dr.over1 += row.over1;
      dr.mean += row.mean / ch;
    }
    if (getenv("VMTOOL_DEBUG") && dr.max > 1 && cw == p->w)
      for (int64_t i = 0; i < n; i++)
        if (abs(rgb[i] - ref[i]) == dr.max) {
          int64_t px = i / 3;
          int x = (int)(px % p->w), y = (int)(px / p->w);
          fprintf(stderr, "  at %d,%d: ours %d %d %d swscale %d %d %d; Y %d", x, y, rgb[px * 3], rgb[px * 3 + 1],
                  rgb[px * 3 + 2], ref[px * 3], ref[px * 3 + 1], ref[px * 3 + 2], p->data[0][y * p->linesize[0] + x]);
          if (p->fmt == AV_PIX_FMT_YUV444P)
            fprintf(stderr, " U %d V %d", p->data[1][y * p->linesize[1] + x], p->data[2][y * p->linesize[2] + x]);
          fprintf(stderr, "\n");
          break;
        }
    CHECK(dr.max <= 1, "%s: rgb24 differs from swscale by up to %d (mean %.4f, %" PRId64 " samples over 1)", what,
          dr.max, dr.mean, dr.over1);
    int same = 1;
    for (int64_t i = 0; i < n && same; i += 3) same = rgb[i] == bgr[i + 2] && rgb[i + 1] == bgr[i + 1] && rgb[i + 2] == bgr[i];
    CHECK(same, "%s: bgr24 is not rgb24 reversed", what);
    diff dg = ref_gray ? compare(gray, ref_gray, (int64_t)p->w * p->h) : (diff){99, 99, 99};
    CHECK(dg.max <= 1, "%s: gray8 differs from swscale by up to %d (mean %.4f)", what, dg.max, dg.mean);
    printf("convert %-44s rgb24 max %d mean %.4f, gray8 max %d\n", what, dr.max, dr.mean, dg.max);
  } else {
    CHECK(0, "%s: no swscale reference", what);
  }
  av_free(rgb);
  av_free(bgr);
  av_free(gray);
  av_free(ref);
  av_free(ref_gray);
}

int for_each_valid(const char *media, void (*fn)(const char *path, const char *name)) {
  char dir[2048];
  snprintf(dir, sizeof dir, "%s/valid", media);
  DIR *d = opendir(dir);
  if (!d) return 0;
  struct dirent *e;
  int n = 0;
  char names[64][256];
  while ((e = readdir(d)) && n < 64)
    if (e->d_name[0] != '.') snprintf(names[n++], sizeof names[0], "%s", e->d_name);
  closedir(d);
  qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
  for (int i = 0; i < n; i++) {
    char path[2048 + 256 + 2];
    snprintf(path, sizeof path, "%s/%.255s", dir, names[i]);
    fn(path, names[i]);
  }
  return n;
}

static void convert_corpus_file(const char *path, const char *name) {
  clip_frames native;
  struct stat st;
  /* two frames (a key frame and the next), one of big files */
  int32_t status = decode_first(path, NULL, 0, stat(path, &st) == 0 && st.st_size > (4 << 20) ? 1 : 2, &native);
  CHECK(status == VM_OK && native.n > 0, "%s: native decode %s", name, vm_status_name(status));
  vm_output keep = RGB;
  keep.flags = VM_OUTPUT_KEEP_ORIENTATION;
  clip_frames conv;
  status = decode_first(path, &keep, 0, native.n, &conv);
  CHECK(status == VM_OK && conv.n == native.n, "%s: rgb24 decode %s", name, vm_status_name(status));
  const vm_clip_info *i = &native.info;
  int matrix = matrix_of(i->color_space, i->width, i->height);
  int range = range_full(i->color_range, i->pix_fmt_name) ? 2 : 1;
  for (int k = 0; k < native.n && k < conv.n; k++) {
    pic p;
    pic_of_frame(&native.frames[k], native.pixels[k], &p);
    char what[300];
    snprintf(what, sizeof what, "%.36s #%d %s", name, k, i->pix_fmt_name);
    check_against_swscale(what, &p, matrix, range, 1);
    /* the clip path decides matrix, range and siting from the frame: it equals the picture
     * path for one of the sitings a decoder may report */
    int equal = 0;
    for (int loc = 1; loc <= 3 && !equal; loc++) {
      vm_frame f;
      uint8_t *mine = NULL;
      if (vm_run(&p, matrix, range, loc, 0, &RGB, 0, &f, &mine) == VM_OK && f.data_size == conv.frames[k].data_size) {
        equal = memcmp(mine, conv.pixels[k], (size_t)f.data_size) == 0;
        if (getenv("VMTOOL_DEBUG")) {
          diff dd = compare(mine, conv.pixels[k], f.data_size);
          int64_t first = -1;
          for (int64_t q = 0; q < f.data_size && first < 0; q++)
            if (mine[q] != conv.pixels[k][q]) first = q / 3;
          fprintf(stderr, "  clip vs picture, siting %d: max %d mean %.4f first at %" PRId64 ",%" PRId64 "\n", loc,
                  dd.max, dd.mean, first % p.w, first / p.w);
        }
      }
      av_free(mine);
    }
    CHECK(equal, "%s: the clip's rgb24 frame differs from vm_image_process with the stream's colour parameters",
          what);
    CHECK(strcmp(vm_pix_fmt_name(conv.frames[k].pix_fmt), "rgb24") == 0 && conv.frames[k].width == p.w &&
              conv.frames[k].data_size == (int64_t)p.w * p.h * 3,
          "%s: converted frame shape", what);
  }
  clip_frames_free(&native);
  clip_frames_free(&conv);
}

static int part_convert(const char *media) {
  /* every kind of pixel format, matrix and range, odd sizes (chroma rounding up) */
  static const char *formats[] = {"yuv420p", "yuvj420p", "yuv422p", "yuv444p", "nv12", "nv21", "yuv420p10le",
                                  "yuv422p10le", "yuv444p10le", "p010le", "yuv420p12le", "yuv444p16le", "yuyv422",
                                  "uyvy422", "gray", "gray10le", "rgb24", "bgra", "gbrp", "gbrp10le", "rgb48le",
                                  /* through swscale first */
                                  "yuv420p10be", "rgb565le", "x2rgb10le", "gray16be", "pal8", "grayf32le"};
  for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
    int fmt = av_get_pix_fmt(formats[f]);
    pic p;
    if (fmt < 0 || pic_pattern(&p, fmt, 96, 60, (int)f) < 0) {
      CHECK(0, "cannot make a %s picture", formats[f]);
      continue;
    }
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)fmt);
    int is_rgb = (d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL)) != 0;
    /* swscale takes RGB, gray and yuvj* as full range whatever it is told */
    int full_only = is_rgb || d->nb_components < 3 || strncmp(formats[f], "yuvj", 4) == 0;
    for (int matrix = VM_MATRIX_BT601; matrix <= (is_rgb ? VM_MATRIX_BT601 : VM_MATRIX_BT2020); matrix++)
      for (int range = full_only ? 2 : 1; range <= 2; range++) {
        /* the sitings matter where chroma is subsampled both ways: once per layout */
        int sitings = d->log2_chroma_h && (strcmp(formats[f], "yuv420p") == 0 || strcmp(formats[f], "nv12") == 0 ||
                                           strcmp(formats[f], "p010le") == 0) ? 3 : 1;
        for (int loc = 1; loc <= sitings; loc++) {
          char what[200];
          snprintf(what, sizeof what, "%s matrix %d range %d siting %d", formats[f], matrix, range, loc);
          check_against_swscale(what, &p, matrix, range, loc);
        }
      }
    pic_free(&p);
  }
  return for_each_valid(media, convert_corpus_file);
}

/* ---- resize ------------------------------------------------------------------------------ */

/* The definition of the resampling in double precision, written apart from the library's
 * fixed-point code: kernels, edge folding, chroma siting, matrix. */
static double ref_kernel(int filter, double scale, double c, double j) {
  double support = scale > 1 ? scale : 1, x = fabs(j - c) / support;
  if (filter == VM_FILTER_AREA && scale > 1) {
    double lo = fmax(c - scale / 2, j - 0.5), hi = fmin(c + scale / 2, j + 0.5);
    return hi > lo ? hi - lo : 0;
  }
  if (filter == VM_FILTER_BICUBIC)
    return x < 1 ? 1.5 * x * x * x - 2.5 * x * x + 1 : (x < 2 ? -0.5 * x * x * x + 2.5 * x * x - 4 * x + 2 : 0);
  return x < 1 ? 1 - x : 0;
}

/* weights[i * len + j] of output i on source j, edge samples repeated */
static double *ref_axis(int len, int n, double a, double b, int filter) {
  double *w = calloc((size_t)n * len, sizeof *w);
  double radius = (filter == VM_FILTER_BICUBIC ? 2 : 1) * (a > 1 ? a : 1) + 1;
  for (int i = 0; i < n; i++) {
    double c = a * i + b, sum = 0;
    for (int j = (int)floor(c - radius); j <= (int)ceil(c + radius); j++) {
      double v = ref_kernel(filter, a, c, j);
      w[(int64_t)i * len + (j < 0 ? 0 : j >= len ? len - 1 : j)] += v;
      sum += v;
    }
    for (int j = 0; j < len; j++) w[(int64_t)i * len + j] /= sum;
  }
  return w;
}

static double sample(const pic *p, int comp, int x, int y) {
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)p->fmt);
  const AVComponentDescriptor *c = &d->comp[comp];
  const uint8_t *q = p->data[c->plane] + (int64_t)y * p->linesize[c->plane] + (int64_t)x * c->step + c->offset;
  int v = c->depth > 8 ? AV_RL16(q) : *q;
  return (v >> c->shift) & ((1 << c->depth) - 1);
}

/* FILL to dw x dh (crop offsets ox, oy into a rw x rh resize) in double precision: rgb24 */
static uint8_t *ref_resize(const pic *p, int matrix, int full, int dw, int dh, int rw, int rh, int ox, int oy,
                           int filter) {
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)p->fmt);
  int depth = d->comp[0].depth;
  double *val[3];
  for (int c = 0; c < 3; c++) {
    int sx = c ? d->log2_chroma_w : 0, sy = c ? d->log2_chroma_h : 0;
    int cw = -((-p->w) >> sx), chh = -((-p->h) >> sy);
    double ax = (double)p->w / rw, ay = (double)p->h / rh;
    /* left siting: chroma sample k at luma k << sx horizontally, vertically centred */
    double offx = 0, offy = sy ? 0.5 * ((1 << sy) - 1) : 0;
    double *wx = ref_axis(cw, dw, ax / (1 << sx), (ax * (ox + 0.5) - 0.5 - offx) / (1 << sx), filter);
    double *wy = ref_axis(chh, dh, ay / (1 << sy), (ay * (oy + 0.5) - 0.5 - offy) / (1 << sy), filter);
    double *tmp = calloc((size_t)dh * cw, sizeof *tmp);
    for (int i = 0; i < dh; i++)
      for (int y = 0; y < chh; y++) {
        double wv = wy[(int64_t)i * chh + y];
        if (wv == 0) continue;
        for (int x = 0; x < cw; x++) tmp[(int64_t)i * cw + x] += wv * sample(p, c, x, y);
      }
    val[c] = calloc((size_t)dw * dh, sizeof *val[c]);
    for (int k = 0; k < dw; k++) {
      const double *wk = wx + (int64_t)k * cw;
      int lo = 0, hi = cw - 1;
      while (lo < hi && wk[lo] == 0) lo++;
      while (hi > lo && wk[hi] == 0) hi--;
      for (int i = 0; i < dh; i++) {
        double acc = 0;
        for (int x = lo; x <= hi; x++) acc += wk[x] * tmp[(int64_t)i * cw + x];
        val[c][(int64_t)i * dw + k] = acc;
      }
    }
    free(wx);
    free(wy);
    free(tmp);
  }
  double kr = matrix == VM_MATRIX_BT709 ? 0.2126 : matrix == VM_MATRIX_BT2020 ? 0.2627 : 0.299;
  double kb = matrix == VM_MATRIX_BT709 ? 0.0722 : matrix == VM_MATRIX_BT2020 ? 0.0593 : 0.114, kg = 1 - kr - kb;
  double scale = (1 << (depth - 8));
  uint8_t *out = malloc((size_t)dw * dh * 3);
  for (int64_t i = 0; i < (int64_t)dw * dh; i++) {
    double y = full ? val[0][i] / ((1 << depth) - 1) : (val[0][i] / scale - 16) / 219;
    double cb = full ? (val[1][i] - (1 << (depth - 1))) / ((1 << depth) - 1) : (val[1][i] / scale - 128) / 224;
    double cr = full ? (val[2][i] - (1 << (depth - 1))) / ((1 << depth) - 1) : (val[2][i] / scale - 128) / 224;
    double rgb[3] = {y + 2 * (1 - kr) * cr, y - 2 * kb * (1 - kb) / kg * cb - 2 * kr * (1 - kr) / kg * cr,
                     y + 2 * (1 - kb) * cb};
    for (int c = 0; c < 3; c++) {
      double v = floor(rgb[c] * 255 + 0.5);
      out[3 * i + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
  }
  for (int c = 0; c < 3; c++) free(val[c]);
  return out;
}

static const char *filter_name(int f) {
  return f == VM_FILTER_AREA ? "area" : f == VM_FILTER_BICUBIC ? "bicubic" : "bilinear";
}

static void check_resize(const char *what, const pic *p, int matrix, int range) {
  static const struct { int w, h, mode; } sizes[] = {{224, 224, VM_RESIZE_FILL}, {100, 57, VM_RESIZE_FILL},
                                                      {224, 224, VM_RESIZE_CENTER_CROP}, {301, 250, VM_RESIZE_FILL}};
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
    for (int filter = VM_FILTER_BILINEAR; filter <= VM_FILTER_BICUBIC; filter++) {
      vm_output o = {.struct_size = sizeof o, .pixel_format = VM_PIXEL_RGB24, .width = sizes[s].w,
                     .height = sizes[s].h, .resize = sizes[s].mode, .filter = filter};
      vm_frame f;
      uint8_t *mine = NULL;
      int32_t status = vm_run(p, matrix, range, AVCHROMA_LOC_LEFT, 0, &o, 0, &f, &mine);
      CHECK(status == VM_OK && f.width == sizes[s].w && f.height == sizes[s].h, "%s: resize %s", what,
            vm_status_name(status));
      if (status != VM_OK) continue;
      int rw = sizes[s].w, rh = sizes[s].h;
      if (sizes[s].mode == VM_RESIZE_CENTER_CROP) { /* cover, then the centre */
        if ((int64_t)rw * p->h >= (int64_t)rh * p->w) rh = (int)((2LL * rw * p->h + p->w) / (2LL * p->w));
        else rw = (int)((2LL * rh * p->w + p->h) / (2LL * p->h));
      }
      uint8_t *ref = ref_resize(p, matrix, range == 2, sizes[s].w, sizes[s].h, rw, rh, (rw - sizes[s].w) / 2,
                                (rh - sizes[s].h) / 2, filter);
      int64_t n = (int64_t)sizes[s].w * sizes[s].h * 3;
      diff dref = compare(mine, ref, n);
      CHECK(dref.max <= 1, "%s %dx%d %s: differs from the exact reference by up to %d", what, sizes[s].w, sizes[s].h,
            filter_name(filter), dref.max);
      diff dsws = {0};
      if (sizes[s].mode == VM_RESIZE_FILL) {
        int flags = filter == VM_FILTER_AREA ? SWS_AREA : filter == VM_FILTER_BICUBIC ? SWS_BICUBIC : SWS_BILINEAR;
        uint8_t *sws = sws_run(p, matrix, range == 2, AVCHROMA_LOC_LEFT, AV_PIX_FMT_RGB24, sizes[s].w, sizes[s].h,
                               flags);
        dsws = sws ? compare(mine, sws, n) : (diff){255, 255, 0};
        /* the same kernels, edges and siting; swscale's own fixed point differs */
        CHECK(dsws.max <= 4 && dsws.mean <= 0.05, "%s %dx%d %s: differs from swscale by up to %d, mean %.3f", what,
              sizes[s].w, sizes[s].h, filter_name(filter), dsws.max, dsws.mean);
        av_free(sws);
      }
      printf("resize %-34s %-5s %3dx%-3d %-8s exact max %d mean %.4f; swscale max %d mean %.4f\n", what,
             sizes[s].mode == VM_RESIZE_FILL ? "fill" : "crop", sizes[s].w, sizes[s].h, filter_name(filter),
             dref.max, dref.mean, dsws.max, dsws.mean);
      free(ref);
      av_free(mine);
    }
}

static void resize_corpus_file(const char *path, const char *name) {
  if (strcmp(name, "androidx_sample.mp4") != 0 && strcmp(name, "androidx_hdr10-av1.mp4") != 0) return;
  clip_frames c;
  if (decode_first(path, NULL, 0, 1, &c) == VM_OK && c.n == 1) {
    pic p;
    pic_of_frame(&c.frames[0], c.pixels[0], &p);
    check_resize(name, &p, matrix_of(c.info.color_space, p.w, p.h), range_full(c.info.color_range, c.info.pix_fmt_name) ? 2 : 1);
  } else {
    CHECK(0, "%s: no frame", name);
  }
  clip_frames_free(&c);
}

static int part_resize(const char *media) {
  static const char *formats[] = {"yuv420p", "yuv420p10le", "yuv444p"};
  for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
    pic p;
    if (pic_pattern(&p, av_get_pix_fmt(formats[f]), 640, 360, 3) < 0) {
      CHECK(0, "no %s picture", formats[f]);
      continue;
    }
    check_resize(formats[f], &p, VM_MATRIX_BT709, f == 2 ? 2 : 1);
    pic_free(&p);
  }
  return for_each_valid(media, resize_corpus_file);
}

/* ---- geometry ---------------------------------------------------------------------------- */

static int32_t shape_of(int w, int h, int sar_num, int sar_den, int orient, const vm_output *o, vm_frame *f) {
  pic p;
  if (pic_alloc(&p, AV_PIX_FMT_GRAY8, w, h) < 0) return VM_ERR_OUT_OF_MEMORY;
  memset(p.data[0], 128, (size_t)p.linesize[0] * h);
  vm_image im = {.struct_size = sizeof im, .pix_fmt = p.fmt, .width = w, .height = h, .orientation = orient,
                 .sar_num = sar_num, .sar_den = sar_den, .planes = {p.data[0]}, .strides = {p.linesize[0]}};
  vm_batch b = {.struct_size = sizeof b, .frames = f, .capacity = 1};
  int32_t status = vm_image_process(&im, o, &b); /* no pixels wanted: only the shape */
  pic_free(&p);
  return status;
}

static int part_geometry(void) {
  static const struct {
    int w, h, sn, sd, orient, mode, tw, th, flags, ew, eh;
  } cases[] = {
      {1920, 1080, 1, 1, 0, VM_RESIZE_FIT, 224, 224, 0, 224, 126},
      {1920, 1080, 1, 1, 0, VM_RESIZE_FIT, 300, 100, 0, 178, 100},
      {1920, 1080, 1, 1, 0, VM_RESIZE_PAD, 224, 224, 0, 224, 224},
      {1920, 1080, 1, 1, 0, VM_RESIZE_CENTER_CROP, 224, 224, 0, 224, 224},
      {1920, 1080, 1, 1, 0, VM_RESIZE_FILL, 100, 50, 0, 100, 50},
      {1920, 1080, 1, 1, 0, VM_RESIZE_SHORT_SIDE, 256, 0, 0, 455, 256},
      {1080, 1920, 1, 1, 0, VM_RESIZE_SHORT_SIDE, 256, 0, 0, 256, 455},
      {1920, 1080, 1, 1, VM_ORIENTATION_ROTATE_90, VM_RESIZE_SHORT_SIDE, 256, 0, 0, 256, 455},
      {1920, 1080, 1, 1, VM_ORIENTATION_ROTATE_270, VM_RESIZE_FIT, 224, 224, 0, 126, 224},
      {1920, 1080, 1, 1, VM_ORIENTATION_ROTATE_90, VM_RESIZE_FIT, 224, 224, VM_OUTPUT_KEEP_ORIENTATION, 224, 126},
      {1920, 1080, 1, 1, VM_ORIENTATION_TRANSPOSE, VM_RESIZE_NONE, 0, 0, 0, 1080, 1920},
      {1920, 1080, 1, 1, VM_ORIENTATION_MIRROR, VM_RESIZE_NONE, 0, 0, 0, 1920, 1080},
      {720, 480, 32, 27, 0, VM_RESIZE_FIT, 224, 224, 0, 224, 126},        /* 16:9 anamorphic */
      {720, 480, 32, 27, 0, VM_RESIZE_FIT, 224, 224, VM_OUTPUT_IGNORE_SAR, 224, 149},
      {720, 480, 8, 9, 0, VM_RESIZE_SHORT_SIDE, 240, 0, 0, 320, 240},    /* 4:3 */
      {720, 480, 32, 27, VM_ORIENTATION_ROTATE_90, VM_RESIZE_FIT, 224, 224, 0, 126, 224},
      {720, 480, 32, 27, 0, VM_RESIZE_NONE, 0, 0, 0, 720, 480},           /* NONE keeps samples */
      {4, 2, 1, 1, 0, VM_RESIZE_FIT, 1000, 1000, 0, 1000, 500},
      {16000, 2, 1, 1, 0, VM_RESIZE_FIT, 100, 100, 0, 100, 1},
      {16000, 2, 1, 1, 0, VM_RESIZE_CENTER_CROP, 100, 100, 0, 100, 100},
      {7, 5, 1, 1, 0, VM_RESIZE_SHORT_SIDE, 1, 0, 0, 1, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    vm_output o = {.struct_size = sizeof o, .pixel_format = VM_PIXEL_GRAY8, .width = cases[i].tw,
                   .height = cases[i].th, .resize = cases[i].mode, .flags = (uint32_t)cases[i].flags};
    vm_frame f;
    int32_t status = shape_of(cases[i].w, cases[i].h, cases[i].sn, cases[i].sd, cases[i].orient, &o, &f);
    CHECK(status == VM_OK && f.width == cases[i].ew && f.height == cases[i].eh &&
              f.data_size == (int64_t)cases[i].ew * cases[i].eh,
          "geometry case %zu (%dx%d mode %d to %dx%d): %s %dx%d, expected %dx%d", i, cases[i].w, cases[i].h,
          cases[i].mode, cases[i].tw, cases[i].th, vm_status_name(status), f.width, f.height, cases[i].ew, cases[i].eh);
  }
  /* inconsistent options are refused */
  static const vm_output bad[] = {
      {.pixel_format = VM_PIXEL_NATIVE, .resize = VM_RESIZE_FILL, .width = 10, .height = 10},
      {.pixel_format = VM_PIXEL_RGB24, .resize = VM_RESIZE_FILL, .width = 10, .height = 0},
      {.pixel_format = VM_PIXEL_RGB24, .resize = VM_RESIZE_SHORT_SIDE, .width = 10, .height = 10},
      {.pixel_format = VM_PIXEL_RGB24, .resize = VM_RESIZE_FIT, .width = 20000, .height = 10},
      {.pixel_format = VM_PIXEL_RGB24, .resize = VM_RESIZE_NONE, .width = 10, .height = 10},
      {.pixel_format = 9},
      {.pixel_format = VM_PIXEL_RGB24, .filter = 7},
      {.pixel_format = VM_PIXEL_RGB24, .resize = 42, .width = 1, .height = 1},
      {.pixel_format = VM_PIXEL_RGB24, .scene_threshold = 2},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    vm_output o = bad[i];
    o.struct_size = sizeof o;
    vm_frame f;
    int32_t status = shape_of(64, 48, 1, 1, 0, &o, &f);
    CHECK(status == VM_ERR_INVALID_ARGUMENT, "bad output %zu accepted: %s", i, vm_status_name(status));
  }

  /* centre crop = resize to cover, then the centre; pad = fit on black, centred */
  pic p;
  if (pic_pattern(&p, AV_PIX_FMT_YUV420P, 480, 270, 5) < 0) return 0;
  vm_output crop = {.struct_size = sizeof crop, .pixel_format = VM_PIXEL_RGB24, .width = 224, .height = 224,
                    .resize = VM_RESIZE_CENTER_CROP};
  vm_output cover = {.struct_size = sizeof cover, .pixel_format = VM_PIXEL_RGB24, .width = 398, .height = 224,
                     .resize = VM_RESIZE_FILL};
  vm_output pad = {.struct_size = sizeof pad, .pixel_format = VM_PIXEL_RGB24, .width = 224, .height = 224,
                   .resize = VM_RESIZE_PAD};
  vm_output fit = {.struct_size = sizeof fit, .pixel_format = VM_PIXEL_RGB24, .width = 224, .height = 224,
                   .resize = VM_RESIZE_FIT};
  vm_frame f1, f2;
  uint8_t *a = NULL, *b = NULL;
  vm_run(&p, VM_MATRIX_BT601, 1, 1, 0, &crop, 0, &f1, &a);
  vm_run(&p, VM_MATRIX_BT601, 1, 1, 0, &cover, 0, &f2, &b);
  int ox = (398 - 224) / 2, same = a && b;
  for (int y = 0; same && y < 224; y++) same = memcmp(a + y * 224 * 3, b + (y * 398 + ox) * 3, 224 * 3) == 0;
  CHECK(same, "centre crop is not the middle of the covering resize (offset %d)", ox);
  av_free(a);
  av_free(b);
  a = b = NULL;
  vm_run(&p, VM_MATRIX_BT601, 1, 1, 0, &pad, 0, &f1, &a);
  vm_run(&p, VM_MATRIX_BT601, 1, 1, 0, &fit, 0, &f2, &b);
  int oy = (224 - 126) / 2;
  same = a && b && f2.width == 224 && f2.height == 126;
  for (int y = 0; same && y < 224; y++) {
    if (y >= oy && y < oy + 126) {
      same = memcmp(a + y * 224 * 3, b + (y - oy) * 224 * 3, 224 * 3) == 0;
    } else {
      for (int x = 0; same && x < 224 * 3; x++) same = a[y * 224 * 3 + x] == 0;
    }
  }
  CHECK(same, "pad is not the fit picture centred on black (offset %d)", oy);
  av_free(a);
  av_free(b);
  pic_free(&p);
  printf("geometry: %zu shapes, crop and pad checked\n", sizeof cases / sizeof cases[0]);
  return 0;
}

/* ---- orientation ------------------------------------------------------------------------- */

/* Where display pixel (x, y) of a w x h (storage) picture shown with orientation o comes
 * from, by the definition: transpose first, then the flips. */
static void source_of(int o, int w, int h, int x, int y, int *sx, int *sy) {
  int t = (o & VM_ORIENTATION_TRANSPOSE) != 0;
  int dw = t ? h : w, dh = t ? w : h;
  int tx = (o & VM_ORIENTATION_MIRROR) ? dw - 1 - x : x, ty = (o & VM_ORIENTATION_FLIP) ? dh - 1 - y : y;
  *sx = t ? ty : tx;
  *sy = t ? tx : ty;
}

/* out (display) equals ref (storage, rgb24) seen through orientation o, within tol */
static int oriented_equal(const uint8_t *out, const uint8_t *ref, int w, int h, int o, int tol) {
  int t = (o & VM_ORIENTATION_TRANSPOSE) != 0, dw = t ? h : w, dh = t ? w : h;
  for (int y = 0; y < dh; y++)
    for (int x = 0; x < dw; x++) {
      int sx, sy;
      source_of(o, w, h, x, y, &sx, &sy);
      for (int c = 0; c < 3; c++)
        if (abs(out[(y * dw + x) * 3 + c] - ref[(sy * w + sx) * 3 + c]) > tol) return 0;
    }
  return 1;
}

static void orient_corpus_file(const char *path, const char *name) {
  clip_frames shown, stored;
  vm_output keep = RGB;
  keep.flags = VM_OUTPUT_KEEP_ORIENTATION;
  if (decode_first(path, &RGB, 0, 1, &shown) != VM_OK || decode_first(path, &keep, 0, 1, &stored) != VM_OK ||
      shown.n != 1 || stored.n != 1) {
    CHECK(0, "%s: no frame", name);
  } else {
    const vm_clip_info *i = &shown.info;
    /* what ffmpeg's autorotation does with these display matrices (checked against ffmpeg 5.1
     * and 7.1 on the corpus: a -90 rotation with a mirror is a plain transpose) */
    int expected = i->rotation == 0 && !i->mirror     ? VM_ORIENTATION_NORMAL
                   : i->rotation == -90 && !i->mirror ? VM_ORIENTATION_ROTATE_90
                   : i->rotation == 90 && !i->mirror  ? VM_ORIENTATION_ROTATE_270
                   : i->rotation == 180 && !i->mirror ? VM_ORIENTATION_ROTATE_180
                   : i->rotation == -90 && i->mirror  ? VM_ORIENTATION_TRANSPOSE
                                                      : -1;
    if (expected >= 0) {
      const vm_frame *s = &stored.frames[0];
      int ok = oriented_equal(shown.pixels[0], stored.pixels[0], s->width, s->height, expected, 0);
      CHECK(ok, "%s (rotation %d, mirror %d): frames are not turned as ffmpeg turns them", name, i->rotation, i->mirror);
      if (expected) printf("orient %s: rotation %d mirror %d -> orientation %d\n", name, i->rotation, i->mirror, expected);
    }
  }
  clip_frames_free(&shown);
  clip_frames_free(&stored);
}

static int part_orient(const char *media) {
  /* every orientation on an asymmetric picture: an exact permutation */
  pic p;
  if (pic_pattern(&p, AV_PIX_FMT_RGB24, 7, 5, 1) < 0) return 0;
  for (int y = 0; y < 5; y++)
    for (int x = 0; x < 7; x++) p.data[0][y * p.linesize[0] + x * 3] = (uint8_t)(y * 7 + x); /* unique red */
  vm_frame f;
  uint8_t *ref = NULL;
  vm_run(&p, VM_MATRIX_AUTO, 2, 0, 0, &RGB, 0, &f, &ref);
  for (int o = 0; o < 8; o++) {
    uint8_t *out = NULL;
    int32_t status = vm_run(&p, VM_MATRIX_AUTO, 2, 0, o, &RGB, 0, &f, &out);
    int t = (o & VM_ORIENTATION_TRANSPOSE) != 0;
    CHECK(status == VM_OK && f.width == (t ? 5 : 7) && f.height == (t ? 7 : 5) && ref &&
              oriented_equal(out, ref, 7, 5, o, 0),
          "orientation %d is not the exact permutation", o);
    av_free(out);
  }
  /* the named turns mean what they say: clockwise 90 puts the bottom-left corner top-left */
  static const struct { int o, sx, sy; } corners[] = {{VM_ORIENTATION_ROTATE_90, 0, 4}, {VM_ORIENTATION_ROTATE_270, 6, 0},
                                                       {VM_ORIENTATION_ROTATE_180, 6, 4}, {VM_ORIENTATION_MIRROR, 6, 0},
                                                       {VM_ORIENTATION_FLIP, 0, 4}, {VM_ORIENTATION_TRANSVERSE, 6, 4}};
  for (size_t i = 0; i < sizeof corners / sizeof corners[0]; i++) {
    uint8_t *out = NULL;
    vm_run(&p, VM_MATRIX_AUTO, 2, 0, corners[i].o, &RGB, 0, &f, &out);
    CHECK(out && out[0] == corners[i].sy * 7 + corners[i].sx, "orientation %d: top-left is red %d, expected %d",
          corners[i].o, out ? out[0] : -1, corners[i].sy * 7 + corners[i].sx);
    av_free(out);
  }
  av_free(ref);
  pic_free(&p);
  /* turned and resized = resized and turned (within rounding of the mirrored weights) */
  if (pic_pattern(&p, AV_PIX_FMT_YUV420P, 320, 180, 2) == 0) {
    for (int o = 1; o < 8; o++) {
      int t = (o & VM_ORIENTATION_TRANSPOSE) != 0;
      vm_output turned = {.struct_size = sizeof turned, .pixel_format = VM_PIXEL_RGB24, .width = t ? 90 : 160,
                          .height = t ? 160 : 90, .resize = VM_RESIZE_FILL};
      vm_output plain = {.struct_size = sizeof plain, .pixel_format = VM_PIXEL_RGB24, .width = 160, .height = 90,
                         .resize = VM_RESIZE_FILL};
      uint8_t *a = NULL, *b = NULL;
      vm_run(&p, VM_MATRIX_BT601, 1, 1, o, &turned, 0, &f, &a);
      vm_run(&p, VM_MATRIX_BT601, 1, 1, 0, &plain, 0, &f, &b);
      CHECK(a && b && oriented_equal(a, b, 160, 90, o, 1), "orientation %d with a resize", o);
      av_free(a);
      av_free(b);
    }
    pic_free(&p);
  }
  return for_each_valid(media, orient_corpus_file);
}

/* ---- statistics --------------------------------------------------------------------------- */

static vm_frame stats_of(const pic *p, int range, int orient) {
  vm_frame f;
  memset(&f, 0, sizeof f);
  uint8_t *px = NULL;
  int32_t status = vm_run(p, VM_MATRIX_AUTO, range, 0, orient, &GRAY, VM_WANT_STATS, &f, &px);
  CHECK(status == VM_OK && (f.flags & VM_FRAME_STATS), "statistics: %s", vm_status_name(status));
  av_free(px);
  return f;
}

#define NEAR(a, b) (fabs((double)(a) - (double)(b)) <= 1e-3 * (1 + fabs((double)(b))))

static void fill_gray(pic *p, int (*fn)(int x, int y, int arg), int arg) {
  for (int y = 0; y < p->h; y++)
    for (int x = 0; x < p->w; x++) p->data[0][y * p->linesize[0] + x] = (uint8_t)fn(x, y, arg);
}
static int constant(int x, int y, int v) { return v; }
static int checker(int x, int y, int v) { return (x + y) & 1 ? v : 0; }
static int hramp(int x, int y, int v) { return x * 4; }
static int vramp(int x, int y, int v) { return y * 5; }
static int stripes(int x, int y, int shift) { return (x + shift) & 1 ? 255 : 0; }
static int speck(int x, int y, int v) { return x < 3 && y == 0 ? 255 : 0; }

/* a y4m clip: 8-bit gray, full range */
static int write_y4m(const char *path, int w, int h, int n, const int *kinds) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  fprintf(f, "YUV4MPEG2 W%d H%d F25:1 Ip A1:1 Cmono XCOLORRANGE=FULL\n", w, h);
  uint8_t *row = malloc((size_t)w);
  for (int i = 0; i < n; i++) {
    fprintf(f, "FRAME\n");
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) row[x] = (uint8_t)(kinds[i] >= 0 ? kinds[i] : stripes(x, y, -kinds[i] - 1));
      fwrite(row, 1, (size_t)w, f);
    }
  }
  free(row);
  return fclose(f);
}

static int part_stats(const char *dir) {
  pic p;
  if (pic_alloc(&p, AV_PIX_FMT_GRAY8, 64, 48) < 0) return 0;
  fill_gray(&p, constant, 0);
  vm_frame f = stats_of(&p, 2, 0);
  CHECK(f.luma_mean == 0 && f.luma_std == 0 && f.dark_fraction == 1 && f.sharpness == 0 && f.dhash == 0 &&
            f.motion == -1 && f.scene_score == -1 && (f.flags & VM_FRAME_BLACK) && (f.flags & VM_FRAME_BLANK),
        "black frame: mean %f std %f dark %f sharp %f flags %x", f.luma_mean, f.luma_std, f.dark_fraction, f.sharpness,
        f.flags);
  fill_gray(&p, constant, 200);
  f = stats_of(&p, 2, 0);
  CHECK(NEAR(f.luma_mean, 200) && f.dark_fraction == 0 && !(f.flags & VM_FRAME_BLACK) && (f.flags & VM_FRAME_BLANK),
        "gray 200: mean %f flags %x", f.luma_mean, f.flags);
  /* limited range: 16..235 are 0..255 */
  fill_gray(&p, constant, 126);
  f = stats_of(&p, 1, 0);
  CHECK(NEAR(f.luma_mean, (126 - 16) * 255.0 / 219), "limited 126: mean %f", f.luma_mean);
  fill_gray(&p, constant, 235);
  f = stats_of(&p, 1, 0);
  CHECK(NEAR(f.luma_mean, 255), "limited 235: mean %f", f.luma_mean);
  fill_gray(&p, constant, 8);
  f = stats_of(&p, 1, 0);
  CHECK(f.luma_mean == 0 && (f.flags & VM_FRAME_BLACK), "limited 8 (below black): mean %f", f.luma_mean);
  /* 1-pixel checkerboard: the Laplacian is +-4 * 255 everywhere */
  fill_gray(&p, checker, 255);
  f = stats_of(&p, 2, 0);
  CHECK(NEAR(f.luma_mean, 127.5) && NEAR(f.luma_std, 127.5) && NEAR(f.dark_fraction, 0.5) &&
            NEAR(f.sharpness, 1020.0 * 1020.0) && !(f.flags & (VM_FRAME_BLACK | VM_FRAME_BLANK)),
        "checkerboard: mean %f std %f dark %f sharpness %f", f.luma_mean, f.luma_std, f.dark_fraction, f.sharpness);
  fill_gray(&p, speck, 0); /* 3 white pixels of 3072: black, not blank */
  f = stats_of(&p, 2, 0);
  CHECK((f.flags & VM_FRAME_BLACK) && !(f.flags & VM_FRAME_BLANK), "speck: flags %x std %f", f.flags, f.luma_std);
  /* dHash: brighter to the right sets every bit; turned, the hash follows the picture */
  fill_gray(&p, hramp, 0);
  CHECK(stats_of(&p, 2, 0).dhash == UINT64_MAX, "ramp left to right: dhash %016" PRIx64, stats_of(&p, 2, 0).dhash);
  CHECK(stats_of(&p, 2, VM_ORIENTATION_MIRROR).dhash == 0, "mirrored ramp: dhash not 0");
  fill_gray(&p, vramp, 0);
  CHECK(stats_of(&p, 2, 0).dhash == 0, "ramp top to bottom: dhash not 0");
  CHECK(stats_of(&p, 2, VM_ORIENTATION_ROTATE_270).dhash == UINT64_MAX, "ramp turned counter-clockwise: not all ones");
  CHECK(stats_of(&p, 2, VM_ORIENTATION_ROTATE_90).dhash == 0, "ramp turned clockwise: dhash not 0");
  pic_free(&p);

  /* motion and scene score over a clip: 50, 50, 200, stripes, stripes moved by 1, the same */
  char path[2048];
  snprintf(path, sizeof path, "%s/stats.y4m", dir);
  const int kinds[] = {50, 50, 200, -1, -2, -2};
  if (write_y4m(path, 64, 64, 6, kinds) != 0) {
    CHECK(0, "cannot write %s", path);
    return 0;
  }
  vm_source src = {.struct_size = sizeof src, .path = path};
  vm_clip *clip = NULL;
  int32_t status = vm_clip_open(&src, NULL, &clip);
  vm_frame fr[8];
  int n = 0;
  while (status == VM_OK) {
    vm_batch b = {.struct_size = sizeof b, .want = VM_WANT_STATS, .frames = fr + n, .capacity = (uint32_t)(8 - n)};
    status = vm_clip_next(clip, &b);
    n += (int)b.count;
  }
  CHECK(status == VM_EOF && n == 6, "stats clip: %s, %d frames", vm_status_name(status), n);
  const float motion[] = {-1, 0, 150, 127.5f, 255, 0}, scene[] = {-1, 0, 1, 1, 0, 0};
  for (int i = 0; i < n && i < 6; i++)
    CHECK(NEAR(fr[i].motion, motion[i]) && NEAR(fr[i].scene_score, scene[i]) &&
              ((fr[i].flags & VM_FRAME_SCENE_CUT) != 0) == (scene[i] >= VM_STATS_SCENE_THRESHOLD),
          "stats clip frame %d: motion %f (expected %f), scene %f (expected %f), flags %x", i, fr[i].motion, motion[i],
          fr[i].scene_score, scene[i], fr[i].flags);
  vm_clip_aggregates a = {.struct_size = sizeof a};
  CHECK(vm_clip_aggregates_get(clip, &a) == VM_OK && a.frames == 6 && a.scene_cuts == 2 && a.blank_frames == 3 &&
            a.black_frames == 0 && NEAR(a.luma_min, 50) && NEAR(a.luma_max, 200) &&
            NEAR(a.luma_mean, (50 + 50 + 200 + 3 * 127.5) / 6) && NEAR(a.motion_max, 255) && NEAR(a.motion_min, 0) &&
            NEAR(a.motion_mean, (0 + 150 + 127.5 + 255 + 0) / 5) && NEAR(a.sharpness_max, 510.0 * 510.0) &&
            a.sharpness_min == 0 && NEAR(a.scene_score_max, 1),
        "aggregates: frames %" PRId64 " cuts %" PRId64 " blank %" PRId64 " luma %f/%f/%f motion %f/%f/%f sharp %f",
        a.frames, a.scene_cuts, a.blank_frames, a.luma_mean, a.luma_min, a.luma_max, a.motion_mean, a.motion_min,
        a.motion_max, a.sharpness_max);
  vm_clip_close(clip);
  printf("stats: known answers checked\n");
  return 0;
}

/* ---- dHash across re-encodes ------------------------------------------------------------ */

static int hashes_of(const char *path, uint64_t *out, int max) {
  vm_source src = {.struct_size = sizeof src, .path = path};
  vm_clip *clip = NULL;
  int32_t status = vm_clip_open(&src, NULL, &clip);
  int n = 0;
  while (status == VM_OK && n < max) {
    vm_frame f[8];
    vm_batch b = {.struct_size = sizeof b, .want = VM_WANT_STATS, .frames = f, .capacity = 8};
    status = vm_clip_next(clip, &b);
    for (uint32_t i = 0; i < b.count && n < max; i++) out[n++] = f[i].dhash;
  }
  vm_clip_close(clip);
  return n;
}

static int part_dhash(const char *dir) {
  struct { const char *name, *encoder, *pattern; int kbps; } enc[] = {
      {"h264_lo.mp4", "libopenh264", "testsrc2", 150}, {"h264_hi.mp4", "libopenh264", "testsrc2", 2000},
      {"vp9_lo.webm", "libvpx-vp9", "testsrc2", 100},   {"other.mp4", "libopenh264", "mandelbrot", 800}};
  enum { N = 24 };
  uint64_t h[4][N];
  int n[4];
  for (int e = 0; e < 4; e++) {
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, enc[e].name);
    vm_synth_options s = {.struct_size = sizeof s, .width = 320, .height = 240, .fps_num = 24, .fps_den = 1,
                          .frames = N, .gop = 12, .bit_rate_kbps = enc[e].kbps, .path = path,
                          .encoder = enc[e].encoder, .pattern = enc[e].pattern};
    char detail[300];
    int32_t status = vm_synth_write(&s, detail, sizeof detail);
    CHECK(status == VM_OK, "synth %s: %s %s", path, vm_status_name(status), detail);
    n[e] = status == VM_OK ? hashes_of(path, h[e], N) : 0;
  }
  int worst = 0, closest_other = 64;
  double sum = 0;
  for (int e = 1; e < 3; e++)
    for (int i = 0; i < N && i < n[0] && i < n[e]; i++) {
      int d = __builtin_popcountll(h[0][i] ^ h[e][i]);
      if (d > worst) worst = d;
      sum += d;
    }
  for (int i = 0; i < N && i < n[0] && i < n[3]; i++) {
    int d = __builtin_popcountll(h[0][i] ^ h[3][i]);
    if (d < closest_other) closest_other = d;
  }
  CHECK(n[0] == N && n[1] == N && n[2] == N && n[3] == N, "dhash: frames %d %d %d %d", n[0], n[1], n[2], n[3]);
  CHECK(worst <= 6, "dhash: re-encodes of the same frames differ by up to %d bits", worst);
  CHECK(closest_other >= 16, "dhash: other content is only %d bits away", closest_other);
  printf("dhash: re-encodes within %d bits (mean %.2f), other content at least %d bits away\n", worst, sum / (2 * N),
         closest_other);
  return 0;
}

/* ---- the command ---------------------------------------------------------------------- */

int cmd_opscheck(const char *media, const char *dir, const char *part) {
  mkdir(dir, 0755);
  int all = strcmp(part, "all") == 0, corpus_files = -1;
  if (all || strcmp(part, "convert") == 0) corpus_files = part_convert(media);
  if (all || strcmp(part, "resize") == 0) corpus_files = part_resize(media);
  if (all || strcmp(part, "geometry") == 0) part_geometry();
  if (all || strcmp(part, "orient") == 0) corpus_files = part_orient(media);
  if (all || strcmp(part, "stats") == 0) part_stats(dir);
  if (all || strcmp(part, "dhash") == 0) part_dhash(dir);
  printf("opscheck %s: %d failures\n", part, failures);
  if (failures) return 1;
  if (corpus_files == 0) {
    printf("SKIP: the corpus parts need the test media at %s (see ../shared/media)\n", media);
    return 77;
  }
  return 0;
}
