/* The host backend: the GPU pipeline's passes run on the CPU, each as a loop over the same grid
 * the CUDA kernel runs, calling the same per-element function (gpu_math.h). Not a fast path:
 * it exists so that a machine without a GPU tests the arithmetic the GPU runs, and so that a
 * GPU's output can be checked against it exactly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_backend.h"

static void *emu_alloc(vm_gk *gk, size_t size) {
  (void)gk;
  return malloc(size ? size : 1);
}

static void emu_free(vm_gk *gk, void *p) {
  (void)gk;
  free(p);
}

static int emu_copy(vm_gk *gk, void *dst, const void *src, size_t size) {
  (void)gk;
  if (size) memcpy(dst, src, size);
  return 0;
}

static int emu_copy_2d(vm_gk *gk, void *dst, size_t dst_pitch, const void *src, size_t src_pitch, size_t width,
                       size_t rows) {
  (void)gk;
  for (size_t r = 0; r < rows; r++) memcpy((uint8_t *)dst + r * dst_pitch, (const uint8_t *)src + r * src_pitch, width);
  return 0;
}

static int emu_zero(vm_gk *gk, void *dst, size_t size) {
  (void)gk;
  memset(dst, 0, size);
  return 0;
}

/* k_vertical: x along [lo, hi), r along the output rows */
static int emu_vertical(vm_gk *gk, const vm_gk_vertical_args *a) {
  (void)gk;
  const int width = a->hi - a->lo;
  for (int r = 0; r < a->ay.n; r++)
    for (int x = a->lo; x < a->hi; x++) a->tmp[(int64_t)r * width + (x - a->lo)] = vm_gk_vertical_at(a, r, x);
  return 0;
}

static int emu_horizontal(vm_gk *gk, const vm_gk_horizontal_args *a) {
  (void)gk;
  for (int r = 0; r < a->rows; r++)
    for (int i = 0; i < a->ax.n; i++) a->out[(int64_t)r * a->ax.n + i] = vm_gk_horizontal_at(a, r, i);
  return 0;
}

static int emu_matrix(vm_gk *gk, const vm_gk_matrix_args *a) {
  (void)gk;
  for (int r = 0; r < a->ny; r++)
    for (int k = 0; k < a->nx; k++) vm_gk_matrix_at(a, r, k);
  return 0;
}

/* k_reduce: each thread's share, then the block's tree, level by level */
static int emu_reduce(vm_gk *gk, const vm_gk_reduce_args *a) {
  vm_px_luma_acc *accs = malloc(sizeof *accs * VM_GK_REDUCE_THREADS);
  if (!accs) {
    snprintf(gk->error, sizeof gk->error, "out of memory");
    return -1;
  }
  for (int b = 0; b < a->blocks; b++) {
    for (int t = 0; t < VM_GK_REDUCE_THREADS; t++) {
      vm_gk_acc_clear(&accs[t]);
      vm_gk_reduce_thread(a, b, t, &accs[t]);
    }
    for (int s = VM_GK_REDUCE_THREADS / 2; s > 0; s >>= 1)
      for (int t = 0; t < VM_GK_REDUCE_THREADS; t++) vm_gk_tree_step(accs, t, s);
    a->out[b] = accs[0];
  }
  free(accs);
  return 0;
}

static int emu_sync(vm_gk *gk) {
  (void)gk;
  return 0;
}

static void emu_destroy(vm_gk *gk) { free(gk); }

static const vm_gk_ops emulated_ops = {
    .alloc = emu_alloc,
    .free = emu_free,
    .upload = emu_copy,
    .upload_2d = emu_copy_2d,
    .download = emu_copy,
    .download_2d = emu_copy_2d,
    .zero = emu_zero,
    .vertical = emu_vertical,
    .horizontal = emu_horizontal,
    .matrix = emu_matrix,
    .reduce = emu_reduce,
    .sync = emu_sync,
    .destroy = emu_destroy,
};

vm_gk *vm_gk_emulated_new(void) {
  vm_gk *gk = calloc(1, sizeof *gk);
  if (!gk) return NULL;
  gk->ops = &emulated_ops;
  gk->device = -1;
  return gk;
}
