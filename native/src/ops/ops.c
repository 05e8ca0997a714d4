/* The frame pipeline: plan a frame's conversion once per shape, then render it row by row
 * (resample each component to the output size, then the colour matrix, written straight to
 * its oriented place in the caller's buffer). Unusual pixel formats go through swscale to a
 * format read natively. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <libavutil/md5.h>
#include <libavutil/mem.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "ops.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define VM_OPS_ERROR_SIZE 256

typedef struct plan_key {
  int pix_fmt, width, height, matrix, full, chroma_location, sar_num, sar_den, orientation;
  vm_output out;
} plan_key;

struct vm_ops {
  vm_output out;
  int32_t stream_matrix[9];
  int has_stream_matrix;

  vm_ops_src orig;        /* the frame being processed, as decoded (native copies) */
  vm_ops_src src;         /* what the operations read: orig, or its swscale conversion */
  vm_layout layout;

  int planned;
  plan_key key;
  vm_geometry geom;
  int nplanes;            /* components resampled: 1 (gray in, or gray out of YUV) or 3 */
  vm_rs_plane planes[3];
  vm_rs_axis ax[3], ay[3];
  vm_px_matrix matrix;
  int out_fmt, channels;
  int64_t size;
  int16_t *tmp, *rows[3], *neutral;
  uint8_t *planar;        /* 3 rows of output bytes before interleaving */

  struct SwsContext *sws;
  AVFrame *converted;

  vm_stats *stats;
  uint64_t generation;    /* of the plan (for the GPU path's uploaded tables) */
  int unusual;            /* the source went through swscale */
  char error[VM_OPS_ERROR_SIZE];
};

/* A new value for every plan made in the process (see vm_ops_plan). */
static _Atomic uint64_t plan_generations;

static void fail(vm_ops *ops, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(vm_ops *ops, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vsnprintf(ops->error, sizeof ops->error, fmt, args);
  va_end(args);
}

vm_ops *vm_ops_new(void) {
  vm_ops *ops = av_mallocz(sizeof *ops);
  if (!ops) return NULL;
  ops->out.struct_size = sizeof ops->out;
  ops->out.scene_threshold = VM_PX_SCENE_THRESHOLD;
  ops->stats = vm_stats_new();
  if (!ops->stats) {
    av_free(ops);
    return NULL;
  }
  return ops;
}

static void free_plan(vm_ops *ops) {
  for (int i = 0; i < 3; i++) {
    vm_rs_axis_free(&ops->ax[i]);
    vm_rs_axis_free(&ops->ay[i]);
    av_freep(&ops->rows[i]);
  }
  av_freep(&ops->tmp);
  av_freep(&ops->neutral);
  av_freep(&ops->planar);
  ops->planned = 0;
}

void vm_ops_free(vm_ops *ops) {
  if (!ops) return;
  free_plan(ops);
  sws_freeContext(ops->sws);
  av_frame_free(&ops->converted);
  vm_stats_free(ops->stats);
  av_free(ops);
}

const char *vm_ops_error(const vm_ops *ops) { return ops->error; }

int vm_ops_converts(const vm_ops *ops) { return ops && ops->out.pixel_format != VM_PIXEL_NATIVE; }

void vm_ops_set_stream_matrix(vm_ops *ops, const int32_t *matrix) {
  ops->has_stream_matrix = matrix != NULL;
  if (matrix) memcpy(ops->stream_matrix, matrix, sizeof ops->stream_matrix);
}

int32_t vm_ops_set_output(vm_ops *ops, const vm_output *o, char *err, size_t err_size) {
  vm_output v = {.struct_size = sizeof v};
  if (o) {
    if (o->struct_size < sizeof *o) {
      snprintf(err, err_size, "vm_output.struct_size %u is smaller than %zu", o->struct_size, sizeof *o);
      return VM_ERR_INVALID_ARGUMENT;
    }
    memcpy(&v, o, sizeof v);
    v.struct_size = sizeof v;
  }
  if (v.pixel_format < VM_PIXEL_NATIVE || v.pixel_format > VM_PIXEL_GRAY8) {
    snprintf(err, err_size, "unknown pixel format %d", v.pixel_format);
    return VM_ERR_INVALID_ARGUMENT;
  }
  if (v.filter < VM_FILTER_BILINEAR || v.filter > VM_FILTER_BICUBIC) {
    snprintf(err, err_size, "unknown filter %d", v.filter);
    return VM_ERR_INVALID_ARGUMENT;
  }
  if (v.resize < VM_RESIZE_NONE || v.resize > VM_RESIZE_SHORT_SIDE) {
    snprintf(err, err_size, "unknown resize mode %d", v.resize);
    return VM_ERR_INVALID_ARGUMENT;
  }
  int needs_w = v.resize != VM_RESIZE_NONE, needs_h = needs_w && v.resize != VM_RESIZE_SHORT_SIDE;
  if ((needs_w ? v.width < 1 || v.width > VM_MAX_OUTPUT_SIDE : v.width != 0) ||
      (needs_h ? v.height < 1 || v.height > VM_MAX_OUTPUT_SIDE : v.height != 0)) {
    snprintf(err, err_size, "size %dx%d does not suit the resize mode (%s)", v.width, v.height,
             !needs_w ? "no size: it keeps the size"
             : !needs_h ? "width 1..16384 is the short side, height 0"
                        : "width and height 1..16384");
    return VM_ERR_INVALID_ARGUMENT;
  }
  if (v.pixel_format == VM_PIXEL_NATIVE && (v.resize != VM_RESIZE_NONE || v.filter != VM_FILTER_BILINEAR)) {
    snprintf(err, err_size, "the native pixel format cannot be resized: choose rgb24, bgr24 or gray8");
    return VM_ERR_INVALID_ARGUMENT;
  }
  if (!(v.scene_threshold >= 0 && v.scene_threshold <= 1)) {
    snprintf(err, err_size, "scene_threshold must be within 0..1");
    return VM_ERR_INVALID_ARGUMENT;
  }
  if (v.scene_threshold == 0) v.scene_threshold = VM_PX_SCENE_THRESHOLD;
  ops->out = v;
  return VM_OK;
}

/* ---- the source ---------------------------------------------------------------------- */

static int matrix_of_colorspace(int cs) {
  switch (cs) {
    case AVCOL_SPC_BT709: return VM_PX_BT709;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M: return VM_PX_BT601;
    case AVCOL_SPC_FCC: return VM_PX_FCC;
    case AVCOL_SPC_SMPTE240M: return VM_PX_SMPTE240M;
    case AVCOL_SPC_YCGCO:
    case AVCOL_SPC_YCGCO_RE:
    case AVCOL_SPC_YCGCO_RO: return VM_PX_YCGCO;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: return VM_PX_BT2020;
    default: return 0; /* unspecified, or nothing we can do better than guess */
  }
}

int vm_ops_full_range(const vm_ops_src *src, const vm_layout *layout) {
  if (layout->rgb) return 1;
  if (src->color_range == AVCOL_RANGE_JPEG) return 1;
  if (src->color_range == AVCOL_RANGE_MPEG) return 0;
  const char *name = av_get_pix_fmt_name((enum AVPixelFormat)src->pix_fmt);
  return name && strncmp(name, "yuvj", 4) == 0;
}

static int resolve_matrix(const vm_ops_src *src, const vm_layout *layout) {
  if (layout->rgb) return VM_PX_RGB;
  if (src->color_space > 0) return src->color_space;
  return src->width >= 1280 || src->height > 576 ? VM_PX_BT709 : VM_PX_BT601;
}

/* Converts an unusual pixel format with swscale into one read natively, the same values. */
static int32_t convert_unusual(vm_ops *ops, int fallback) {
  vm_ops_src *s = &ops->src;
  if (fallback < 0) {
    fail(ops, "cannot convert the pixel format %s", av_get_pix_fmt_name((enum AVPixelFormat)s->pix_fmt));
    return VM_ERR_UNSUPPORTED_CODEC;
  }
  AVFrame *c = ops->converted;
  if (!c || c->format != fallback || c->width != s->width || c->height != s->height) {
    av_frame_free(&ops->converted);
    c = ops->converted = av_frame_alloc();
    if (!c) {
      fail(ops, "out of memory");
      return VM_ERR_OUT_OF_MEMORY;
    }
    c->format = fallback;
    c->width = s->width;
    c->height = s->height;
    if (av_frame_get_buffer(c, 0) < 0) {
      av_frame_free(&ops->converted);
      fail(ops, "out of memory for a %dx%d conversion", s->width, s->height);
      return VM_ERR_OUT_OF_MEMORY;
    }
  }
  ops->sws = sws_getCachedContext(ops->sws, s->width, s->height, (enum AVPixelFormat)s->pix_fmt, s->width,
                                  s->height, (enum AVPixelFormat)fallback,
                                  SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL, NULL);
  if (!ops->sws) {
    fail(ops, "swscale cannot convert %s to %s", av_get_pix_fmt_name((enum AVPixelFormat)s->pix_fmt),
         av_get_pix_fmt_name((enum AVPixelFormat)fallback));
    return VM_ERR_UNSUPPORTED_CODEC;
  }
  /* the same range out as in: only the layout changes */
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)s->pix_fmt);
  vm_layout kind = {.rgb = d && (d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_XYZ |
                                              AV_PIX_FMT_FLAG_BAYER))};
  int full = vm_ops_full_range(s, &kind);
  const int *table = sws_getCoefficients(SWS_CS_DEFAULT);
  sws_setColorspaceDetails(ops->sws, table, full, table, full, 0, 1 << 16, 1 << 16);
  const uint8_t *data[4];
  int linesize[4];
  for (int i = 0; i < 4; i++) {
    data[i] = s->data[i];
    linesize[i] = (int)s->linesize[i];
  }
  if (sws_scale(ops->sws, data, linesize, 0, s->height, c->data, c->linesize) != s->height) {
    fail(ops, "swscale failed to convert %s", av_get_pix_fmt_name((enum AVPixelFormat)s->pix_fmt));
    return VM_ERR_INTERNAL;
  }
  s->pix_fmt = fallback;
  for (int i = 0; i < 4; i++) {
    s->data[i] = c->data[i];
    s->linesize[i] = c->linesize[i];
  }
  s->color_range = full ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
  int unused;
  if (vm_layout_of(fallback, &ops->layout, &unused) != 0) {
    fail(ops, "internal: %s is not read natively", av_get_pix_fmt_name((enum AVPixelFormat)fallback));
    return VM_ERR_INTERNAL;
  }
  return VM_OK;
}

/* ---- planning ------------------------------------------------------------------------ */

static int32_t plan(vm_ops *ops, const plan_key *key) {
  free_plan(ops);
  const vm_ops_src *s = &ops->src;
  const vm_layout *l = &ops->layout;
  vm_geometry *g = &ops->geom;
  int32_t status = vm_geometry_compute(&ops->out, s->width, s->height, s->sar_num, s->sar_den,
                                       s->orientation, g, ops->error, sizeof ops->error);
  if (status != VM_OK) return status;
  int gray_out = ops->out.pixel_format == VM_PIXEL_GRAY8;
  ops->nplanes = l->ncomp == 1 || (gray_out && !l->rgb) ? 1 : 3;
  ops->channels = gray_out ? 1 : 3;
  ops->out_fmt = gray_out ? AV_PIX_FMT_GRAY8 : ops->out.pixel_format == VM_PIXEL_BGR24 ? AV_PIX_FMT_BGR24
                                                                                       : AV_PIX_FMT_RGB24;
  ops->size = (int64_t)g->canvas_w * g->canvas_h * ops->channels;
  vm_px_matrix_build(&ops->matrix, key->matrix, key->full, l->depth, gray_out ? VM_PX_OUT_GRAY : VM_PX_OUT_RGB);

  /* where chroma samples sit on the luma grid, in 1/256 of a luma sample for 2x subsampling */
  int loc = key->chroma_location;
  if (loc <= AVCHROMA_LOC_UNSPECIFIED || loc >= AVCHROMA_LOC_NB)
    loc = key->full ? AVCHROMA_LOC_CENTER : AVCHROMA_LOC_LEFT;
  int xpos = 0, ypos = 0;
  av_chroma_location_enum_to_pos(&xpos, &ypos, (enum AVChromaLocation)loc);

  int max_src = 0;
  for (int p = 0; p < ops->nplanes; p++) {
    int chroma = p > 0 && !l->rgb;
    int sx = chroma ? l->log2_cw : 0, sy = chroma ? l->log2_ch : 0;
    vm_rs_plane *pl = &ops->planes[p];
    pl->width = -((-s->width) >> sx);
    pl->height = -((-s->height) >> sy);
    pl->bytes = l->c[p].bytes;
    pl->step = l->c[p].step;
    pl->offset = l->c[p].offset;
    pl->shift = l->c[p].shift;
    pl->depth = l->depth;
    double fx = (double)(1 << sx), fy = (double)(1 << sy);
    double offx = xpos / 256.0 * (fx - 1), offy = ypos / 256.0 * (fy - 1);
    status = vm_rs_axis_build(&ops->ax[p], pl->width, g->n[0], g->a[0] / fx, (g->b[0] - offx) / fx, ops->out.filter);
    if (status == VM_OK)
      status = vm_rs_axis_build(&ops->ay[p], pl->height, g->n[1], g->a[1] / fy, (g->b[1] - offy) / fy,
                                ops->out.filter);
    if (status != VM_OK) {
      fail(ops, "no memory for the resampling tables of a %dx%d output", g->n[0], g->n[1]);
      free_plan(ops);
      return status;
    }
    if (ops->ax[p].hi - ops->ax[p].lo > max_src) max_src = ops->ax[p].hi - ops->ax[p].lo;
    ops->rows[p] = av_malloc_array((size_t)g->n[0], sizeof(int16_t));
    if (!ops->rows[p]) {
      status = VM_ERR_OUT_OF_MEMORY;
      break;
    }
  }
  ops->tmp = av_malloc_array((size_t)max_src + VM_RS_SLACK, sizeof(int16_t));
  ops->neutral = av_malloc_array((size_t)g->n[0], sizeof(int16_t));
  ops->planar = av_malloc_array((size_t)g->n[0], 3);
  if (status != VM_OK || !ops->tmp || !ops->neutral || !ops->planar) {
    fail(ops, "out of memory for a %dx%d output", g->n[0], g->n[1]);
    free_plan(ops);
    return VM_ERR_OUT_OF_MEMORY;
  }
  for (int i = 0; i < g->n[0]; i++) ops->neutral[i] = 1 << (VM_PX_Q - 1); /* chroma zero */
  ops->key = *key;
  ops->planned = 1;
  ops->generation = ++plan_generations;
  return VM_OK;
}

int32_t vm_ops_prepare_src(vm_ops *ops, const vm_ops_src *src, vm_ops_shape *shape) {
  ops->error[0] = 0;
  ops->orig = *src;
  ops->src = *src;
  if (ops->out.flags & VM_OUTPUT_KEEP_ORIENTATION) ops->src.orientation = VM_ORIENTATION_NORMAL;
  int fallback = -1;
  ops->unusual = 0;
  if (vm_layout_of(src->pix_fmt, &ops->layout, &fallback) != 0) {
    ops->unusual = 1;
    int32_t status = convert_unusual(ops, fallback);
    if (status != VM_OK) return status;
  }
  if (!vm_ops_converts(ops)) {
    shape->pix_fmt = src->pix_fmt;
    shape->width = src->width;
    shape->height = src->height;
    shape->size = av_image_get_buffer_size((enum AVPixelFormat)src->pix_fmt, src->width, src->height, 1);
    if (shape->size < 0) {
      fail(ops, "the decoder returned a frame of unknown layout");
      return VM_ERR_CORRUPT;
    }
    return VM_OK;
  }
  plan_key key;
  memset(&key, 0, sizeof key); /* compared with memcmp: no padding garbage */
  key.pix_fmt = ops->src.pix_fmt;
  key.width = src->width;
  key.height = src->height;
  key.matrix = resolve_matrix(&ops->src, &ops->layout);
  key.full = vm_ops_full_range(&ops->src, &ops->layout);
  key.chroma_location = src->chroma_location;
  key.sar_num = src->sar_num;
  key.sar_den = src->sar_den;
  key.orientation = ops->src.orientation;
  key.out = ops->out;
  if (!ops->planned || memcmp(&key, &ops->key, sizeof key) != 0) {
    int32_t status = plan(ops, &key);
    if (status != VM_OK) return status;
  }
  for (int p = 0; p < ops->nplanes; p++) {
    int plane = ops->layout.c[p].plane;
    ops->planes[p].data = ops->src.data[plane];
    ops->planes[p].stride = ops->src.linesize[plane];
  }
  shape->pix_fmt = ops->out_fmt;
  shape->width = ops->geom.canvas_w;
  shape->height = ops->geom.canvas_h;
  shape->size = ops->size;
  return VM_OK;
}

void vm_ops_describe_frame(const vm_ops *ops, const AVFrame *f, vm_ops_src *s) {
  memset(s, 0, sizeof *s);
  s->pix_fmt = f->format;
  s->width = f->width;
  s->height = f->height;
  for (int i = 0; i < 4; i++) {
    s->data[i] = f->data[i];
    s->linesize[i] = f->linesize[i];
  }
  s->color_space = matrix_of_colorspace(f->colorspace);
  s->color_range = f->color_range;
  s->chroma_location = f->chroma_location;
  s->sar_num = f->sample_aspect_ratio.num;
  s->sar_den = f->sample_aspect_ratio.den;
  const AVFrameSideData *sd = av_frame_get_side_data(f, AV_FRAME_DATA_DISPLAYMATRIX);
  const int32_t *m = sd && sd->size >= 9 * sizeof(int32_t)    ? (const int32_t *)sd->data
                     : ops && ops->has_stream_matrix           ? ops->stream_matrix
                                                               : NULL;
  s->orientation = vm_orientation_from_matrix(m);
}

int32_t vm_ops_prepare(vm_ops *ops, const AVFrame *f, vm_ops_shape *shape) {
  vm_ops_src s;
  vm_ops_describe_frame(ops, f, &s);
  return vm_ops_prepare_src(ops, &s, shape);
}

/* ---- rendering ----------------------------------------------------------------------- */

/* The matrix over a row of Q14 samples into planar bytes (out[c][k] for the channels of the
 * output format, in R, G, B order). The SIMD path computes exactly vm_px_apply_row. */
static void matrix_row(const vm_px_matrix *m, int channels, const int16_t *q0, const int16_t *q1,
                       const int16_t *q2, int n, uint8_t *const out[3]) {
  int k = 0;
#if defined(__SSE2__)
  int fits = 1; /* pmaddwd takes 16-bit coefficients: every matrix built here has |c| < 10000 */
  for (int c = 0; c < channels; c++)
    for (int i = 0; i < 3; i++) fits &= m->c[c][i] >= INT16_MIN && m->c[c][i] <= INT16_MAX;
  const int simd_n = fits ? n : 0; /* else the plain loop below does it all */
  __m128i c01[3], c2[3], bias[3];
  for (int c = 0; c < channels; c++) {
    c01[c] = _mm_set1_epi32((int32_t)((uint32_t)(uint16_t)m->c[c][1] << 16 | (uint16_t)m->c[c][0]));
    c2[c] = _mm_set1_epi32((uint16_t)m->c[c][2]);
    bias[c] = _mm_set1_epi32(m->bias[c]);
  }
  const __m128i zero = _mm_setzero_si128();
  for (; k + 8 <= simd_n; k += 8) {
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(q0 + k));
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(q1 + k));
    __m128i d = _mm_loadu_si128((const __m128i *)(const void *)(q2 + k));
    __m128i ab_lo = _mm_unpacklo_epi16(a, b), ab_hi = _mm_unpackhi_epi16(a, b);
    __m128i d_lo = _mm_unpacklo_epi16(d, zero), d_hi = _mm_unpackhi_epi16(d, zero);
    for (int c = 0; c < channels; c++) {
      __m128i lo = _mm_add_epi32(_mm_add_epi32(_mm_madd_epi16(ab_lo, c01[c]), _mm_madd_epi16(d_lo, c2[c])), bias[c]);
      __m128i hi = _mm_add_epi32(_mm_add_epi32(_mm_madd_epi16(ab_hi, c01[c]), _mm_madd_epi16(d_hi, c2[c])), bias[c]);
      __m128i v = _mm_packs_epi32(_mm_srai_epi32(lo, VM_PX_MBITS), _mm_srai_epi32(hi, VM_PX_MBITS));
      _mm_storel_epi64((__m128i *)(void *)(out[c] + k), _mm_packus_epi16(v, v));
    }
  }
#endif
  for (; k < n; k++)
    for (int c = 0; c < channels; c++) out[c][k] = vm_px_apply_row(m, c, q0[k], q1[k], q2[k]);
}

static void write_row(vm_ops *ops, int16_t *const rows[3], int n, uint8_t *p, int64_t step) {
  uint8_t *planar[3] = {ops->planar, ops->planar + n, ops->planar + 2 * n};
  matrix_row(&ops->matrix, ops->channels, rows[0], rows[1], rows[2], n, planar);
  const uint8_t *r = planar[0], *g = planar[1], *b = planar[2];
  switch (ops->out_fmt) {
    case AV_PIX_FMT_GRAY8:
      if (step == 1) {
        memcpy(p, r, (size_t)n);
      } else {
        for (int k = 0; k < n; k++, p += step) p[0] = r[k];
      }
      break;
    case AV_PIX_FMT_BGR24:
      for (int k = 0; k < n; k++, p += step) {
        p[0] = b[k];
        p[1] = g[k];
        p[2] = r[k];
      }
      break;
    default:
      for (int k = 0; k < n; k++, p += step) {
        p[0] = r[k];
        p[1] = g[k];
        p[2] = b[k];
      }
  }
}

int32_t vm_ops_render(vm_ops *ops, uint8_t *dst) {
  if (!vm_ops_converts(ops)) {
    const vm_ops_src *s = &ops->orig;
    const uint8_t *data[4];
    int linesize[4];
    for (int i = 0; i < 4; i++) {
      data[i] = s->data[i];
      linesize[i] = (int)s->linesize[i];
    }
    int size = av_image_get_buffer_size((enum AVPixelFormat)s->pix_fmt, s->width, s->height, 1);
    if (size < 0 || av_image_copy_to_buffer(dst, size, data, linesize, (enum AVPixelFormat)s->pix_fmt, s->width,
                                            s->height, 1) < 0) {
      fail(ops, "cannot copy a %s frame", av_get_pix_fmt_name((enum AVPixelFormat)s->pix_fmt));
      return VM_ERR_INTERNAL;
    }
    return VM_OK;
  }
  const vm_geometry *g = &ops->geom;
  const int ch = ops->channels, o = ops->src.orientation;
  const int transpose = (o & VM_ORIENTATION_TRANSPOSE) != 0;
  const int fx = (o & VM_ORIENTATION_MIRROR) != 0, fy = (o & VM_ORIENTATION_FLIP) != 0;
  const int nx = g->n[0], ny = g->n[1];
  const int64_t stride = (int64_t)g->canvas_w * ch;
  if (g->img_w != g->canvas_w || g->img_h != g->canvas_h) memset(dst, 0, (size_t)ops->size); /* pad: black */
  uint8_t *img = dst + (int64_t)g->img_y * stride + (int64_t)g->img_x * ch;
  int16_t *rows[3] = {ops->rows[0], ops->neutral, ops->neutral};
  if (ops->nplanes == 1) rows[1] = rows[2] = ops->neutral;
  for (int r = 0; r < ny; r++) {
    for (int p = 0; p < ops->nplanes; p++) {
      vm_rs_row(&ops->planes[p], &ops->ax[p], &ops->ay[p], r, ops->tmp, ops->rows[p]);
      rows[p] = ops->rows[p];
    }
    /* storage sample (k, r) lands at display (x, y): transpose first, then the flips */
    int64_t x0, y0, dxk, dyk;
    if (!transpose) {
      x0 = fx ? nx - 1 : 0;
      dxk = fx ? -1 : 1;
      y0 = fy ? ny - 1 - r : r;
      dyk = 0;
    } else {
      x0 = fx ? ny - 1 - r : r;
      dxk = 0;
      y0 = fy ? nx - 1 : 0;
      dyk = fy ? -1 : 1;
    }
    write_row(ops, rows, nx, img + y0 * stride + x0 * ch, dyk * stride + dxk * ch);
  }
  return VM_OK;
}

int32_t vm_ops_stats(vm_ops *ops, vm_frame *out) {
  int32_t status = vm_stats_frame(ops->stats, &ops->src, &ops->layout, ops->out.scene_threshold, out);
  if (status != VM_OK)
    fail(ops, "out of memory for the statistics of a %dx%d frame", ops->src.width, ops->src.height);
  return status;
}

void vm_ops_plan_get(const vm_ops *ops, vm_ops_plan *plan) {
  memset(plan, 0, sizeof *plan);
  plan->geom = &ops->geom;
  plan->nplanes = ops->nplanes;
  for (int p = 0; p < ops->nplanes; p++) plan->component[p] = p;
  plan->ax = ops->ax;
  plan->ay = ops->ay;
  plan->matrix = &ops->matrix;
  plan->out_fmt = ops->out_fmt;
  plan->channels = ops->channels;
  plan->size = ops->size;
  plan->orientation = ops->src.orientation;
  plan->generation = ops->generation;
}

vm_stats *vm_ops_stats_state(vm_ops *ops) { return ops->stats; }

const vm_output *vm_ops_output(const vm_ops *ops) { return &ops->out; }

int vm_ops_converted_unusual(const vm_ops *ops) { return ops->unusual; }

void vm_ops_aggregates(const vm_ops *ops, vm_clip_aggregates *agg) {
  vm_stats_aggregates(ops ? ops->stats : NULL, agg);
}

/* ---- one caller-owned picture -------------------------------------------------------- */

int32_t vm_image_check(const vm_image *image, const vm_batch *batch) {
  if (!image || image->struct_size < sizeof *image || !batch || batch->struct_size < sizeof *batch ||
      !batch->frames || batch->capacity < 1 || image->width < 1 || image->height < 1 ||
      image->matrix < VM_MATRIX_AUTO || image->matrix > VM_MATRIX_RGB || image->orientation < 0 ||
      image->orientation > VM_ORIENTATION_TRANSVERSE ||
      ((batch->want & VM_WANT_PIXELS) && (batch->data_capacity < 0 || (!batch->data && batch->data_capacity))))
    return VM_ERR_INVALID_ARGUMENT;
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)image->pix_fmt);
  if (!d || (d->flags & AV_PIX_FMT_FLAG_HWACCEL) || ((d->flags & AV_PIX_FMT_FLAG_PAL) && !image->planes[1]))
    return VM_ERR_INVALID_ARGUMENT; /* a palette format needs its palette in planes[1] */
  for (int i = 0; i < av_pix_fmt_count_planes((enum AVPixelFormat)image->pix_fmt); i++)
    if (!image->planes[i] || image->strides[i] <= 0 || image->strides[i] > INT32_MAX) return VM_ERR_INVALID_ARGUMENT;
  return VM_OK;
}

void vm_image_source(const vm_image *image, vm_ops_src *s) {
  memset(s, 0, sizeof *s);
  s->pix_fmt = image->pix_fmt;
  s->width = image->width;
  s->height = image->height;
  for (int i = 0; i < 4; i++) {
    s->data[i] = image->planes[i];
    s->linesize[i] = image->strides[i];
  }
  s->color_space = image->matrix;
  s->color_range = image->color_range;
  s->chroma_location = image->chroma_location;
  s->sar_num = image->sar_num;
  s->sar_den = image->sar_den;
  s->orientation = image->orientation;
}

uint8_t *vm_image_target(vm_batch *batch, const vm_ops_shape *shape, uint8_t **scratch, int32_t *status) {
  vm_frame *out = &batch->frames[0];
  memset(out, 0, sizeof *out);
  out->pts = out->dts = INT64_MIN;
  out->data_offset = -1;
  *scratch = NULL;
  if (batch->want & VM_WANT_PIXELS) {
    if (shape->size > batch->data_capacity) {
      batch->data_needed = shape->size;
      *status = VM_ERR_BUFFER_TOO_SMALL;
    }
    return batch->data;
  }
  if (!(batch->want & VM_WANT_MD5)) return NULL;
  *scratch = av_malloc((size_t)shape->size);
  if (!*scratch) *status = VM_ERR_OUT_OF_MEMORY;
  return *scratch;
}

void vm_image_done(vm_batch *batch, const vm_ops_shape *shape, const uint8_t *dst) {
  vm_frame *out = &batch->frames[0];
  if (dst && (batch->want & VM_WANT_MD5)) av_md5_sum(out->md5, dst, (size_t)shape->size);
  if (batch->want & VM_WANT_PIXELS) {
    out->data_offset = 0;
    batch->data_used = shape->size;
  }
  out->data_size = shape->size;
  out->width = shape->width;
  out->height = shape->height;
  out->pix_fmt = shape->pix_fmt;
  batch->count = 1;
}

int32_t vm_image_process(const vm_image *image, const vm_output *output, vm_batch *batch) {
  int32_t status = vm_image_check(image, batch);
  if (status != VM_OK) return status;
  batch->count = 0;
  batch->data_used = 0;
  batch->data_needed = 0;
  vm_ops *ops = vm_ops_new();
  if (!ops) return VM_ERR_OUT_OF_MEMORY;
  char err[VM_OPS_ERROR_SIZE];
  status = vm_ops_set_output(ops, output, err, sizeof err);
  vm_ops_src s;
  vm_image_source(image, &s);
  vm_ops_shape shape;
  if (status == VM_OK) status = vm_ops_prepare_src(ops, &s, &shape);
  if (status == VM_OK) {
    uint8_t *scratch;
    uint8_t *dst = vm_image_target(batch, &shape, &scratch, &status);
    if (status == VM_OK && dst) status = vm_ops_render(ops, dst);
    if (status == VM_OK && (batch->want & VM_WANT_STATS)) status = vm_ops_stats(ops, &batch->frames[0]);
    if (status == VM_OK) vm_image_done(batch, &shape, dst);
    av_free(scratch);
  }
  vm_ops_free(ops);
  return status;
}
