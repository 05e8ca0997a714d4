/* Which pixel formats are read natively, how the display matrix orients a picture, and the
 * output geometry of each resize mode. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
#include <libavutil/rational.h>

#include "ops.h"

/* A little-endian planar YUV format with the same chroma subsampling (so that swscale only
 * changes the layout, never resamples chroma) and the same depth, else 16 bits. */
static int yuv_planar_like(const AVPixFmtDescriptor *src, int depth) {
  int best = -1, best_depth = 0;
  for (const AVPixFmtDescriptor *d = av_pix_fmt_desc_next(NULL); d; d = av_pix_fmt_desc_next(d)) {
    if ((d->flags & (AV_PIX_FMT_FLAG_BE | AV_PIX_FMT_FLAG_ALPHA | AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_HWACCEL |
                     AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_FLOAT)) ||
        !(d->flags & AV_PIX_FMT_FLAG_PLANAR) || d->nb_components != 3 || d->log2_chroma_w != src->log2_chroma_w ||
        d->log2_chroma_h != src->log2_chroma_h || d->comp[1].plane != 1 || d->comp[2].plane != 2 ||
        strncmp(d->name, "yuv", 3) != 0 || strncmp(d->name, "yuvj", 4) == 0)
      continue;
    int dd = d->comp[0].depth;
    if (dd < depth || (dd != 8 && dd % 2)) continue;
    if (best < 0 || (dd == depth && best_depth != depth) || (best_depth != depth && dd > best_depth)) {
      best = av_pix_fmt_desc_get_id(d);
      best_depth = dd;
    }
  }
  return best >= 0 ? best : (depth > 8 ? AV_PIX_FMT_YUV444P16LE : AV_PIX_FMT_YUV444P);
}

int vm_layout_of(int pix_fmt, vm_layout *l, int *fallback) {
  memset(l, 0, sizeof *l);
  *fallback = -1;
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)pix_fmt);
  if (!d || (d->flags & AV_PIX_FMT_FLAG_HWACCEL) || d->nb_components < 1) return -1;
  int rgb = (d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BAYER |
                         AV_PIX_FMT_FLAG_XYZ)) != 0;
  int gray = !rgb && d->nb_components <= 2;
  int depth = 0;
  for (int i = 0; i < d->nb_components; i++)
    if (d->comp[i].depth > depth) depth = d->comp[i].depth;
  /* what swscale converts an unusual format to, keeping its precision and its kind */
  int deep = depth > 8;
  *fallback = rgb ? (deep ? AV_PIX_FMT_RGB48LE : AV_PIX_FMT_RGB24) /* swscale converts RGB to RGB directly */
                  : gray ? (deep ? AV_PIX_FMT_GRAY16LE : AV_PIX_FMT_GRAY8)
                         : yuv_planar_like(d, depth);
  if (d->flags & (AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_BAYER |
                  AV_PIX_FMT_FLAG_FLOAT | AV_PIX_FMT_FLAG_XYZ))
    return -1;
  if ((d->flags & AV_PIX_FMT_FLAG_BE) && deep) return -1;
  l->ncomp = gray ? 1 : 3;
  if (!gray && d->nb_components < 3) return -1;
  l->rgb = rgb;
  l->depth = depth;
  l->log2_cw = d->log2_chroma_w;
  l->log2_ch = d->log2_chroma_h;
  for (int i = 0; i < l->ncomp; i++) {
    const AVComponentDescriptor *c = &d->comp[i];
    if (c->depth != depth) return -1;
    if (depth == 8) {
      if (c->shift) return -1;
      l->c[i].bytes = 1;
    } else if (depth > 8 && depth <= 16) {
      if (c->step % 2 || c->offset % 2 || c->shift + depth > 16) return -1;
      l->c[i].bytes = 2;
    } else {
      return -1; /* sub-byte components (rgb565, monow, ...) */
    }
    l->c[i].plane = c->plane;
    l->c[i].step = c->step;
    l->c[i].offset = c->offset;
    l->c[i].shift = c->shift;
  }
  *fallback = -1;
  return 0;
}

/* Composes the transpose/flip bits: transpose first, then the flips in display space. */
#define T VM_ORIENTATION_TRANSPOSE
#define FX VM_ORIENTATION_MIRROR
#define FY VM_ORIENTATION_FLIP

int vm_orientation_from_matrix(const int32_t *m) {
  if (!m) return VM_ORIENTATION_NORMAL;
  double r = av_display_rotation_get(m);
  if (r != r) return VM_ORIENTATION_NORMAL; /* degenerate */
  /* ffmpeg's autorotation (fftools/ffmpeg_filter.c): theta clockwise in [0, 360), the
   * matrix's own signs deciding the flips; other angles go to the nearest quarter turn. */
  double theta = -round(r);
  theta -= 360 * floor(theta / 360 + 0.9 / 360);
  int quarter = (int)floor(theta / 90 + 0.5) % 4;
  switch (quarter) {
    case 1: return m[3] > 0 ? T : (T | FX);           /* transpose=cclock_flip : clock */
    case 2: return (m[0] < 0 ? FX : 0) | (m[4] < 0 ? FY : 0); /* hflip, vflip as needed */
    case 3: return m[3] < 0 ? (T | FX | FY) : (T | FY); /* transpose=clock_flip : cclock */
    default: return m[4] < 0 ? FY : 0;
  }
}

#undef T
#undef FX
#undef FY

/* round(p / q) for p >= 0, q > 0 */
static int64_t div_round(int64_t p, int64_t q) { return (2 * p + q) / (2 * q); }

int32_t vm_geometry_compute(const vm_output *o, int w, int h, int sar_num, int sar_den, int orient,
                            vm_geometry *g, char *err, size_t err_size) {
  memset(g, 0, sizeof *g);
  int transpose = (orient & VM_ORIENTATION_TRANSPOSE) != 0;
  int fx = (orient & VM_ORIENTATION_MIRROR) != 0, fy = (orient & VM_ORIENTATION_FLIP) != 0;
  /* the picture as displayed: samples along each display axis, and its aspect num/den in
   * square pixels (the sample aspect stretches the storage x axis) */
  int64_t dx = transpose ? h : w, dy = transpose ? w : h;
  int sn = sar_num, sd = sar_den;
  if ((o->flags & VM_OUTPUT_IGNORE_SAR) || sn <= 0 || sd <= 0) sn = sd = 1;
  av_reduce(&sn, &sd, sn, sd, 1 << 16);
  int64_t num = transpose ? (int64_t)h * sd : (int64_t)w * sn;
  int64_t den = transpose ? (int64_t)w * sn : (int64_t)h * sd;
  int64_t tw = o->width, th = o->height;
  int64_t iw = dx, ih = dy, rw, rh; /* picture size; resampled size (bigger than it when cropped) */
  switch (o->resize) {
    case VM_RESIZE_NONE:
      break;
    case VM_RESIZE_FILL:
      iw = tw;
      ih = th;
      break;
    case VM_RESIZE_FIT:
    case VM_RESIZE_PAD:
      if (tw * den <= th * num) {
        iw = tw;
        ih = div_round(tw * den, num);
        ih = ih < 1 ? 1 : (ih > th ? th : ih);
      } else {
        ih = th;
        iw = div_round(th * num, den);
        iw = iw < 1 ? 1 : (iw > tw ? tw : iw);
      }
      break;
    case VM_RESIZE_CENTER_CROP:
      iw = tw;
      ih = th;
      break;
    case VM_RESIZE_SHORT_SIDE:
      if (num <= den) {
        iw = tw;
        ih = div_round(tw * den, num);
      } else {
        ih = tw;
        iw = div_round(tw * num, den);
      }
      if (iw < 1) iw = 1;
      if (ih < 1) ih = 1;
      break;
    default:
      snprintf(err, err_size, "unknown resize mode %d", o->resize);
      return VM_ERR_INVALID_ARGUMENT;
  }
  rw = iw;
  rh = ih;
  if (o->resize == VM_RESIZE_CENTER_CROP) { /* cover the box, then keep its centre */
    if (tw * den >= th * num) {
      rw = tw;
      rh = div_round(tw * den, num);
      if (rh < th) rh = th;
    } else {
      rh = th;
      rw = div_round(th * num, den);
      if (rw < tw) rw = tw;
    }
  }
  if (iw > VM_MAX_OUTPUT_SIDE || ih > VM_MAX_OUTPUT_SIDE || rw > ((int64_t)1 << 30) || rh > ((int64_t)1 << 30)) {
    snprintf(err, err_size, "output size %" PRId64 "x%" PRId64 " is over the limit of %d per side", iw, ih,
             VM_MAX_OUTPUT_SIDE);
    return VM_ERR_TOO_LARGE;
  }
  g->img_w = (int)iw;
  g->img_h = (int)ih;
  g->canvas_w = o->resize == VM_RESIZE_PAD ? (int)tw : (int)iw;
  g->canvas_h = o->resize == VM_RESIZE_PAD ? (int)th : (int)ih;
  g->img_x = (g->canvas_w - g->img_w) / 2;
  g->img_y = (g->canvas_h - g->img_h) / 2;
  /* per display axis: the resampled length, the crop offset into it */
  int64_t len_d[2] = {dx, dy}, res_d[2] = {rw, rh}, n_d[2] = {iw, ih};
  int64_t off_d[2] = {(rw - iw) / 2, (rh - ih) / 2};
  int flip_d[2] = {fx, fy};
  for (int s = 0; s < 2; s++) { /* storage axis s shows along display axis d */
    int d = transpose ? 1 - s : s;
    double a = (double)len_d[d] / (double)res_d[d];
    /* a reversed axis crops from the other end: the same pixels, counted backwards */
    int64_t off = flip_d[d] ? res_d[d] - n_d[d] - off_d[d] : off_d[d];
    g->n[s] = (int)n_d[d];
    g->a[s] = a;
    g->b[s] = a * ((double)off + 0.5) - 0.5;
  }
  return VM_OK;
}
