/* vmtool enccheck [MEDIA_DIR]: the image encoder (vm_encoder_*) checked by decoding what it
 * writes with FFmpeg's own decoders.
 *
 *   JPEG  the file is baseline JFIF 4:2:0 with libjpeg's quantisers for the quality (parsed
 *         from its DQT segments: every AC entry equal, DC 8); decoded, it is within a PSNR
 *         bound of the picture (synthetic pictures of odd and even sizes, every input format,
 *         and converted frames of corpus files when MEDIA_DIR has them); a lower quality
 *         gives a smaller file and a lower PSNR
 *   PNG   decoded, it is the picture exactly (BGR input comes back as RGB)
 *   API   BUFFER_TOO_SMALL with the size, and then the same bytes; bad arguments refused;
 *         a change of size between calls
 * Exit status 0 when every check passes. */
#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
#include <libavutil/mem.h>
#include <libswscale/swscale.h>

#include "vmtool.h"

static int failures;


static const int zigzag[64] = {0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,
                               12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,  7,  14, 21, 28,
                               35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
                               58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};
static const int k_luma[64] = {16, 11, 10, 16, 24,  40,  51,  61,  12, 12, 14, 19, 26,  58,  60,  55,
                               14, 13, 16, 24, 40,  57,  69,  56,  14, 17, 22, 29, 51,  87,  80,  62,
                               18, 22, 37, 56, 68,  109, 103, 77,  24, 35, 55, 64, 81,  104, 113, 92,
                               49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};
static const int k_chroma[64] = {17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
                                 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
                                 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
                                 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99};

/* what libjpeg's jpeg_set_quality(q, force_baseline) puts into table entry i */
static int libjpeg_quant(const int *base, int i, int q) {
  int scale = q < 50 ? 5000 / q : 200 - 2 * q;
  long v = ((long)base[i] * scale + 50) / 100;
  return v < 1 ? 1 : v > 255 ? 255 : (int)v;
}

static int bpp_of(int fmt) { return fmt == VM_PIXEL_GRAY8 ? 1 : 3; }
static const char *fmt_name(int fmt) {
  return fmt == VM_PIXEL_RGB24 ? "rgb24" : fmt == VM_PIXEL_BGR24 ? "bgr24" : "gray8";
}

/* A photograph-like picture: smooth gradients, a few sinusoids, a hard edge. */
static uint8_t *pattern(int w, int h, int fmt, int seed) {
  int bpp = bpp_of(fmt);
  uint8_t *p = malloc((size_t)w * h * bpp);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < bpp; c++) {
        double v = 128 + 60 * sin((x + 3 * c + seed) / 11.0) * cos((y - 2 * c) / 17.0) + 40.0 * (x - w / 2.0) / w +
                   30.0 * (y - h / 2.0) / h + (x > w / 3 && y > h / 3 ? 25 : 0);
        p[((size_t)y * w + x) * bpp + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5);
      }
  return p;
}

/* Encodes with a fresh buffer; returns the bytes (caller frees) or NULL. */
static uint8_t *encode(vm_encoder *e, const uint8_t *px, int w, int h, int fmt, int64_t *size) {
  int64_t cap = (int64_t)w * h * 4 + 4096;
  uint8_t *out = malloc((size_t)cap);
  int32_t st = vm_encoder_encode(e, px, (int64_t)w * bpp_of(fmt), w, h, fmt, out, cap, size);
  if (st != VM_OK) {
    fprintf(stderr, "encode %dx%d %s: %s: %s\n", w, h, fmt_name(fmt), vm_status_name(st), vm_encoder_last_error(e));
    free(out);
    return NULL;
  }
  return out;
}

/* Decodes an image file with FFmpeg and converts it to `fmt` (packed); NULL on failure. */
static uint8_t *decode(const uint8_t *data, int64_t size, enum AVCodecID id, int fmt, int *w, int *h,
                       int *decoded_fmt) {
  const AVCodec *codec = avcodec_find_decoder(id);
  AVCodecContext *c = avcodec_alloc_context3(codec);
  AVPacket *pkt = av_packet_alloc();
  AVFrame *f = av_frame_alloc();
  uint8_t *out = NULL;
  if (avcodec_open2(c, codec, NULL) < 0) goto done;
  if (av_new_packet(pkt, (int)size) < 0) goto done;
  memcpy(pkt->data, data, (size_t)size);
  if (avcodec_send_packet(c, pkt) < 0 || avcodec_receive_frame(c, f) < 0) goto done;
  *w = f->width;
  *h = f->height;
  *decoded_fmt = f->format;
  enum AVPixelFormat dst = fmt == VM_PIXEL_GRAY8 ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24;
  enum AVPixelFormat src = f->format == AV_PIX_FMT_YUVJ420P ? AV_PIX_FMT_YUV420P : f->format;
  struct SwsContext *s = sws_getContext(f->width, f->height, src, f->width, f->height, dst,
                                        SWS_POINT | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL, NULL);
  if (!s) goto done;
  const int *coef = sws_getCoefficients(SWS_CS_ITU601);
  sws_setColorspaceDetails(s, coef, 1, coef, 1, 0, 1 << 16, 1 << 16);
  out = malloc((size_t)f->width * f->height * bpp_of(fmt));
  uint8_t *dp[4] = {out};
  int dl[4] = {f->width * bpp_of(fmt)};
  sws_scale(s, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dp, dl);
  sws_freeContext(s);
done:
  av_frame_free(&f);
  av_packet_free(&pkt);
  avcodec_free_context(&c);
  return out;
}

static double psnr(const uint8_t *a, const uint8_t *b, int64_t n) {
  double se = 0;
  for (int64_t i = 0; i < n; i++) se += (double)(a[i] - b[i]) * (a[i] - b[i]);
  return se == 0 ? 99 : 10 * log10(255.0 * 255.0 * n / se);
}

/* The JPEG's structure: SOF0 with 4:2:0 sampling, JFIF, and its quantisers against libjpeg's. */
static void check_jpeg_structure(const uint8_t *d, int64_t n, int quality, int w, int h, const char *what) {
  CHECK(n > 4 && d[0] == 0xff && d[1] == 0xd8 && d[n - 2] == 0xff && d[n - 1] == 0xd9, "%s: not SOI..EOI", what);
  int tables = 0, sof = 0, jfif = 0;
  for (int64_t i = 2; i + 4 <= n;) {
    if (d[i] != 0xff) break;
    int marker = d[i + 1];
    int len = d[i + 2] << 8 | d[i + 3];
    const uint8_t *seg = d + i + 4;
    if (marker == 0xda) break; /* start of scan */
    if (marker == 0xe0 && len >= 7 && memcmp(seg, "JFIF", 5) == 0) jfif = 1;
    if (marker == 0xdb) {
      for (int off = 0; off + 65 <= len - 2; off += 65) {
        int precision = seg[off] >> 4, id = seg[off] & 15;
        CHECK(precision == 0, "%s: 16-bit quantiser table", what);
        const int *base = id == 0 ? k_luma : k_chroma;
        for (int k = 1; k < 64; k++) {
          int natural = zigzag[k];
          CHECK(seg[off + 1 + k] == libjpeg_quant(base, natural, quality),
                "%s: table %d entry %d (natural %d) is %d, libjpeg's at quality %d is %d", what, id, k, natural,
                seg[off + 1 + k], quality, libjpeg_quant(base, natural, quality));
        }
        CHECK(seg[off + 1] == 8, "%s: DC quantiser %d, not 8", what, seg[off + 1]);
        tables++;
      }
    }
    if (marker == 0xc0) {
      sof = 1;
      CHECK((seg[1] << 8 | seg[2]) == h && (seg[3] << 8 | seg[4]) == w && seg[5] == 3, "%s: SOF0 %dx%d/%d", what,
            seg[3] << 8 | seg[4], seg[1] << 8 | seg[2], seg[5]);
      CHECK(seg[7] == 0x22 && seg[10] == 0x11 && seg[13] == 0x11, "%s: sampling %02x %02x %02x, not 4:2:0", what,
            seg[7], seg[10], seg[13]);
    }
    i += 2 + len;
  }
  CHECK(tables == 2, "%s: %d quantiser tables", what, tables);
  CHECK(sof, "%s: no baseline SOF0", what);
  CHECK(jfif, "%s: no JFIF APP0", what);
}

/* One picture through JPEG at several qualities and through PNG. */
static void check_picture(const char *what, const uint8_t *px, int w, int h, int fmt, double min_psnr95) {
  vm_encoder *jpg[3] = {NULL}, *png = NULL;
  const int qualities[3] = {95, 75, 30};
  double prev_psnr = 100;
  int64_t prev_size = INT64_MAX;
  for (int i = 0; i < 3; i++) {
    vm_encoder_options o = {.struct_size = sizeof o, .codec = VM_IMAGE_JPEG, .quality = qualities[i]};
    if (vm_encoder_open(&o, &jpg[i]) != VM_OK) {
      CHECK(0, "cannot open a JPEG encoder");
      return;
    }
    int64_t size = 0;
    uint8_t *file = encode(jpg[i], px, w, h, fmt, &size);
    CHECK(file != NULL, "%s: JPEG q%d failed", what, qualities[i]);
    if (!file) continue;
    char label[160];
    snprintf(label, sizeof label, "%s q%d", what, qualities[i]);
    check_jpeg_structure(file, size, qualities[i], w, h, label);
    int dw = 0, dh = 0, dfmt = -1;
    uint8_t *back = decode(file, size, AV_CODEC_ID_MJPEG, fmt == VM_PIXEL_GRAY8 ? VM_PIXEL_GRAY8 : VM_PIXEL_RGB24,
                           &dw, &dh, &dfmt);
    CHECK(back && dw == w && dh == h, "%s: decodes to %dx%d", label, dw, dh);
    if (back && dw == w && dh == h) {
      uint8_t *ref = (uint8_t *)px;
      uint8_t *swapped = NULL;
      if (fmt == VM_PIXEL_BGR24) {
        swapped = malloc((size_t)w * h * 3);
        for (int64_t k = 0; k < (int64_t)w * h; k++) {
          swapped[3 * k] = px[3 * k + 2];
          swapped[3 * k + 1] = px[3 * k + 1];
          swapped[3 * k + 2] = px[3 * k];
        }
        ref = swapped;
      }
      double p = psnr(ref, back, (int64_t)w * h * bpp_of(fmt));
      if (getenv("VMTOOL_VERBOSE")) printf("%-40s %7" PRId64 " bytes  PSNR %.2f dB\n", label, size, p);
      if (i == 0) CHECK(p >= min_psnr95, "%s: PSNR %.2f dB < %.1f", label, p, min_psnr95);
      /* (an exact picture, a flat one, is exact at every quality) */
      CHECK(w * h < 1000 || (p <= prev_psnr + 0.01 && (size < prev_size || (p >= 99 && size == prev_size))), "%s: a lower quality must give fewer bytes and less PSNR "
            "(%.2f dB, %" PRId64 " bytes after %.2f dB, %" PRId64 ")", label, p, size, prev_psnr, prev_size);
      prev_psnr = p;
      prev_size = size;
      free(swapped);
    }
    free(back);
    free(file);
  }
  for (int i = 0; i < 3; i++) vm_encoder_close(jpg[i]);

  vm_encoder_options o = {.struct_size = sizeof o, .codec = VM_IMAGE_PNG};
  if (vm_encoder_open(&o, &png) != VM_OK) {
    CHECK(0, "cannot open a PNG encoder");
    return;
  }
  int64_t size = 0;
  uint8_t *file = encode(png, px, w, h, fmt, &size);
  CHECK(file && size > 8 && memcmp(file, "\x89PNG\r\n\x1a\n", 8) == 0, "%s: not a PNG", what);
  if (file) {
    int dw = 0, dh = 0, dfmt = -1;
    uint8_t *back = decode(file, size, AV_CODEC_ID_PNG, fmt, &dw, &dh, &dfmt);
    CHECK(back && dw == w && dh == h, "%s: PNG decodes to %dx%d", what, dw, dh);
    CHECK(dfmt == (fmt == VM_PIXEL_GRAY8 ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24), "%s: PNG of format %d", what, dfmt);
    if (back && dw == w && dh == h) {
      int equal = 1;
      for (int64_t k = 0; k < (int64_t)w * h && equal; k++) {
        if (fmt == VM_PIXEL_GRAY8) equal = back[k] == px[k];
        else if (fmt == VM_PIXEL_RGB24) equal = memcmp(back + 3 * k, px + 3 * k, 3) == 0;
        else equal = back[3 * k] == px[3 * k + 2] && back[3 * k + 1] == px[3 * k + 1] && back[3 * k + 2] == px[3 * k];
      }
      CHECK(equal, "%s: PNG is not lossless", what);
    }
    free(back);
  }
  free(file);
  vm_encoder_close(png);
}

static void check_api(void) {
  vm_encoder *e = NULL;
  vm_encoder_options bad = {.struct_size = sizeof bad, .codec = VM_IMAGE_JPEG, .quality = 101};
  CHECK(vm_encoder_open(&bad, &e) == VM_ERR_INVALID_ARGUMENT && !e, "quality 101 accepted");
  bad.quality = -1;
  CHECK(vm_encoder_open(&bad, &e) == VM_ERR_INVALID_ARGUMENT, "quality -1 accepted");
  bad = (vm_encoder_options){.struct_size = sizeof bad, .codec = VM_IMAGE_PNG, .quality = 50};
  CHECK(vm_encoder_open(&bad, &e) == VM_ERR_INVALID_ARGUMENT, "a PNG quality accepted");
  bad = (vm_encoder_options){.struct_size = sizeof bad, .codec = 9};
  CHECK(vm_encoder_open(&bad, &e) == VM_ERR_INVALID_ARGUMENT, "codec 9 accepted");
  bad = (vm_encoder_options){.struct_size = 4, .codec = VM_IMAGE_JPEG};
  CHECK(vm_encoder_open(&bad, &e) == VM_ERR_INVALID_ARGUMENT, "a short struct accepted");
  vm_encoder_close(NULL);
  CHECK(strcmp(vm_encoder_last_error(NULL), "") == 0, "last_error(NULL)");

  vm_encoder_options o = {.struct_size = sizeof o, .codec = VM_IMAGE_JPEG}; /* default quality */
  CHECK(vm_encoder_open(&o, &e) == VM_OK, "open");
  uint8_t *px = pattern(64, 48, VM_PIXEL_RGB24, 3);
  uint8_t small[16];
  int64_t size = -1;
  CHECK(vm_encoder_encode(e, px, 64 * 3, 64, 48, VM_PIXEL_RGB24, small, sizeof small, &size) ==
            VM_ERR_BUFFER_TOO_SMALL && size > (int64_t)sizeof small,
        "BUFFER_TOO_SMALL with the size (got %" PRId64 ")", size);
  uint8_t *a = malloc((size_t)size), *b = NULL;
  int64_t size2 = 0;
  CHECK(vm_encoder_encode(e, px, 64 * 3, 64, 48, VM_PIXEL_RGB24, a, size, &size2) == VM_OK && size2 == size,
        "the retry fits");
  b = encode(e, px, 64, 48, VM_PIXEL_RGB24, &size2);
  CHECK(b && size2 == size && memcmp(a, b, (size_t)size) == 0, "the same picture gives the same bytes");
  check_jpeg_structure(a, size, VM_JPEG_DEFAULT_QUALITY, 64, 48, "default quality");
  free(b);
  /* another size on the same encoder, then the first again */
  uint8_t *px2 = pattern(33, 17, VM_PIXEL_RGB24, 4);
  b = encode(e, px2, 33, 17, VM_PIXEL_RGB24, &size2);
  CHECK(b != NULL, "a second size");
  if (b) check_jpeg_structure(b, size2, VM_JPEG_DEFAULT_QUALITY, 33, 17, "second size");
  free(b);
  b = encode(e, px, 64, 48, VM_PIXEL_RGB24, &size2);
  CHECK(b && size2 == size && memcmp(a, b, (size_t)size) == 0, "back to the first size: the same bytes");
  free(b);
  CHECK(vm_encoder_encode(e, px, 64 * 3, 64, 48, VM_PIXEL_NATIVE, a, size, &size2) == VM_ERR_INVALID_ARGUMENT &&
            strlen(vm_encoder_last_error(e)) > 0,
        "the native format refused, with a reason");
  CHECK(vm_encoder_encode(e, px, 10, 64, 48, VM_PIXEL_RGB24, a, size, &size2) == VM_ERR_INVALID_ARGUMENT,
        "a short stride refused");
  CHECK(vm_encoder_encode(e, px, 64 * 3, 0, 48, VM_PIXEL_RGB24, a, size, &size2) == VM_ERR_INVALID_ARGUMENT,
        "width 0 refused");
  CHECK(vm_encoder_encode(e, NULL, 64 * 3, 64, 48, VM_PIXEL_RGB24, a, size, &size2) == VM_ERR_INVALID_ARGUMENT,
        "NULL pixels refused");
  CHECK(vm_encoder_encode(e, px, 64 * 3, 64, 48, VM_PIXEL_RGB24, a, size, &size2) == VM_OK &&
            strcmp(vm_encoder_last_error(e), "") == 0,
        "a good call after bad ones, and the error cleared");
  free(a);
  free(px);
  free(px2);
  vm_encoder_close(e);
}

/* Frames of corpus files converted to rgb24 224x224 (what datasets hold), through JPEG q95. */
static void check_corpus(const char *media) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/valid", media);
  DIR *d = opendir(dir);
  if (!d) {
    printf("enccheck: no corpus at %s: synthetic pictures only\n", dir);
    return;
  }
  struct dirent *ent;
  int files = 0;
  while ((ent = readdir(d)) && files < 12) {
    if (ent->d_name[0] == '.') continue;
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
    vm_source src = {.struct_size = sizeof src, .path = path, .name = path};
    vm_open_options opts = {.struct_size = sizeof opts, .threads = 1, .timeout_ms = 30000};
    vm_clip *clip = NULL;
    if (vm_clip_open(&src, &opts, &clip) != VM_OK) {
      vm_clip_close(clip);
      continue;
    }
    vm_output out = {.struct_size = sizeof out, .pixel_format = VM_PIXEL_RGB24, .width = 224, .height = 224,
                     .resize = VM_RESIZE_CENTER_CROP};
    vm_frame frame;
    static uint8_t pixels[224 * 224 * 3];
    vm_batch b = {.struct_size = sizeof b, .want = VM_WANT_PIXELS, .frames = &frame, .capacity = 1,
                  .data = pixels, .data_capacity = sizeof pixels};
    int32_t st = vm_clip_set_output(clip, &out);
    if (st == VM_OK) st = vm_clip_next(clip, &b);
    if ((st == VM_OK || st == VM_EOF) && b.count == 1) {
      char what[1100];
      snprintf(what, sizeof what, "corpus %s", ent->d_name);
      /* noise-like content (torchcodec_var_fps_video) sits near 28 dB at q95: the bound only
       catches gross errors here; the synthetic pictures carry the calibrated one */
      check_picture(what, pixels, 224, 224, VM_PIXEL_RGB24, 25.0);
      files++;
    }
    vm_clip_close(clip);
  }
  closedir(d);
  printf("enccheck: %d corpus frames\n", files);
}

int cmd_enccheck(const char *media) {
  check_api();
  const int sizes[][2] = {{224, 224}, {225, 97}, {1, 1}, {17, 3}, {2, 2}, {640, 360}};
  const int fmts[] = {VM_PIXEL_RGB24, VM_PIXEL_BGR24, VM_PIXEL_GRAY8};
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
    for (int f = 0; f < 3; f++) {
      int w = sizes[s][0], h = sizes[s][1];
      uint8_t *px = pattern(w, h, fmts[f], (int)s);
      char what[96];
      snprintf(what, sizeof what, "%dx%d %s", w, h, fmt_name(fmts[f]));
      /* tiny pictures carry no texture to speak of; the bound is for real sizes */
      check_picture(what, px, w, h, fmts[f], w * h >= 1000 ? 38.0 : 25.0);
      free(px);
    }
  if (media) check_corpus(media);
  if (failures) fprintf(stderr, "enccheck: %d failures\n", failures);
  else printf("enccheck: ok\n");
  return failures ? 1 : 0;
}
