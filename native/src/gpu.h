/* The GPU path as the rest of libvidmill sees it. Internal.
 *
 *   native/cuda/pipeline.c   the GPU frame pipeline over a backend (always built: with the
 *                            host backend, CPU-only builds test its arithmetic)
 *   native/cuda/emulate.c    the host backend
 *   native/cuda/kernels.cu   the CUDA backend (VIDMILL_WITH_CUDA)
 *   native/cuda/device.c     devices, driver/NVDEC/NVML opened at run time, FFmpeg's CUDA
 *                            device per GPU, NVDEC caps, the decoder cache (VIDMILL_WITH_CUDA)
 *   native/cuda/nvdec.c      a clip on NVDEC: open, get_format, errors, the CPU restart
 *                            (VIDMILL_WITH_CUDA)
 *   native/src/gpu_none.c    what stands in for device.c and nvdec.c without CUDA */
#ifndef VIDMILL_GPU_H
#define VIDMILL_GPU_H

#include <stddef.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>

#include "vidmill.h"
#include "ops/ops.h"
#include "../cuda/gpu_backend.h"

typedef struct vm_clip vm_clip;

/* ---- pipeline.c ---------------------------------------------------------------------- */

/* A decoded picture as the kernels read it: in backend memory (the GPU's for NVDEC frames),
 * laid out as NVDEC delivers it, equal sample for sample to what a CPU decoder returns in
 * sw_pix_fmt. */
typedef struct vm_gpu_picture {
  int sw_pix_fmt;          /* the CPU decoder's format: yuv420p, yuv420p10le, yuv444p, ... */
  int surface_fmt;         /* NVDEC's: AV_PIX_FMT_NV12, P010, P016, YUV444P, YUV444P16 */
  int width, height;       /* as displayed: after cropping */
  int log2_cw, log2_ch;
  vm_gk_plane c[3];        /* Y, Cb, Cr, each at the displayed picture's top-left */
} vm_gpu_picture;

/* NVDEC's surface format for a CPU decoder's format (FFmpeg 7.1's nvdec mapping), or -1 when
 * it has none (4:2:2, monochrome, > 12 bits, 4:4:4 where `allow_444` is 0). */
int vm_gpu_surface_format(int sw_pix_fmt, int allow_444);

/* The readers of a picture in surface_fmt whose planes are data/linesize, cut to (x, y, w, h). */
int32_t vm_gpu_picture_of(int sw_pix_fmt, int surface_fmt, uint8_t *const data[4], const int64_t linesize[4],
                          int x, int y, int w, int h, vm_gpu_picture *pic);

/* The picture in host memory repacked as the CPU decoder's frame would be packed (planes one
 * after another, rows without padding: what framemd5 hashes). */
int32_t vm_gpu_repack(const vm_gpu_picture *pic, uint8_t *dst, int64_t size);

/* The displayed rectangle of a decoded frame whose cropping FFmpeg did not apply (hardware
 * frames keep their crop fields with apply_cropping off): what av_frame_apply_cropping does
 * to a software frame of format sw_pix_fmt, alignment rule included, so that the GPU's frames
 * are the CPU's. */
int32_t vm_gpu_crop_rect(const AVFrame *f, int sw_pix_fmt, int unaligned, int *x, int *y, int *w, int *h);

/* The GPU state of one decoder: a backend, its buffers and the tables it uploaded. */
typedef struct vm_gpu_work vm_gpu_work;
vm_gpu_work *vm_gpu_work_new(vm_gk *gk); /* takes the backend */
void vm_gpu_work_free(vm_gpu_work *w);
int64_t vm_gpu_work_busy_ns(const vm_gpu_work *w);

/* The converted output (ops prepared with vm_ops_prepare_src for this picture) into dst, host
 * memory of the plan's size. VM_OK, or VM_ERR_INTERNAL with the backend's reason in err. */
int32_t vm_gpu_render(vm_gpu_work *w, const vm_gpu_picture *pic, vm_ops *ops, uint8_t *dst, char *err,
                      size_t err_size);

/* The statistics of the picture (src: its description, as vm_ops_prepare_src got it) into out,
 * continuing the clip's statistics state in ops (motion, scene, aggregates). */
int32_t vm_gpu_stats(vm_gpu_work *w, const vm_gpu_picture *pic, const vm_ops_src *src, vm_ops *ops, vm_frame *out,
                     char *err, size_t err_size);

/* ---- device.c (or gpu_none.c) -------------------------------------------------------- */

/* Whether libvidmill was built with the CUDA path. */
int vm_gpu_built(void);

/* Whether device `index` takes clips: VM_FALLBACK_NONE, or the fallback (NO_GPU,
 * NO_DECODER) with the reason in `why`. Probes the device the first time. */
int32_t vm_gpu_usable(int index, char *why, size_t why_size);

/* Whether the kernels run on device `index` (their round trip passed); 0 with the reason. A
 * GPU whose kernels cannot run (a driver too old for this CUDA runtime's code, say) still
 * decodes on NVDEC; its frames are downloaded for the CPU's operations. */
int vm_gpu_kernels_usable(int index, char *why, size_t why_size);

/* NVDEC can decode this stream as the decoder describes it (codec, the CPU format it would
 * output, coded size): VM_FALLBACK_NONE, or VM_FALLBACK_UNSUPPORTED / _GPU_ERROR with why. */
int32_t vm_gpu_check_stream(int index, enum AVCodecID codec, int sw_pix_fmt, int coded_width, int coded_height,
                            char *why, size_t why_size);

/* A new reference to FFmpeg's CUDA device of GPU `index` (one per GPU, on its primary
 * context), or NULL. */
AVBufferRef *vm_gpu_device_ref(int index);

/* The decoder cache: an NVDEC decoder context (with its GPU work state) kept after a clip
 * that ended cleanly, for the next clip whose stream the same decoder decodes to the same
 * frames. Keyed on the device, the decoder and everything avcodec_parameters_to_context
 * hands it (codec, profile, format and bit depth, coded and display size via the extradata's
 * parameter sets and the container's size, colour description, sample aspect). */
typedef struct vm_gpu_decoder {
  struct vm_gpu_decoder *next;
  int device;
  const AVCodec *codec;
  AVCodecParameters *key;
  AVCodecContext *dec;
  vm_gpu_work *work;       /* created on first use */
} vm_gpu_decoder;

/* A cached decoder for this stream, or NULL (then the caller opens one). */
vm_gpu_decoder *vm_gpu_decoder_take(int device, const AVCodec *codec, const AVCodecParameters *par);
/* A new entry for a decoder the caller opened (key copied from par). */
vm_gpu_decoder *vm_gpu_decoder_new(int device, const AVCodec *codec, const AVCodecParameters *par);
/* Back to the cache, flushed: for a decoder that ended a clip cleanly. */
void vm_gpu_decoder_give(vm_gpu_decoder *d);
void vm_gpu_decoder_free(vm_gpu_decoder *d);

/* ---- nvdec.c (or gpu_none.c): a clip on the GPU --------------------------------------- */

/* Opens the clip's decoder on NVDEC when the clip asked for the GPU and the GPU can take it.
 * VM_OK with clip->dec on the GPU; 1 when the clip is to decode on the CPU (the fallback and
 * its reason recorded in clip->info); or a terminal status. */
int32_t vm_nvdec_open(vm_clip *clip);

/* Whether the clip, decoding on the GPU, has to start again on the CPU (a decoder error, a
 * format the GPU turned out not to decode, a CUDA failure); then vm_nvdec_restart. */
int vm_nvdec_must_restart(vm_clip *clip);

/* Moves the clip to the CPU decoder and decodes again from the start, dropping the frames
 * already returned. VM_OK or a terminal status. */
int32_t vm_nvdec_restart(vm_clip *clip);

/* Records a GPU failure (a CUDA call in the frame pipeline) so that the clip restarts. */
void vm_nvdec_failed(vm_clip *clip, int32_t fallback, const char *why);

/* The decoded GPU frame as the kernels read it (pic) and as the frame operations see it (src:
 * the CPU decoder's format, size, colour, orientation). */
int32_t vm_nvdec_picture(vm_clip *clip, const AVFrame *f, vm_gpu_picture *pic, vm_ops_src *src);

/* Downloads the GPU frame and repacks it into dst (size bytes) as the CPU decoder's frame. */
int32_t vm_nvdec_download(vm_clip *clip, const AVFrame *f, uint8_t *dst, int64_t size);

/* The GPU frame downloaded into a host frame of the CPU decoder's format (cropped, the frame's
 * properties copied), for the CPU's operations where the kernels cannot run; NULL after
 * recording a GPU failure. Owned by the clip, valid until the next call. */
AVFrame *vm_nvdec_host_frame(vm_clip *clip, const AVFrame *f);

/* The GPU work state of the clip's decoder (created on first use), or NULL with the reason
 * (the kernels cannot run on this GPU). */
vm_gpu_work *vm_nvdec_work(vm_clip *clip, char *why, size_t why_size);

/* At close: the decoder back to the cache when the clip ended cleanly, else freed. */
void vm_nvdec_close(vm_clip *clip);

#endif
