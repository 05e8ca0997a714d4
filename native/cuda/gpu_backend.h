/* gpu_backend.h - the seam between the GPU pipeline (pipeline.c: which passes run, on which
 * buffers, with which tables) and where it runs: the CUDA backend (kernels.cu: device memory,
 * one stream, the kernels) or the host backend (emulate.c: host memory, the same per-element
 * functions of gpu_math.h in loops over the same grids). Internal. */
#ifndef VIDMILL_GPU_BACKEND_H
#define VIDMILL_GPU_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "gpu_math.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vm_gk vm_gk;

/* Every call returns 0 or -1 (the reason then in vm_gk.error). Memory is the backend's:
 * device memory for CUDA, host memory for the emulation. Launches are ordered on the
 * backend's stream; download and sync wait for everything before them. */
typedef struct vm_gk_ops {
  void *(*alloc)(vm_gk *gk, size_t size);
  void (*free)(vm_gk *gk, void *p);
  int (*upload)(vm_gk *gk, void *dst, const void *src, size_t size);
  /* rows of `width` bytes from a pitched host picture into a pitched backend one */
  int (*upload_2d)(vm_gk *gk, void *dst, size_t dst_pitch, const void *src, size_t src_pitch, size_t width,
                   size_t rows);
  int (*download)(vm_gk *gk, void *dst, const void *src, size_t size);
  int (*download_2d)(vm_gk *gk, void *dst, size_t dst_pitch, const void *src, size_t src_pitch, size_t width,
                     size_t rows);
  int (*zero)(vm_gk *gk, void *dst, size_t size);
  int (*vertical)(vm_gk *gk, const vm_gk_vertical_args *a);
  int (*horizontal)(vm_gk *gk, const vm_gk_horizontal_args *a);
  int (*matrix)(vm_gk *gk, const vm_gk_matrix_args *a);
  int (*reduce)(vm_gk *gk, const vm_gk_reduce_args *a);
  int (*sync)(vm_gk *gk);
  void (*destroy)(vm_gk *gk);
} vm_gk_ops;

struct vm_gk {
  const vm_gk_ops *ops;
  int device;            /* CUDA device index; -1 for the emulation */
  int64_t busy_ns;       /* time spent waiting for the backend (sync, downloads) */
  char error[256];
};

/* The host backend (always built). */
vm_gk *vm_gk_emulated_new(void);

/* The CUDA backend on `device` with a stream of its own (kernels.cu; NULL with the reason in
 * `why` when CUDA cannot be used, or when libvidmill was built without CUDA). Sets the calling
 * thread's current device. */
vm_gk *vm_gk_cuda_new(int device, char *why, size_t why_size);

/* kernels.cu: a kernel writes a pattern into device memory, read back and checked (the round
 * trip of vm_cuda_probe). 0 or -1 with the reason. */
int vm_gk_cuda_roundtrip(int device, char *why, size_t why_size);

#ifdef __cplusplus
}
#endif

#endif
