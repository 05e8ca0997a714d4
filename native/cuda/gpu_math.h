/* gpu_math.h - what one GPU thread computes, for every kernel of the GPU path: one output
 * sample of a resampling pass, one output pixel of the colour matrix, one thread's share of
 * the statistics sums. The CUDA kernels (kernels.cu) are loops of one call each over their
 * grid; the host backend (emulate.c) runs the very same functions over the same grid, so
 * that CPU-only tests check the arithmetic the GPU runs, and a GPU's results equal the
 * emulation's exactly (the statistics included: the same sums in the same order).
 *
 * Everything here is built from ops/pixel_math.h, the arithmetic of the CPU path: the
 * resampling passes compute exactly what ops/resample.c computes (vertical taps over whole
 * rows into Q14, then horizontal taps), the matrix is vm_px_apply_row, the statistics are
 * vm_px_luma_add / vm_px_laplacian / vm_px_lap_add. Only the order in which the statistics'
 * floating-point sums are added differs from the CPU (a tree per block instead of one running
 * sum): docs/gpu.md states the tolerance.
 *
 * Plain C: no FFmpeg, no CUDA headers (VM_HD comes from pixel_math.h). */
#ifndef VIDMILL_GPU_MATH_H
#define VIDMILL_GPU_MATH_H

#include <stdint.h>

#include "../src/ops/pixel_math.h"

/* One component of a picture in GPU (or emulated) memory, read as ops/resample.c reads a
 * vm_rs_plane: `bytes` per sample (1, or 2 little-endian), `step` bytes between samples,
 * the value at bit `shift` with `depth` bits. NVDEC's P010/P016 hold a 10/12-bit sample in the
 * high bits of a 16-bit word (shift 6/4), NV12's chroma is interleaved (step 2, offset 0/1):
 * read this way they give the samples the CPU decoder's planar frame holds. */
typedef struct vm_gk_plane {
  const uint8_t *data;
  int64_t stride;
  int bytes, step, offset, shift, depth;
} vm_gk_plane;

/* A resampling axis (ops.h's vm_rs_axis) with its tables in device memory. */
typedef struct vm_gk_axis {
  int n, taps, wstride, lo, hi, contiguous;
  const int32_t *start;
  const int16_t *w;
} vm_gk_axis;

/* As ops/resample.c reads: whole 16-bit words where they are packed words of the value
 * (step 2, no shift), else the `depth` bits at `shift`. */
VM_PX_INLINE int32_t vm_gk_sample(const vm_gk_plane *p, const uint8_t *row, int x) {
  const uint8_t *s = row + (int64_t)x * p->step + p->offset;
  if (p->bytes == 1) return *s;
  const int32_t word = (int32_t)s[0] | (int32_t)s[1] << 8;
  if (p->step == 2 && p->shift == 0) return word;
  return (word >> p->shift) & ((1 << p->depth) - 1);
}

/* ---- resampling: vertical pass ------------------------------------------------------ */

/* Output row r of the vertical taps, at source column x in [lo, hi), as Q14 in tmp. */
typedef struct vm_gk_vertical_args {
  vm_gk_plane src;
  vm_gk_axis ay;
  int lo, hi;
  int16_t *tmp;          /* ay.n rows of (hi - lo) samples */
} vm_gk_vertical_args;

VM_PX_INLINE int16_t vm_gk_vertical_at(const vm_gk_vertical_args *a, int r, int x) {
  const vm_gk_plane *p = &a->src;
  const int16_t *wy = a->ay.w + (int64_t)r * a->ay.wstride;
  const uint8_t *base = p->data + (int64_t)a->ay.start[r] * p->stride;
  int32_t acc = 1 << (p->depth - 1);
  for (int t = 0; t < a->ay.taps; t++) acc += wy[t] * vm_gk_sample(p, base + (int64_t)t * p->stride, x);
  return (int16_t)(acc >> p->depth);
}

/* ---- resampling: horizontal pass ---------------------------------------------------- */

typedef struct vm_gk_horizontal_args {
  const int16_t *tmp;    /* rows of (ax.hi - ax.lo) samples, from the vertical pass */
  vm_gk_axis ax;
  int rows;
  int16_t *out;          /* rows of ax.n samples */
} vm_gk_horizontal_args;

VM_PX_INLINE int16_t vm_gk_horizontal_at(const vm_gk_horizontal_args *a, int r, int i) {
  const vm_gk_axis *ax = &a->ax;
  const int16_t *row = a->tmp + (int64_t)r * (ax->hi - ax->lo);
  if (ax->contiguous) return row[ax->start[0] - ax->lo + i];
  const int16_t *s = row + (ax->start[i] - ax->lo);
  if (ax->taps == 1) return s[0];
  const int16_t *w = ax->w + (int64_t)i * ax->wstride;
  int32_t acc = 1 << (VM_PX_WBITS - 1);
  for (int t = 0; t < ax->taps; t++) acc += w[t] * s[t];
  return (int16_t)(acc >> VM_PX_WBITS);
}

/* ---- the colour matrix, written turned into the output picture ----------------------- */

enum { VM_GK_RGB = 0, VM_GK_BGR = 1, VM_GK_GRAY = 2 };

typedef struct vm_gk_matrix_args {
  const int16_t *q[3];   /* nx x ny Q14 components; NULL: chroma zero (gray sources) */
  int nx, ny;            /* storage grid of the resampled picture */
  vm_px_matrix m;
  int channels, kind;    /* 3 or 1; VM_GK_RGB, _BGR, _GRAY */
  int orientation;       /* vm_orientation: transpose first, then the flips */
  uint8_t *img;          /* the resampled picture's top-left on the output canvas */
  int64_t stride;        /* bytes per canvas row */
} vm_gk_matrix_args;

/* Storage sample (k, r) -> its display position, as ops.c's vm_ops_render places it. */
VM_PX_INLINE void vm_gk_oriented(int orientation, int nx, int ny, int k, int r, int *x, int *y) {
  const int fx = (orientation & 1) != 0, fy = (orientation & 2) != 0;
  if (!(orientation & 4)) {
    *x = fx ? nx - 1 - k : k;
    *y = fy ? ny - 1 - r : r;
  } else {
    *x = fx ? ny - 1 - r : r;
    *y = fy ? nx - 1 - k : k;
  }
}

VM_PX_INLINE void vm_gk_matrix_at(const vm_gk_matrix_args *a, int r, int k) {
  const int64_t i = (int64_t)r * a->nx + k;
  const int32_t neutral = 1 << (VM_PX_Q - 1);
  const int32_t q0 = a->q[0][i];
  const int32_t q1 = a->q[1] ? a->q[1][i] : neutral, q2 = a->q[2] ? a->q[2][i] : neutral;
  int x, y;
  vm_gk_oriented(a->orientation, a->nx, a->ny, k, r, &x, &y);
  uint8_t *p = a->img + (int64_t)y * a->stride + (int64_t)x * a->channels;
  if (a->kind == VM_GK_GRAY) {
    p[0] = vm_px_apply_row(&a->m, 0, q0, q1, q2);
    return;
  }
  const uint8_t r8 = vm_px_apply_row(&a->m, 0, q0, q1, q2), g8 = vm_px_apply_row(&a->m, 1, q0, q1, q2),
                b8 = vm_px_apply_row(&a->m, 2, q0, q1, q2);
  if (a->kind == VM_GK_BGR) {
    p[0] = b8;
    p[1] = g8;
    p[2] = r8;
  } else {
    p[0] = r8;
    p[1] = g8;
    p[2] = b8;
  }
}

/* ---- statistics: the sums over the statistics image ---------------------------------- */

/* Threads per block and the most blocks of the reduction: fixed, so that the order of the
 * floating-point sums is a function of the image size alone. */
#define VM_GK_REDUCE_THREADS 128
#define VM_GK_REDUCE_MAX_BLOCKS 64

typedef struct vm_gk_reduce_args {
  const int16_t *img;    /* sw x sh Q14 luma */
  int sw, sh;
  vm_px_luma_scale ls;
  int blocks;            /* vm_gk_reduce_blocks(sw * sh) */
  vm_px_luma_acc *out;   /* one per block */
} vm_gk_reduce_args;

VM_PX_INLINE int vm_gk_reduce_blocks(int64_t n) {
  int64_t b = (n + VM_GK_REDUCE_THREADS - 1) / VM_GK_REDUCE_THREADS;
  return b < 1 ? 1 : (b > VM_GK_REDUCE_MAX_BLOCKS ? VM_GK_REDUCE_MAX_BLOCKS : (int)b);
}

VM_PX_INLINE float vm_gk_level(const vm_gk_reduce_args *a, int x, int y) {
  return vm_px_luma_level(a->ls, a->img[(int64_t)y * a->sw + x]);
}

/* Thread `tid` of block `block`: pixels block * T + tid, then every blocks * T further on;
 * each pixel's level, and the Laplacian where the pixel is interior (the CPU's definitions). */
VM_PX_INLINE void vm_gk_reduce_thread(const vm_gk_reduce_args *a, int block, int tid, vm_px_luma_acc *acc) {
  const int64_t n = (int64_t)a->sw * a->sh, step = (int64_t)a->blocks * VM_GK_REDUCE_THREADS;
  for (int64_t i = (int64_t)block * VM_GK_REDUCE_THREADS + tid; i < n; i += step) {
    const int x = (int)(i % a->sw), y = (int)(i / a->sw);
    const float c = vm_gk_level(a, x, y);
    vm_px_luma_add(acc, c);
    if (x >= 1 && y >= 1 && x + 1 < a->sw && y + 1 < a->sh) {
      float w[9]; /* the 3x3 neighbourhood: vm_px_laplacian reads it around its centre */
      w[1] = vm_gk_level(a, x, y - 1);
      w[3] = vm_gk_level(a, x - 1, y);
      w[4] = c;
      w[5] = vm_gk_level(a, x + 1, y);
      w[7] = vm_gk_level(a, x, y + 1);
      vm_px_lap_add(acc, vm_px_laplacian(&w[4], 3));
    }
  }
}

VM_PX_INLINE void vm_gk_acc_clear(vm_px_luma_acc *a) {
  a->sum = a->sum2 = a->lap_sum = a->lap_sum2 = 0;
  a->n = a->dark = a->lap_n = 0;
  for (int i = 0; i < VM_PX_HIST_BINS; i++) a->hist[i] = 0;
}

VM_PX_INLINE void vm_gk_acc_merge(vm_px_luma_acc *dst, const vm_px_luma_acc *src) {
  dst->sum += src->sum;
  dst->sum2 += src->sum2;
  dst->lap_sum += src->lap_sum;
  dst->lap_sum2 += src->lap_sum2;
  dst->n += src->n;
  dst->dark += src->dark;
  dst->lap_n += src->lap_n;
  for (int i = 0; i < VM_PX_HIST_BINS; i++) dst->hist[i] += src->hist[i];
}

/* The block's tree: accs[tid] += accs[tid + s] for s = T/2 .. 1, each level after the one
 * before (a barrier in the kernel). Level `s` of thread `tid`: */
VM_PX_INLINE void vm_gk_tree_step(vm_px_luma_acc *accs, int tid, int s) {
  if (tid < s) vm_gk_acc_merge(&accs[tid], &accs[tid + s]);
}

#endif /* VIDMILL_GPU_MATH_H */
