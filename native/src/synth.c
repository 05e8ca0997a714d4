/* Synthetic clips from lavfi test patterns, encoded with the encoders of the FFmpeg build we
 * ship. The demo, the benchmarks and the tests make their sample clips with this, so they
 * need neither an ffmpeg binary nor copies of third-party media. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavutil/macros.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>

#include "internal.h"

typedef struct synth {
  AVFilterGraph *graph;
  AVFilterContext *sink;
  AVCodecContext *enc;
  AVFormatContext *out;
  AVFrame *frame;
  AVFrame *padded;
  AVPacket *pkt;
  char tmp_path[4096];
  int tmp_open;
} synth;

static int fail(char *detail, size_t size, int32_t status, const char *what, int averror) {
  char err[128] = "";
  if (averror) vm_format_averror(averror, err, sizeof err);
  if (detail && size) snprintf(detail, size, "%s%s%s", what, averror ? ": " : "", err);
  return status;
}

static int build_graph(synth *s, const vm_synth_options *o, enum AVPixelFormat pix_fmt) {
  char desc[512];
  const char *pattern = o->pattern && *o->pattern ? o->pattern : "testsrc2";
  /* the seed turns the hue so that clips differ from each other */
  snprintf(desc, sizeof desc, "%s=size=%dx%d:rate=%d/%d,hue=h=%d,format=%s", pattern, o->width,
           o->height, o->fps_num, o->fps_den, (o->seed * 47) % 360, av_get_pix_fmt_name(pix_fmt));
  s->graph = avfilter_graph_alloc();
  if (!s->graph) return AVERROR(ENOMEM);
  int ret = avfilter_graph_create_filter(&s->sink, avfilter_get_by_name("buffersink"), "out", NULL,
                                         NULL, s->graph);
  if (ret < 0) return ret;
  AVFilterInOut *inputs = avfilter_inout_alloc();
  if (!inputs) return AVERROR(ENOMEM);
  inputs->name = av_strdup("out");
  inputs->filter_ctx = s->sink;
  inputs->pad_idx = 0;
  inputs->next = NULL;
  AVFilterInOut *outputs = NULL;
  ret = avfilter_graph_parse_ptr(s->graph, desc, &inputs, &outputs, NULL);
  avfilter_inout_free(&inputs);
  avfilter_inout_free(&outputs);
  if (ret < 0) return ret;
  return avfilter_graph_config(s->graph, NULL);
}

static int pad_rows(AVFrame *dst, const AVFrame *src) {
  dst->format = src->format;
  dst->width = src->width;
  dst->height = FFALIGN(src->height, 32);
  int ret = av_frame_get_buffer(dst, 0);
  if (ret < 0) return ret;
  dst->height = src->height;
  ret = av_frame_copy(dst, src);
  if (ret >= 0) ret = av_frame_copy_props(dst, src);
  return ret;
}

static int write_packets(synth *s, AVStream *st) {
  for (;;) {
    int ret = avcodec_receive_packet(s->enc, s->pkt);
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return 0;
    if (ret < 0) return ret;
    av_packet_rescale_ts(s->pkt, s->enc->time_base, st->time_base);
    s->pkt->stream_index = st->index;
    ret = av_interleaved_write_frame(s->out, s->pkt);
    if (ret < 0) return ret;
  }
}

static int32_t run(synth *s, const vm_synth_options *o, char *detail, size_t size) {
  const char *encoder = o->encoder && *o->encoder ? o->encoder : "libopenh264";
  const AVCodec *codec = avcodec_find_encoder_by_name(encoder);
  if (!codec || codec->type != AVMEDIA_TYPE_VIDEO)
    return fail(detail, size, VM_ERR_UNSUPPORTED_CODEC, "no such video encoder in this FFmpeg build", 0);

  enum AVPixelFormat pix_fmt = AV_PIX_FMT_YUV420P;
  if (o->pix_fmt && *o->pix_fmt) {
    pix_fmt = av_get_pix_fmt(o->pix_fmt);
    if (pix_fmt == AV_PIX_FMT_NONE) return fail(detail, size, VM_ERR_INVALID_ARGUMENT, "unknown pixel format", 0);
  } else {
    const void *formats = NULL;
    int n = 0;
    if (avcodec_get_supported_config(NULL, codec, AV_CODEC_CONFIG_PIX_FORMAT, 0, &formats, &n) >= 0 &&
        formats && n > 0) {
      const enum AVPixelFormat *list = formats;
      pix_fmt = list[0];
      for (int i = 0; i < n; i++)
        if (list[i] == AV_PIX_FMT_YUV420P) pix_fmt = AV_PIX_FMT_YUV420P;
    }
  }

  int ret = build_graph(s, o, pix_fmt);
  if (ret < 0) return fail(detail, size, VM_ERR_INVALID_ARGUMENT, "cannot build the test pattern", ret);

  const AVOutputFormat *ofmt = av_guess_format(NULL, o->path, NULL);
  if (!ofmt) return fail(detail, size, VM_ERR_INVALID_ARGUMENT, "no container for this file extension", 0);
  snprintf(s->tmp_path, sizeof s->tmp_path, "%s.tmp-%ld-%d", o->path, (long)getpid(), rand());
  ret = avformat_alloc_output_context2(&s->out, ofmt, NULL, s->tmp_path);
  if (ret < 0) return fail(detail, size, VM_ERR_INTERNAL, "cannot create the container", ret);

  s->enc = avcodec_alloc_context3(codec);
  s->frame = av_frame_alloc();
  s->padded = av_frame_alloc();
  s->pkt = av_packet_alloc();
  if (!s->enc || !s->frame || !s->padded || !s->pkt) return fail(detail, size, VM_ERR_OUT_OF_MEMORY, "out of memory", 0);
  s->enc->width = o->width;
  s->enc->height = o->height;
  s->enc->pix_fmt = pix_fmt;
  s->enc->time_base = (AVRational){o->fps_den, o->fps_num};
  s->enc->framerate = (AVRational){o->fps_num, o->fps_den};
  s->enc->sample_aspect_ratio = (AVRational){1, 1};
  if (o->gop > 0) s->enc->gop_size = o->gop;
  if (o->bit_rate_kbps > 0) s->enc->bit_rate = (int64_t)o->bit_rate_kbps * 1000;
  s->enc->thread_count = 1; /* the same bytes on every machine */
  if (ofmt->flags & AVFMT_GLOBALHEADER) s->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if (strcmp(codec->name, "libaom-av1") == 0) av_opt_set_int(s->enc->priv_data, "cpu-used", 8, 0);
  if (strcmp(codec->name, "libsvtav1") == 0) av_opt_set_int(s->enc->priv_data, "preset", 12, 0);
  if (strcmp(codec->name, "libvpx-vp9") == 0 || strcmp(codec->name, "libvpx") == 0) {
    av_opt_set_int(s->enc->priv_data, "cpu-used", 8, 0);
    av_opt_set(s->enc->priv_data, "deadline", "realtime", 0);
  }
  ret = avcodec_open2(s->enc, codec, NULL);
  if (ret < 0) return fail(detail, size, VM_ERR_INVALID_ARGUMENT, "cannot open the encoder", ret);

  AVStream *st = avformat_new_stream(s->out, NULL);
  if (!st) return fail(detail, size, VM_ERR_OUT_OF_MEMORY, "out of memory", 0);
  avcodec_parameters_from_context(st->codecpar, s->enc);
  st->time_base = s->enc->time_base;
  st->avg_frame_rate = s->enc->framerate;
  ret = avio_open(&s->out->pb, s->tmp_path, AVIO_FLAG_WRITE);
  if (ret < 0) return fail(detail, size, VM_ERR_IO, "cannot create the output file", ret);
  s->tmp_open = 1;
  ret = avformat_write_header(s->out, NULL);
  if (ret < 0) return fail(detail, size, VM_ERR_IO, "cannot write the container header", ret);

  for (int n = 0; n < o->frames; n++) {
    ret = av_buffersink_get_frame(s->sink, s->frame);
    if (ret < 0) return fail(detail, size, VM_ERR_INTERNAL, "the test pattern ended early", ret);
    /* Some encoders (FFmpeg's MPEG-4) read whole macroblock rows past the last picture row,
     * beyond what lavfi allocated for odd sizes (AddressSanitizer sees it): hand them a copy
     * whose buffers are padded to 32 rows. */
    ret = pad_rows(s->padded, s->frame);
    av_frame_unref(s->frame);
    if (ret < 0) return fail(detail, size, VM_ERR_OUT_OF_MEMORY, "out of memory", ret);
    s->padded->pts = n;
    s->padded->pict_type = AV_PICTURE_TYPE_NONE;
    ret = avcodec_send_frame(s->enc, s->padded);
    av_frame_unref(s->padded);
    if (ret < 0 || (ret = write_packets(s, st)) < 0)
      return fail(detail, size, VM_ERR_INTERNAL, "encoding failed", ret);
  }
  ret = avcodec_send_frame(s->enc, NULL);
  if (ret < 0 || (ret = write_packets(s, st)) < 0)
    return fail(detail, size, VM_ERR_INTERNAL, "encoding failed", ret);
  ret = av_write_trailer(s->out);
  if (ret < 0) return fail(detail, size, VM_ERR_IO, "cannot finish the container", ret);
  ret = avio_closep(&s->out->pb);
  s->tmp_open = 0;
  if (ret < 0) return fail(detail, size, VM_ERR_IO, "cannot close the output file", ret);
  if (rename(s->tmp_path, o->path) != 0) return fail(detail, size, VM_ERR_IO, "cannot rename into place", AVERROR(errno));
  return VM_OK;
}

int32_t vm_synth_write(const vm_synth_options *o, char *detail, size_t detail_size) {
  if (detail && detail_size) detail[0] = 0;
  if (!o || o->struct_size < sizeof *o || !o->path || o->width <= 0 || o->height <= 0 ||
      o->fps_num <= 0 || o->fps_den <= 0 || o->frames <= 0)
    return fail(detail, detail_size, VM_ERR_INVALID_ARGUMENT, "invalid synth options", 0);
  vm_library_once();
  synth s;
  memset(&s, 0, sizeof s);
  int32_t status = run(&s, o, detail, detail_size);
  avfilter_graph_free(&s.graph);
  avcodec_free_context(&s.enc);
  av_frame_free(&s.frame);
  av_frame_free(&s.padded);
  av_packet_free(&s.pkt);
  if (s.out) {
    if (s.tmp_open) avio_closep(&s.out->pb);
    avformat_free_context(s.out);
  }
  if (status != VM_OK && s.tmp_path[0]) unlink(s.tmp_path);
  return status;
}
