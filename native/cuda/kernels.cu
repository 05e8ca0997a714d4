/* The CUDA backend of the GPU pipeline: each kernel is one call of a gpu_math.h function per
 * thread of its grid (emulate.c runs the same calls in loops), launched on a stream of the
 * backend's own. Built with --fmad=false: a contracted multiply-add would round differently
 * from the host's separate multiply and add, and the statistics are to equal the emulation's.
 *
 * The CUDA runtime is linked statically and uses the device's primary context, the one
 * FFmpeg's CUDA device is created on (AV_CUDA_USE_PRIMARY_CONTEXT): NVDEC's frames are device
 * memory of that context, read here directly. The stream is a blocking one, so that it is
 * ordered after FFmpeg's copies into the decoder's output frames (made on the legacy default
 * stream). Without a driver the runtime's first call fails cleanly; nothing here runs then. */
#include <cuda_runtime.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gpu_backend.h"

namespace {

struct cuda_gk {
  vm_gk base;
  cudaStream_t stream;
};

int64_t now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

cuda_gk *of(vm_gk *gk) { return reinterpret_cast<cuda_gk *>(gk); }

int check(vm_gk *gk, cudaError_t e, const char *what) {
  if (e == cudaSuccess) return 0;
  snprintf(gk->error, sizeof gk->error, "%s: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
  return -1;
}

/* Every call first makes the backend's device current on the calling thread: a clip may be
 * decoded by any thread, and threads of a process may work on different GPUs. */
int use(vm_gk *gk) { return check(gk, cudaSetDevice(gk->device), "cudaSetDevice"); }

__global__ void k_vertical(vm_gk_vertical_args a) {
  const int x = a.lo + (int)(blockIdx.x * blockDim.x + threadIdx.x);
  const int r = (int)blockIdx.y;
  if (x < a.hi) a.tmp[(int64_t)r * (a.hi - a.lo) + (x - a.lo)] = vm_gk_vertical_at(&a, r, x);
}

__global__ void k_horizontal(vm_gk_horizontal_args a) {
  const int i = (int)(blockIdx.x * blockDim.x + threadIdx.x);
  const int r = (int)blockIdx.y;
  if (i < a.ax.n) a.out[(int64_t)r * a.ax.n + i] = vm_gk_horizontal_at(&a, r, i);
}

__global__ void k_matrix(vm_gk_matrix_args a) {
  const int k = (int)(blockIdx.x * blockDim.x + threadIdx.x);
  const int r = (int)blockIdx.y;
  if (k < a.nx) vm_gk_matrix_at(&a, r, k);
}

__global__ void k_reduce(vm_gk_reduce_args a) {
  __shared__ vm_px_luma_acc accs[VM_GK_REDUCE_THREADS];
  const int tid = (int)threadIdx.x;
  vm_gk_acc_clear(&accs[tid]);
  vm_gk_reduce_thread(&a, (int)blockIdx.x, tid, &accs[tid]);
  __syncthreads();
  for (int s = VM_GK_REDUCE_THREADS / 2; s > 0; s >>= 1) {
    vm_gk_tree_step(accs, tid, s);
    __syncthreads();
  }
  if (tid == 0) a.out[blockIdx.x] = accs[0];
}

__global__ void k_pattern(uint32_t *p, int n) {
  const int i = (int)(blockIdx.x * blockDim.x + threadIdx.x);
  if (i < n) p[i] = 0x9e3779b9u * (uint32_t)(i + 1);
}

const int kThreads = 128;

unsigned blocks_for(int n) { return (unsigned)((n + kThreads - 1) / kThreads); }

/* gridDim.y is at most 65535; outputs are at most VM_MAX_OUTPUT_SIDE (16384) rows */
bool rows_fit(vm_gk *gk, int rows) {
  if (rows >= 1 && rows <= 65535) return true;
  snprintf(gk->error, sizeof gk->error, "%d rows do not fit a grid", rows);
  return false;
}

void *g_alloc(vm_gk *gk, size_t size) {
  void *p = nullptr;
  if (use(gk) || check(gk, cudaMalloc(&p, size ? size : 1), "cudaMalloc")) return nullptr;
  return p;
}

void g_free(vm_gk *gk, void *p) {
  if (!p || use(gk)) return;
  cudaFree(p);
}

int g_upload(vm_gk *gk, void *dst, const void *src, size_t size) {
  if (use(gk)) return -1;
  return check(gk, cudaMemcpyAsync(dst, src, size, cudaMemcpyHostToDevice, of(gk)->stream), "upload");
}

int g_upload_2d(vm_gk *gk, void *dst, size_t dst_pitch, const void *src, size_t src_pitch, size_t width, size_t rows) {
  if (use(gk)) return -1;
  return check(gk, cudaMemcpy2DAsync(dst, dst_pitch, src, src_pitch, width, rows, cudaMemcpyHostToDevice,
                                     of(gk)->stream), "upload");
}

int g_download(vm_gk *gk, void *dst, const void *src, size_t size) {
  if (use(gk)) return -1;
  const int64_t t0 = now_ns();
  int r = check(gk, cudaMemcpyAsync(dst, src, size, cudaMemcpyDeviceToHost, of(gk)->stream), "download");
  if (!r) r = check(gk, cudaStreamSynchronize(of(gk)->stream), "download");
  gk->busy_ns += now_ns() - t0;
  return r;
}

int g_download_2d(vm_gk *gk, void *dst, size_t dst_pitch, const void *src, size_t src_pitch, size_t width, size_t rows) {
  if (use(gk)) return -1;
  const int64_t t0 = now_ns();
  int r = check(gk, cudaMemcpy2DAsync(dst, dst_pitch, src, src_pitch, width, rows, cudaMemcpyDeviceToHost,
                                      of(gk)->stream), "download");
  if (!r) r = check(gk, cudaStreamSynchronize(of(gk)->stream), "download");
  gk->busy_ns += now_ns() - t0;
  return r;
}

int g_zero(vm_gk *gk, void *dst, size_t size) {
  if (use(gk)) return -1;
  return check(gk, cudaMemsetAsync(dst, 0, size, of(gk)->stream), "cudaMemsetAsync");
}

int launched(vm_gk *gk, const char *what) { return check(gk, cudaGetLastError(), what); }

int g_vertical(vm_gk *gk, const vm_gk_vertical_args *a) {
  if (use(gk) || !rows_fit(gk, a->ay.n)) return -1;
  if (a->hi <= a->lo) return 0;
  k_vertical<<<dim3(blocks_for(a->hi - a->lo), (unsigned)a->ay.n), kThreads, 0, of(gk)->stream>>>(*a);
  return launched(gk, "the vertical pass");
}

int g_horizontal(vm_gk *gk, const vm_gk_horizontal_args *a) {
  if (use(gk) || !rows_fit(gk, a->rows)) return -1;
  k_horizontal<<<dim3(blocks_for(a->ax.n), (unsigned)a->rows), kThreads, 0, of(gk)->stream>>>(*a);
  return launched(gk, "the horizontal pass");
}

int g_matrix(vm_gk *gk, const vm_gk_matrix_args *a) {
  if (use(gk) || !rows_fit(gk, a->ny)) return -1;
  k_matrix<<<dim3(blocks_for(a->nx), (unsigned)a->ny), kThreads, 0, of(gk)->stream>>>(*a);
  return launched(gk, "the colour matrix");
}

int g_reduce(vm_gk *gk, const vm_gk_reduce_args *a) {
  if (use(gk)) return -1;
  k_reduce<<<(unsigned)a->blocks, VM_GK_REDUCE_THREADS, 0, of(gk)->stream>>>(*a);
  return launched(gk, "the statistics sums");
}

int g_sync(vm_gk *gk) {
  if (use(gk)) return -1;
  const int64_t t0 = now_ns();
  int r = check(gk, cudaStreamSynchronize(of(gk)->stream), "cudaStreamSynchronize");
  gk->busy_ns += now_ns() - t0;
  return r;
}

void g_destroy(vm_gk *gk) {
  if (!use(gk)) cudaStreamDestroy(of(gk)->stream);
  free(of(gk));
}

const vm_gk_ops cuda_ops = {
    g_alloc, g_free, g_upload, g_upload_2d, g_download, g_download_2d, g_zero,
    g_vertical, g_horizontal, g_matrix, g_reduce, g_sync, g_destroy,
};

}  // namespace

extern "C" vm_gk *vm_gk_cuda_new(int device, char *why, size_t why_size) {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || device < 0 || device >= count) {
    snprintf(why, why_size, "%s", e != cudaSuccess ? cudaGetErrorString(e) : "no such CUDA device");
    return nullptr;
  }
  cuda_gk *g = static_cast<cuda_gk *>(calloc(1, sizeof(cuda_gk)));
  if (!g) {
    snprintf(why, why_size, "out of memory");
    return nullptr;
  }
  g->base.ops = &cuda_ops;
  g->base.device = device;
  if (use(&g->base) || check(&g->base, cudaStreamCreate(&g->stream), "cudaStreamCreate")) {
    snprintf(why, why_size, "%s", g->base.error);
    free(g);
    return nullptr;
  }
  return &g->base;
}

extern "C" int vm_gk_cuda_roundtrip(int device, char *why, size_t why_size) {
  vm_gk *gk = vm_gk_cuda_new(device, why, why_size);
  if (!gk) return -1;
  const int n = 4096;
  uint32_t *d = static_cast<uint32_t *>(g_alloc(gk, n * sizeof(uint32_t)));
  uint32_t *h = static_cast<uint32_t *>(malloc(n * sizeof(uint32_t)));
  int r = d && h ? 0 : -1;
  if (!r) {
    k_pattern<<<blocks_for(n), kThreads, 0, of(gk)->stream>>>(d, n);
    r = launched(gk, "a test kernel");
  }
  if (!r) r = g_download(gk, h, d, n * sizeof(uint32_t));
  for (int i = 0; !r && i < n; i++)
    if (h[i] != 0x9e3779b9u * (uint32_t)(i + 1)) {
      snprintf(gk->error, sizeof gk->error, "a test kernel's output read back wrong at %d", i);
      r = -1;
    }
  if (r) snprintf(why, why_size, "%s", gk->error[0] ? gk->error : "out of memory");
  g_free(gk, d);
  free(h);
  g_destroy(gk);
  return r;
}
