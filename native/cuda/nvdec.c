/* A clip on NVDEC: FFmpeg's CUDA hwaccel, the decoder taken from the per-GPU cache or opened on
 * FFmpeg's CUDA device of the GPU, get_format asking NVDEC's caps before it says yes, and the
 * move to the CPU decoder when the GPU cannot go on.
 *
 * What the GPU cannot decode is known for certain only from the bitstream (bit depth and
 * chroma format come from the parameter sets, which MP4 and Matroska headers do not spell out
 * without a full analysis), so the decision is made in get_format, when the decoder knows
 * them. Refusing there, a decoder error, or a CUDA failure later all end the same way: the
 * clip restarts on the CPU decoder from its first packet, and the frames it had returned are
 * decoded again but not returned twice. Only codecs that decode bit-exactly by their standard
 * go to the GPU (H.264, HEVC, VP8, VP9, AV1): MPEG-1/2/4 Part 2, VC-1 and MJPEG leave the
 * IDCT's rounding to the decoder, and NVDEC's differs from FFmpeg's, so the CPU path would no
 * longer be the reference. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/hwcontext.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>

#include "../src/gpu.h"
#include "../src/internal.h"

static int bit_exact_codec(enum AVCodecID id) {
  return id == AV_CODEC_ID_H264 || id == AV_CODEC_ID_HEVC || id == AV_CODEC_ID_VP8 || id == AV_CODEC_ID_VP9 ||
         id == AV_CODEC_ID_AV1;
}

static int has_cuda_config(const AVCodec *codec) {
  for (int i = 0;; i++) {
    const AVCodecHWConfig *c = avcodec_get_hw_config(codec, i);
    if (!c) return 0;
    if (c->device_type == AV_HWDEVICE_TYPE_CUDA && c->pix_fmt == AV_PIX_FMT_CUDA &&
        (c->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX))
      return 1;
  }
}

/* FFmpeg's own decoder of the codec with the CUDA hwaccel: the CPU decoder when it has one,
 * else the native decoder (AV1: the CPU decodes with libaom, the hwaccel is on "av1"). */
static const AVCodec *hw_decoder(const vm_clip *clip, enum AVCodecID id) {
  if (clip->codec && has_cuda_config(clip->codec)) return clip->codec;
  const AVCodec *native = avcodec_find_decoder_by_name(avcodec_get_name(id));
  return native && native->id == id && has_cuda_config(native) ? native : NULL;
}

static void request_restart(vm_clip *clip, int32_t fallback, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void request_restart(vm_clip *clip, int32_t fallback, const char *fmt, ...) {
  if (clip->gpu_restart) return; /* the first cause is the one to report */
  va_list args;
  va_start(args, fmt);
  vsnprintf(clip->gpu_restart_why, sizeof clip->gpu_restart_why, fmt, args);
  va_end(args);
  clip->gpu_restart = fallback;
}

void vm_nvdec_failed(vm_clip *clip, int32_t fallback, const char *why) {
  request_restart(clip, fallback, "%s: %s", vm_fallback_name(fallback), why);
}

static enum AVPixelFormat get_format(AVCodecContext *avctx, const enum AVPixelFormat *fmts) {
  vm_clip *clip = avctx->opaque;
  int cuda = 0;
  for (const enum AVPixelFormat *p = fmts; *p != AV_PIX_FMT_NONE; p++) cuda |= *p == AV_PIX_FMT_CUDA;
  if (!clip || clip->magic != VM_CLIP_MAGIC || !clip->gpu) return AV_PIX_FMT_NONE;
  if (!cuda) {
    /* FFmpeg could not set NVDEC up after we said yes: it asks again without CUDA */
    char words[VM_LOG_LINE_SIZE];
    vm_log_first_words(clip, words, sizeof words);
    request_restart(clip, VM_FALLBACK_GPU_ERROR, "GPU_ERROR: FFmpeg could not set up NVDEC for this stream%s%s%s",
                    words[0] ? " (" : "", words, words[0] ? ")" : "");
    return AV_PIX_FMT_NONE;
  }
  char why[VM_REASON_SIZE];
  int32_t f = vm_gpu_check_stream(clip->gpu->device, avctx->codec_id, avctx->sw_pix_fmt, avctx->coded_width,
                                  avctx->coded_height, why, sizeof why);
  if (f != VM_FALLBACK_NONE) {
    request_restart(clip, f, "%s", why);
    return AV_PIX_FMT_NONE;
  }
  return AV_PIX_FMT_CUDA;
}

/* A decoder context on the GPU for this stream (not yet in the cache). The clip is on `d`
 * already: some decoders (AV1 with a sequence header in the extradata) ask get_format while
 * they open. */
static AVCodecContext *open_gpu_context(vm_clip *clip, vm_gpu_decoder *d, char *why, size_t why_size) {
  const AVCodec *codec = d->codec;
  const int device = d->device;
  clip->gpu = d;
  AVCodecContext *dec = avcodec_alloc_context3(codec);
  if (!dec) {
    snprintf(why, why_size, "GPU_ERROR: out of memory");
    return NULL;
  }
  int ret = avcodec_parameters_to_context(dec, clip->st->codecpar);
  dec->hw_device_ctx = ret >= 0 ? vm_gpu_device_ref(device) : NULL;
  if (ret < 0 || !dec->hw_device_ctx) {
    snprintf(why, why_size, "GPU_ERROR: %s", ret < 0 ? "bad codec parameters" : "FFmpeg's CUDA device is gone");
    avcodec_free_context(&dec);
    return NULL;
  }
  dec->opaque = clip;
  dec->get_format = get_format;
  dec->pkt_timebase = clip->st->time_base;
  dec->max_pixels = clip->opts.max_pixels;
  /* NVDEC decodes; one thread feeds it (frame threads would only add surfaces and latency) */
  dec->thread_count = 1;
  /* FFmpeg crops hardware frames at the right and bottom only: the GPU path crops them all */
  dec->apply_cropping = 0;
  ret = avcodec_open2(dec, codec, NULL);
  clip->gpu = NULL;
  if (ret < 0 || clip->gpu_restart) {
    char err[128];
    vm_format_averror(ret, err, sizeof err);
    if (clip->gpu_restart) snprintf(why, why_size, "%s", clip->gpu_restart_why);
    else snprintf(why, why_size, "GPU_ERROR: cannot open the %s decoder on the GPU: %s", codec->name, err);
    clip->gpu_restart = 0;
    avcodec_free_context(&dec);
    return NULL;
  }
  return dec;
}

int32_t vm_nvdec_open(vm_clip *clip) {
  vm_clip_set_backend(clip, VM_BACKEND_CPU, -1, VM_FALLBACK_NONE, "%s", "");
  if (clip->opts.device != VM_DEVICE_CUDA) return 1;
  const int device = clip->opts.device_index;
  const AVCodecParameters *par = clip->st->codecpar;
  char why[VM_REASON_SIZE];
  int32_t f = vm_gpu_usable(device, why, sizeof why);
  if (f != VM_FALLBACK_NONE) {
    vm_clip_set_backend(clip, VM_BACKEND_CPU, -1, f, "%s: %s", vm_fallback_name(f), why);
    return 1;
  }
  if (!bit_exact_codec(par->codec_id)) {
    vm_clip_set_backend(clip, VM_BACKEND_CPU, -1, VM_FALLBACK_UNSUPPORTED,
                        "UNSUPPORTED: %s is decoded on the CPU: NVDEC does not decode it bit-exactly (the IDCT's "
                        "rounding is the decoder's choice)", clip->info.codec);
    return 1;
  }
  const AVCodec *codec = hw_decoder(clip, par->codec_id);
  if (!codec) {
    vm_clip_set_backend(clip, VM_BACKEND_CPU, -1, VM_FALLBACK_UNSUPPORTED,
                        "UNSUPPORTED: this FFmpeg has no NVDEC hwaccel for %s", clip->info.codec);
    return 1;
  }
  /* what the container already says (the format, when it says it) is checked before any
   * decoder is made; the size only when the decoder knows the coded size */
  if (par->format >= 0) {
    f = vm_gpu_check_stream(device, par->codec_id, par->format, 0, 0, why, sizeof why);
    if (f != VM_FALLBACK_NONE) {
      vm_clip_set_backend(clip, VM_BACKEND_CPU, -1, f, "%s", why);
      return 1;
    }
  }
  vm_gpu_decoder *d = vm_gpu_decoder_take(device, codec, par);
  if (d) {
    clip->stats.decoder_reused = 1;
  } else {
    d = vm_gpu_decoder_new(device, codec, par);
    if (d) d->dec = open_gpu_context(clip, d, why, sizeof why);
    else snprintf(why, sizeof why, "GPU_ERROR: out of memory");
    if (!d || !d->dec) {
      vm_gpu_decoder_free(d);
      int32_t code = strncmp(why, "UNSUPPORTED", 11) == 0 ? VM_FALLBACK_UNSUPPORTED : VM_FALLBACK_GPU_ERROR;
      vm_clip_set_backend(clip, VM_BACKEND_CPU, -1, code, "%s", why);
      return 1;
    }
  }
  d->dec->opaque = clip;
  d->dec->pkt_timebase = clip->st->time_base;
  d->dec->max_pixels = clip->opts.max_pixels;
  d->dec->skip_frame = AVDISCARD_DEFAULT;
  clip->gpu = d;
  clip->dec = d->dec;
  clip->gpu_restart = 0;
  clip->gpu_errors_seen = vm_log_decoder_errors(clip);
  vm_strlcpy(clip->info.decoder, codec->name, sizeof clip->info.decoder);
  clip->stats.threads = 1;
  vm_clip_set_backend(clip, VM_BACKEND_CUDA, device, VM_FALLBACK_NONE, "%s", "");
  return VM_OK;
}

int vm_nvdec_must_restart(vm_clip *clip) {
  if (!clip->gpu) return 0;
  if (clip->gpu_restart) return 1;
  if (clip->packet_failed || clip->stats.decode_errors > 0 || vm_log_decoder_errors(clip) > clip->gpu_errors_seen) {
    char words[VM_LOG_LINE_SIZE];
    vm_log_first_words(clip, words, sizeof words);
    request_restart(clip, VM_FALLBACK_DECODE_ERROR, "DECODE_ERROR: the GPU decoder reported an error%s%s%s; "
                    "decoded again on the CPU", words[0] ? " (" : "", words, words[0] ? ")" : "");
    return 1;
  }
  return 0;
}

int32_t vm_nvdec_restart(vm_clip *clip) {
  int32_t fallback = clip->gpu_restart ? clip->gpu_restart : VM_FALLBACK_GPU_ERROR;
  char why[VM_REASON_SIZE];
  vm_strlcpy(why, clip->gpu_restart_why, sizeof why);
  /* the decoder's state is mid-stream or failed: not for the cache */
  vm_gpu_decoder_free(clip->gpu);
  clip->gpu = NULL;
  clip->dec = NULL;
  clip->gpu_restart = 0;
  av_frame_unref(clip->frame);
  clip->frame_pending = 0;
  clip->flushing = 0;
  clip->stats.restarts++;
  vm_clip_set_backend(clip, VM_BACKEND_CPU, -1, fallback, "%s", why);
  int32_t status = vm_clip_open_cpu_decoder(clip);
  if (status != VM_OK) return status;
  vm_clip_reset_decode_counts(clip);
  if (clip->sampler) return vm_sampler_restart(clip);
  clip->skip_frames = clip->stats.frames;
  clip->stats.packets_read = 0;
  return vm_clip_reopen_demuxer(clip);
}

int32_t vm_nvdec_picture(vm_clip *clip, const AVFrame *f, vm_gpu_picture *pic, vm_ops_src *src) {
  if (!f->hw_frames_ctx) return VM_ERR_INTERNAL;
  const AVHWFramesContext *fc = (const AVHWFramesContext *)f->hw_frames_ctx->data;
  const int sw = clip->dec->sw_pix_fmt;
  int x, y, w, h;
  int64_t linesize[4];
  for (int i = 0; i < 4; i++) linesize[i] = f->linesize[i];
  if (vm_gpu_crop_rect(f, sw, (clip->dec->flags & AV_CODEC_FLAG_UNALIGNED) != 0, &x, &y, &w, &h) != VM_OK ||
      vm_gpu_picture_of(sw, fc->sw_format, (uint8_t *const *)f->data, linesize, x, y, w, h, pic) != VM_OK)
    return VM_ERR_INTERNAL;
  if (src) {
    vm_ops_describe_frame(clip->ops, f, src);
    src->pix_fmt = sw;
    src->width = w;
    src->height = h;
    memset(src->data, 0, sizeof src->data);
  }
  return VM_OK;
}

int32_t vm_nvdec_download(vm_clip *clip, const AVFrame *f, uint8_t *dst, int64_t size) {
  AVFrame *d = clip->download;
  if (!d) d = clip->download = av_frame_alloc();
  const AVHWFramesContext *fc = (const AVHWFramesContext *)f->hw_frames_ctx->data;
  /* The whole surface: FFmpeg's CUDA transfer copies height >> 1 chroma rows, one short of an
   * odd-height picture's; the surface has them all (its size is the pool's, rounded up). */
  AVFrame *whole = av_frame_clone(f);
  if (!d || !whole) {
    av_frame_free(&whole);
    vm_nvdec_failed(clip, VM_FALLBACK_GPU_ERROR, "out of memory");
    return VM_ERR_INTERNAL;
  }
  whole->width = fc->width;
  whole->height = fc->height;
  if (d->buf[0] && (d->format != fc->sw_format || d->width != whole->width || d->height != whole->height))
    av_frame_unref(d);
  int ret = av_hwframe_transfer_data(d, whole, 0);
  av_frame_free(&whole);
  if (ret < 0) {
    char err[128];
    vm_format_averror(ret, err, sizeof err);
    char why[200];
    snprintf(why, sizeof why, "downloading a frame failed: %s", err);
    vm_nvdec_failed(clip, VM_FALLBACK_GPU_ERROR, why);
    return VM_ERR_INTERNAL;
  }
  /* cropped as the device frame is */
  const int sw = clip->dec->sw_pix_fmt;
  int x, y, w, h;
  int64_t linesize[4];
  for (int i = 0; i < 4; i++) linesize[i] = d->linesize[i];
  vm_gpu_picture pic;
  if (vm_gpu_crop_rect(f, sw, (clip->dec->flags & AV_CODEC_FLAG_UNALIGNED) != 0, &x, &y, &w, &h) != VM_OK ||
      vm_gpu_picture_of(sw, fc->sw_format, d->data, linesize, x, y, w, h, &pic) != VM_OK)
    return VM_ERR_INTERNAL;
  return vm_gpu_repack(&pic, dst, size);
}

AVFrame *vm_nvdec_host_frame(vm_clip *clip, const AVFrame *f) {
  vm_gpu_picture pic;
  if (vm_nvdec_picture(clip, f, &pic, NULL) != VM_OK) {
    vm_nvdec_failed(clip, VM_FALLBACK_GPU_ERROR, "a decoded frame has an unexpected layout");
    return NULL;
  }
  AVFrame *h = clip->host_frame;
  if (!h) h = clip->host_frame = av_frame_alloc();
  if (!h) {
    vm_nvdec_failed(clip, VM_FALLBACK_GPU_ERROR, "out of memory");
    return NULL;
  }
  av_frame_unref(h);
  const int size = av_image_get_buffer_size(pic.sw_pix_fmt, pic.width, pic.height, 1);
  h->buf[0] = size > 0 ? av_buffer_alloc((size_t)size) : NULL;
  if (!h->buf[0] || av_frame_copy_props(h, f) < 0) {
    vm_nvdec_failed(clip, VM_FALLBACK_GPU_ERROR, "out of memory");
    return NULL;
  }
  h->format = pic.sw_pix_fmt;
  h->width = pic.width;
  h->height = pic.height;
  h->crop_left = h->crop_right = h->crop_top = h->crop_bottom = 0;
  av_image_fill_arrays(h->data, h->linesize, h->buf[0]->data, (enum AVPixelFormat)pic.sw_pix_fmt, pic.width,
                       pic.height, 1);
  return vm_nvdec_download(clip, f, h->buf[0]->data, size) == VM_OK ? h : NULL;
}

vm_gpu_work *vm_nvdec_work(vm_clip *clip, char *why, size_t why_size) {
  vm_gpu_decoder *d = clip->gpu;
  if (!d) {
    snprintf(why, why_size, "not on the GPU");
    return NULL;
  }
  if (d->work) return d->work;
  if (!vm_gpu_kernels_usable(d->device, why, why_size)) return NULL;
  if (!d->work) d->work = vm_gpu_work_new(vm_gk_cuda_new(d->device, why, why_size));
  return d->work;
}

void vm_nvdec_close(vm_clip *clip) {
  vm_gpu_decoder *d = clip->gpu;
  av_frame_free(&clip->download);
  av_frame_free(&clip->host_frame);
  if (!d) return;
  clip->gpu = NULL;
  clip->dec = NULL;
  if (clip->state == VM_EOF && !clip->gpu_restart) {
    d->dec->opaque = NULL;
    d->dec->flags &= ~AV_CODEC_FLAG_COPY_OPAQUE;
    d->dec->skip_frame = AVDISCARD_DEFAULT;
    vm_gpu_decoder_give(d);
  } else {
    vm_gpu_decoder_free(d);
  }
}
