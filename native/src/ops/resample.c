/* Separable fixed-point resampling of one picture component.
 *
 * Vertical pass first: the taps of an output row are whole source rows, so the inner loop
 * runs along a row with one weight (it vectorises); the horizontal pass then works on rows
 * already reduced to the output height. Only the source columns the output reads are
 * touched, so a centre crop costs what its output needs. Out-of-picture taps are folded onto
 * the edge sample (edge replication, as swscale and OpenCV do). */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/intreadwrite.h>
#include <libavutil/mem.h>

#include "ops.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

/* Columns per chunk of the vertical pass: the int32 accumulators stay in L1. */
#define VM_RS_CHUNK 256
/* The largest weight table of one axis (entries), far above any sane output. */
#define VM_RS_MAX_TABLE ((int64_t)1 << 26)

void vm_rs_axis_free(vm_rs_axis *ax) {
  av_freep(&ax->start);
  av_freep(&ax->w);
  memset(ax, 0, sizeof *ax);
}

int32_t vm_rs_axis_build(vm_rs_axis *ax, int src_len, int n, double a, double b, int filter) {
  vm_rs_axis_free(ax);
  if (src_len < 1 || n < 1 || !(a > 0)) return VM_ERR_INVALID_ARGUMENT;
  double radius = vm_px_radius(filter, a);
  int64_t window = (int64_t)ceil(2 * radius) + 3; /* candidate samples per output */
  if (window * n > VM_RS_MAX_TABLE) return VM_ERR_TOO_LARGE;
  double *w = av_malloc_array((size_t)(window * n), sizeof *w);
  int32_t *first = av_malloc_array((size_t)n, sizeof *first);
  int32_t *count = av_malloc_array((size_t)n, sizeof *count);
  if (!w || !first || !count) {
    av_free(w);
    av_free(first);
    av_free(count);
    return VM_ERR_OUT_OF_MEMORY;
  }
  int taps = 1;
  for (int i = 0; i < n; i++) {
    double c = a * i + b;
    int64_t j0 = (int64_t)floor(c - radius), j1 = (int64_t)ceil(c + radius);
    if (j1 - j0 + 1 > window) j1 = j0 + window - 1;
    /* fold the kernel onto the samples that exist */
    int64_t lo = j0 < 0 ? 0 : (j0 > src_len - 1 ? src_len - 1 : j0);
    int64_t hi = j1 < 0 ? 0 : (j1 > src_len - 1 ? src_len - 1 : j1);
    double *wi = w + (int64_t)i * window;
    memset(wi, 0, sizeof *wi * (size_t)window);
    double sum = 0;
    for (int64_t j = j0; j <= j1; j++) {
      double v = vm_px_weight(filter, a, c, (double)j);
      int64_t k = j < 0 ? 0 : (j >= src_len ? src_len - 1 : j);
      wi[k - lo] += v;
      sum += v;
    }
    if (!(fabs(sum) > 1e-12)) { /* cannot happen with these kernels; be safe: nearest sample */
      int64_t k = (int64_t)floor(c + 0.5);
      k = k < 0 ? 0 : (k >= src_len ? src_len - 1 : k);
      memset(wi, 0, sizeof *wi * (size_t)window);
      lo = hi = k;
      wi[0] = sum = 1;
    }
    int64_t f = 0, l = hi - lo;
    while (f < l && wi[f] == 0) f++;
    while (l > f && wi[l] == 0) l--;
    for (int64_t k = 0; k <= l - f; k++) wi[k] = wi[k + f] / sum;
    first[i] = (int32_t)(lo + f);
    count[i] = (int32_t)(l - f + 1);
    if (count[i] > taps) taps = count[i];
  }
  int wstride = (taps + VM_RS_SLACK - 1) / VM_RS_SLACK * VM_RS_SLACK;
  ax->start = av_malloc_array((size_t)n, sizeof *ax->start);
  ax->w = av_calloc((size_t)n * (size_t)wstride, sizeof *ax->w);
  if (!ax->start || !ax->w) {
    av_free(w);
    av_free(first);
    av_free(count);
    vm_rs_axis_free(ax);
    return VM_ERR_OUT_OF_MEMORY;
  }
  ax->n = n;
  ax->taps = taps;
  ax->wstride = wstride;
  ax->lo = INT_MAX;
  ax->hi = 0;
  for (int i = 0; i < n; i++) {
    int s = first[i];
    if (s > src_len - taps) s = src_len - taps;
    ax->start[i] = s;
    int16_t *q = ax->w + (int64_t)i * wstride;
    const double *wi = w + (int64_t)i * window;
    int sum = 0, big = 0;
    for (int k = 0; k < count[i]; k++) {
      int t = first[i] - s + k;
      q[t] = (int16_t)floor(wi[k] * VM_PX_ONE + 0.5);
      sum += q[t];
      if (abs(q[t]) > abs(q[big])) big = t;
    }
    q[big] = (int16_t)(q[big] + VM_PX_ONE - sum); /* every output sums to exactly one */
    if (s < ax->lo) ax->lo = s;
    if (s + taps > ax->hi) ax->hi = s + taps;
  }
  ax->contiguous = taps == 1;
  for (int i = 1; i < n && ax->contiguous; i++) ax->contiguous = ax->start[i] == ax->start[0] + i;
  av_free(w);
  av_free(first);
  av_free(count);
  return VM_OK;
}

static inline int32_t read_sample(const vm_rs_plane *p, const uint8_t *row, int x) {
  const uint8_t *s = row + (int64_t)x * p->step + p->offset;
  if (p->bytes == 1) return *s;
  return (AV_RL16(s) >> p->shift) & ((1 << p->depth) - 1);
}

#if defined(__x86_64__) && defined(__GNUC__)
/* 16 columns at a time where the CPU has AVX2 (chosen at run time); returns the first column
 * left for the narrower loops. Lanes: unpack/pack work within 128-bit halves, so the packed
 * result comes out in column order. */
__attribute__((target("avx2"))) static int vertical_avx2(const uint8_t *base, int64_t stride, const int16_t *wy,
                                                         int taps, int depth, int wide, int x0, int hi, int16_t *out) {
  const __m256i rnd = _mm256_set1_epi32(1 << (depth - 1));
  const __m128i sh = _mm_cvtsi32_si128(depth);
  for (; x0 + 16 <= hi; x0 += 16, out += 16) {
    __m256i a0 = rnd, a1 = rnd;
    for (int t = 0; t < taps; t += 2) {
      const uint8_t *r0 = base + (int64_t)t * stride, *r1 = r0 + stride;
      int has1 = t + 1 < taps;
      __m256i s0, s1 = _mm256_setzero_si256();
      if (wide) {
        s0 = _mm256_loadu_si256((const __m256i *)(const void *)(r0 + 2 * x0));
        if (has1) s1 = _mm256_loadu_si256((const __m256i *)(const void *)(r1 + 2 * x0));
      } else {
        s0 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(r0 + x0)));
        if (has1) s1 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(r1 + x0)));
      }
      const __m256i w = _mm256_set1_epi32((int32_t)((uint32_t)(uint16_t)(has1 ? wy[t + 1] : 0) << 16 | (uint16_t)wy[t]));
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_unpacklo_epi16(s0, s1), w));
      a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_unpackhi_epi16(s0, s1), w));
    }
    _mm256_storeu_si256((__m256i *)(void *)out, _mm256_packs_epi32(_mm256_sra_epi32(a0, sh), _mm256_sra_epi32(a1, sh)));
  }
  return x0;
}

static int have_avx2(void) {
  static int known = -1; /* a benign race: every thread computes the same answer */
  if (known < 0) known = __builtin_cpu_supports("avx2") ? 1 : 0;
  return known;
}
#endif

/* tmp[x - lo] = Q14 of the vertical taps at column x, for x in [lo, hi). The SIMD paths
 * compute the same integer sums as the plain loops: results are identical. */
static void vertical(const vm_rs_plane *p, const vm_rs_axis *ay, int r, int lo, int hi, int16_t *tmp) {
  const int taps = ay->taps;
  const int16_t *wy = ay->w + (int64_t)r * ay->wstride;
  const uint8_t *base = p->data + (int64_t)ay->start[r] * p->stride;
  const int depth = p->depth;
  const int32_t round = 1 << (depth - 1);
  int x0 = lo;
#if defined(__SSE2__)
  /* two taps per multiply-add: (row t, row t+1) sample pairs times (w_t, w_t+1) */
  const int wide = p->bytes == 2 && p->step == 2 && p->shift == 0 && depth <= 15;
  if ((p->bytes == 1 && p->step == 1) || wide) {
#if defined(__x86_64__) && defined(__GNUC__)
    if (have_avx2()) x0 = vertical_avx2(base, p->stride, wy, taps, depth, wide, x0, hi, tmp + (x0 - lo));
#endif
    const __m128i zero = _mm_setzero_si128(), rnd = _mm_set1_epi32(round), sh = _mm_cvtsi32_si128(depth);
    for (; x0 + 8 <= hi; x0 += 8) {
      __m128i a0 = rnd, a1 = rnd;
      for (int t = 0; t < taps; t += 2) {
        const uint8_t *r0 = base + (int64_t)t * p->stride, *r1 = r0 + p->stride;
        int has1 = t + 1 < taps;
        __m128i s0, s1 = zero;
        if (wide) {
          s0 = _mm_loadu_si128((const __m128i *)(const void *)(r0 + 2 * x0));
          if (has1) s1 = _mm_loadu_si128((const __m128i *)(const void *)(r1 + 2 * x0));
        } else {
          s0 = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)(const void *)(r0 + x0)), zero);
          if (has1) s1 = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)(const void *)(r1 + x0)), zero);
        }
        const __m128i w = _mm_set1_epi32((int32_t)((uint32_t)(uint16_t)(has1 ? wy[t + 1] : 0) << 16 | (uint16_t)wy[t]));
        a0 = _mm_add_epi32(a0, _mm_madd_epi16(_mm_unpacklo_epi16(s0, s1), w));
        a1 = _mm_add_epi32(a1, _mm_madd_epi16(_mm_unpackhi_epi16(s0, s1), w));
      }
      _mm_storeu_si128((__m128i *)(void *)(tmp + (x0 - lo)), _mm_packs_epi32(_mm_sra_epi32(a0, sh), _mm_sra_epi32(a1, sh)));
    }
  }
#endif
  int32_t acc[VM_RS_CHUNK];
  for (; x0 < hi; x0 += VM_RS_CHUNK) {
    const int len = hi - x0 < VM_RS_CHUNK ? hi - x0 : VM_RS_CHUNK;
    for (int x = 0; x < len; x++) acc[x] = round;
    for (int t = 0; t < taps; t++) {
      const int32_t wt = wy[t];
      if (!wt) continue;
      const uint8_t *row = base + (int64_t)t * p->stride;
      if (p->bytes == 1 && p->step == 1) {
        const uint8_t *s = row + x0;
        for (int x = 0; x < len; x++) acc[x] += wt * s[x];
      } else if (p->bytes == 2 && p->step == 2 && p->shift == 0) {
        const uint16_t *s = (const uint16_t *)(const void *)row + x0;
        for (int x = 0; x < len; x++) acc[x] += wt * s[x];
      } else {
        for (int x = 0; x < len; x++) acc[x] += wt * read_sample(p, row, x0 + x);
      }
    }
    int16_t *out = tmp + (x0 - lo);
    for (int x = 0; x < len; x++) out[x] = (int16_t)(acc[x] >> depth);
  }
}

void vm_rs_row(const vm_rs_plane *p, const vm_rs_axis *ax, const vm_rs_axis *ay, int r, int16_t *tmp,
               int16_t *out) {
  vertical(p, ay, r, ax->lo, ax->hi, tmp);
  const int taps = ax->taps, lo = ax->lo, ws = ax->wstride;
  if (ax->contiguous) {
    memcpy(out, tmp + (ax->start[0] - lo), (size_t)ax->n * sizeof *out);
    return;
  }
  if (taps == 1) {
    for (int i = 0; i < ax->n; i++) out[i] = tmp[ax->start[i] - lo];
    return;
  }
  if (taps <= 4) { /* upscaling: a few taps, not worth a vector */
    for (int i = 0; i < ax->n; i++) {
      const int16_t *s = tmp + (ax->start[i] - lo);
      const int16_t *w = ax->w + (int64_t)i * ws;
      int32_t acc = (1 << (VM_PX_WBITS - 1)) + w[0] * s[0] + w[1] * s[1];
      if (taps > 2) acc += w[2] * s[2] + (taps > 3 ? w[3] * s[3] : 0);
      out[i] = (int16_t)(acc >> VM_PX_WBITS);
    }
    return;
  }
  /* the weights of an output are padded with zeros to a multiple of VM_RS_SLACK: so is tmp */
  memset(tmp + (ax->hi - lo), 0, VM_RS_SLACK * sizeof *tmp);
  for (int i = 0; i < ax->n; i++) {
    const int16_t *s = tmp + (ax->start[i] - lo);
    const int16_t *w = ax->w + (int64_t)i * ws;
#if defined(__SSE2__)
    __m128i acc = _mm_setzero_si128();
    for (int t = 0; t < ws; t += 8)
      acc = _mm_add_epi32(acc, _mm_madd_epi16(_mm_loadu_si128((const __m128i *)(const void *)(s + t)),
                                              _mm_loadu_si128((const __m128i *)(const void *)(w + t))));
    acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, 0x4e));
    acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, 0xb1));
    out[i] = (int16_t)((_mm_cvtsi128_si32(acc) + (1 << (VM_PX_WBITS - 1))) >> VM_PX_WBITS);
#else
    int32_t acc = 1 << (VM_PX_WBITS - 1);
    for (int t = 0; t < taps; t++) acc += w[t] * s[t];
    out[i] = (int16_t)(acc >> VM_PX_WBITS);
#endif
  }
}
