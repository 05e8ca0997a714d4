/* Library-wide pieces: versions, status names, layout introspection, one-time setup. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <libavfilter/avfilter.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "internal.h"

#ifndef VIDMILL_VERSION
#define VIDMILL_VERSION "0.0.0-dev"
#endif

/* The layouts the bindings rely on. A change here is an ABI change: bump VM_ABI_VERSION. */
_Static_assert(sizeof(vm_source) == 40, "vm_source layout");
_Static_assert(sizeof(vm_open_options) == 56, "vm_open_options layout");
_Static_assert(offsetof(vm_open_options, device) == 48, "vm_open_options grows at its end");
_Static_assert(sizeof(vm_clip_info) == 640, "vm_clip_info layout");
_Static_assert(offsetof(vm_clip_info, backend) == 424, "vm_clip_info grows at its end");
_Static_assert(sizeof(vm_clip_stats) == 144, "vm_clip_stats layout");
_Static_assert(offsetof(vm_clip_stats, packets_read) == 72, "vm_clip_stats grows at its end");
_Static_assert(offsetof(vm_clip_stats, gpu_ns) == 128, "vm_clip_stats grows at its end");
_Static_assert(sizeof(vm_cuda_device) == 168, "vm_cuda_device layout");
_Static_assert(sizeof(vm_cuda_utilization) == 32, "vm_cuda_utilization layout");
_Static_assert(sizeof(vm_decoder_caps) == 40, "vm_decoder_caps layout");
_Static_assert(sizeof(vm_frame) == 104, "vm_frame layout");
_Static_assert(sizeof(vm_batch) == 56, "vm_batch layout");
_Static_assert(sizeof(vm_synth_options) == 72, "vm_synth_options layout");
_Static_assert(sizeof(vm_output) == 32, "vm_output layout");
_Static_assert(sizeof(vm_clip_aggregates) == 120, "vm_clip_aggregates layout");
_Static_assert(sizeof(vm_image) == 112, "vm_image layout");
_Static_assert(sizeof(vm_sampling) == 64, "vm_sampling layout");
_Static_assert(sizeof(vm_worker_options) == 48, "vm_worker_options layout");
_Static_assert(sizeof(vm_worker_state) == 16, "vm_worker_state layout");

/* The headers must be those of the FFmpeg the JavaCPP jar ships (CMake passes its majors). */
#if defined(VM_EXPECT_AVCODEC_MAJOR) && (LIBAVCODEC_VERSION_MAJOR != VM_EXPECT_AVCODEC_MAJOR || \
    LIBAVFORMAT_VERSION_MAJOR != VM_EXPECT_AVFORMAT_MAJOR || LIBAVUTIL_VERSION_MAJOR != VM_EXPECT_AVUTIL_MAJOR || \
    LIBAVFILTER_VERSION_MAJOR != VM_EXPECT_AVFILTER_MAJOR)
#error "FFmpeg headers do not match the FFmpeg libraries vidmill links against"
#endif

static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static int64_t max_alloc_bytes = VM_DEFAULT_MAX_ALLOC;
static char version_text[200];

static char test_crash_on[256];

static void library_init(void) {
  const char *crash = getenv(VM_TEST_CRASH_ENV);
  if (crash) vm_strlcpy(test_crash_on, crash, sizeof test_crash_on);
  unsigned v = avcodec_version();
  snprintf(version_text, sizeof version_text, "vidmill %s (FFmpeg %s, libavcodec %u.%u.%u)",
           VIDMILL_VERSION, av_version_info(), v >> 16, (v >> 8) & 0xff, v & 0xff);
  av_max_alloc((size_t)max_alloc_bytes);
  vm_log_install();
}

void vm_library_once(void) { pthread_once(&library_once, library_init); }

void vm_test_crash_point(const char *clip_name) {
  if (test_crash_on[0] && clip_name && strstr(clip_name, test_crash_on)) raise(SIGSEGV);
}

uint32_t vm_abi_version(void) { return VM_ABI_VERSION; }

const char *vm_version_string(void) {
  vm_library_once();
  return version_text;
}

void vm_set_max_alloc(int64_t bytes) {
  if (bytes <= 0) bytes = VM_DEFAULT_MAX_ALLOC;
  max_alloc_bytes = bytes;
  vm_library_once();
  av_max_alloc((size_t)bytes);
}

int64_t vm_max_alloc(void) { return max_alloc_bytes; }

int32_t vm_runtime_check(char *detail, size_t detail_size) {
  struct {
    const char *name;
    unsigned runtime, compiled;
  } libs[] = {
      {"libavutil", avutil_version() >> 16, LIBAVUTIL_VERSION_MAJOR},
      {"libavcodec", avcodec_version() >> 16, LIBAVCODEC_VERSION_MAJOR},
      {"libavformat", avformat_version() >> 16, LIBAVFORMAT_VERSION_MAJOR},
      {"libavfilter", avfilter_version() >> 16, LIBAVFILTER_VERSION_MAJOR},
      {"libswscale", swscale_version() >> 16, LIBSWSCALE_VERSION_MAJOR},
  };
  char text[400] = "";
  int32_t status = VM_OK;
  for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
    if (libs[i].runtime != libs[i].compiled) {
      size_t used = strlen(text);
      snprintf(text + used, sizeof text - used,
               "%s%s major %u was loaded but libvidmill was built against major %u", used ? "; " : "",
               libs[i].name, libs[i].runtime, libs[i].compiled);
      status = VM_ERR_FFMPEG_VERSION;
    }
  }
  if (status == VM_OK) {
    vm_library_once();
    snprintf(text, sizeof text, "%s", version_text);
  }
  if (detail && detail_size) vm_strlcpy(detail, text, detail_size);
  return status;
}

const char *vm_status_name(int32_t status) {
  switch (status) {
    case VM_OK: return "OK";
    case VM_EOF: return "EOF";
    case VM_ERR_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case VM_ERR_NOT_FOUND: return "NOT_FOUND";
    case VM_ERR_PERMISSION_DENIED: return "PERMISSION_DENIED";
    case VM_ERR_IO: return "IO";
    case VM_ERR_EMPTY: return "EMPTY";
    case VM_ERR_NOT_A_VIDEO: return "NOT_A_VIDEO";
    case VM_ERR_NO_VIDEO_STREAM: return "NO_VIDEO_STREAM";
    case VM_ERR_UNSUPPORTED_CODEC: return "UNSUPPORTED_CODEC";
    case VM_ERR_ENCRYPTED: return "ENCRYPTED";
    case VM_ERR_TRUNCATED: return "TRUNCATED";
    case VM_ERR_CORRUPT: return "CORRUPT";
    case VM_ERR_TOO_LARGE: return "TOO_LARGE";
    case VM_ERR_TIMEOUT: return "TIMEOUT";
    case VM_ERR_OUT_OF_MEMORY: return "OUT_OF_MEMORY";
    case VM_ERR_BUFFER_TOO_SMALL: return "BUFFER_TOO_SMALL";
    case VM_ERR_FFMPEG_VERSION: return "FFMPEG_VERSION";
    case VM_ERR_INTERNAL: return "INTERNAL";
    case VM_ERR_CRASHED: return "CRASHED";
    default: return "UNKNOWN";
  }
}

const char *vm_fallback_name(int32_t fallback) {
  switch (fallback) {
    case VM_FALLBACK_NONE: return "NONE";
    case VM_FALLBACK_NO_GPU: return "NO_GPU";
    case VM_FALLBACK_NO_DECODER: return "NO_DECODER";
    case VM_FALLBACK_UNSUPPORTED: return "UNSUPPORTED";
    case VM_FALLBACK_DECODE_ERROR: return "DECODE_ERROR";
    case VM_FALLBACK_GPU_ERROR: return "GPU_ERROR";
    default: return "UNKNOWN";
  }
}

const char *vm_pix_fmt_name(int32_t pix_fmt) {
  const char *name = av_get_pix_fmt_name((enum AVPixelFormat)pix_fmt);
  return name ? name : "";
}

/* ---- layout introspection ---------------------------------------------------------- */

typedef struct field_offset {
  const char *name;
  size_t offset;
} field_offset;

#define F(type, field) {#field, offsetof(type, field)}

static const field_offset source_fields[] = {
    F(vm_source, struct_size), F(vm_source, reserved0), F(vm_source, path),
    F(vm_source, data),        F(vm_source, size),      F(vm_source, name), {NULL, 0}};
static const field_offset open_options_fields[] = {
    F(vm_open_options, struct_size), F(vm_open_options, flags),
    F(vm_open_options, threads),     F(vm_open_options, reserved0),
    F(vm_open_options, max_pixels),  F(vm_open_options, max_frames),
    F(vm_open_options, timeout_ms),  F(vm_open_options, denied_codecs),
    F(vm_open_options, device),      F(vm_open_options, device_index),
    {NULL, 0}};
static const field_offset clip_info_fields[] = {
    F(vm_clip_info, struct_size),
    F(vm_clip_info, stream_index),
    F(vm_clip_info, width),
    F(vm_clip_info, height),
    F(vm_clip_info, pix_fmt),
    F(vm_clip_info, bit_depth),
    F(vm_clip_info, rotation),
    F(vm_clip_info, mirror),
    F(vm_clip_info, encrypted),
    F(vm_clip_info, sar_num),
    F(vm_clip_info, sar_den),
    F(vm_clip_info, time_base_num),
    F(vm_clip_info, time_base_den),
    F(vm_clip_info, avg_frame_rate_num),
    F(vm_clip_info, avg_frame_rate_den),
    F(vm_clip_info, guessed_frame_rate_num),
    F(vm_clip_info, guessed_frame_rate_den),
    F(vm_clip_info, truncated),
    F(vm_clip_info, start_time),
    F(vm_clip_info, container_start_us),
    F(vm_clip_info, duration_us),
    F(vm_clip_info, declared_frames),
    F(vm_clip_info, size_bytes),
    F(vm_clip_info, bit_rate),
    F(vm_clip_info, container),
    F(vm_clip_info, codec),
    F(vm_clip_info, profile),
    F(vm_clip_info, pix_fmt_name),
    F(vm_clip_info, color_range),
    F(vm_clip_info, color_space),
    F(vm_clip_info, color_primaries),
    F(vm_clip_info, color_transfer),
    F(vm_clip_info, decoder),
    F(vm_clip_info, backend),
    F(vm_clip_info, backend_device),
    F(vm_clip_info, backend_fallback),
    F(vm_clip_info, reserved1),
    F(vm_clip_info, backend_reason),
    {NULL, 0}};
static const field_offset clip_stats_fields[] = {
    F(vm_clip_stats, struct_size), F(vm_clip_stats, threads),    F(vm_clip_stats, frames),
    F(vm_clip_stats, packets),     F(vm_clip_stats, decode_errors),
    F(vm_clip_stats, bytes_read),  F(vm_clip_stats, open_ns),    F(vm_clip_stats, demux_ns),
    F(vm_clip_stats, decode_ns),   F(vm_clip_stats, output_ns),  F(vm_clip_stats, packets_read),
    F(vm_clip_stats, packets_skipped), F(vm_clip_stats, frames_decoded), F(vm_clip_stats, seeks),
    F(vm_clip_stats, file_seeks),
    F(vm_clip_stats, plan_ns),     F(vm_clip_stats, sample_path), F(vm_clip_stats, fallbacks),
    F(vm_clip_stats, gpu_ns),      F(vm_clip_stats, decoder_reused), F(vm_clip_stats, restarts),
    {NULL, 0}};
static const field_offset frame_fields[] = {
    F(vm_frame, pts),    F(vm_frame, dts),     F(vm_frame, duration), F(vm_frame, data_offset),
    F(vm_frame, data_size), F(vm_frame, width), F(vm_frame, height),  F(vm_frame, pix_fmt),
    F(vm_frame, flags),  F(vm_frame, md5),     F(vm_frame, luma_mean), F(vm_frame, luma_std),
    F(vm_frame, dark_fraction), F(vm_frame, sharpness), F(vm_frame, motion), F(vm_frame, scene_score),
    F(vm_frame, dhash),  {NULL, 0}};
static const field_offset batch_fields[] = {
    F(vm_batch, struct_size),   F(vm_batch, want),      F(vm_batch, frames),
    F(vm_batch, capacity),      F(vm_batch, count),     F(vm_batch, data),
    F(vm_batch, data_capacity), F(vm_batch, data_used), F(vm_batch, data_needed),
    {NULL, 0}};
static const field_offset synth_fields[] = {
    F(vm_synth_options, struct_size), F(vm_synth_options, width),
    F(vm_synth_options, height),      F(vm_synth_options, fps_num),
    F(vm_synth_options, fps_den),     F(vm_synth_options, frames),
    F(vm_synth_options, gop),         F(vm_synth_options, bit_rate_kbps),
    F(vm_synth_options, seed),        F(vm_synth_options, reserved0),
    F(vm_synth_options, path),        F(vm_synth_options, encoder),
    F(vm_synth_options, pattern),     F(vm_synth_options, pix_fmt),
    {NULL, 0}};
static const field_offset output_fields[] = {
    F(vm_output, struct_size), F(vm_output, pixel_format), F(vm_output, width),
    F(vm_output, height),      F(vm_output, resize),       F(vm_output, filter),
    F(vm_output, flags),       F(vm_output, scene_threshold), {NULL, 0}};
static const field_offset aggregates_fields[] = {
    F(vm_clip_aggregates, struct_size),    F(vm_clip_aggregates, reserved0),
    F(vm_clip_aggregates, frames),         F(vm_clip_aggregates, black_frames),
    F(vm_clip_aggregates, blank_frames),   F(vm_clip_aggregates, scene_cuts),
    F(vm_clip_aggregates, luma_mean),      F(vm_clip_aggregates, luma_min),
    F(vm_clip_aggregates, luma_max),       F(vm_clip_aggregates, sharpness_mean),
    F(vm_clip_aggregates, sharpness_min),  F(vm_clip_aggregates, sharpness_max),
    F(vm_clip_aggregates, motion_mean),    F(vm_clip_aggregates, motion_min),
    F(vm_clip_aggregates, motion_max),     F(vm_clip_aggregates, scene_score_max),
    {NULL, 0}};
static const field_offset image_fields[] = {
    F(vm_image, struct_size), F(vm_image, pix_fmt),     F(vm_image, width),
    F(vm_image, height),      F(vm_image, matrix),      F(vm_image, color_range),
    F(vm_image, chroma_location), F(vm_image, orientation), F(vm_image, sar_num),
    F(vm_image, sar_den),     F(vm_image, reserved0),   F(vm_image, reserved1),  F(vm_image, planes),
    F(vm_image, strides),     {NULL, 0}};
static const field_offset sampling_fields[] = {
    F(vm_sampling, struct_size), F(vm_sampling, mode),     F(vm_sampling, flags),
    F(vm_sampling, rate_num),    F(vm_sampling, rate_den), F(vm_sampling, reserved0),
    F(vm_sampling, n),           F(vm_sampling, start_us), F(vm_sampling, end_us),
    F(vm_sampling, max_frames),  F(vm_sampling, buffer_bytes), {NULL, 0}};
static const field_offset encoder_options_fields[] = {
    F(vm_encoder_options, struct_size), F(vm_encoder_options, codec), F(vm_encoder_options, quality),
    F(vm_encoder_options, reserved0),   {NULL, 0}};
static const field_offset cuda_device_fields[] = {
    F(vm_cuda_device, struct_size),    F(vm_cuda_device, index),          F(vm_cuda_device, compute_major),
    F(vm_cuda_device, compute_minor),  F(vm_cuda_device, multiprocessors), F(vm_cuda_device, decoders),
    F(vm_cuda_device, mig),            F(vm_cuda_device, reserved0),      F(vm_cuda_device, memory_bytes),
    F(vm_cuda_device, name),           F(vm_cuda_device, pci_bus_id),     {NULL, 0}};
static const field_offset cuda_utilization_fields[] = {
    F(vm_cuda_utilization, struct_size),       F(vm_cuda_utilization, decoder_percent),
    F(vm_cuda_utilization, sm_percent),        F(vm_cuda_utilization, memory_percent),
    F(vm_cuda_utilization, memory_used_bytes), F(vm_cuda_utilization, memory_total_bytes), {NULL, 0}};
static const field_offset decoder_caps_fields[] = {
    F(vm_decoder_caps, struct_size), F(vm_decoder_caps, supported),  F(vm_decoder_caps, decoders),
    F(vm_decoder_caps, min_width),   F(vm_decoder_caps, min_height), F(vm_decoder_caps, max_width),
    F(vm_decoder_caps, max_height),  F(vm_decoder_caps, reserved0),  F(vm_decoder_caps, max_macroblocks),
    {NULL, 0}};
static const field_offset worker_options_fields[] = {
    F(vm_worker_options, struct_size), F(vm_worker_options, grace_ms),    F(vm_worker_options, executable),
    F(vm_worker_options, preload),     F(vm_worker_options, environment), F(vm_worker_options, crash_dir),
    F(vm_worker_options, memory_limit), {NULL, 0}};
static const field_offset worker_state_fields[] = {
    F(vm_worker_state, struct_size), F(vm_worker_state, pid), F(vm_worker_state, starts),
    F(vm_worker_state, deaths),      {NULL, 0}};
#undef F

static const field_offset *fields_of(int32_t id) {
  switch (id) {
    case VM_STRUCT_SOURCE: return source_fields;
    case VM_STRUCT_OPEN_OPTIONS: return open_options_fields;
    case VM_STRUCT_CLIP_INFO: return clip_info_fields;
    case VM_STRUCT_CLIP_STATS: return clip_stats_fields;
    case VM_STRUCT_FRAME: return frame_fields;
    case VM_STRUCT_BATCH: return batch_fields;
    case VM_STRUCT_SYNTH_OPTIONS: return synth_fields;
    case VM_STRUCT_OUTPUT: return output_fields;
    case VM_STRUCT_CLIP_AGGREGATES: return aggregates_fields;
    case VM_STRUCT_IMAGE: return image_fields;
    case VM_STRUCT_SAMPLING: return sampling_fields;
    case VM_STRUCT_ENCODER_OPTIONS: return encoder_options_fields;
    case VM_STRUCT_CUDA_DEVICE: return cuda_device_fields;
    case VM_STRUCT_CUDA_UTILIZATION: return cuda_utilization_fields;
    case VM_STRUCT_DECODER_CAPS: return decoder_caps_fields;
    case VM_STRUCT_WORKER_OPTIONS: return worker_options_fields;
    case VM_STRUCT_WORKER_STATE: return worker_state_fields;
    default: return NULL;
  }
}

uint32_t vm_struct_size(int32_t id) {
  switch (id) {
    case VM_STRUCT_SOURCE: return sizeof(vm_source);
    case VM_STRUCT_OPEN_OPTIONS: return sizeof(vm_open_options);
    case VM_STRUCT_CLIP_INFO: return sizeof(vm_clip_info);
    case VM_STRUCT_CLIP_STATS: return sizeof(vm_clip_stats);
    case VM_STRUCT_FRAME: return sizeof(vm_frame);
    case VM_STRUCT_BATCH: return sizeof(vm_batch);
    case VM_STRUCT_SYNTH_OPTIONS: return sizeof(vm_synth_options);
    case VM_STRUCT_OUTPUT: return sizeof(vm_output);
    case VM_STRUCT_CLIP_AGGREGATES: return sizeof(vm_clip_aggregates);
    case VM_STRUCT_IMAGE: return sizeof(vm_image);
    case VM_STRUCT_SAMPLING: return sizeof(vm_sampling);
    case VM_STRUCT_ENCODER_OPTIONS: return sizeof(vm_encoder_options);
    case VM_STRUCT_CUDA_DEVICE: return sizeof(vm_cuda_device);
    case VM_STRUCT_CUDA_UTILIZATION: return sizeof(vm_cuda_utilization);
    case VM_STRUCT_DECODER_CAPS: return sizeof(vm_decoder_caps);
    case VM_STRUCT_WORKER_OPTIONS: return sizeof(vm_worker_options);
    case VM_STRUCT_WORKER_STATE: return sizeof(vm_worker_state);
    default: return 0;
  }
}

int64_t vm_struct_offset(int32_t id, const char *field) {
  const field_offset *f = fields_of(id);
  if (!f || !field) return -1;
  for (; f->name; f++)
    if (strcmp(f->name, field) == 0) return (int64_t)f->offset;
  return -1;
}

void vm_strlcpy(char *dst, const char *src, size_t size) {
  if (!size) return;
  size_t n = src ? strlen(src) : 0;
  if (n >= size) n = size - 1;
  if (n) memcpy(dst, src, n);
  dst[n] = '\0';
}

int64_t vm_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
