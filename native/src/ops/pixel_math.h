/* pixel_math.h - the per-pixel arithmetic of vidmill's frame operations, written once for the
 * CPU and for CUDA (issue 7): colour matrices and ranges, fixed-point rounding, resampling
 * kernels, and the definitions of the frame statistics. docs/frames.md explains the math.
 *
 * Everything here is pure and header-only: no allocation, no FFmpeg, nothing but <stdint.h>
 * and <math.h>, so that nvcc can compile the same functions for the device (VM_HD). The CPU
 * path is the reference the GPU path is tested against; keep the two bit-identical by
 * changing the arithmetic here only.
 *
 * Fixed-point conventions
 *   - Samples between the passes are "Q14": a sample of bit depth d is s << (14 - d), so
 *     8- and 10-bit limited-range black (16, 64) are both 1024. Depths above 14 lose their
 *     low bits (rounded).
 *   - Filter weights are Q14: the taps of one output sample sum to exactly 1 << 14.
 *   - Colour-matrix coefficients are Q18 (VM_PX_MBITS) on Q14 inputs; an output byte is
 *     (c0*a + c1*b + c2*c + bias) >> 18, the bias holding the offsets and the rounding. */
#ifndef VIDMILL_PIXEL_MATH_H
#define VIDMILL_PIXEL_MATH_H

#include <math.h>
#include <stdint.h>

#if defined(__CUDACC__)
#define VM_HD __host__ __device__
#else
#define VM_HD
#endif
#define VM_PX_INLINE VM_HD static inline

#define VM_PX_Q 14        /* bits of a Q14 sample */
#define VM_PX_WBITS 14    /* bits of a filter weight */
#define VM_PX_MBITS 18    /* bits of a colour-matrix coefficient */
#define VM_PX_ONE (1 << VM_PX_WBITS)

/* ---- statistics: the definitions (thresholds are part of them; vidmill.h documents them) */
#define VM_PX_STATS_SHORT_SIDE 256 /* the statistics image: luma area-averaged to this short side */
#define VM_PX_STATS_LONG_SIDE 1024 /* ... and at most this long side */
#define VM_PX_MOTION_SIZE 64       /* motion is measured on a 64x64 area-averaged luma image */
#define VM_PX_HIST_BINS 32         /* luma histogram for the scene score: 32 bins of 8 levels */
#define VM_PX_BLACK_LEVEL 25.5f    /* a pixel is dark at or below 10% of full scale ... */
#define VM_PX_BLACK_RATIO 0.98f    /* ... and a frame black when 98% of its pixels are (ffmpeg blackdetect) */
#define VM_PX_BLANK_STDDEV 3.0f    /* a frame is blank (uniform) when its luma stddev is at most this */
#define VM_PX_SCENE_THRESHOLD 0.3f /* default scene-cut threshold on the scene score */

/* ---- rounding and clamping --------------------------------------------------------- */

/* v / 2^s rounded half up (also for negative v: arithmetic shift floors). s >= 1. */
VM_PX_INLINE int32_t vm_px_round_shift(int32_t v, int s) { return (v + (1 << (s - 1))) >> s; }

VM_PX_INLINE uint8_t vm_px_clamp_u8(int32_t v) { return (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v)); }

/* A raw sample of depth d (1..16) as Q14. */
VM_PX_INLINE int32_t vm_px_to_q14(int32_t s, int depth) {
  return depth <= VM_PX_Q ? s << (VM_PX_Q - depth) : vm_px_round_shift(s, depth - VM_PX_Q);
}

/* ---- colour ------------------------------------------------------------------------ */

/* The matrix a source's three components go through (components in FFmpeg's descriptor
 * order: Y, Cb, Cr for YUV; R, G, B for RGB). Numbered as vm_color_matrix in vidmill.h. */
typedef enum vm_px_matrix_kind {
  VM_PX_BT601 = 1,     /* BT.601 / SMPTE 170M / BT.470BG: Kr 0.299, Kb 0.114 */
  VM_PX_BT709 = 2,     /* Kr 0.2126, Kb 0.0722 */
  VM_PX_BT2020 = 3,    /* BT.2020 non-constant luminance: Kr 0.2627, Kb 0.0593 */
  VM_PX_FCC = 4,       /* Kr 0.30, Kb 0.11 */
  VM_PX_SMPTE240M = 5, /* Kr 0.212, Kb 0.087 */
  VM_PX_YCGCO = 6,     /* Y, Cg, Co */
  VM_PX_RGB = 7,       /* the components are R, G, B already */
} vm_px_matrix_kind;

typedef enum vm_px_out { VM_PX_OUT_RGB = 0, VM_PX_OUT_GRAY = 1 } vm_px_out;

/* Output k (R, G, B; or gray in row 0) = clamp_u8((c[k][0]*q0 + c[k][1]*q1 + c[k][2]*q2 +
 * bias[k]) >> VM_PX_MBITS) for Q14 component samples q0..q2. */
typedef struct vm_px_matrix {
  int32_t c[3][3];
  int32_t bias[3];
} vm_px_matrix;

VM_PX_INLINE void vm_px_kr_kb(int kind, double *kr, double *kb) {
  switch (kind) {
    case VM_PX_BT709: *kr = 0.2126; *kb = 0.0722; break;
    case VM_PX_BT2020: *kr = 0.2627; *kb = 0.0593; break;
    case VM_PX_FCC: *kr = 0.30; *kb = 0.11; break;
    case VM_PX_SMPTE240M: *kr = 0.212; *kb = 0.087; break;
    default: *kr = 0.299; *kb = 0.114; break;
  }
}

/* The Q14 levels of black and of full scale of a component: luma/RGB (chroma = 0) or chroma
 * (chroma = 1), for bit depth `depth`, limited (full = 0) or full range. Limited range is
 * 16..235 (chroma 16..240, centre 128) scaled by 2^(depth-8); full range is 0..2^depth-1
 * with chroma centred on 2^(depth-1), as in BT.2100 and FFmpeg. */
VM_PX_INLINE void vm_px_levels(int depth, int full, int chroma, double *zero, double *scale) {
  const double q = (double)(1 << VM_PX_Q);
  if (!full) {
    *zero = chroma ? 128.0 / 256.0 * q : 16.0 / 256.0 * q;
    *scale = chroma ? 224.0 / 256.0 * q : 219.0 / 256.0 * q;
  } else {
    double max = (double)((1 << depth) - 1) / (double)(1 << depth) * q; /* 2^d-1 in Q14 */
    *zero = chroma ? q / 2 : 0;
    *scale = max;
  }
}

/* Builds the fixed-point matrix from the components of a source (kind, range, depth) to 8-bit
 * full-range R'G'B' (or gray: the luma Y' of the source, or BT.601 luma of an RGB source). */
VM_PX_INLINE void vm_px_matrix_build(vm_px_matrix *m, int kind, int full, int depth, int out) {
  double f[3][3] = {{0}}; /* output = f * normalised components, before the 255 scale */
  double z[3], s[3];
  if (kind == VM_PX_RGB) {
    for (int i = 0; i < 3; i++) vm_px_levels(depth, 1, 0, &z[i], &s[i]);
    if (out == VM_PX_OUT_GRAY) {
      f[0][0] = 0.299; f[0][1] = 0.587; f[0][2] = 0.114;
    } else {
      f[0][0] = f[1][1] = f[2][2] = 1;
    }
  } else {
    vm_px_levels(depth, full, 0, &z[0], &s[0]);
    vm_px_levels(depth, full, 1, &z[1], &s[1]);
    z[2] = z[1];
    s[2] = s[1];
    if (kind == VM_PX_YCGCO) { /* R = Y - Cg + Co, G = Y + Cg, B = Y - Cg - Co */
      f[0][0] = 1; f[0][1] = -1; f[0][2] = 1;
      f[1][0] = 1; f[1][1] = 1;
      f[2][0] = 1; f[2][1] = -1; f[2][2] = -1;
    } else {
      double kr, kb;
      vm_px_kr_kb(kind, &kr, &kb);
      double kg = 1 - kr - kb;
      f[0][0] = 1; f[0][2] = 2 * (1 - kr);
      f[1][0] = 1; f[1][1] = -2 * kb * (1 - kb) / kg; f[1][2] = -2 * kr * (1 - kr) / kg;
      f[2][0] = 1; f[2][1] = 2 * (1 - kb);
    }
    if (out == VM_PX_OUT_GRAY) {
      f[0][1] = f[0][2] = 0; /* gray is Y' itself */
    }
  }
  const double one = (double)(1 << VM_PX_MBITS);
  for (int k = 0; k < 3; k++) {
    double bias = 0;
    for (int i = 0; i < 3; i++) {
      double c = f[k][i] * 255.0 / s[i] * one;
      m->c[k][i] = (int32_t)floor(c + 0.5);
      bias -= m->c[k][i] * z[i];
    }
    m->bias[k] = (int32_t)floor(bias + 0.5) + (1 << (VM_PX_MBITS - 1));
  }
}

VM_PX_INLINE uint8_t vm_px_apply_row(const vm_px_matrix *m, int k, int32_t q0, int32_t q1, int32_t q2) {
  return vm_px_clamp_u8((m->c[k][0] * q0 + m->c[k][1] * q1 + m->c[k][2] * q2 + m->bias[k]) >> VM_PX_MBITS);
}

/* ---- resampling kernels -------------------------------------------------------------- */

/* numbered as vm_filter in vidmill.h */
typedef enum vm_px_filter { VM_PX_BILINEAR = 0, VM_PX_AREA = 1, VM_PX_BICUBIC = 2 } vm_px_filter;

/* Triangle (bilinear) kernel, support 1. */
VM_PX_INLINE double vm_px_triangle(double x) {
  x = fabs(x);
  return x < 1 ? 1 - x : 0;
}

/* Keys cubic convolution with a = -0.5 (Catmull-Rom; PIL's and torchvision's bicubic,
 * swscale's SWS_BICUBIC with param 0, 0.5), support 2. */
VM_PX_INLINE double vm_px_cubic(double x) {
  const double a = -0.5;
  x = fabs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

/* Kernel radius in source samples for an output sample spanning `scale` source samples. */
VM_PX_INLINE double vm_px_radius(int filter, double scale) {
  double support = scale > 1 ? scale : 1;
  if (filter == VM_PX_BICUBIC) return 2 * support;
  if (filter == VM_PX_AREA && scale > 1) return scale / 2 + 0.5;
  return support;
}

/* Unnormalised weight of the source sample centred at j for the output sample centred at c
 * (source coordinates), when one output sample spans `scale` source samples. Downscaling
 * widens the kernel by the scale (antialiasing, as swscale and PIL do); area is the exact
 * overlap of the output sample's footprint with the source sample, and bilinear when
 * upscaling. */
VM_PX_INLINE double vm_px_weight(int filter, double scale, double c, double j) {
  double support = scale > 1 ? scale : 1;
  if (filter == VM_PX_AREA && scale > 1) {
    double lo = fmax(c - scale / 2, j - 0.5), hi = fmin(c + scale / 2, j + 0.5);
    return hi > lo ? (hi - lo) / scale : 0;
  }
  if (filter == VM_PX_BICUBIC) return vm_px_cubic((j - c) / support);
  return vm_px_triangle((j - c) / support);
}

/* ---- statistics ---------------------------------------------------------------------- */

/* A Q14 luma sample as a full-range level 0..255 (limited range expanded, clamped). */
typedef struct vm_px_luma_scale {
  float zero, gain;
} vm_px_luma_scale;

VM_PX_INLINE vm_px_luma_scale vm_px_luma_scale_of(int depth, int full) {
  double z, s;
  vm_px_levels(depth, full, 0, &z, &s);
  vm_px_luma_scale r;
  r.zero = (float)z;
  r.gain = (float)(255.0 / s);
  return r;
}

VM_PX_INLINE float vm_px_luma_level(vm_px_luma_scale ls, int32_t q) {
  float v = ((float)q - ls.zero) * ls.gain;
  return v < 0 ? 0 : (v > 255 ? 255 : v);
}

/* Sums over the statistics image; merge-able, so a GPU can reduce per block. */
typedef struct vm_px_luma_acc {
  double sum, sum2;       /* of levels */
  double lap_sum, lap_sum2; /* of the 4-neighbour Laplacian, interior pixels */
  uint64_t n, dark, lap_n;
  uint32_t hist[VM_PX_HIST_BINS];
} vm_px_luma_acc;

VM_PX_INLINE void vm_px_luma_add(vm_px_luma_acc *a, float level) {
  a->sum += level;
  a->sum2 += (double)level * level;
  a->n++;
  a->dark += level <= VM_PX_BLACK_LEVEL;
  int bin = (int)(level * (VM_PX_HIST_BINS / 256.0f));
  a->hist[bin < VM_PX_HIST_BINS ? bin : VM_PX_HIST_BINS - 1]++;
}

/* The 3x3 Laplacian [0 1 0; 1 -4 1; 0 1 0] (OpenCV's with ksize 1) at p. */
VM_PX_INLINE float vm_px_laplacian(const float *p, int64_t stride) {
  return p[-stride] + p[stride] + p[-1] + p[1] - 4 * p[0];
}

VM_PX_INLINE void vm_px_lap_add(vm_px_luma_acc *a, float lap) {
  a->lap_sum += lap;
  a->lap_sum2 += (double)lap * lap;
  a->lap_n++;
}

VM_PX_INLINE double vm_px_variance(double sum, double sum2, uint64_t n) {
  if (!n) return 0;
  double mean = sum / (double)n, v = sum2 / (double)n - mean * mean;
  return v > 0 ? v : 0;
}

/* Scene score: the total-variation distance of two normalised luma histograms, in [0, 1]
 * (0: the same distribution of levels, 1: no level in common). */
VM_PX_INLINE float vm_px_hist_distance(const uint32_t *a, uint64_t na, const uint32_t *b, uint64_t nb) {
  if (!na || !nb) return 0;
  double d = 0;
  for (int i = 0; i < VM_PX_HIST_BINS; i++) d += fabs((double)a[i] / (double)na - (double)b[i] / (double)nb);
  return (float)(d / 2);
}

/* dHash bit: 1 when the right neighbour is brighter (imagehash's convention); bits are
 * row-major over the 8 rows x 8 comparisons of a 9x8 image, the first one the MSB. */
VM_PX_INLINE uint64_t vm_px_dhash_bit(int32_t left, int32_t right, int index) {
  return right > left ? (uint64_t)1 << (63 - index) : 0;
}

#endif /* VIDMILL_PIXEL_MATH_H */
