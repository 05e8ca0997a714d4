/* vm_clip: open a source, describe its first video stream, decode it frame by frame.
 *
 * The decode loop mirrors what `ffmpeg -map 0:v:0 -fps_mode passthrough` does with a clip
 * (every frame the decoder outputs, in order, decoding errors concealed and counted) so that
 * vidmill's frames can be checked line by line against ffmpeg's framemd5. What ffmpeg only
 * prints as a warning (a packet that failed to decode, a file that ends early) becomes the
 * clip's final status here, reported after the frames that could be decoded. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/display.h>
#include <libavutil/encryption_info.h>
#include <libavutil/imgutils.h>
#include <libavutil/md5.h>
#include <libavutil/pixdesc.h>

#include "gpu.h"
#include "internal.h"
#include "ops/ops.h"

/* Give up on a stream that keeps failing: after this many packets in a row that failed to
 * decode, nothing useful is coming (and a hostile file must not make us spin). */
#define VM_MAX_CONSECUTIVE_ERRORS 200

static int interrupt_cb(void *opaque) {
  vm_clip *clip = opaque;
  return clip->deadline_ns && vm_now_ns() > clip->deadline_ns;
}

/* vm_open_options before the GPU path's fields */
#define VM_OPEN_OPTIONS_SIZE_V1 48
_Static_assert(offsetof(vm_open_options, device) == VM_OPEN_OPTIONS_SIZE_V1, "vm_open_options v1 size");

static void copy_options(vm_clip *clip, const vm_open_options *src) {
  vm_open_options *dst = &clip->opts;
  memset(dst, 0, sizeof *dst);
  if (src) memcpy(dst, src, src->struct_size < sizeof *dst ? src->struct_size : sizeof *dst);
  dst->struct_size = sizeof *dst;
  if (dst->max_pixels <= 0) dst->max_pixels = VM_DEFAULT_MAX_PIXELS;
  if (dst->threads < 0) dst->threads = 0;
  if (dst->device != VM_DEVICE_CUDA) dst->device = VM_DEVICE_CPU;
  vm_strlcpy(clip->denied_codecs, dst->denied_codecs ? dst->denied_codecs : VM_DEFAULT_DENIED_CODECS,
             sizeof clip->denied_codecs);
  dst->denied_codecs = clip->denied_codecs;
}

static int codec_denied(const vm_clip *clip, const char *codec) {
  size_t n = strlen(codec);
  for (const char *p = clip->denied_codecs; *p;) {
    size_t len = strcspn(p, ",");
    while (len && *p == ' ') p++, len--;
    if (len == n && strncmp(p, codec, n) == 0) return 1;
    p += len;
    if (*p == ',') p++;
  }
  return 0;
}

static void init_info(vm_clip_info *info) {
  memset(info, 0, sizeof *info);
  info->struct_size = sizeof *info;
  info->stream_index = -1;
  info->pix_fmt = -1;
  info->sar_den = info->time_base_den = info->avg_frame_rate_den = 1;
  info->guessed_frame_rate_den = 1;
  info->start_time = INT64_MIN;
  info->container_start_us = INT64_MIN;
  info->duration_us = -1;
  info->size_bytes = -1;
  info->backend = VM_BACKEND_CPU;
  info->backend_device = -1;
}

void vm_clip_set_backend(vm_clip *clip, int32_t backend, int32_t device, int32_t fallback, const char *fmt, ...) {
  clip->info.backend = backend;
  clip->info.backend_device = device;
  clip->info.backend_fallback = fallback;
  va_list args;
  va_start(args, fmt);
  vsnprintf(clip->info.backend_reason, sizeof clip->info.backend_reason, fmt, args);
  va_end(args);
}

static int is_still_image_format(const AVInputFormat *f) {
  const char *n = f->name;
  size_t len = strlen(n);
  return strcmp(n, "image2") == 0 || (len > 5 && strcmp(n + len - 5, "_pipe") == 0) ||
         strcmp(n, "tty") == 0;
}

static void describe_streams(const AVFormatContext *fmt, char *buf, size_t size) {
  int counts[AVMEDIA_TYPE_NB] = {0}, pics = 0;
  for (unsigned i = 0; i < fmt->nb_streams; i++) {
    const AVStream *s = fmt->streams[i];
    if (s->disposition & AV_DISPOSITION_ATTACHED_PIC)
      pics++;
    else if (s->codecpar->codec_type >= 0 && s->codecpar->codec_type < AVMEDIA_TYPE_NB)
      counts[s->codecpar->codec_type]++;
  }
  size_t used = 0;
  buf[0] = 0;
  for (int t = 0; t < AVMEDIA_TYPE_NB; t++) {
    if (!counts[t]) continue;
    used += snprintf(buf + used, used < size ? size - used : 0, "%s%d %s", used ? ", " : "",
                     counts[t], av_get_media_type_string(t));
  }
  if (pics && used < size)
    used += snprintf(buf + used, size - used, "%s%d attached picture", used ? ", " : "", pics);
  if (!used) snprintf(buf, size, "no streams at all");
}

static int stream_is_encrypted(const AVStream *st) {
  const AVCodecParameters *p = st->codecpar;
  if (av_packet_side_data_get(p->coded_side_data, p->nb_coded_side_data,
                              AV_PKT_DATA_ENCRYPTION_INIT_INFO))
    return 1;
  /* The ISO BMFF sample entry of a protected track is "encv"; FFmpeg replaces the tag with
   * the original format, so the side data above and on packets is what is left to see. */
  return 0;
}

static void fill_display(vm_clip_info *info, const AVStream *st) {
  const AVPacketSideData *sd = av_packet_side_data_get(
      st->codecpar->coded_side_data, st->codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX);
  if (!sd || sd->size < 9 * sizeof(int32_t)) return;
  const int32_t *m = (const int32_t *)sd->data;
  double r = av_display_rotation_get(m);
  if (r != r) return; /* NaN: degenerate matrix */
  int deg = (int)(r < 0 ? r - 0.5 : r + 0.5);
  /* a negative determinant means the matrix mirrors the picture */
  double det = (double)m[0] * m[4] - (double)m[1] * m[3];
  info->mirror = det < 0;
  if (info->mirror) {
    /* av_display_rotation_get assumes no reflection; remove the horizontal flip first */
    int32_t unflipped[9];
    memcpy(unflipped, m, sizeof unflipped);
    av_display_matrix_flip(unflipped, 1, 0);
    r = av_display_rotation_get(unflipped);
    if (r == r) deg = (int)(r < 0 ? r - 0.5 : r + 0.5);
  }
  while (deg <= -180) deg += 360;
  while (deg > 180) deg -= 360;
  info->rotation = deg;
}

static void fill_pix_fmt(vm_clip_info *info, int pix_fmt) {
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)pix_fmt);
  if (!d) return;
  info->pix_fmt = pix_fmt;
  info->bit_depth = d->comp[0].depth;
  vm_strlcpy(info->pix_fmt_name, d->name, sizeof info->pix_fmt_name);
}

static void fill_info(vm_clip *clip) {
  vm_clip_info *info = &clip->info;
  const AVFormatContext *fmt = clip->fmt;
  const AVStream *st = clip->st;
  const AVCodecParameters *p = st->codecpar;
  info->stream_index = st->index;
  info->width = p->width;
  info->height = p->height;
  if (p->format >= 0) fill_pix_fmt(info, p->format);
  if (!info->bit_depth && p->bits_per_raw_sample > 0) info->bit_depth = p->bits_per_raw_sample;
  info->sar_num = p->sample_aspect_ratio.num;
  info->sar_den = p->sample_aspect_ratio.den ? p->sample_aspect_ratio.den : 1;
  info->time_base_num = st->time_base.num;
  info->time_base_den = st->time_base.den;
  info->avg_frame_rate_num = st->avg_frame_rate.num;
  info->avg_frame_rate_den = st->avg_frame_rate.den ? st->avg_frame_rate.den : 1;
  AVRational guess = av_guess_frame_rate((AVFormatContext *)fmt, (AVStream *)st, NULL);
  info->guessed_frame_rate_num = guess.num;
  info->guessed_frame_rate_den = guess.den ? guess.den : 1;
  info->start_time = st->start_time;
  info->container_start_us = fmt->start_time;
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
    info->duration_us = av_rescale_q(st->duration, st->time_base, AV_TIME_BASE_Q);
  else if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
    info->duration_us = fmt->duration;
  info->declared_frames = st->nb_frames;
  info->bit_rate = p->bit_rate > 0 ? p->bit_rate : (fmt->bit_rate > 0 ? fmt->bit_rate : 0);
  vm_strlcpy(info->codec, avcodec_get_name(p->codec_id), sizeof info->codec);
  const char *profile = avcodec_profile_name(p->codec_id, p->profile);
  if (profile)
    vm_strlcpy(info->profile, profile, sizeof info->profile);
  else if (p->profile != AV_PROFILE_UNKNOWN) /* like ffprobe: the number when it has no name */
    snprintf(info->profile, sizeof info->profile, "%d", p->profile);
  vm_strlcpy(info->color_range, p->color_range ? av_color_range_name(p->color_range) : "",
             sizeof info->color_range);
  vm_strlcpy(info->color_space,
             p->color_space != AVCOL_SPC_UNSPECIFIED ? av_color_space_name(p->color_space) : "",
             sizeof info->color_space);
  vm_strlcpy(info->color_primaries,
             p->color_primaries != AVCOL_PRI_UNSPECIFIED ? av_color_primaries_name(p->color_primaries)
                                                         : "",
             sizeof info->color_primaries);
  vm_strlcpy(info->color_transfer,
             p->color_trc != AVCOL_TRC_UNSPECIFIED ? av_color_transfer_name(p->color_trc) : "",
             sizeof info->color_transfer);
  fill_display(info, st);
  info->encrypted = stream_is_encrypted(st);
}

static AVStream *first_video_stream(AVFormatContext *fmt) {
  for (unsigned i = 0; i < fmt->nb_streams; i++) {
    AVStream *s = fmt->streams[i];
    if (s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
        !(s->disposition & AV_DISPOSITION_ATTACHED_PIC))
      return s;
  }
  return NULL;
}

/* Does the header leave the stream underspecified, so that FFmpeg's stream analysis (which
 * decodes frames and costs milliseconds) is needed? ISO BMFF and Matroska headers carry
 * the codec, size and configuration; other containers get the analysis. */
static int needs_stream_analysis(const AVFormatContext *fmt, const AVStream *st) {
  const char *name = fmt->iformat->name;
  if (strcmp(name, "mov,mp4,m4a,3gp,3g2,mj2") != 0 && strcmp(name, "matroska,webm") != 0)
    return 1;
  if (!st) return 1;
  const AVCodecParameters *p = st->codecpar;
  return p->codec_id == AV_CODEC_ID_NONE || p->width <= 0 || p->height <= 0;
}

/* The container's sample index pointing past the end of the data is the plainest sign of a
 * truncated file (the usual MP4 case: a complete moov, an mdat cut short). */
static int index_points_past_end(const AVStream *st, int64_t size) {
  int n = avformat_index_get_entries_count(st);
  for (int i = n - 1; i >= 0; i--) {
    const AVIndexEntry *e = avformat_index_get_entry((AVStream *)st, i);
    if (e && e->pos >= 0 && e->pos + e->size > size) return 1;
  }
  return 0;
}

static int32_t open_failure_status(vm_clip *clip, int averror) {
  if (averror == AVERROR_EXIT) return VM_ERR_TIMEOUT;
  if (clip->input.io_errno) return VM_ERR_IO;
  if (averror == AVERROR(ENOMEM)) return VM_ERR_TOO_LARGE;
  if (clip->input.past_eof || clip->container_cut) return VM_ERR_TRUNCATED;
  int32_t status = vm_status_from_averror(averror);
  /* every byte comes through our own I/O, which saw no failure: a demuxer's EIO (Matroska's
   * answer to a malformed element) is about the data, not the storage */
  return status == VM_ERR_IO || status == VM_ERR_PERMISSION_DENIED ? VM_ERR_CORRUPT : status;
}

static AVFormatContext *new_format_context(vm_clip *clip) {
  AVFormatContext *fmt = avformat_alloc_context();
  if (!fmt) return NULL;
  fmt->pb = clip->avio;
  fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
  fmt->opaque = clip;
  fmt->interrupt_callback.callback = interrupt_cb;
  fmt->interrupt_callback.opaque = clip;
  return fmt;
}

static int32_t open_demuxer(vm_clip *clip) {
  char err[128];
  clip->avio = vm_input_avio(&clip->input);
  clip->fmt = new_format_context(clip);
  if (!clip->avio || !clip->fmt) {
    vm_clip_fail_own(clip, VM_ERR_OUT_OF_MEMORY, "out of memory");
    return clip->state;
  }

  /* Probe by content only: with a file name, a text file called x.mp4 would be taken for
   * MP4 (by extension) and fail later as a "corrupt MP4" rather than as what it is. */
  const AVInputFormat *ifmt = NULL;
  int ret = av_probe_input_buffer2(clip->avio, &ifmt, "", clip->fmt, 0, 0);
  if (ret < 0 || !ifmt) {
    if (ret == AVERROR_EXIT) {
      vm_clip_fail_own(clip, VM_ERR_TIMEOUT, "timed out while reading the first bytes");
    } else if (clip->input.io_errno) {
      vm_clip_fail(clip, VM_ERR_IO, "read failed: %s", strerror(clip->input.io_errno));
    } else if (clip->container_cut) {
      vm_clip_fail(clip, VM_ERR_TRUNCATED, "the file is cut short: %s", clip->container_cut_why);
    } else {
      vm_clip_fail_own(clip, VM_ERR_NOT_A_VIDEO, "not a recognised video container (%" PRId64 " bytes)",
                   clip->input.size);
    }
    return clip->state;
  }
  vm_strlcpy(clip->info.container, ifmt->name, sizeof clip->info.container);
  if (is_still_image_format(ifmt)) {
    vm_clip_fail_own(clip, VM_ERR_NOT_A_VIDEO, "a still image or text (%s), not a video", ifmt->name);
    return clip->state;
  }

  ret = avformat_open_input(&clip->fmt, clip->name, ifmt, NULL);
  if (ret < 0) {
    /* avformat_open_input freed the context; our AVIOContext survives (custom I/O) */
    clip->fmt = NULL;
    vm_format_averror(ret, err, sizeof err);
    int32_t status = open_failure_status(clip, ret);
    const char *hint = vm_container_hint(&clip->input);
    if (status == VM_ERR_TRUNCATED && clip->container_cut)
      vm_clip_fail(clip, status, "the file is cut short: %s", clip->container_cut_why);
    else if (status == VM_ERR_TRUNCATED)
      vm_clip_fail(clip, status, "the file ends before its container header is complete");
    else if (hint)
      vm_clip_fail(clip, status, "cannot read the %s container: %s", ifmt->name, hint);
    else
      vm_clip_fail(clip, status, "cannot read the %s container: %s", ifmt->name, err);
    return clip->state;
  }

  clip->st = first_video_stream(clip->fmt);
  if ((clip->opts.flags & VM_OPEN_FULL_PROBE) || needs_stream_analysis(clip->fmt, clip->st)) {
    ret = avformat_find_stream_info(clip->fmt, NULL);
    if (ret == AVERROR_EXIT || ret == AVERROR(ENOMEM)) {
      vm_format_averror(ret, err, sizeof err);
      vm_clip_fail(clip, open_failure_status(clip, ret), "stream analysis failed: %s", err);
      return clip->state;
    }
    /* Other failures only mean some parameters stayed unknown; ffmpeg carries on too. */
    clip->st = first_video_stream(clip->fmt);
    clip->analysed = 1;
  }
  return VM_OK;
}

int32_t vm_clip_reopen_demuxer(vm_clip *clip) {
  const AVInputFormat *ifmt = clip->fmt->iformat;
  int index = clip->st->index;
  avformat_close_input(&clip->fmt);
  clip->st = NULL;
  if (avio_seek(clip->avio, 0, SEEK_SET) < 0) {
    vm_clip_fail(clip, VM_ERR_IO, "cannot go back to the start of the file");
    return clip->state;
  }
  clip->avio->eof_reached = 0;
  clip->avio->error = 0;
  clip->fmt = new_format_context(clip);
  if (!clip->fmt) {
    vm_clip_fail_own(clip, VM_ERR_OUT_OF_MEMORY, "out of memory");
    return clip->state;
  }
  int ret = avformat_open_input(&clip->fmt, clip->name, ifmt, NULL);
  if (ret >= 0 && clip->analysed) ret = avformat_find_stream_info(clip->fmt, NULL);
  if (ret < 0 && !clip->fmt) {
    char err[128];
    vm_format_averror(ret, err, sizeof err);
    vm_clip_fail(clip, open_failure_status(clip, ret), "cannot read the %s container again: %s", ifmt->name, err);
    return clip->state;
  }
  if (ret == AVERROR_EXIT) {
    vm_clip_fail_own(clip, VM_ERR_TIMEOUT, "timed out after %" PRId64 " ms", clip->opts.timeout_ms);
    return clip->state;
  }
  if (index >= (int)clip->fmt->nb_streams || clip->fmt->streams[index]->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) {
    vm_clip_fail_own(clip, VM_ERR_INTERNAL, "the video stream is gone when the file is read again");
    return clip->state;
  }
  clip->st = clip->fmt->streams[index];
  return VM_OK;
}

static int32_t select_stream(vm_clip *clip) {
  AVFormatContext *fmt = clip->fmt;
  if (!clip->st) {
    char what[160];
    describe_streams(fmt, what, sizeof what);
    int media = 0;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
      enum AVMediaType t = fmt->streams[i]->codecpar->codec_type;
      media |= t == AVMEDIA_TYPE_AUDIO || t == AVMEDIA_TYPE_VIDEO;
    }
    /* a subtitle or data "container" found in arbitrary bytes is not a media file */
    if (clip->container_cut)
      vm_clip_fail(clip, VM_ERR_TRUNCATED, "no video stream: the file is cut short: %s",
                   clip->container_cut_why);
    else if (fmt->nb_streams && !media)
      vm_clip_fail(clip, VM_ERR_NOT_A_VIDEO, "not a video: the %s file holds %s", fmt->iformat->name,
                   what);
    else
      vm_clip_fail_own(clip, VM_ERR_NO_VIDEO_STREAM, "no video stream (%s)", what);
    return clip->state;
  }
  fill_info(clip);
  const AVCodecParameters *p = clip->st->codecpar;
  if (clip->info.encrypted) {
    vm_clip_fail_own(clip, VM_ERR_ENCRYPTED, "the %s video stream is encrypted", clip->info.codec);
    return clip->state;
  }
  if ((int64_t)p->width * p->height > clip->opts.max_pixels) {
    vm_clip_fail_own(clip, VM_ERR_TOO_LARGE, "frame size %dx%d is over the limit of %" PRId64 " pixels",
                 p->width, p->height, clip->opts.max_pixels);
    return clip->state;
  }
  if (index_points_past_end(clip->st, clip->input.size)) clip->index_past_eof = 1;
  clip->info.truncated = clip->index_past_eof || clip->container_cut == VM_CUT ||
                         (clip->container_cut == VM_CUT_IN_MEDIA_DATA && clip->info.declared_frames <= 0);
  return VM_OK;
}

/* Is there a decoder we are willing to run? Checked at open also when no decoder is opened,
 * so that describing a clip already says whether it can be decoded. */
static int32_t find_decoder(vm_clip *clip) {
  const AVCodecParameters *p = clip->st->codecpar;
  const AVCodec *codec = avcodec_find_decoder(p->codec_id);
  if (codec && codec_denied(clip, clip->info.codec)) {
    vm_clip_fail_own(clip, VM_ERR_UNSUPPORTED_CODEC,
                     "%s video is not enabled (FFmpeg's decoder is unverified here; allow it explicitly)",
                     clip->info.codec);
    return clip->state;
  }
  if (!codec) {
    char tag[AV_FOURCC_MAX_STRING_SIZE] = "";
    if (p->codec_tag) av_fourcc_make_string(tag, p->codec_tag);
    if (p->codec_id == AV_CODEC_ID_NONE)
      vm_clip_fail(clip, VM_ERR_UNSUPPORTED_CODEC, "unknown video codec (tag %s)", tag[0] ? tag : "none");
    else
      vm_clip_fail(clip, VM_ERR_UNSUPPORTED_CODEC, "no decoder for %s video", clip->info.codec);
    return clip->state;
  }
  clip->codec = codec;
  return VM_OK;
}

/* FFmpeg's buffers, noting a frame that the allocation limit refuses: decoders conceal that
 * failure (a packet that "failed to decode"), but the clip is over a limit, not corrupt. */
static int get_buffer(AVCodecContext *dec, AVFrame *frame, int flags) {
  int ret = avcodec_default_get_buffer2(dec, frame, flags);
  vm_clip *clip = dec->opaque;
  if (ret == AVERROR(ENOMEM) && clip) clip->over_limit = VM_OVER_MEMORY;
  return ret;
}

/* TOO_LARGE when the decoder refused a frame for a limit; VM_OK otherwise. */
static int32_t check_over_limit(vm_clip *clip) {
  int over = clip->over_limit;
  if (over == VM_OVER_PIXELS)
    vm_clip_fail(clip, VM_ERR_TOO_LARGE, "the bitstream's frames are over the limit of %" PRId64 " pixels",
                 clip->opts.max_pixels);
  else if (over == VM_OVER_MEMORY)
    vm_clip_fail(clip, VM_ERR_TOO_LARGE, "decoding needs more memory than the allocation limit");
  return over ? clip->state : VM_OK;
}

int32_t vm_clip_open_cpu_decoder(vm_clip *clip) {
  const AVCodecParameters *p = clip->st->codecpar;
  const AVCodec *codec = clip->codec;
  clip->dec = avcodec_alloc_context3(codec);
  if (!clip->dec) {
    vm_clip_fail_own(clip, VM_ERR_OUT_OF_MEMORY, "out of memory");
    return clip->state;
  }
  int ret = avcodec_parameters_to_context(clip->dec, p);
  if (ret < 0) {
    vm_clip_fail(clip, vm_status_from_averror(ret), "bad codec parameters");
    return clip->state;
  }
  clip->dec->opaque = clip;
  clip->dec->pkt_timebase = clip->st->time_base;
  clip->dec->thread_count = clip->opts.threads;
  clip->dec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
  clip->dec->max_pixels = clip->opts.max_pixels;
  clip->dec->get_buffer2 = get_buffer;
  ret = avcodec_open2(clip->dec, codec, NULL);
  if (ret < 0) {
    char err[128];
    vm_format_averror(ret, err, sizeof err);
    int32_t status = vm_status_from_averror(ret);
    vm_clip_fail(clip, status, "cannot open the %s decoder: %s", codec->name, err);
    return clip->state;
  }
  vm_strlcpy(clip->info.decoder, codec->name, sizeof clip->info.decoder);
  clip->stats.threads = clip->dec->thread_count;
  return VM_OK;
}

/* The GPU's decoder when the clip asked for it and the GPU can take it, else the CPU's. */
static int32_t open_decoder(vm_clip *clip) {
  clip->pkt = av_packet_alloc();
  clip->frame = av_frame_alloc();
  if (!clip->pkt || !clip->frame) {
    vm_clip_fail_own(clip, VM_ERR_OUT_OF_MEMORY, "out of memory");
    return clip->state;
  }
  int32_t gpu = vm_nvdec_open(clip);
  if (gpu <= 0) return gpu;
  return vm_clip_open_cpu_decoder(clip);
}

int vm_open_arguments_valid(const vm_source *source, const vm_open_options *options) {
  return source && source->struct_size >= sizeof(vm_source) && !source->path != !source->data &&
         !(options && options->struct_size < VM_OPEN_OPTIONS_SIZE_V1) && !(source->data && source->size < 0);
}

vm_clip *vm_clip_alloc(const vm_source *source) {
  vm_clip *clip = calloc(1, sizeof *clip);
  if (!clip) return NULL;
  clip->magic = VM_CLIP_MAGIC;
  clip->input.fd = -1;
  init_info(&clip->info);
  clip->stats.struct_size = sizeof clip->stats;
  vm_strlcpy(clip->name, source->name ? source->name : (source->path ? source->path : "<memory>"), sizeof clip->name);
  return clip;
}

int32_t vm_clip_open(const vm_source *source, const vm_open_options *options, vm_clip **out) {
  if (!out) return VM_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (!vm_open_arguments_valid(source, options)) return VM_ERR_INVALID_ARGUMENT;
  vm_library_once();

  int64_t start = vm_now_ns();
  vm_clip *clip = vm_clip_alloc(source);
  if (!clip) return VM_ERR_OUT_OF_MEMORY;
  copy_options(clip, options);
  if (clip->opts.timeout_ms > 0) clip->deadline_ns = start + clip->opts.timeout_ms * 1000000;
  *out = clip;
  vm_log_bind_thread(clip);
  vm_test_crash_point(clip->name);

  char err[160];
  int32_t status = VM_OK;
  if (source->path) {
    status = vm_input_open_file(&clip->input, source->path, err, sizeof err);
    if (status != VM_OK) vm_clip_fail_own(clip, status, "%s", err);
  } else {
    vm_input_open_memory(&clip->input, source->data, source->size);
  }
  if (status == VM_OK) {
    clip->info.size_bytes = clip->input.size;
    clip->container_cut = vm_container_cut(&clip->input, clip->container_cut_why,
                                           sizeof clip->container_cut_why);
    if (clip->input.size == 0) {
      vm_clip_fail_own(clip, VM_ERR_EMPTY, "the file is empty (0 bytes)");
      status = clip->state;
    }
  }
  if (status == VM_OK) status = open_demuxer(clip);
  if (status == VM_OK) status = select_stream(clip);
  if (status == VM_OK) status = find_decoder(clip);
  if (status == VM_OK && !(clip->opts.flags & VM_OPEN_NO_DECODER)) status = open_decoder(clip);

  if (status < 0 && clip->container_cut == VM_CUT && status != VM_ERR_TRUNCATED &&
      status != VM_ERR_TIMEOUT && status != VM_ERR_IO && status != VM_ERR_OUT_OF_MEMORY) {
    /* whatever else went wrong, it follows from the missing bytes */
    char was[VM_ERROR_SIZE];
    vm_strlcpy(was, clip->error, sizeof was);
    vm_clip_fail_own(clip, VM_ERR_TRUNCATED, "the file is cut short: %s (so: %s)",
                     clip->container_cut_why, was);
    status = clip->state;
  }
  clip->stats.open_ns = vm_now_ns() - start;
  clip->stats.bytes_read = clip->input.bytes_read;
  clip->log_errors_seen = vm_log_decoder_errors(clip);
  vm_log_bind_thread(NULL);
  return status;
}

void vm_clip_close(vm_clip *clip) {
  if (!clip) return;
  if (clip->worker) {
    vm_remote_close(clip);
    clip->magic = 0;
    free(clip);
    return;
  }
  vm_log_bind_thread(clip);
  vm_nvdec_close(clip); /* the GPU's decoder to the cache, or freed */
  avcodec_free_context(&clip->dec);
  av_packet_free(&clip->pkt);
  av_frame_free(&clip->frame);
  avformat_close_input(&clip->fmt);
  if (clip->avio) {
    av_freep(&clip->avio->buffer);
    avio_context_free(&clip->avio);
  }
  vm_input_close(&clip->input);
  av_freep(&clip->scratch);
  vm_ops_free(clip->ops);
  vm_sampler_free(clip->sampler);
  vm_log_bind_thread(NULL);
  clip->magic = 0;
  free(clip);
}

const char *vm_clip_last_error(const vm_clip *clip) { return clip ? clip->error : ""; }

/* The sizes of vm_clip_info and vm_clip_stats before the GPU path (and sampling) added fields. */
#define VM_CLIP_INFO_SIZE_V1 424
#define VM_CLIP_STATS_SIZE_V1 72

int32_t vm_clip_info_get(const vm_clip *clip, vm_clip_info *info) {
  if (!clip || !info || info->struct_size < VM_CLIP_INFO_SIZE_V1) return VM_ERR_INVALID_ARGUMENT;
  uint32_t size = info->struct_size < sizeof *info ? info->struct_size : (uint32_t)sizeof *info;
  memcpy(info, &clip->info, size);
  info->struct_size = size;
  return VM_OK;
}

int32_t vm_clip_stats_get(const vm_clip *clip, vm_clip_stats *stats) {
  if (!clip || !stats || stats->struct_size < VM_CLIP_STATS_SIZE_V1) return VM_ERR_INVALID_ARGUMENT;
  uint32_t size = stats->struct_size < sizeof *stats ? stats->struct_size : (uint32_t)sizeof *stats;
  vm_clip_stats all = clip->stats;
  all.bytes_read = clip->input.bytes_read;
  memcpy(stats, &all, size);
  stats->struct_size = size;
  return VM_OK;
}

/* ---- decoding ------------------------------------------------------------------------ */

/* Errors the decoder logged since the last packet was sent count as that packet's failure
 * (with frame threading they may surface a few packets late; the count stays right). Called
 * before each packet is sent and at the end; a packet is counted once. */
static void settle_packet_errors(vm_clip *clip, int next_packet) {
  int logged = vm_log_decoder_errors(clip);
  if (logged > clip->log_errors_seen) clip->packet_failed = 1;
  clip->log_errors_seen = logged;
  if (clip->packet_failed && !clip->packet_counted && clip->stats.packets > 0) {
    clip->stats.decode_errors++;
    clip->consecutive_errors++;
    clip->packet_counted = 1;
  } else if (!clip->packet_failed && next_packet) {
    clip->consecutive_errors = 0;
  }
  clip->packet_failed = 0;
  if (next_packet) clip->packet_counted = 0;
}

static void defer(vm_clip *clip, int32_t status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void defer(vm_clip *clip, int32_t status, const char *fmt, ...) {
  if (clip->deferred_status) return; /* the first cause is the one to report */
  va_list args;
  va_start(args, fmt);
  vsnprintf(clip->deferred_error, sizeof clip->deferred_error, fmt, args);
  va_end(args);
  clip->deferred_status = status;
}

static int packet_is_encrypted(const AVPacket *pkt) {
  size_t size = 0;
  return av_packet_get_side_data(pkt, AV_PKT_DATA_ENCRYPTION_INFO, &size) != NULL;
}

int32_t vm_read_video_packet(vm_clip *clip, AVPacket *pkt) {
  char err[128];
  for (;;) {
    int64_t t0 = vm_now_ns();
    int ret = av_read_frame(clip->fmt, pkt);
    clip->stats.demux_ns += vm_now_ns() - t0;
    if (ret == AVERROR_EXIT || interrupt_cb(clip)) {
      av_packet_unref(pkt);
      vm_clip_fail_own(clip, VM_ERR_TIMEOUT, "timed out after %" PRId64 " ms (%" PRId64 " frames decoded)",
                   clip->opts.timeout_ms, clip->stats.frames);
      return clip->state;
    }
    if (ret == AVERROR(ENOMEM)) {
      vm_clip_fail(clip, VM_ERR_TOO_LARGE, "the container needs more memory than the allocation limit");
      return clip->state;
    }
    if (ret < 0) {
      if (ret != AVERROR_EOF) {
        vm_format_averror(ret, err, sizeof err);
        if (clip->input.io_errno)
          defer(clip, VM_ERR_IO, "read failed: %s", strerror(clip->input.io_errno));
        else if (clip->input.past_eof || index_points_past_end(clip->st, clip->input.size))
          defer(clip, VM_ERR_TRUNCATED, "the file ends before the data its container declares");
        else
          defer(clip, VM_ERR_CORRUPT, "the container could not be read past packet %" PRId64 ": %s",
                clip->stats.packets_read, err);
      } else if (clip->input.past_eof && clip->info.declared_frames > clip->stats.packets_read) {
        defer(clip, VM_ERR_TRUNCATED,
              "the file ends after %" PRId64 " of the %" PRId64 " frames its container declares",
              clip->stats.packets_read, clip->info.declared_frames);
      }
      return 0;
    }
    if (pkt->stream_index != clip->st->index) {
      av_packet_unref(pkt);
      continue;
    }
    if (packet_is_encrypted(pkt)) {
      av_packet_unref(pkt);
      clip->info.encrypted = 1;
      vm_clip_fail_own(clip, VM_ERR_ENCRYPTED, "the %s video stream is encrypted", clip->info.codec);
      return clip->state;
    }
    if ((pkt->flags & AV_PKT_FLAG_CORRUPT) && clip->input.past_eof)
      defer(clip, VM_ERR_TRUNCATED, "the file ends in the middle of frame %" PRId64, clip->stats.packets_read + 1);
    clip->stats.packets_read++;
    return 1;
  }
}

/* Sends the next packet to the decoder (the next one of the stream, or the one sampling
 * chooses); at the end, or before a sampling jump, sends the flush. Returns VM_OK, or a
 * terminal status (already recorded). */
static int32_t feed_decoder(vm_clip *clip) {
  int32_t got = clip->sampler ? vm_sampler_next_packet(clip, clip->pkt) : vm_read_video_packet(clip, clip->pkt);
  if (got < 0) return got;
  if (got != 1) { /* the end, or a drain before a jump */
    settle_packet_errors(clip, 0);
    int64_t t0 = vm_now_ns();
    avcodec_send_packet(clip->dec, NULL);
    clip->stats.decode_ns += vm_now_ns() - t0;
    clip->flushing = 1;
    return VM_OK;
  }
  settle_packet_errors(clip, 1);
  if (clip->consecutive_errors >= VM_MAX_CONSECUTIVE_ERRORS) {
    av_packet_unref(clip->pkt);
    vm_clip_fail(clip, VM_ERR_CORRUPT, "gave up after %d packets in a row failed to decode",
                 clip->consecutive_errors);
    return clip->state;
  }
  int64_t t0 = vm_now_ns();
  int ret = avcodec_send_packet(clip->dec, clip->pkt);
  clip->stats.decode_ns += vm_now_ns() - t0;
  clip->stats.packets++;
  av_packet_unref(clip->pkt);
  if (ret == AVERROR(ENOMEM)) {
    vm_clip_fail(clip, VM_ERR_TOO_LARGE, "decoding needs more memory than the allocation limit");
    return clip->state;
  }
  if (check_over_limit(clip) != VM_OK) return clip->state;
  if (ret < 0 && ret != AVERROR(EAGAIN)) clip->packet_failed = 1;
  return VM_OK;
}

void vm_clip_reset_decode_counts(vm_clip *clip) {
  clip->stats.packets = 0;
  clip->stats.decode_errors = 0;
  clip->consecutive_errors = 0;
  clip->flush_errors = 0;
  clip->packet_failed = 0;
  clip->packet_counted = 0;
  clip->log_errors_seen = vm_log_decoder_errors(clip);
}

/* Were all the frames the container declares read? With sampling that skipped packets
 * unread, the index has to say so instead: all its samples lie inside the file. */
static int every_declared_frame_read(const vm_clip *clip) {
  int64_t declared = clip->info.declared_frames;
  if (declared <= 0) return 0;
  if (clip->stats.packets_read >= declared) return 1;
  return vm_sampler_read_partially(clip) && !clip->index_past_eof &&
         avformat_index_get_entries_count(clip->st) >= declared;
}

static int32_t final_status(vm_clip *clip) {
  settle_packet_errors(clip, 0);
  if (check_over_limit(clip) != VM_OK) return clip->state; /* frame threads may report it late */
  /* fragments read since open (fMP4 moof boxes) add to the index: look again */
  if (!clip->index_past_eof && index_points_past_end(clip->st, clip->input.size)) clip->index_past_eof = 1;
  if (clip->deferred_status) {
    vm_clip_fail(clip, clip->deferred_status, "%s", clip->deferred_error);
  } else if (clip->index_past_eof) {
    vm_clip_fail(clip, VM_ERR_TRUNCATED,
                 "the file ends before the data its container declares (%" PRId64 " frames decoded)",
                 clip->stats.frames);
  } else if (clip->container_cut == VM_CUT || (clip->container_cut && !every_declared_frame_read(clip))) {
    /* an mdat that runs past the end is forgiven only when every declared frame was read */
    vm_clip_fail(clip, VM_ERR_TRUNCATED, "the file is cut short: %s (%" PRId64 " frames decoded)",
                 clip->container_cut_why, clip->stats.frames);
  } else if (clip->stats.decode_errors > 0) {
    vm_clip_fail(clip, VM_ERR_CORRUPT, "%" PRId64 " of %" PRId64 " packets failed to decode (%" PRId64
                 " frames decoded)", clip->stats.decode_errors, clip->stats.packets, clip->stats.frames);
  } else if (clip->stats.frames_decoded == 0 && (clip->stats.packets_read == 0 || clip->stats.packets > 0)) {
    /* with sampling, a clip may rightly return nothing (a window past its end): only a stream
     * without packets, or packets that decoded into nothing, is broken */
    if (clip->stats.packets_read == 0)
      vm_clip_fail(clip, VM_ERR_CORRUPT, "the video stream holds no frames");
    else
      vm_clip_fail(clip, VM_ERR_CORRUPT, "no frame could be decoded from %" PRId64 " packets",
                   clip->stats.packets);
  } else {
    clip->state = VM_EOF;
  }
  return clip->state;
}

/* The clip's frame operations, created on first use with the stream's display matrix. */
static vm_ops *clip_ops(vm_clip *clip) {
  if (clip->ops) return clip->ops;
  clip->ops = vm_ops_new();
  if (clip->ops && clip->st) {
    const AVPacketSideData *sd = av_packet_side_data_get(
        clip->st->codecpar->coded_side_data, clip->st->codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX);
    vm_ops_set_stream_matrix(clip->ops, sd && sd->size >= 9 * sizeof(int32_t) ? (const int32_t *)sd->data : NULL);
  }
  return clip->ops;
}

/* The operations this batch needs, or NULL: the frame goes out as decoded, as before. */
static vm_ops *ops_for(vm_clip *clip, const vm_batch *batch) {
  if (!(batch->want & VM_WANT_STATS) && !vm_ops_converts(clip->ops)) return NULL;
  return clip_ops(clip);
}

int32_t vm_clip_set_output(vm_clip *clip, const vm_output *output) {
  if (!clip) return VM_ERR_INVALID_ARGUMENT;
  if (clip->worker) return vm_remote_set_output(clip, output);
  vm_ops *ops = clip_ops(clip);
  if (!ops) return VM_ERR_OUT_OF_MEMORY;
  char err[VM_ERROR_SIZE];
  int32_t status = vm_ops_set_output(ops, output, err, sizeof err);
  if (status != VM_OK) vm_strlcpy(clip->error, err, sizeof clip->error);
  return status;
}

int32_t vm_clip_aggregates_get(const vm_clip *clip, vm_clip_aggregates *aggregates) {
  if (!clip || !aggregates || aggregates->struct_size < sizeof *aggregates) return VM_ERR_INVALID_ARGUMENT;
  if (clip->worker) return vm_remote_aggregates(clip, aggregates);
  vm_ops_aggregates(clip->ops, aggregates);
  return VM_OK;
}

/* emit_frame's answer when the GPU failed on the frame: the clip moves to the CPU */
#define VM_EMIT_RESTART 2

/* Copies/hashes the pending frame into the batch. Returns 1 when it was added, 0 when it
 * does not fit (it stays pending), VM_EMIT_RESTART, or a negative status. A frame of the GPU
 * decoder (AV_PIX_FMT_CUDA) stays on the GPU: the native format is downloaded and repacked
 * as the CPU decoder's frame, a converted output and the statistics are made by kernels; where
 * the kernels cannot run (their round trip failed on this GPU) the frame is downloaded and the
 * CPU's operations make them. */
static int emit_frame(vm_clip *clip, vm_batch *batch) {
  AVFrame *f = clip->frame;
  AVFrame *pf = f; /* the frame the CPU's operations read */
  vm_ops *ops = ops_for(clip, batch);
  int on_gpu = f->format == AV_PIX_FMT_CUDA;
  int kernels = on_gpu && ops && (vm_ops_converts(ops) || (batch->want & VM_WANT_STATS));
  vm_gpu_picture pic;
  vm_ops_src src;
  vm_gpu_work *work = NULL;
  char why[VM_REASON_SIZE];
  if (on_gpu && vm_nvdec_picture(clip, f, &pic, &src) != VM_OK) {
    vm_nvdec_failed(clip, VM_FALLBACK_GPU_ERROR, "a decoded frame has an unexpected layout");
    return VM_EMIT_RESTART;
  }
  if (kernels && !(work = vm_nvdec_work(clip, why, sizeof why))) {
    int64_t t0 = vm_now_ns();
    pf = vm_nvdec_host_frame(clip, f);
    clip->stats.gpu_ns += vm_now_ns() - t0;
    if (!pf) return VM_EMIT_RESTART;
    on_gpu = kernels = 0;
  }
  vm_ops_shape shape = {pf->format, pf->width, pf->height,
                        ops || on_gpu ? 0 : av_image_get_buffer_size(pf->format, pf->width, pf->height, 1)};
  if (on_gpu) {
    shape.pix_fmt = pic.sw_pix_fmt;
    shape.width = pic.width;
    shape.height = pic.height;
    shape.size = av_image_get_buffer_size(pic.sw_pix_fmt, pic.width, pic.height, 1);
  }
  if (ops) {
    int32_t status = on_gpu ? vm_ops_prepare_src(ops, &src, &shape) : vm_ops_prepare(ops, pf, &shape);
    if (status < 0) {
      vm_clip_fail_own(clip, status, "%s", vm_ops_error(ops));
      return clip->state;
    }
  }
  if (shape.size < 0 || shape.size > INT_MAX) {
    vm_clip_fail_own(clip, VM_ERR_CORRUPT, "the decoder returned a frame of unknown layout");
    return clip->state;
  }
  int size = (int)shape.size;
  uint8_t *dst = NULL;
  if (batch->want & VM_WANT_PIXELS) {
    if (batch->data_used + size > batch->data_capacity) {
      if (batch->count == 0) {
        batch->data_needed = size;
        return VM_ERR_BUFFER_TOO_SMALL;
      }
      return 0;
    }
    dst = batch->data + batch->data_used;
  } else if (batch->want & VM_WANT_MD5) {
    av_fast_malloc(&clip->scratch, &clip->scratch_size, (size_t)size);
    if (!clip->scratch) {
      vm_clip_fail_own(clip, VM_ERR_OUT_OF_MEMORY, "out of memory for a %dx%d frame", f->width, f->height);
      return clip->state;
    }
    dst = clip->scratch;
  }
  vm_frame *out = &batch->frames[batch->count];
  memset(out, 0, sizeof *out);
  out->data_offset = -1;
  if (dst) {
    if (on_gpu) {
      int64_t t0 = vm_now_ns();
      int32_t status = kernels && vm_ops_converts(ops) ? vm_gpu_render(work, &pic, ops, dst, why, sizeof why)
                                                       : vm_nvdec_download(clip, f, dst, size);
      clip->stats.gpu_ns += vm_now_ns() - t0;
      if (status != VM_OK) {
        vm_nvdec_failed(clip, VM_FALLBACK_GPU_ERROR, kernels && vm_ops_converts(ops) ? why : "downloading a frame failed");
        return VM_EMIT_RESTART;
      }
    } else if (ops) {
      int32_t status = vm_ops_render(ops, dst);
      if (status < 0) {
        vm_clip_fail_own(clip, status, "%s", vm_ops_error(ops));
        return clip->state;
      }
    } else {
      av_image_copy_to_buffer(dst, size, (const uint8_t *const *)pf->data, pf->linesize, pf->format,
                              pf->width, pf->height, 1);
    }
    if (batch->want & VM_WANT_MD5) av_md5_sum(out->md5, dst, size);
    if (batch->want & VM_WANT_PIXELS) {
      out->data_offset = batch->data_used;
      batch->data_used += size;
    }
  }
  out->pts = f->best_effort_timestamp;
  out->dts = f->pkt_dts;
  out->duration = f->duration;
  if (ops && (batch->want & VM_WANT_STATS)) {
    int32_t status;
    if (kernels) {
      int64_t t0 = vm_now_ns();
      status = vm_gpu_stats(work, &pic, &src, ops, out, why, sizeof why);
      clip->stats.gpu_ns += vm_now_ns() - t0;
      if (status == VM_ERR_INTERNAL) {
        if (batch->want & VM_WANT_PIXELS) batch->data_used -= size; /* the frame is not returned */
        vm_nvdec_failed(clip, VM_FALLBACK_GPU_ERROR, why);
        return VM_EMIT_RESTART;
      }
      if (status < 0) vm_clip_fail_own(clip, status, "%s", why);
    } else {
      status = vm_ops_stats(ops, out);
      if (status < 0) vm_clip_fail_own(clip, status, "%s", vm_ops_error(ops));
    }
    if (status < 0) return clip->state;
  }
  out->data_size = size;
  out->width = shape.width;
  out->height = shape.height;
  out->pix_fmt = shape.pix_fmt;
  if (f->flags & AV_FRAME_FLAG_KEY) out->flags |= VM_FRAME_KEY;
  if ((f->flags & AV_FRAME_FLAG_CORRUPT) || f->decode_error_flags) {
    out->flags |= VM_FRAME_CORRUPT;
    clip->packet_failed = 1;
  }
  if (clip->info.pix_fmt < 0)
    fill_pix_fmt(&clip->info, f->format == AV_PIX_FMT_CUDA ? clip->dec->sw_pix_fmt : f->format);
  clip->last_pts = out->pts;
  batch->count++;
  clip->stats.frames++;
  av_frame_unref(f);
  clip->frame_pending = 0;
  return 1;
}

/* On the GPU: a problem seen since the last look (a decoder error, a format the GPU does not
 * decode, a CUDA failure) moves the clip to the CPU. */
static int gpu_restarts(vm_clip *clip) { return clip->gpu && vm_nvdec_must_restart(clip); }

int32_t vm_clip_next(vm_clip *clip, vm_batch *batch) {
  if (!clip || !batch || batch->struct_size < sizeof *batch || !batch->frames || batch->capacity < 1 ||
      ((batch->want & VM_WANT_PIXELS) && (batch->data_capacity < 0 || (!batch->data && batch->data_capacity))))
    return VM_ERR_INVALID_ARGUMENT;
  batch->count = 0;
  batch->data_used = 0;
  batch->data_needed = 0;
  if (clip->worker) return vm_remote_next(clip, batch);
  if (clip->state != VM_OK) return clip->state;
  if (!clip->dec) {
    vm_clip_fail_own(clip, VM_ERR_INVALID_ARGUMENT, "the clip was opened without a decoder");
    return clip->state;
  }
  vm_log_bind_thread(clip);
  int32_t status = VM_OK;
  clip->decoding_started = 1;
  while (batch->count < batch->capacity) {
    if (gpu_restarts(clip)) {
      status = vm_nvdec_restart(clip);
      if (status != VM_OK) break;
      continue;
    }
    if (!clip->frame_pending && clip->sampler && vm_sampler_done(clip)) {
      status = final_status(clip); /* what is left in the decoder is not selected */
      break;
    }
    if (clip->state != VM_OK) {
      status = clip->state;
      break;
    }
    if (!clip->frame_pending) {
      int64_t t0 = vm_now_ns();
      int ret = avcodec_receive_frame(clip->dec, clip->frame);
      clip->stats.decode_ns += vm_now_ns() - t0;
      if (ret == AVERROR(EAGAIN)) {
        if (clip->flushing) { /* cannot happen with a conforming decoder */
          if (gpu_restarts(clip)) continue;
          status = final_status(clip);
          break;
        }
        status = feed_decoder(clip);
        if (status != VM_OK) break;
        continue;
      }
      if (ret == AVERROR_EOF) {
        if (gpu_restarts(clip)) continue;
        if (clip->sampler) {
          int32_t more = vm_sampler_drained(clip);
          if (more == 1) continue;
          if (more < 0) {
            status = more;
            break;
          }
        }
        status = final_status(clip);
        break;
      }
      if (ret < 0) {
        if (ret == AVERROR(ENOMEM)) {
          vm_clip_fail(clip, VM_ERR_TOO_LARGE, "decoding needs more memory than the allocation limit");
          status = clip->state;
          break;
        }
        clip->packet_failed = 1; /* like ffmpeg: note it and go on with the next packet */
        if (clip->gpu) continue; /* the loop's next look restarts the clip on the CPU */
        if (clip->flushing && ++clip->flush_errors >= VM_MAX_CONSECUTIVE_ERRORS) {
          status = final_status(clip);
          break;
        }
        continue;
      }
      clip->stats.frames_decoded++;
      if (clip->skip_frames > 0 && !clip->sampler) {
        /* decoded again on the CPU after the GPU: returned already */
        int64_t pts = clip->frame->best_effort_timestamp;
        av_frame_unref(clip->frame);
        if (--clip->skip_frames == 0 && pts != clip->last_pts) {
          vm_clip_fail_own(clip, VM_ERR_CORRUPT, "decoded again on the CPU, the clip's frames differ from the GPU's "
                           "(pts %" PRId64 " where frame %" PRId64 " had %" PRId64 ")", pts, clip->stats.frames,
                           clip->last_pts);
          status = clip->state;
          break;
        }
        continue;
      }
      if (clip->sampler) {
        int32_t keep = vm_sampler_accept(clip, clip->frame);
        if (keep < 0) {
          status = keep;
          break;
        }
        if (!keep) {
          av_frame_unref(clip->frame);
          continue;
        }
      }
      clip->frame_pending = 1;
    }
    if (clip->opts.max_frames > 0 && clip->stats.frames >= clip->opts.max_frames) {
      vm_clip_fail_own(clip, VM_ERR_TOO_LARGE, "more than %" PRId64 " frames", clip->opts.max_frames);
      status = clip->state;
      break;
    }
    int64_t t0 = vm_now_ns();
    int added = emit_frame(clip, batch);
    clip->stats.output_ns += vm_now_ns() - t0;
    if (added == VM_EMIT_RESTART) continue; /* gpu_restarts() sees the failure */
    if (added == 0) break;
    if (added < 0) {
      status = added;
      break;
    }
  }
  vm_log_bind_thread(NULL);
  return status;
}
