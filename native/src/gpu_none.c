/* libvidmill built without CUDA (no nvcc at build time, or -DVIDMILL_WITH_CUDA=OFF): the GPU
 * API answers that there is no GPU, and clips that ask for one decode on the CPU saying why.
 * Stands in for native/cuda/device.c, nvdec.c and kernels.cu. */
#include <stdio.h>

#include "gpu.h"
#include "internal.h"

static const char *const built_without = "libvidmill was built without CUDA (no nvcc when it was compiled)";

int vm_gpu_built(void) { return 0; }

int32_t vm_cuda_device_count(char *detail, size_t detail_size) {
  if (detail && detail_size) vm_strlcpy(detail, built_without, detail_size);
  return 0;
}

int32_t vm_cuda_device_get(int32_t index, vm_cuda_device *device) {
  (void)index;
  (void)device;
  return VM_ERR_INVALID_ARGUMENT;
}

int32_t vm_cuda_probe(int32_t index, char *detail, size_t detail_size) {
  (void)index;
  if (detail && detail_size) vm_strlcpy(detail, built_without, detail_size);
  return VM_ERR_INVALID_ARGUMENT;
}

int32_t vm_cuda_utilization_get(int32_t index, vm_cuda_utilization *utilization) {
  (void)index;
  (void)utilization;
  return VM_ERR_INVALID_ARGUMENT;
}

int32_t vm_cuda_decoder_caps(int32_t index, const char *codec, int32_t bit_depth, int32_t chroma_format,
                             vm_decoder_caps *caps) {
  (void)index;
  (void)codec;
  (void)bit_depth;
  (void)chroma_format;
  (void)caps;
  return VM_ERR_INVALID_ARGUMENT;
}

int32_t vm_gpu_usable(int index, char *why, size_t why_size) {
  (void)index;
  vm_strlcpy(why, built_without, why_size);
  return VM_FALLBACK_NO_GPU;
}

int32_t vm_gpu_check_stream(int index, enum AVCodecID codec, int sw_pix_fmt, int coded_width, int coded_height,
                            char *why, size_t why_size) {
  (void)index;
  (void)codec;
  (void)sw_pix_fmt;
  (void)coded_width;
  (void)coded_height;
  vm_strlcpy(why, built_without, why_size);
  return VM_FALLBACK_NO_GPU;
}

int vm_gpu_kernels_usable(int index, char *why, size_t why_size) {
  (void)index;
  vm_strlcpy(why, built_without, why_size);
  return 0;
}

AVFrame *vm_nvdec_host_frame(vm_clip *clip, const AVFrame *f) {
  (void)clip;
  (void)f;
  return NULL;
}

AVBufferRef *vm_gpu_device_ref(int index) {
  (void)index;
  return NULL;
}

vm_gpu_decoder *vm_gpu_decoder_take(int device, const AVCodec *codec, const AVCodecParameters *par) {
  (void)device;
  (void)codec;
  (void)par;
  return NULL;
}

vm_gpu_decoder *vm_gpu_decoder_new(int device, const AVCodec *codec, const AVCodecParameters *par) {
  (void)device;
  (void)codec;
  (void)par;
  return NULL;
}

void vm_gpu_decoder_give(vm_gpu_decoder *d) { (void)d; }

void vm_gpu_decoder_free(vm_gpu_decoder *d) { (void)d; }

vm_gk *vm_gk_cuda_new(int device, char *why, size_t why_size) {
  (void)device;
  vm_strlcpy(why, built_without, why_size);
  return NULL;
}

int vm_gk_cuda_roundtrip(int device, char *why, size_t why_size) {
  (void)device;
  vm_strlcpy(why, built_without, why_size);
  return -1;
}

int32_t vm_nvdec_open(vm_clip *clip) {
  if (clip->opts.device == VM_DEVICE_CUDA)
    vm_clip_set_backend(clip, VM_BACKEND_CPU, -1, VM_FALLBACK_NO_GPU, "NO_GPU: %s", built_without);
  else
    vm_clip_set_backend(clip, VM_BACKEND_CPU, -1, VM_FALLBACK_NONE, "%s", "");
  return 1;
}

int vm_nvdec_must_restart(vm_clip *clip) {
  (void)clip;
  return 0;
}

int32_t vm_nvdec_restart(vm_clip *clip) {
  (void)clip;
  return VM_ERR_INTERNAL;
}

void vm_nvdec_failed(vm_clip *clip, int32_t fallback, const char *why) {
  (void)clip;
  (void)fallback;
  (void)why;
}

int32_t vm_nvdec_picture(vm_clip *clip, const AVFrame *f, vm_gpu_picture *pic, vm_ops_src *src) {
  (void)clip;
  (void)f;
  (void)pic;
  (void)src;
  return VM_ERR_INTERNAL;
}

int32_t vm_nvdec_download(vm_clip *clip, const AVFrame *f, uint8_t *dst, int64_t size) {
  (void)clip;
  (void)f;
  (void)dst;
  (void)size;
  return VM_ERR_INTERNAL;
}

vm_gpu_work *vm_nvdec_work(vm_clip *clip, char *why, size_t why_size) {
  (void)clip;
  vm_strlcpy(why, built_without, why_size);
  return NULL;
}

void vm_nvdec_close(vm_clip *clip) {
  av_frame_free(&clip->download);
  av_frame_free(&clip->host_frame);
}
