/* The GPU frame pipeline: which passes run for a converted output or for the statistics, on
 * which buffers, with which tables; the same on the CUDA backend and on the host backend.
 *
 * The tables (resampling starts and weights, from the CPU path's own planning: vm_ops_plan,
 * vm_stats_view) are uploaded when their generation changes, so a clip of one shape uploads
 * them once. A converted output: per component a vertical and a horizontal pass into Q14
 * rows, then the colour matrix written turned onto the canvas, then one download of the
 * output picture. Statistics: the statistics image (the luma area-averaged), one reduction
 * into per-block sums, the motion and dHash images; three small downloads; the host finishes
 * with the CPU's own vm_stats_finish. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/md5.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>

#include "../src/gpu.h"
#include "../src/internal.h"
#include "crop.h"

/* ---- formats ------------------------------------------------------------------------- */

int vm_gpu_surface_format(int sw_pix_fmt, int allow_444) {
  switch (sw_pix_fmt) {
    case AV_PIX_FMT_YUV420P:
    case AV_PIX_FMT_YUVJ420P: return AV_PIX_FMT_NV12;
    case AV_PIX_FMT_YUV420P10LE: return AV_PIX_FMT_P010LE;
    case AV_PIX_FMT_YUV420P12LE: return AV_PIX_FMT_P016LE;
    case AV_PIX_FMT_YUV444P:
    case AV_PIX_FMT_YUVJ444P: return allow_444 ? AV_PIX_FMT_YUV444P : -1;
    case AV_PIX_FMT_YUV444P10LE:
    case AV_PIX_FMT_YUV444P12LE: return allow_444 ? AV_PIX_FMT_YUV444P16LE : -1;
    default: return -1;
  }
}

int32_t vm_gpu_picture_of(int sw_pix_fmt, int surface_fmt, uint8_t *const data[4], const int64_t linesize[4],
                          int x, int y, int w, int h, vm_gpu_picture *pic) {
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)sw_pix_fmt);
  if (!d || vm_gpu_surface_format(sw_pix_fmt, 1) != surface_fmt) return VM_ERR_INVALID_ARGUMENT;
  memset(pic, 0, sizeof *pic);
  pic->sw_pix_fmt = sw_pix_fmt;
  pic->surface_fmt = surface_fmt;
  pic->width = w;
  pic->height = h;
  pic->log2_cw = d->log2_chroma_w;
  pic->log2_ch = d->log2_chroma_h;
  const int depth = d->comp[0].depth;
  const int bytes = depth > 8 ? 2 : 1, shift = depth > 8 ? 16 - depth : 0;
  const int cx = x >> d->log2_chroma_w, cy = y >> d->log2_chroma_h;
  vm_gk_plane luma = {data[0] + (int64_t)y * linesize[0] + (int64_t)x * bytes, linesize[0], bytes, bytes, 0, shift,
                      depth};
  pic->c[0] = luma;
  if (surface_fmt == AV_PIX_FMT_YUV444P || surface_fmt == AV_PIX_FMT_YUV444P16LE) {
    for (int c = 1; c < 3; c++) {
      vm_gk_plane p = {data[c] + (int64_t)cy * linesize[c] + (int64_t)cx * bytes, linesize[c], bytes, bytes, 0, shift,
                       depth};
      pic->c[c] = p;
    }
  } else { /* semi-planar: Cb and Cr interleaved in plane 1 */
    for (int c = 1; c < 3; c++) {
      vm_gk_plane p = {data[1] + (int64_t)cy * linesize[1] + (int64_t)cx * 2 * bytes, linesize[1], bytes, 2 * bytes,
                       (c - 1) * bytes, shift, depth};
      pic->c[c] = p;
    }
  }
  return VM_OK;
}

int32_t vm_gpu_crop_rect(const AVFrame *f, int sw_pix_fmt, int unaligned, int *x, int *y, int *w, int *h) {
  return vm_crop_rect(f, sw_pix_fmt, unaligned, x, y, w, h) < 0 ? VM_ERR_CORRUPT : VM_OK;
}

int32_t vm_gpu_repack(const vm_gpu_picture *pic, uint8_t *dst, int64_t size) {
  const int cw = -((-pic->width) >> pic->log2_cw), ch = -((-pic->height) >> pic->log2_ch);
  const int depth = pic->c[0].depth, bytes = depth > 8 ? 2 : 1;
  const int64_t need = ((int64_t)pic->width * pic->height + 2 * (int64_t)cw * ch) * bytes;
  if (size < need) return VM_ERR_INTERNAL;
  uint8_t *out = dst;
  for (int c = 0; c < 3; c++) {
    const vm_gk_plane *p = &pic->c[c];
    const int w = c ? cw : pic->width, h = c ? ch : pic->height;
    for (int r = 0; r < h; r++) {
      const uint8_t *row = p->data + (int64_t)r * p->stride;
      if (bytes == 1 && p->step == 1) {
        memcpy(out, row, (size_t)w);
      } else if (bytes == 1) { /* NV12 chroma */
        const uint8_t *s = row + p->offset;
        for (int i = 0; i < w; i++) out[i] = s[2 * i];
      } else { /* words with the sample in the high bits, written low-bit aligned (LE) */
        uint8_t *o = out;
        for (int i = 0; i < w; i++, o += 2) {
          const int32_t v = vm_gk_sample(p, row, i);
          o[0] = (uint8_t)v;
          o[1] = (uint8_t)(v >> 8);
        }
      }
      out += (int64_t)w * bytes;
    }
  }
  return VM_OK;
}

/* ---- the work state ------------------------------------------------------------------ */

/* Buffers on the backend, each grown as needed and kept: a clip of a new shape uploads new
 * tables into the same memory instead of freeing and allocating (cudaFree waits for the whole
 * device). */
enum { B_TMP0, B_TMP1, B_TMP2, B_ROWS0, B_ROWS1, B_ROWS2, B_OUT, B_STMP, B_SIMG, B_MTMP, B_HTMP, B_SUMS,
       B_PLAN_TABLES, B_STATS_TABLES = B_PLAN_TABLES + 6, B_COUNT = B_STATS_TABLES + 6 };

/* What the statistics bring back, in one download: the blocks' sums, the motion and dHash
 * images. */
typedef struct stats_out {
  vm_px_luma_acc partials[VM_GK_REDUCE_MAX_BLOCKS];
  int16_t motion[VM_STATS_MOTION_N];
  int16_t hash[VM_STATS_HASH_W * VM_STATS_HASH_H];
} stats_out;

struct vm_gpu_work {
  vm_gk *gk;
  void *buf[B_COUNT];
  size_t buf_size[B_COUNT];
  /* the tables on the backend, and the generation they were uploaded for */
  uint64_t plan_gen, stats_gen;
  vm_gk_axis ax[3], ay[3];
  vm_gk_axis sax, say, smx, smy, shx, shy;
  stats_out back;
};

vm_gpu_work *vm_gpu_work_new(vm_gk *gk) {
  if (!gk) return NULL;
  vm_gpu_work *w = calloc(1, sizeof *w);
  if (!w) {
    gk->ops->destroy(gk);
    return NULL;
  }
  w->gk = gk;
  return w;
}

void vm_gpu_work_free(vm_gpu_work *w) {
  if (!w) return;
  for (int i = 0; i < B_COUNT; i++)
    if (w->buf[i]) w->gk->ops->free(w->gk, w->buf[i]);
  w->gk->ops->destroy(w->gk);
  free(w);
}

int64_t vm_gpu_work_busy_ns(const vm_gpu_work *w) { return w ? w->gk->busy_ns : 0; }

/* A buffer of at least `size` bytes on the backend (grown, never shrunk). */
static void *buffer(vm_gpu_work *w, int slot, size_t size) {
  if (w->buf_size[slot] >= size && w->buf[slot]) return w->buf[slot];
  if (w->buf[slot]) w->gk->ops->free(w->gk, w->buf[slot]);
  w->buf_size[slot] = 0;
  w->buf[slot] = w->gk->ops->alloc(w->gk, size ? size : 1);
  if (w->buf[slot]) w->buf_size[slot] = size;
  return w->buf[slot];
}

/* One axis's tables (starts, then weights) in one backend buffer. */
static int upload_axis(vm_gpu_work *w, const vm_rs_axis *src, vm_gk_axis *dst, int slot) {
  const size_t starts = (size_t)src->n * sizeof(int32_t), weights = (size_t)src->n * src->wstride * sizeof(int16_t);
  uint8_t *base = buffer(w, slot, starts + weights);
  if (!base) return -1;
  if (w->gk->ops->upload(w->gk, base, src->start, starts) || w->gk->ops->upload(w->gk, base + starts, src->w, weights))
    return -1;
  dst->n = src->n;
  dst->taps = src->taps;
  dst->wstride = src->wstride;
  dst->lo = src->lo;
  dst->hi = src->hi;
  dst->contiguous = src->contiguous;
  dst->start = (const int32_t *)base;
  dst->w = (const int16_t *)(base + starts);
  return 0;
}

static int32_t backend_failed(vm_gpu_work *w, const char *what, char *err, size_t err_size) {
  snprintf(err, err_size, "%s: %s", what, w->gk->error[0] ? w->gk->error : "failed");
  return VM_ERR_INTERNAL;
}

/* The vertical then horizontal pass of one component: src -> out (ay.n rows of ax.n samples). */
static int resample(vm_gpu_work *w, const vm_gk_plane *src, const vm_gk_axis *ax, const vm_gk_axis *ay, int tmp_slot,
                    int16_t *out) {
  const int width = ax->hi - ax->lo;
  int16_t *tmp = buffer(w, tmp_slot, (size_t)width * ay->n * sizeof(int16_t));
  if (!tmp) return -1;
  vm_gk_vertical_args v = {*src, *ay, ax->lo, ax->hi, tmp};
  vm_gk_horizontal_args h = {tmp, *ax, ay->n, out};
  if (w->gk->ops->vertical(w->gk, &v)) return -1;
  return w->gk->ops->horizontal(w->gk, &h);
}

/* ---- a converted output ---------------------------------------------------------------- */

int32_t vm_gpu_render(vm_gpu_work *w, const vm_gpu_picture *pic, vm_ops *ops, uint8_t *dst, char *err,
                      size_t err_size) {
  vm_ops_plan plan;
  vm_ops_plan_get(ops, &plan);
  vm_gk *gk = w->gk;
  if (plan.generation != w->plan_gen) {
    w->plan_gen = 0;
    for (int p = 0; p < plan.nplanes; p++)
      if (upload_axis(w, &plan.ax[p], &w->ax[p], B_PLAN_TABLES + 2 * p) ||
          upload_axis(w, &plan.ay[p], &w->ay[p], B_PLAN_TABLES + 2 * p + 1))
        return backend_failed(w, "uploading the resampling tables", err, err_size);
    w->plan_gen = plan.generation;
  }
  const vm_geometry *g = plan.geom;
  const int nx = g->n[0], ny = g->n[1];
  vm_gk_matrix_args m;
  memset(&m, 0, sizeof m);
  for (int p = 0; p < plan.nplanes; p++) {
    int16_t *rows = buffer(w, B_ROWS0 + p, (size_t)nx * ny * sizeof(int16_t));
    if (!rows || resample(w, &pic->c[plan.component[p]], &w->ax[p], &w->ay[p], B_TMP0 + p, rows))
      return backend_failed(w, "resampling", err, err_size);
    m.q[p] = rows;
  }
  uint8_t *out = buffer(w, B_OUT, (size_t)plan.size);
  if (!out) return backend_failed(w, "allocating the output", err, err_size);
  if ((g->img_w != g->canvas_w || g->img_h != g->canvas_h) && gk->ops->zero(gk, out, (size_t)plan.size))
    return backend_failed(w, "clearing the canvas", err, err_size);
  m.nx = nx;
  m.ny = ny;
  m.m = *plan.matrix;
  m.channels = plan.channels;
  m.kind = plan.out_fmt == AV_PIX_FMT_GRAY8 ? VM_GK_GRAY : plan.out_fmt == AV_PIX_FMT_BGR24 ? VM_GK_BGR : VM_GK_RGB;
  m.orientation = plan.orientation;
  m.stride = (int64_t)g->canvas_w * plan.channels;
  m.img = out + (int64_t)g->img_y * m.stride + (int64_t)g->img_x * plan.channels;
  if (gk->ops->matrix(gk, &m)) return backend_failed(w, "the colour matrix", err, err_size);
  if (gk->ops->download(gk, dst, out, (size_t)plan.size)) return backend_failed(w, "downloading the output", err, err_size);
  return VM_OK;
}

/* ---- statistics ------------------------------------------------------------------------ */

int32_t vm_gpu_stats(vm_gpu_work *w, const vm_gpu_picture *pic, const vm_ops_src *src, vm_ops *ops, vm_frame *out,
                     char *err, size_t err_size) {
  vm_gk *gk = w->gk;
  const vm_output *o = vm_ops_output(ops);
  const int orientation = (o->flags & VM_OUTPUT_KEEP_ORIENTATION) ? VM_ORIENTATION_NORMAL : src->orientation;
  vm_stats *st = vm_ops_stats_state(ops);
  vm_stats_view v;
  int32_t status = vm_stats_shape(st, pic->width, pic->height, (orientation & VM_ORIENTATION_TRANSPOSE) != 0, &v);
  if (status != VM_OK) {
    snprintf(err, err_size, "out of memory for the statistics of a %dx%d frame", pic->width, pic->height);
    return status;
  }
  if (v.generation != w->stats_gen) {
    w->stats_gen = 0;
    const vm_rs_axis *axes[6] = {v.ax, v.ay, v.mx, v.my, v.hx, v.hy};
    vm_gk_axis *dst[6] = {&w->sax, &w->say, &w->smx, &w->smy, &w->shx, &w->shy};
    for (int i = 0; i < 6; i++)
      if (upload_axis(w, axes[i], dst[i], B_STATS_TABLES + i))
        return backend_failed(w, "uploading the statistics tables", err, err_size);
    w->stats_gen = v.generation;
  }
  vm_layout layout;
  int unused;
  if (vm_layout_of(src->pix_fmt, &layout, &unused) != 0) {
    snprintf(err, err_size, "internal: %s is not read natively", av_get_pix_fmt_name((enum AVPixelFormat)src->pix_fmt));
    return VM_ERR_INTERNAL;
  }
  const vm_px_luma_scale ls = vm_stats_luma_scale(src, &layout);

  const int64_t n = (int64_t)v.sw * v.sh;
  int16_t *img = buffer(w, B_SIMG, (size_t)n * sizeof(int16_t));
  stats_out *dev = buffer(w, B_SUMS, sizeof(stats_out));
  if (!img || !dev) return backend_failed(w, "allocating the statistics", err, err_size);
  if (resample(w, &pic->c[0], &w->sax, &w->say, B_STMP, img))
    return backend_failed(w, "the statistics image", err, err_size);
  vm_gk_reduce_args r = {img, v.sw, v.sh, ls, vm_gk_reduce_blocks(n), dev->partials};
  if (gk->ops->reduce(gk, &r)) return backend_failed(w, "the statistics sums", err, err_size);
  const vm_gk_plane q14 = {(const uint8_t *)img, (int64_t)v.sw * 2, 2, 2, 0, 0, VM_PX_Q};
  if (resample(w, &q14, &w->smx, &w->smy, B_MTMP, dev->motion) || resample(w, &q14, &w->shx, &w->shy, B_HTMP, dev->hash))
    return backend_failed(w, "the motion and hash images", err, err_size);
  if (gk->ops->download(gk, &w->back, dev, sizeof w->back))
    return backend_failed(w, "downloading the statistics", err, err_size);
  vm_stats_sums sums;
  memcpy(sums.motion_q, w->back.motion, sizeof sums.motion_q);
  memcpy(sums.hash_q, w->back.hash, sizeof sums.hash_q);
  vm_gk_acc_clear(&sums.acc);
  for (int b = 0; b < r.blocks; b++) vm_gk_acc_merge(&sums.acc, &w->back.partials[b]);
  return vm_stats_finish(st, &sums, ls, orientation, o->scene_threshold, out);
}

/* ---- one caller's picture through the GPU path ------------------------------------------- */

/* The picture laid out as NVDEC would deliver it (pitches rounded up as CUDA's are), in host
 * memory: returns the planes and pitches. */
static int32_t nvdec_layout(const vm_image *im, int surface, uint8_t *planes[4], int64_t pitch[4], int *nplanes) {
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)im->pix_fmt);
  const int depth = d->comp[0].depth, bytes = depth > 8 ? 2 : 1, shift = depth > 8 ? 16 - depth : 0;
  const int cw = -((-im->width) >> d->log2_chroma_w), ch = -((-im->height) >> d->log2_chroma_h);
  const int semi = surface == AV_PIX_FMT_NV12 || surface == AV_PIX_FMT_P010LE || surface == AV_PIX_FMT_P016LE;
  *nplanes = semi ? 2 : 3;
  for (int p = 0; p < 4; p++) planes[p] = NULL;
  for (int p = 0; p < *nplanes; p++) {
    const int w = p == 0 ? im->width : semi ? 2 * cw : cw, h = p == 0 ? im->height : ch;
    pitch[p] = ((int64_t)w * bytes + 255) / 256 * 256;
    planes[p] = av_mallocz((size_t)(pitch[p] * h));
    if (!planes[p]) return VM_ERR_OUT_OF_MEMORY;
  }
  for (int c = 0; c < 3; c++) {
    const AVComponentDescriptor *cd = &d->comp[c];
    const int w = c ? cw : im->width, h = c ? ch : im->height;
    for (int y = 0; y < h; y++) {
      const uint8_t *row = im->planes[cd->plane] + (int64_t)y * im->strides[cd->plane];
      for (int x = 0; x < w; x++) {
        const uint8_t *s = row + (int64_t)x * cd->step + cd->offset;
        int32_t v = bytes == 1 ? *s : (((s[0] | s[1] << 8) >> cd->shift) & ((1 << depth) - 1));
        const int plane = semi ? (c ? 1 : 0) : c;
        const int64_t at = (int64_t)y * pitch[plane] + (semi && c ? (2 * x + c - 1) : x) * bytes;
        if (bytes == 1) {
          planes[plane][at] = (uint8_t)v;
        } else {
          v <<= shift;
          planes[plane][at] = (uint8_t)v;
          planes[plane][at + 1] = (uint8_t)(v >> 8);
        }
      }
    }
  }
  return VM_OK;
}

int32_t vm_image_process_on(const vm_image *image, const vm_output *output, vm_batch *batch, int32_t device,
                            int32_t device_index) {
  if (device == VM_DEVICE_CPU) return vm_image_process(image, output, batch);
  if (device != VM_DEVICE_CUDA && device != VM_DEVICE_EMULATED) return VM_ERR_INVALID_ARGUMENT;
  int32_t status = vm_image_check(image, batch);
  if (status != VM_OK) return status;
  const int surface = vm_gpu_surface_format(image->pix_fmt, 1);
  if (surface < 0) return VM_ERR_UNSUPPORTED_CODEC;
  batch->count = 0;
  batch->data_used = 0;
  batch->data_needed = 0;
  vm_library_once();

  char why[256] = "";
  vm_gk *gk = device == VM_DEVICE_EMULATED ? vm_gk_emulated_new() : vm_gk_cuda_new(device_index, why, sizeof why);
  if (!gk) return device == VM_DEVICE_EMULATED ? VM_ERR_OUT_OF_MEMORY : VM_ERR_INVALID_ARGUMENT;
  vm_gpu_work *w = vm_gpu_work_new(gk);
  vm_ops *ops = vm_ops_new();
  uint8_t *host[4] = {NULL, NULL, NULL, NULL}, *dev[4] = {NULL, NULL, NULL, NULL}, *back[4] = {NULL, NULL, NULL, NULL};
  int64_t pitch[4] = {0, 0, 0, 0};
  int nplanes = 0;
  status = w && ops ? VM_OK : VM_ERR_OUT_OF_MEMORY;
  char err[256] = "";
  if (status == VM_OK) status = vm_ops_set_output(ops, output, err, sizeof err);
  if (status == VM_OK) status = nvdec_layout(image, surface, host, pitch, &nplanes);
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)image->pix_fmt);
  for (int p = 0; status == VM_OK && p < nplanes; p++) {
    const int h = p == 0 ? image->height : -((-image->height) >> d->log2_chroma_h);
    dev[p] = gk->ops->alloc(gk, (size_t)(pitch[p] * h));
    if (!dev[p] || gk->ops->upload(gk, dev[p], host[p], (size_t)(pitch[p] * h))) status = VM_ERR_INTERNAL;
  }
  vm_gpu_picture pic;
  if (status == VM_OK)
    status = vm_gpu_picture_of(image->pix_fmt, surface, dev, pitch, 0, 0, image->width, image->height, &pic);
  vm_ops_src s;
  vm_image_source(image, &s);
  memset(s.data, 0, sizeof s.data); /* the planner needs no pixels; the kernels read pic */
  vm_ops_shape shape;
  if (status == VM_OK) status = vm_ops_prepare_src(ops, &s, &shape);
  if (status == VM_OK) {
    uint8_t *scratch;
    uint8_t *dst = vm_image_target(batch, &shape, &scratch, &status);
    if (status == VM_OK && dst) {
      if (vm_ops_converts(ops)) {
        status = vm_gpu_render(w, &pic, ops, dst, err, sizeof err);
      } else { /* what a frame download does: the surface back to the host, then repacked */
        vm_gpu_picture hp;
        for (int p = 0; status == VM_OK && p < nplanes; p++) {
          const int h = p == 0 ? image->height : -((-image->height) >> d->log2_chroma_h);
          back[p] = av_malloc((size_t)(pitch[p] * h));
          if (!back[p] || gk->ops->download(gk, back[p], dev[p], (size_t)(pitch[p] * h))) status = VM_ERR_INTERNAL;
        }
        if (status == VM_OK)
          status = vm_gpu_picture_of(image->pix_fmt, surface, back, pitch, 0, 0, image->width, image->height, &hp);
        if (status == VM_OK) status = vm_gpu_repack(&hp, dst, shape.size);
      }
    }
    if (status == VM_OK && (batch->want & VM_WANT_STATS))
      status = vm_gpu_stats(w, &pic, &s, ops, &batch->frames[0], err, sizeof err);
    if (status == VM_OK) vm_image_done(batch, &shape, dst);
    av_free(scratch);
  }
  for (int p = 0; p < 3; p++) {
    av_free(host[p]);
    av_free(back[p]);
    if (dev[p]) gk->ops->free(gk, dev[p]);
  }
  vm_ops_free(ops);
  vm_gpu_work_free(w);
  return status;
}
