/* Frame operations inside libvidmill: conversion, resizing, orientation, statistics.
 * Internal; the public side is the "Frame operations" section of vidmill.h. */
#ifndef VIDMILL_OPS_H
#define VIDMILL_OPS_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/frame.h>

#include "vidmill.h"
#include "pixel_math.h"

/* ---- resampling (resample.c) ----------------------------------------------------------- */

/* One component of a picture as the resampler reads it: `bytes` per sample (1, or 2 for
 * little-endian words), `step` bytes from one sample to the next, the value at bit `shift`
 * with `depth` bits. */
typedef struct vm_rs_plane {
  const uint8_t *data;
  int64_t stride;
  int width, height;
  int bytes, step, offset, shift, depth;
} vm_rs_plane;

/* One axis of a resampling: output i reads `taps` source samples from start[i], with Q14
 * weights w[i * wstride ...] that sum to 1 << 14 (wstride: taps rounded up to VM_RS_SLACK,
 * the rest zero). Every output reads inside [lo, hi). */
typedef struct vm_rs_axis {
  int n, taps, wstride, lo, hi;
  int contiguous;  /* one tap, output i reads start[0] + i: a copy */
  int32_t *start;
  int16_t *w;
} vm_rs_axis;

/* Samples a row buffer needs beyond hi - lo (the zero-padded weights read them). */
#define VM_RS_SLACK 8

/* Output centre i sits at source coordinate a * i + b (sample centres at integers); each
 * output spans `a` source samples. Replaces the axis's tables (freeing the old ones).
 * Returns VM_OK, VM_ERR_OUT_OF_MEMORY or VM_ERR_TOO_LARGE. */
int32_t vm_rs_axis_build(vm_rs_axis *ax, int src_len, int n, double a, double b, int filter);
void vm_rs_axis_free(vm_rs_axis *ax);

/* Output row r of a component, Q14: vertical taps over whole source rows into tmp (at least
 * ax->hi - ax->lo + VM_RS_SLACK samples), then horizontal taps into out (ax->n samples). */
void vm_rs_row(const vm_rs_plane *p, const vm_rs_axis *ax, const vm_rs_axis *ay, int r, int16_t *tmp,
               int16_t *out);

/* ---- pictures and geometry (geometry.c) ------------------------------------------------ */

/* A picture to process, as FFmpeg lays it out. Enum fields hold FFmpeg's numbers. */
typedef struct vm_ops_src {
  int pix_fmt, width, height;
  const uint8_t *data[4];
  int64_t linesize[4];
  int color_space, color_range, chroma_location;
  int sar_num, sar_den;
  int orientation; /* vm_orientation to apply (already 0 when the output keeps storage orientation) */
} vm_ops_src;

/* How to read a pixel format's components natively (no conversion by swscale). */
typedef struct vm_layout {
  int ncomp;       /* 1 (gray) or 3; alpha is ignored */
  int rgb;         /* the components are R, G, B */
  int depth;
  int log2_cw, log2_ch;
  struct {
    int plane, bytes, step, offset, shift;
  } c[3];
} vm_layout;

/* 0 when the format can be read natively, -1 when it needs swscale (then *fallback is the
 * format to convert to, or -1 when there is none). */
int vm_layout_of(int pix_fmt, vm_layout *layout, int *fallback);

/* The orientation that shows the picture as players do, from a display matrix (FFmpeg's
 * autorotation rules); VM_ORIENTATION_NORMAL for NULL. */
int vm_orientation_from_matrix(const int32_t *matrix);

typedef struct vm_geometry {
  int canvas_w, canvas_h;             /* the output picture */
  int img_x, img_y, img_w, img_h;     /* where the resampled picture lies on it (pad) */
  int n[2];                           /* output samples along the storage x and y axes */
  double a[2], b[2];                  /* storage axis mapping, luma: centre of i = a*i + b */
} vm_geometry;

/* The output geometry of a w x h picture (sample aspect sar) shown with orientation `orient`.
 * Returns VM_OK or VM_ERR_INVALID_ARGUMENT / VM_ERR_TOO_LARGE with a message in err. */
int32_t vm_geometry_compute(const vm_output *o, int w, int h, int sar_num, int sar_den, int orient,
                            vm_geometry *g, char *err, size_t err_size);

/* ---- the per-clip state (ops.c, stats.c) ----------------------------------------------- */

typedef struct vm_ops vm_ops;

vm_ops *vm_ops_new(void);
void vm_ops_free(vm_ops *ops);

/* Validates and copies the options (NULL: the native format, no operations). */
int32_t vm_ops_set_output(vm_ops *ops, const vm_output *output, char *err, size_t err_size);

/* Whether frames are converted (anything but the native format). */
int vm_ops_converts(const vm_ops *ops);

/* The display matrix of the stream, used for frames that carry none. */
void vm_ops_set_stream_matrix(vm_ops *ops, const int32_t *matrix);

/* The shape of the output for this frame: FFmpeg pixel format, size, bytes. */
typedef struct vm_ops_shape {
  int pix_fmt, width, height;
  int64_t size;
} vm_ops_shape;

/* Prepares the frame (plans the conversion, converts an unusual format with swscale) and
 * gives the output shape. Then vm_ops_render writes the packed output picture (size bytes)
 * and vm_ops_stats fills the statistics fields of `out`. Each returns VM_OK or a status with
 * the message in vm_ops_error(). */
int32_t vm_ops_prepare(vm_ops *ops, const AVFrame *frame, vm_ops_shape *shape);
/* The source description vm_ops_prepare makes of a frame (its colour, sample aspect and
 * orientation; the stream's display matrix when the frame has none; ops may be NULL). */
void vm_ops_describe_frame(const vm_ops *ops, const AVFrame *frame, vm_ops_src *src);
int32_t vm_ops_prepare_src(vm_ops *ops, const vm_ops_src *src, vm_ops_shape *shape);
int32_t vm_ops_render(vm_ops *ops, uint8_t *dst);
int32_t vm_ops_stats(vm_ops *ops, vm_frame *out);
const char *vm_ops_error(const vm_ops *ops);

void vm_ops_aggregates(const vm_ops *ops, vm_clip_aggregates *agg);

/* stats.c, on the prepared source */
typedef struct vm_stats vm_stats;
vm_stats *vm_stats_new(void);
void vm_stats_free(vm_stats *s);
int32_t vm_stats_frame(vm_stats *s, const vm_ops_src *src, const vm_layout *layout, float scene_threshold,
                       vm_frame *out);
void vm_stats_aggregates(const vm_stats *s, vm_clip_aggregates *agg);

/* The pieces vm_stats_frame is made of, for the GPU path, which computes the sums on the
 * device and finishes on the host with the same code. */
#define VM_STATS_MOTION_N (VM_PX_MOTION_SIZE * VM_PX_MOTION_SIZE)
#define VM_STATS_HASH_W 9
#define VM_STATS_HASH_H 8

/* The resampling axes of a source shape: luma (w x h) -> statistics image (sw x sh), and that
 * image -> the motion image (64 x 64) and the dHash image (9 x 8, or 8 x 9 transposed).
 * generation changes whenever the tables do (process-wide). Valid until the next call. */
typedef struct vm_stats_view {
  int sw, sh;
  const vm_rs_axis *ax, *ay, *mx, *my, *hx, *hy;
  uint64_t generation;
} vm_stats_view;
int32_t vm_stats_shape(vm_stats *s, int w, int h, int transposed, vm_stats_view *view);

/* What a frame's statistics are made of: the sums over the statistics image, and the Q14
 * motion and dHash images. */
typedef struct vm_stats_sums {
  vm_px_luma_acc acc;
  int16_t motion_q[VM_STATS_MOTION_N];
  int16_t hash_q[VM_STATS_HASH_W * VM_STATS_HASH_H];
} vm_stats_sums;

/* Levels of the statistics image: the luma's range, or full range for RGB. */
vm_px_luma_scale vm_stats_luma_scale(const vm_ops_src *src, const vm_layout *layout);

/* The frame's statistics fields and flags from its sums, against the previous frame's; updates
 * the aggregates. */
int32_t vm_stats_finish(vm_stats *s, const vm_stats_sums *sums, vm_px_luma_scale ls, int orientation,
                        float scene_threshold, vm_frame *out);

/* The plan vm_ops_prepare made for the current frame (a converting output), for the GPU path:
 * valid until the next prepare. generation changes whenever the plan's tables do. */
typedef struct vm_ops_plan {
  const vm_geometry *geom;
  int nplanes;                 /* components resampled: 1 or 3 */
  int component[3];            /* which layout component each resampled plane is */
  const vm_rs_axis *ax, *ay;   /* [nplanes] */
  const vm_px_matrix *matrix;
  int out_fmt, channels;       /* AV_PIX_FMT_RGB24/BGR24/GRAY8, 3 or 1 */
  int64_t size;                /* bytes of the output picture */
  int orientation;
  uint64_t generation;
} vm_ops_plan;
void vm_ops_plan_get(const vm_ops *ops, vm_ops_plan *plan);

/* vm_image_process's pieces, shared with vm_image_process_on: the arguments' check; the
 * picture as a source; where frame 0's picture goes (the batch's data, a scratch buffer for
 * the MD5 that the caller frees, or NULL), frame 0 reset; and frame 0 completed. */
int32_t vm_image_check(const vm_image *image, const vm_batch *batch);
void vm_image_source(const vm_image *image, vm_ops_src *src);
uint8_t *vm_image_target(vm_batch *batch, const vm_ops_shape *shape, uint8_t **scratch, int32_t *status);
void vm_image_done(vm_batch *batch, const vm_ops_shape *shape, const uint8_t *dst);

/* The statistics state of the clip's operations, for the GPU path. */
vm_stats *vm_ops_stats_state(vm_ops *ops);
/* The output options (scene threshold, flags) in force. */
const vm_output *vm_ops_output(const vm_ops *ops);
/* Whether the prepared source needed swscale (never for NVDEC's formats). */
int vm_ops_converted_unusual(const vm_ops *ops);

/* matrix, range and chroma siting of a source (ops.c), shared with stats.c */
int vm_ops_full_range(const vm_ops_src *src, const vm_layout *layout);

#endif
