/* Image files of converted frames: JPEG by FFmpeg's mjpeg encoder, PNG by its png encoder.
 *
 * JPEG: the packed RGB picture goes to full-range YCbCr 4:2:0 here, in one pass (each chroma
 * sample from the sum of its 2x2 pixels), rather than through swscale: at dataset sizes the
 * conversion is then a small part of the encode (docs/outputs.md has the measurements). The
 * quantisers are libjpeg's at the requested quality, handed to mjpeg as its intra matrices
 * with qscale 8, which mpegvideo's MJPEG path scales by qscale / 8: the identity. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/mem.h>
#include <libavutil/opt.h>

#include "vidmill.h"

#define VM_ENCODER_ERROR_SIZE 256

struct vm_encoder {
  vm_encoder_options opts;
  AVCodecContext *ctx;   /* open for the current shape, or NULL */
  int width, height, pixel_format;
  AVFrame *frame;
  AVPacket *pkt;
  int64_t pts;
  char error[VM_ENCODER_ERROR_SIZE];
};

/* ITU-T T.81 Annex K, tables K.1 and K.2, in natural (row-major) order: what libjpeg scales. */
static const uint8_t k_luma[64] = {
    16, 11, 10, 16, 24,  40,  51,  61,  12, 12, 14, 19, 26,  58,  60,  55,
    14, 13, 16, 24, 40,  57,  69,  56,  14, 17, 22, 29, 51,  87,  80,  62,
    18, 22, 37, 56, 68,  109, 103, 77,  24, 35, 55, 64, 81,  104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};
static const uint8_t k_chroma[64] = {
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
    24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99};

static void fail(vm_encoder *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(vm_encoder *e, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vsnprintf(e->error, sizeof e->error, fmt, args);
  va_end(args);
}

/* libjpeg's jpeg_quality_scaling and jpeg_add_quant_table (force_baseline: at most 255). */
static uint16_t *quant_table(const uint8_t *base, int quality) {
  uint16_t *t = av_malloc(64 * sizeof *t);
  if (!t) return NULL;
  int scale = quality < 50 ? 5000 / quality : 200 - 2 * quality;
  for (int i = 0; i < 64; i++) {
    long v = ((long)base[i] * scale + 50) / 100;
    t[i] = (uint16_t)(v < 1 ? 1 : v > 255 ? 255 : v);
  }
  return t;
}

int32_t vm_encoder_open(const vm_encoder_options *options, vm_encoder **encoder) {
  if (!encoder) return VM_ERR_INVALID_ARGUMENT;
  *encoder = NULL;
  if (!options || options->struct_size < sizeof *options) return VM_ERR_INVALID_ARGUMENT;
  if (options->codec != VM_IMAGE_JPEG && options->codec != VM_IMAGE_PNG) return VM_ERR_INVALID_ARGUMENT;
  int quality = options->quality;
  if (options->codec == VM_IMAGE_JPEG) {
    if (quality == 0) quality = VM_JPEG_DEFAULT_QUALITY;
    if (quality < 1 || quality > 100) return VM_ERR_INVALID_ARGUMENT;
  } else if (quality != 0) {
    return VM_ERR_INVALID_ARGUMENT;
  }
  enum AVCodecID id = options->codec == VM_IMAGE_JPEG ? AV_CODEC_ID_MJPEG : AV_CODEC_ID_PNG;
  if (!avcodec_find_encoder(id)) return VM_ERR_UNSUPPORTED_CODEC;
  vm_encoder *e = av_mallocz(sizeof *e);
  if (!e) return VM_ERR_OUT_OF_MEMORY;
  e->opts = *options;
  e->opts.struct_size = sizeof e->opts;
  e->opts.quality = quality;
  e->frame = av_frame_alloc();
  e->pkt = av_packet_alloc();
  if (!e->frame || !e->pkt) {
    vm_encoder_close(e);
    return VM_ERR_OUT_OF_MEMORY;
  }
  *encoder = e;
  return VM_OK;
}

void vm_encoder_close(vm_encoder *e) {
  if (!e) return;
  avcodec_free_context(&e->ctx);
  av_frame_free(&e->frame);
  av_packet_free(&e->pkt);
  av_free(e);
}

const char *vm_encoder_last_error(const vm_encoder *e) { return e ? e->error : ""; }

static int32_t status_of(int averror) {
  return averror == AVERROR(ENOMEM) ? VM_ERR_OUT_OF_MEMORY : VM_ERR_INTERNAL;
}

/* An FFmpeg encoder for this shape, and a frame buffer in the format it takes. */
static int32_t prepare(vm_encoder *e, int width, int height, int pixel_format) {
  if (e->ctx && e->width == width && e->height == height && e->pixel_format == pixel_format) return VM_OK;
  avcodec_free_context(&e->ctx);
  av_frame_unref(e->frame);
  int jpeg = e->opts.codec == VM_IMAGE_JPEG;
  const AVCodec *codec = avcodec_find_encoder(jpeg ? AV_CODEC_ID_MJPEG : AV_CODEC_ID_PNG);
  AVCodecContext *c = avcodec_alloc_context3(codec);
  if (!c) return VM_ERR_OUT_OF_MEMORY;
  c->width = width;
  c->height = height;
  c->time_base = (AVRational){1, 25};
  c->thread_count = 1;  /* the caller's threads are the parallelism: one image is small */
  enum AVPixelFormat fmt;
  if (jpeg) {
    fmt = AV_PIX_FMT_YUV420P;
    c->color_range = AVCOL_RANGE_JPEG;
    c->colorspace = AVCOL_SPC_BT470BG;
    c->chroma_sample_location = AVCHROMA_LOC_CENTER;
    c->sample_aspect_ratio = (AVRational){1, 1}; /* mjpeg writes the JFIF APP0 only with one */
    c->flags |= AV_CODEC_FLAG_QSCALE;
    c->global_quality = FF_QP2LAMBDA * 8;
    c->intra_matrix = quant_table(k_luma, e->opts.quality);
    c->chroma_intra_matrix = quant_table(k_chroma, e->opts.quality);
    if (!c->intra_matrix || !c->chroma_intra_matrix) {
      avcodec_free_context(&c);
      return VM_ERR_OUT_OF_MEMORY;
    }
  } else {
    fmt = pixel_format == VM_PIXEL_GRAY8 ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24;
    c->compression_level = 6;
    av_opt_set(c->priv_data, "pred", "mixed", 0);
  }
  c->pix_fmt = fmt;
  int ret = avcodec_open2(c, codec, NULL);
  if (ret < 0) {
    char why[128];
    av_strerror(ret, why, sizeof why);
    fail(e, "cannot open FFmpeg's %s encoder for %dx%d: %s", codec->name, width, height, why);
    avcodec_free_context(&c);
    return status_of(ret);
  }
  e->frame->format = fmt;
  e->frame->width = width;
  e->frame->height = height;
  ret = av_frame_get_buffer(e->frame, 0);
  if (ret < 0) {
    avcodec_free_context(&c);
    return VM_ERR_OUT_OF_MEMORY;
  }
  e->ctx = c;
  e->width = width;
  e->height = height;
  e->pixel_format = pixel_format;
  return VM_OK;
}

/* JFIF's full-range BT.601 YCbCr (libjpeg's jccolor.c coefficients, 16-bit fixed point). */
enum { FIX = 16 };
#define Q(x) ((int32_t)((x) * (1 << FIX) + 0.5))
static const int32_t YR = Q(0.299), YG = Q(0.587), YB = Q(0.114);
static const int32_t UR = Q(0.168735892), UG = Q(0.331264108), UB = Q(0.5);
static const int32_t VR = Q(0.5), VG = Q(0.418687589), VB = Q(0.081312411);

/* Rows y and y + 1 (r1 == r0 and y1 NULL when y is the last row) of packed RGB/BGR/gray into
 * Y, and one row of Cb and Cr from the sums of each 2x2 block (an odd last column repeats). */
static inline uint8_t luma(const uint8_t *p, int ri, int bi) {
  return (uint8_t)((YR * p[ri] + YG * p[1] + YB * p[bi] + (1 << (FIX - 1))) >> FIX);
}

static void to_yuv420_rows(const uint8_t *r0, const uint8_t *r1, int width, int fmt, uint8_t *y0, uint8_t *y1,
                           uint8_t *u, uint8_t *v) {
  if (fmt == VM_PIXEL_GRAY8) {
    memcpy(y0, r0, (size_t)width);
    if (y1) memcpy(y1, r1, (size_t)width);
    memset(u, 128, (size_t)(width + 1) / 2);
    memset(v, 128, (size_t)(width + 1) / 2);
    return;
  }
  const int ri = fmt == VM_PIXEL_BGR24 ? 2 : 0, bi = 2 - ri;
  /* sums of four: two more bits of fixed point; 128 is the chroma offset; rounding a hair
   * under one half (libjpeg's CBCR_OFFSET + ONE_HALF - 1) keeps pure blue at 255, not 256 */
  const int32_t bias = (128 << (FIX + 2)) + (1 << (FIX + 1)) - 1;
  int pairs = width / 2;
  for (int k = 0; k < pairs; k++) {
    const uint8_t *a = r0 + 6 * k, *b = r1 + 6 * k;
    y0[2 * k] = luma(a, ri, bi);
    y0[2 * k + 1] = luma(a + 3, ri, bi);
    if (y1) {
      y1[2 * k] = luma(b, ri, bi);
      y1[2 * k + 1] = luma(b + 3, ri, bi);
    }
    int32_t sr = a[ri] + a[3 + ri] + b[ri] + b[3 + ri];
    int32_t sg = a[1] + a[4] + b[1] + b[4];
    int32_t sb = a[bi] + a[3 + bi] + b[bi] + b[3 + bi];
    /* within 0..255 for any RGB: each row of coefficients sums to 0 and +-0.5 on each side */
    u[k] = (uint8_t)((-UR * sr - UG * sg + UB * sb + bias) >> (FIX + 2));
    v[k] = (uint8_t)((VR * sr - VG * sg - VB * sb + bias) >> (FIX + 2));
  }
  if (width & 1) {
    const uint8_t *a = r0 + 3 * (width - 1), *b = r1 + 3 * (width - 1);
    y0[width - 1] = luma(a, ri, bi);
    if (y1) y1[width - 1] = luma(b, ri, bi);
    int32_t sr = 2 * (a[ri] + b[ri]), sg = 2 * (a[1] + b[1]), sb = 2 * (a[bi] + b[bi]);
    u[pairs] = (uint8_t)((-UR * sr - UG * sg + UB * sb + bias) >> (FIX + 2));
    v[pairs] = (uint8_t)((VR * sr - VG * sg - VB * sb + bias) >> (FIX + 2));
  }
}

static void fill_frame(vm_encoder *e, const uint8_t *pixels, int64_t stride, int width, int height, int fmt) {
  AVFrame *f = e->frame;
  if (e->opts.codec == VM_IMAGE_JPEG) {
    for (int y = 0; y < height; y += 2) {
      int last = y + 1 >= height;
      const uint8_t *r0 = pixels + y * stride, *r1 = last ? r0 : r0 + stride;
      to_yuv420_rows(r0, r1, width, fmt, f->data[0] + y * f->linesize[0],
                     last ? NULL : f->data[0] + (y + 1) * f->linesize[0], f->data[1] + (y / 2) * f->linesize[1],
                     f->data[2] + (y / 2) * f->linesize[2]);
    }
    return;
  }
  int bpp = fmt == VM_PIXEL_GRAY8 ? 1 : 3;
  for (int y = 0; y < height; y++) {
    const uint8_t *s = pixels + y * stride;
    uint8_t *d = f->data[0] + y * f->linesize[0];
    if (fmt != VM_PIXEL_BGR24) {
      memcpy(d, s, (size_t)width * bpp);
    } else {
      for (int x = 0; x < width; x++, s += 3, d += 3) {
        d[0] = s[2];
        d[1] = s[1];
        d[2] = s[0];
      }
    }
  }
}

int32_t vm_encoder_encode(vm_encoder *e, const uint8_t *pixels, int64_t stride, int32_t width, int32_t height,
                          int32_t pixel_format, uint8_t *out, int64_t capacity, int64_t *size) {
  if (!e) return VM_ERR_INVALID_ARGUMENT;
  e->error[0] = '\0';
  if (!pixels || !size || capacity < 0 || (capacity > 0 && !out)) {
    fail(e, "NULL pixels, size or output buffer");
    return VM_ERR_INVALID_ARGUMENT;
  }
  *size = 0;
  if (pixel_format != VM_PIXEL_RGB24 && pixel_format != VM_PIXEL_BGR24 && pixel_format != VM_PIXEL_GRAY8) {
    fail(e, "pixel format %d: only rgb24, bgr24 and gray8 pictures are encoded", pixel_format);
    return VM_ERR_INVALID_ARGUMENT;
  }
  int bpp = pixel_format == VM_PIXEL_GRAY8 ? 1 : 3;
  if (width < 1 || height < 1 || width > VM_MAX_OUTPUT_SIDE || height > VM_MAX_OUTPUT_SIDE ||
      stride < (int64_t)width * bpp) {
    fail(e, "a %dx%d picture with %" PRId64 " bytes per row cannot be encoded", width, height, stride);
    return VM_ERR_INVALID_ARGUMENT;
  }
  int32_t status = prepare(e, width, height, pixel_format);
  if (status != VM_OK) return status;
  int ret = av_frame_make_writable(e->frame);
  if (ret < 0) return status_of(ret);
  fill_frame(e, pixels, stride, width, height, pixel_format);
  e->frame->pts = e->pts++;
  /* with AV_CODEC_FLAG_QSCALE mpegvideo takes each frame's own quality (0 would be qscale 0) */
  if (e->opts.codec == VM_IMAGE_JPEG) e->frame->quality = FF_QP2LAMBDA * 8;
  ret = avcodec_send_frame(e->ctx, e->frame);
  if (ret >= 0) ret = avcodec_receive_packet(e->ctx, e->pkt);
  if (ret < 0) {
    char why[128];
    av_strerror(ret, why, sizeof why);
    fail(e, "FFmpeg's %s encoder failed on a %dx%d picture: %s", e->ctx->codec->name, width, height, why);
    avcodec_free_context(&e->ctx); /* a fresh one next time */
    return status_of(ret);
  }
  *size = e->pkt->size;
  if (e->pkt->size > capacity) {
    av_packet_unref(e->pkt);
    fail(e, "the image needs %" PRId64 " bytes, the buffer has %" PRId64, *size, capacity);
    return VM_ERR_BUFFER_TOO_SMALL;
  }
  memcpy(out, e->pkt->data, (size_t)e->pkt->size);
  av_packet_unref(e->pkt);
  return VM_OK;
}
