/* Frame statistics on a small luma image (definitions: vidmill.h "Frame statistics",
 * docs/frames.md), and their per-clip aggregates. */
#include <math.h>
#include <string.h>

#include <libavutil/mem.h>

#include "ops.h"

#define MOTION_N VM_STATS_MOTION_N
#define HASH_W VM_STATS_HASH_W
#define HASH_H VM_STATS_HASH_H

struct vm_stats {
  /* the statistics image of the current source shape */
  int src_w, src_h, sw, sh;
  vm_rs_axis ax, ay;       /* luma -> statistics image */
  vm_rs_axis mx, my;       /* statistics image -> motion image */
  vm_rs_axis hx, hy;       /* statistics image -> hash image (storage orientation) */
  int hash_transposed;
  int16_t *img;            /* sw x sh, Q14 luma */
  float *level;            /* sw x sh, levels 0..255 */
  int16_t *tmp, *rgb[3];
  int64_t tmp_size, rgb_size;
  uint64_t generation;     /* of the shape, for the GPU path's uploaded tables */
  vm_stats_sums sums;      /* the CPU path's per-frame sums */

  int have_prev;
  float prev_motion[MOTION_N];
  uint32_t prev_hist[VM_PX_HIST_BINS];
  uint64_t prev_n;

  vm_clip_aggregates agg;
  double luma_sum, sharp_sum, motion_sum;
  int64_t motion_frames;
};

vm_stats *vm_stats_new(void) {
  vm_stats *s = av_mallocz(sizeof *s);
  return s;
}

static void free_shape(vm_stats *s) {
  vm_rs_axis_free(&s->ax);
  vm_rs_axis_free(&s->ay);
  vm_rs_axis_free(&s->mx);
  vm_rs_axis_free(&s->my);
  vm_rs_axis_free(&s->hx);
  vm_rs_axis_free(&s->hy);
  av_freep(&s->img);
  av_freep(&s->level);
  av_freep(&s->tmp);
  for (int i = 0; i < 3; i++) av_freep(&s->rgb[i]);
  s->src_w = s->src_h = 0;
}

void vm_stats_free(vm_stats *s) {
  if (!s) return;
  free_shape(s);
  av_free(s);
}

/* Area-averaging axis from n_src samples to n samples, the whole picture. */
static int32_t area_axis(vm_rs_axis *ax, int n_src, int n) {
  double a = (double)n_src / n;
  return vm_rs_axis_build(ax, n_src, n, a, a * 0.5 - 0.5, VM_PX_AREA);
}

static int64_t div_round(int64_t p, int64_t q) { return (2 * p + q) / (2 * q); }

static int32_t shape(vm_stats *s, int w, int h, int transposed) {
  if (s->src_w == w && s->src_h == h && s->hash_transposed == transposed) return VM_OK;
  free_shape(s);
  int64_t sw = w, sh = h, shortest = w < h ? w : h;
  if (shortest > VM_PX_STATS_SHORT_SIDE) {
    sw = w < h ? VM_PX_STATS_SHORT_SIDE : div_round((int64_t)w * VM_PX_STATS_SHORT_SIDE, shortest);
    sh = w < h ? div_round((int64_t)h * VM_PX_STATS_SHORT_SIDE, shortest) : VM_PX_STATS_SHORT_SIDE;
  }
  if (sw > VM_PX_STATS_LONG_SIDE) sw = VM_PX_STATS_LONG_SIDE;
  if (sh > VM_PX_STATS_LONG_SIDE) sh = VM_PX_STATS_LONG_SIDE;
  s->sw = (int)sw;
  s->sh = (int)sh;
  s->hash_transposed = transposed;
  int32_t status = area_axis(&s->ax, w, s->sw);
  if (status == VM_OK) status = area_axis(&s->ay, h, s->sh);
  if (status == VM_OK) status = area_axis(&s->mx, s->sw, VM_PX_MOTION_SIZE);
  if (status == VM_OK) status = area_axis(&s->my, s->sh, VM_PX_MOTION_SIZE);
  if (status == VM_OK) status = area_axis(&s->hx, s->sw, transposed ? HASH_H : HASH_W);
  if (status == VM_OK) status = area_axis(&s->hy, s->sh, transposed ? HASH_W : HASH_H);
  int64_t n = (int64_t)s->sw * s->sh;
  s->img = av_malloc_array((size_t)n, sizeof *s->img);
  s->level = av_malloc_array((size_t)n, sizeof *s->level);
  s->tmp = av_malloc_array((size_t)(w > s->sw ? w : s->sw) + VM_RS_SLACK, sizeof *s->tmp);
  for (int i = 0; i < 3; i++) s->rgb[i] = av_malloc_array((size_t)s->sw, sizeof *s->rgb[i]);
  if (status != VM_OK || !s->img || !s->level || !s->tmp || !s->rgb[0] || !s->rgb[1] || !s->rgb[2]) {
    free_shape(s);
    return status != VM_OK ? status : VM_ERR_OUT_OF_MEMORY;
  }
  s->src_w = w;
  s->src_h = h;
  return VM_OK;
}

static void plane_of(const vm_ops_src *src, const vm_layout *l, int c, vm_rs_plane *p) {
  p->data = src->data[l->c[c].plane];
  p->stride = src->linesize[l->c[c].plane];
  p->width = src->width;
  p->height = src->height;
  p->bytes = l->c[c].bytes;
  p->step = l->c[c].step;
  p->offset = l->c[c].offset;
  p->shift = l->c[c].shift;
  p->depth = l->depth;
}

/* Resamples the Q14 statistics image to the n x m image of axes ax, ay. */
static void from_image(vm_stats *s, const vm_rs_axis *ax, const vm_rs_axis *ay, int16_t *out) {
  vm_rs_plane p = {.data = (const uint8_t *)s->img, .stride = (int64_t)s->sw * 2, .width = s->sw,
                   .height = s->sh, .bytes = 2, .step = 2, .depth = VM_PX_Q};
  for (int r = 0; r < ay->n; r++) vm_rs_row(&p, ax, ay, r, s->tmp, out + (int64_t)r * ax->n);
}

/* A new value for every shape or plan built anywhere in the process: lets the GPU path know
 * when the tables it uploaded are stale, even across clips. */
static _Atomic uint64_t shape_generations;

int32_t vm_stats_shape(vm_stats *s, int w, int h, int transposed, vm_stats_view *view) {
  int fresh = !(s->src_w == w && s->src_h == h && s->hash_transposed == transposed);
  int32_t status = shape(s, w, h, transposed);
  if (status != VM_OK) return status;
  if (fresh || !s->generation) s->generation = ++shape_generations;
  view->sw = s->sw;
  view->sh = s->sh;
  view->ax = &s->ax;
  view->ay = &s->ay;
  view->mx = &s->mx;
  view->my = &s->my;
  view->hx = &s->hx;
  view->hy = &s->hy;
  view->generation = s->generation;
  return VM_OK;
}

vm_px_luma_scale vm_stats_luma_scale(const vm_ops_src *src, const vm_layout *l) {
  return l->rgb ? vm_px_luma_scale_of(l->depth, 1) : vm_px_luma_scale_of(l->depth, vm_ops_full_range(src, l));
}

int32_t vm_stats_frame(vm_stats *s, const vm_ops_src *src, const vm_layout *l, float scene_threshold,
                       vm_frame *out) {
  const int o = src->orientation;
  vm_stats_view view;
  int32_t status = vm_stats_shape(s, src->width, src->height, (o & VM_ORIENTATION_TRANSPOSE) != 0, &view);
  if (status != VM_OK) return status;

  /* the statistics image: luma, or BT.601 luma of an RGB source */
  if (l->rgb) {
    vm_rs_plane p[3];
    for (int c = 0; c < 3; c++) plane_of(src, l, c, &p[c]);
    for (int r = 0; r < s->sh; r++) {
      for (int c = 0; c < 3; c++) vm_rs_row(&p[c], &s->ax, &s->ay, r, s->tmp, s->rgb[c]);
      int16_t *row = s->img + (int64_t)r * s->sw;
      for (int x = 0; x < s->sw; x++)
        row[x] = (int16_t)((4899 * s->rgb[0][x] + 9617 * s->rgb[1][x] + 1868 * s->rgb[2][x] + 8192) >> 14);
    }
  } else {
    vm_rs_plane p;
    plane_of(src, l, 0, &p);
    for (int r = 0; r < s->sh; r++) vm_rs_row(&p, &s->ax, &s->ay, r, s->tmp, s->img + (int64_t)r * s->sw);
  }
  vm_px_luma_scale ls = vm_stats_luma_scale(src, l);

  vm_stats_sums *sums = &s->sums;
  memset(&sums->acc, 0, sizeof sums->acc);
  const int64_t n = (int64_t)s->sw * s->sh;
  for (int64_t i = 0; i < n; i++) {
    float v = vm_px_luma_level(ls, s->img[i]);
    s->level[i] = v;
    vm_px_luma_add(&sums->acc, v);
  }
  for (int y = 1; y + 1 < s->sh; y++)
    for (int x = 1; x + 1 < s->sw; x++)
      vm_px_lap_add(&sums->acc, vm_px_laplacian(s->level + (int64_t)y * s->sw + x, s->sw));
  from_image(s, &s->mx, &s->my, sums->motion_q);
  from_image(s, &s->hx, &s->hy, sums->hash_q);
  return vm_stats_finish(s, sums, ls, o, scene_threshold, out);
}

int32_t vm_stats_finish(vm_stats *s, const vm_stats_sums *sums, vm_px_luma_scale ls, int orientation,
                        float scene_threshold, vm_frame *out) {
  const vm_px_luma_acc *acc = &sums->acc;
  float motion_level[MOTION_N];
  double diff = 0;
  for (int i = 0; i < MOTION_N; i++) {
    motion_level[i] = vm_px_luma_level(ls, sums->motion_q[i]);
    diff += fabsf(motion_level[i] - s->prev_motion[i]);
  }

  /* dHash on the picture as output: read the storage-oriented 9x8 (or 8x9) image through
   * the orientation */
  const int o = orientation;
  const int transpose = (o & VM_ORIENTATION_TRANSPOSE) != 0;
  const int fx = (o & VM_ORIENTATION_MIRROR) != 0, fy = (o & VM_ORIENTATION_FLIP) != 0;
  const int hw = s->hx.n;
  uint64_t hash = 0;
  for (int y = 0; y < HASH_H; y++) {
    int32_t prev = 0;
    for (int x = 0; x < HASH_W; x++) {
      int tx = fx ? HASH_W - 1 - x : x, ty = fy ? HASH_H - 1 - y : y;
      int sx = transpose ? ty : tx, sy = transpose ? tx : ty;
      int32_t v = sums->hash_q[sy * hw + sx];
      if (x > 0) hash |= vm_px_dhash_bit(prev, v, y * 8 + x - 1);
      prev = v;
    }
  }

  double mean = acc->n ? acc->sum / (double)acc->n : 0;
  double std = sqrt(vm_px_variance(acc->sum, acc->sum2, acc->n));
  double sharp = vm_px_variance(acc->lap_sum, acc->lap_sum2, acc->lap_n);
  double dark = acc->n ? (double)acc->dark / (double)acc->n : 0;
  out->luma_mean = (float)mean;
  out->luma_std = (float)std;
  out->dark_fraction = (float)dark;
  out->sharpness = (float)sharp;
  out->dhash = hash;
  out->flags |= VM_FRAME_STATS;
  if (dark >= VM_PX_BLACK_RATIO) out->flags |= VM_FRAME_BLACK;
  if (std <= VM_PX_BLANK_STDDEV) out->flags |= VM_FRAME_BLANK;
  if (s->have_prev) {
    out->motion = (float)(diff / MOTION_N);
    out->scene_score = vm_px_hist_distance(acc->hist, acc->n, s->prev_hist, s->prev_n);
    if (out->scene_score >= scene_threshold) out->flags |= VM_FRAME_SCENE_CUT;
  } else {
    out->motion = -1;
    out->scene_score = -1;
  }
  s->have_prev = 1;
  memcpy(s->prev_motion, motion_level, sizeof s->prev_motion);
  memcpy(s->prev_hist, acc->hist, sizeof s->prev_hist);
  s->prev_n = acc->n;

  vm_clip_aggregates *a = &s->agg;
  if (a->frames == 0) {
    a->luma_min = a->luma_max = out->luma_mean;
    a->sharpness_min = a->sharpness_max = out->sharpness;
  }
  a->frames++;
  a->black_frames += (out->flags & VM_FRAME_BLACK) != 0;
  a->blank_frames += (out->flags & VM_FRAME_BLANK) != 0;
  a->scene_cuts += (out->flags & VM_FRAME_SCENE_CUT) != 0;
  a->luma_min = fmin(a->luma_min, out->luma_mean);
  a->luma_max = fmax(a->luma_max, out->luma_mean);
  a->sharpness_min = fmin(a->sharpness_min, out->sharpness);
  a->sharpness_max = fmax(a->sharpness_max, out->sharpness);
  s->luma_sum += out->luma_mean;
  s->sharp_sum += out->sharpness;
  if (out->motion >= 0) {
    if (s->motion_frames == 0) a->motion_min = a->motion_max = out->motion;
    s->motion_frames++;
    s->motion_sum += out->motion;
    a->motion_min = fmin(a->motion_min, out->motion);
    a->motion_max = fmax(a->motion_max, out->motion);
    a->scene_score_max = fmax(a->scene_score_max, out->scene_score);
  }
  return VM_OK;
}

void vm_stats_aggregates(const vm_stats *s, vm_clip_aggregates *agg) {
  memset(agg, 0, sizeof *agg);
  agg->struct_size = sizeof *agg;
  agg->motion_mean = agg->motion_min = agg->motion_max = agg->scene_score_max = -1;
  if (!s || s->agg.frames == 0) return;
  *agg = s->agg;
  agg->struct_size = sizeof *agg;
  agg->luma_mean = s->luma_sum / (double)s->agg.frames;
  agg->sharpness_mean = s->sharp_sum / (double)s->agg.frames;
  if (s->motion_frames) {
    agg->motion_mean = s->motion_sum / (double)s->motion_frames;
  } else {
    agg->motion_mean = agg->motion_min = agg->motion_max = agg->scene_score_max = -1;
  }
}
