/*
 * vidmill.h - the whole C API of libvidmill.
 *
 * libvidmill opens a video clip (a file or a caller-owned memory buffer), describes it, and
 * decodes its first video stream frame by frame, in presentation order, in the decoder's
 * native pixel format, without autorotation and without dropping or duplicating frames; or,
 * with an output set, converted to RGB/BGR/gray, resized and turned (see "Frame operations"),
 * with per-frame statistics on request.
 * It is built on FFmpeg's libavformat/libavcodec, but no FFmpeg type appears here.
 *
 * Conventions
 *   - Every function that can fail returns a vm_status: VM_OK (0), VM_EOF (1, not an error)
 *     or a negative VM_ERR_* code. The codes are stable and append-only.
 *   - Handles are opaque. Every *_close accepts NULL.
 *   - Output buffers belong to the caller. The library never calls back into the caller.
 *   - Each public struct starts with `struct_size`: set it to sizeof(struct) before the call,
 *     so that the struct can grow in later ABI versions without breaking old callers.
 *   - Thread safety: a vm_clip is used by one thread at a time (any thread, not necessarily the
 *     one that opened it). Different clips may be used concurrently from different threads.
 *     Functions without a handle are thread-safe unless stated otherwise.
 */
#ifndef VIDMILL_H
#define VIDMILL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(VIDMILL_BUILDING) && defined(__GNUC__)
#define VM_API __attribute__((visibility("default")))
#else
#define VM_API
#endif

/* ===================================================================================== */
/* Version and ABI                                                                        */
/* ===================================================================================== */

/* Bumped on any incompatible change of a struct layout or function signature. Bindings
 * check vm_abi_version() == the value they were written for before anything else. */
#define VM_ABI_VERSION 2

VM_API uint32_t vm_abi_version(void);

/* "vidmill <version> (FFmpeg <version>, libavcodec <major.minor.micro>)"; static string. */
VM_API const char *vm_version_string(void);

/* Checks that the FFmpeg libraries loaded at run time have the major versions this library
 * was compiled against (libavutil, libavcodec, libavformat, libavfilter). Returns VM_OK or
 * VM_ERR_FFMPEG_VERSION; `detail` (may be NULL) receives a human-readable explanation,
 * truncated to detail_size bytes including the terminating NUL. Call it once after loading. */
VM_API int32_t vm_runtime_check(char *detail, size_t detail_size);

/* Identifies a public struct for vm_struct_size/vm_struct_offset. */
typedef enum vm_struct_id {
  VM_STRUCT_SOURCE = 1,
  VM_STRUCT_OPEN_OPTIONS = 2,
  VM_STRUCT_CLIP_INFO = 3,
  VM_STRUCT_CLIP_STATS = 4,
  VM_STRUCT_FRAME = 5,
  VM_STRUCT_BATCH = 6,
  VM_STRUCT_SYNTH_OPTIONS = 7,
  VM_STRUCT_OUTPUT = 8,
  VM_STRUCT_CLIP_AGGREGATES = 9,
  VM_STRUCT_IMAGE = 10,
  VM_STRUCT_SAMPLING = 11,
  VM_STRUCT_ENCODER_OPTIONS = 12,
  VM_STRUCT_CUDA_DEVICE = 13,
  VM_STRUCT_CUDA_UTILIZATION = 14,
  VM_STRUCT_DECODER_CAPS = 15,
  VM_STRUCT_WORKER_OPTIONS = 16,
  VM_STRUCT_WORKER_STATE = 17,
} vm_struct_id;

/* sizeof the struct, or 0 for an unknown id. Lets bindings verify their layouts. */
VM_API uint32_t vm_struct_size(int32_t struct_id);

/* offsetof a field (named as in this header), or -1 when the struct or field is unknown. */
VM_API int64_t vm_struct_offset(int32_t struct_id, const char *field);

/* ===================================================================================== */
/* Status codes (stable: values never change, new codes are appended)                     */
/* ===================================================================================== */

typedef enum vm_status {
  VM_OK = 0,
  VM_EOF = 1,                      /* end of stream: every frame has been returned */

  VM_ERR_INVALID_ARGUMENT = -1,    /* API misuse: NULL pointer, bad struct_size, bad option */
  VM_ERR_NOT_FOUND = -2,           /* the file does not exist */
  VM_ERR_PERMISSION_DENIED = -3,   /* the file exists but cannot be read */
  VM_ERR_IO = -4,                  /* a read failed, or the path is not a regular file */
  VM_ERR_EMPTY = -5,               /* zero bytes */
  VM_ERR_NOT_A_VIDEO = -6,         /* not a recognised media container, or a still image */
  VM_ERR_NO_VIDEO_STREAM = -7,     /* a media file without a video stream (audio only, ...) */
  VM_ERR_UNSUPPORTED_CODEC = -8,   /* the video codec has no usable decoder */
  VM_ERR_ENCRYPTED = -9,           /* the video stream is encrypted (CENC, ...) */
  VM_ERR_TRUNCATED = -10,          /* the file ends before the data its container declares */
  VM_ERR_CORRUPT = -11,            /* malformed container or bitstream; decode errors */
  VM_ERR_TOO_LARGE = -12,          /* exceeds a limit: pixels, frames, allocation size */
  VM_ERR_TIMEOUT = -13,            /* the wall-clock deadline of the clip passed */
  VM_ERR_OUT_OF_MEMORY = -14,      /* an allocation below the limits failed */
  VM_ERR_BUFFER_TOO_SMALL = -15,   /* the batch's data buffer cannot hold a single frame */
  VM_ERR_FFMPEG_VERSION = -16,     /* the FFmpeg libraries at run time do not match */
  VM_ERR_INTERNAL = -17,           /* a bug in vidmill */
  VM_ERR_CRASHED = -18,            /* the process decoding the clip died (a signal): reported for
                                      clips opened in a vm_worker (see "Decoding processes") */
} vm_status;

/* The code's name without prefix ("CORRUPT", "EOF", ...); a static string, never NULL
 * ("UNKNOWN" for values this version does not know). */
VM_API const char *vm_status_name(int32_t status);

/* ===================================================================================== */
/* Global limits                                                                          */
/* ===================================================================================== */

/* The largest single allocation FFmpeg may make, in bytes (FFmpeg's av_max_alloc). A file
 * that declares a bigger table or frame fails with VM_ERR_TOO_LARGE instead of taking the
 * machine's memory. Process-wide (it applies to every FFmpeg user in the process); the
 * default, set when the first clip is opened, is VM_DEFAULT_MAX_ALLOC. Not thread-safe
 * with respect to clips being opened at the same moment: call it before starting work. */
#define VM_DEFAULT_MAX_ALLOC ((int64_t)1 << 30)
VM_API void vm_set_max_alloc(int64_t bytes);
/* (A decoding process, see vm_worker, takes the limit in force when it starts.) */

/* ===================================================================================== */
/* Opening a clip                                                                         */
/* ===================================================================================== */

typedef struct vm_clip vm_clip;

/* Where the bytes come from: exactly one of `path` or `data` is set. */
typedef struct vm_source {
  uint32_t struct_size;
  uint32_t reserved0;
  const char *path;        /* a local file path, or NULL */
  const uint8_t *data;     /* caller-owned bytes of the whole file, or NULL; they must stay
                              valid and unchanged until vm_clip_close */
  int64_t size;            /* bytes at `data` */
  const char *name;        /* shown in messages and used as a format hint; may be NULL */
} vm_source;

typedef enum vm_open_flags {
  /* Always run FFmpeg's full stream analysis (decodes a few frames at open time). Without it
   * the analysis runs only when the container's header leaves the stream underspecified;
   * fields that only the analysis gives (r_frame_rate, pix_fmt before the first frame) may
   * then be unknown until decoding starts. */
  VM_OPEN_FULL_PROBE = 1 << 0,
  /* Open and describe only: do not open a decoder (vm_clip_next fails). */
  VM_OPEN_NO_DECODER = 1 << 1,
} vm_open_flags;

/* Where a clip decodes (vm_open_options.device). See "GPU decoding" below. */
typedef enum vm_device {
  VM_DEVICE_CPU = 0,       /* FFmpeg's software decoders, frame operations in C */
  VM_DEVICE_CUDA = 1,      /* NVDEC on GPU device_index, frame operations as CUDA kernels; the
                              clip falls back to the CPU when the GPU cannot take it */
  VM_DEVICE_EMULATED = 2,  /* vm_image_process_on only: the GPU path's code run on the host */
} vm_device;

typedef struct vm_open_options {
  uint32_t struct_size;
  uint32_t flags;          /* vm_open_flags */
  int32_t threads;         /* decoder threads: 0 = FFmpeg's automatic choice, 1 = one (the GPU
                              decoder always runs one: NVDEC does the work) */
  int32_t reserved0;
  int64_t max_pixels;      /* per frame (width*height); 0 = VM_DEFAULT_MAX_PIXELS */
  int64_t max_frames;      /* per clip; 0 = no limit */
  int64_t timeout_ms;      /* wall clock from open to the last frame; 0 = no limit */
  const char *denied_codecs; /* comma-separated FFmpeg codec names refused with
                              VM_ERR_UNSUPPORTED_CODEC; NULL = VM_DEFAULT_DENIED_CODECS,
                              "" = none. Copied at open. */
  /* Since the GPU path; a caller passing the older struct_size (48) gets the CPU. */
  int32_t device;          /* vm_device: VM_DEVICE_CPU or VM_DEVICE_CUDA */
  int32_t device_index;    /* the GPU for VM_DEVICE_CUDA, 0 .. vm_cuda_device_count() - 1 */
} vm_open_options;

#define VM_DEFAULT_MAX_PIXELS ((int64_t)16384 * 16384)

/* FFmpeg 7.1's VVC (H.266) decoder is young: no reference decoder output to check it
 * against, and no GPU decodes VVC. Refused unless the caller opts in. */
#define VM_DEFAULT_DENIED_CODECS "vvc"

/* Opens the source and its first video stream (not an attached picture).
 *
 * On VM_OK *clip is ready for vm_clip_next. On failure *clip is still set to a handle in the
 * failed state whenever one could be allocated, so that vm_clip_last_error() and
 * vm_clip_info() (what was learnt before the failure) can be read; close it as usual. It is
 * NULL only for VM_ERR_INVALID_ARGUMENT and VM_ERR_OUT_OF_MEMORY. `source` and `options`
 * are copied (but not source->data); options may be NULL for defaults. */
VM_API int32_t vm_clip_open(const vm_source *source, const vm_open_options *options,
                            vm_clip **clip);

/* Frees everything the clip owns. Accepts NULL. */
VM_API void vm_clip_close(vm_clip *clip);

/* The detail of the last failure on this clip: one line of text for a person, without the
 * file name (callers add it) and often ending with FFmpeg's own words in parentheses; ""
 * when there was no failure. Valid until the next call on the handle. Accepts NULL. */
VM_API const char *vm_clip_last_error(const vm_clip *clip);

/* ===================================================================================== */
/* Describing a clip                                                                      */
/* ===================================================================================== */

#define VM_NAME_SIZE 48
#define VM_REASON_SIZE 200

/* Which decoder ran (vm_clip_info.backend). */
typedef enum vm_backend {
  VM_BACKEND_CPU = 0,
  VM_BACKEND_CUDA = 1,
} vm_backend;

/* Why a clip opened with VM_DEVICE_CUDA decodes on the CPU (append-only, like vm_status). */
typedef enum vm_fallback {
  VM_FALLBACK_NONE = 0,
  VM_FALLBACK_NO_GPU = 1,         /* no usable GPU: no driver, no device, libvidmill built
                                     without CUDA, or the device failed its round trip */
  VM_FALLBACK_NO_DECODER = 2,     /* the GPU (or MIG slice) has no video decoder engine */
  VM_FALLBACK_UNSUPPORTED = 3,    /* NVDEC of this GPU cannot decode this codec, profile, bit
                                     depth, chroma format or size (its decoder caps say), or the
                                     codec is not decoded bit-exactly by NVDEC (MPEG-1/2/4,
                                     VC-1, MJPEG: their IDCT is not normative) */
  VM_FALLBACK_DECODE_ERROR = 4,   /* the GPU decoder reported an error: retried on the CPU */
  VM_FALLBACK_GPU_ERROR = 5,      /* a CUDA or NVDEC call failed (out of memory, no session left) */
} vm_fallback;

/* The fallback's stable name ("NO_GPU", ...; "NONE"), static; "UNKNOWN" for other values. */
VM_API const char *vm_fallback_name(int32_t fallback);

typedef struct vm_clip_info {
  uint32_t struct_size;
  int32_t stream_index;        /* index of the video stream in the container, -1 if none */
  int32_t width, height;       /* coded picture size as the decoder outputs it */
  int32_t pix_fmt;             /* FFmpeg pixel format number, -1 until known */
  int32_t bit_depth;           /* bits per component, 0 until known */
  int32_t rotation;            /* display rotation in degrees, ffprobe's sign convention:
                                  -90 means the player turns the picture 90 deg clockwise */
  int32_t mirror;              /* 1 when the display matrix also mirrors the picture */
  int32_t encrypted;           /* 1 when the stream declares encryption */
  int32_t sar_num, sar_den;    /* sample aspect ratio, 0/1 if unknown */
  int32_t time_base_num, time_base_den; /* of every timestamp of this stream */
  int32_t avg_frame_rate_num, avg_frame_rate_den;
  int32_t guessed_frame_rate_num, guessed_frame_rate_den; /* FFmpeg's guess, 0/1 unknown */
  int32_t truncated;           /* 1 when the container already shows the file is cut short:
                                  the frames present decode, then VM_ERR_TRUNCATED */
  int64_t start_time;          /* first pts of the stream, in time base; INT64_MIN unknown */
  int64_t container_start_us;  /* earliest start over all streams, microseconds; INT64_MIN */
  int64_t duration_us;         /* of the video stream (else of the container); -1 unknown */
  int64_t declared_frames;     /* frame count the container declares, 0 if none */
  int64_t size_bytes;          /* bytes of the source, -1 if unknown */
  int64_t bit_rate;            /* bits per second, 0 if unknown */
  char container[VM_NAME_SIZE];  /* FFmpeg demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" */
  char codec[VM_NAME_SIZE];      /* e.g. "h264" */
  char profile[VM_NAME_SIZE];    /* e.g. "High 10"; "" if none */
  char pix_fmt_name[VM_NAME_SIZE];
  char color_range[16];          /* "tv", "pc" or "" */
  char color_space[16];          /* "bt709", "bt470bg", "bt2020nc", ... or "" */
  char color_primaries[16];
  char color_transfer[16];
  char decoder[VM_NAME_SIZE];    /* the FFmpeg decoder that runs ("h264", "libaom-av1") */
  /* Since the GPU path (a caller passing the older struct_size, 424, gets the fields above):
   * where the clip decodes. Decided when the decoder opens, and again when a clip asked for
   * the GPU falls back to the CPU: at the first frame (what NVDEC cannot decode is only known
   * from the bitstream) or after a GPU decoding error (the clip is decoded again on the CPU
   * from its start; the frames already returned are not returned twice). */
  int32_t backend;               /* vm_backend */
  int32_t backend_device;        /* the GPU's index for VM_BACKEND_CUDA, else -1 */
  int32_t backend_fallback;      /* vm_fallback: why a clip asked for the GPU is on the CPU */
  int32_t reserved1;
  char backend_reason[VM_REASON_SIZE]; /* the fallback's cause for a person ("" without one),
                                   starting with its stable name (see vm_fallback_name) */
} vm_clip_info;

/* Copies the clip's description. Valid after a successful open; after a failed open the
 * fields learnt before the failure are set and the rest hold their "unknown" values.
 * pix_fmt and bit_depth are filled at the latest when the first frame is decoded. */
VM_API int32_t vm_clip_info_get(const vm_clip *clip, vm_clip_info *info);

/* How a sampled clip was decoded (vm_clip_stats.sample_path). */
typedef enum vm_sample_path {
  VM_SAMPLE_PATH_NONE = 0,     /* no sampling: every frame is returned */
  VM_SAMPLE_PATH_THROUGH = 1,  /* every packet decoded, frames selected as they come out */
  VM_SAMPLE_PATH_PLANNED = 2,  /* only what the selected frames need was decoded (skips, seeks) */
  VM_SAMPLE_PATH_KEYFRAMES = 3,/* only the packets the container marks as key frames */
} vm_sample_path;

/* What decoding has done so far. Fields after output_ns came with sampling; a caller that
 * passes the older, shorter struct_size (72) gets the fields it knows. */
typedef struct vm_clip_stats {
  uint32_t struct_size;
  int32_t threads;             /* decoder threads in use */
  int64_t frames;              /* frames returned */
  int64_t packets;             /* packets of the video stream sent to the decoder */
  int64_t decode_errors;       /* packets whose decoding reported an error */
  int64_t bytes_read;          /* bytes the demuxer consumed from the source */
  int64_t open_ns;             /* time spent in vm_clip_open */
  int64_t demux_ns;            /* time spent reading packets */
  int64_t decode_ns;           /* time spent in the decoder */
  int64_t output_ns;           /* time spent hashing and copying frames out */
  int64_t packets_read;        /* video packets the demuxer returned, a planning pass included */
  int64_t packets_skipped;     /* video packets never sent to the decoder (sampling) */
  int64_t frames_decoded;      /* frames the decoder output, returned or not */
  int64_t seeks;               /* jumps over packets that restarted the decoder at a key frame */
  int64_t file_seeks;          /* of those, the ones made by seeking in the file */
  int64_t plan_ns;             /* time spent reading the packet table and planning (sampling) */
  int32_t sample_path;         /* vm_sample_path */
  int32_t fallbacks;           /* times a prediction failed and the clip was decoded through */
  /* since the GPU path (struct_size 128 and 72 still accepted) */
  int64_t gpu_ns;              /* of output_ns, spent in CUDA kernels and transfers */
  int32_t decoder_reused;      /* 1: the GPU decoder came from the per-GPU cache (no creation) */
  int32_t restarts;            /* times the clip was decoded again on the CPU after the GPU */
} vm_clip_stats;

/* Copies the counters; stats->struct_size may be 72 (the fields up to output_ns), 128 (up to
 * fallbacks) or sizeof(vm_clip_stats). */
VM_API int32_t vm_clip_stats_get(const vm_clip *clip, vm_clip_stats *stats);

/* ===================================================================================== */
/* Decoding                                                                               */
/* ===================================================================================== */

typedef enum vm_frame_flags {
  VM_FRAME_KEY = 1 << 0,       /* a key frame */
  VM_FRAME_CORRUPT = 1 << 1,   /* the decoder flagged errors in this frame */
  VM_FRAME_STATS = 1 << 2,     /* the statistics fields are set (VM_WANT_STATS) */
  VM_FRAME_BLACK = 1 << 3,     /* statistics: a black frame (see "Frame statistics") */
  VM_FRAME_BLANK = 1 << 4,     /* statistics: a uniform frame, of any level */
  VM_FRAME_SCENE_CUT = 1 << 5, /* statistics: scene_score reached the scene-cut threshold */
} vm_frame_flags;

/* One decoded frame, as filled by vm_clip_next. With an output set (vm_clip_set_output),
 * width, height, pix_fmt, data_size, the pixels and the MD5 are those of the converted
 * picture; otherwise those of the frame as decoded. */
typedef struct vm_frame {
  int64_t pts;          /* FFmpeg's best-effort presentation timestamp, stream time base;
                           INT64_MIN if the stream gives none */
  int64_t dts;          /* dts of the packet that produced the frame; INT64_MIN if none */
  int64_t duration;     /* in stream time base; 0 if unknown */
  int64_t data_offset;  /* where the pixels start in batch.data, -1 when not copied */
  int64_t data_size;    /* bytes of the packed picture: planes one after another, rows
                           without padding (what ffmpeg's rawvideo/framemd5 hashes) */
  int32_t width, height;
  int32_t pix_fmt;      /* FFmpeg pixel format number; see vm_pix_fmt_name */
  uint32_t flags;       /* vm_frame_flags */
  uint8_t md5[16];      /* MD5 of the packed picture, when VM_WANT_MD5 */
  /* Statistics, with VM_WANT_STATS (flag VM_FRAME_STATS); 0 otherwise. Definitions and
   * thresholds: "Frame statistics" below. */
  float luma_mean;      /* mean luma, full-range levels 0..255 */
  float luma_std;       /* standard deviation of the luma */
  float dark_fraction;  /* fraction of pixels at or below VM_STATS_BLACK_LEVEL */
  float sharpness;      /* variance of the Laplacian of the luma */
  float motion;         /* mean absolute luma difference to the previous frame with
                           statistics; -1 for the first */
  float scene_score;    /* 0..1, luma histogram distance to that frame; -1 for the first */
  uint64_t dhash;       /* 64-bit difference hash of the picture as output (orientation) */
} vm_frame;

typedef enum vm_want {
  VM_WANT_MD5 = 1 << 0,        /* compute vm_frame.md5 */
  VM_WANT_PIXELS = 1 << 1,     /* copy the packed picture into batch.data */
  VM_WANT_STATS = 1 << 2,      /* compute the statistics fields of vm_frame */
} vm_want;

/* A caller-owned batch: an array of vm_frame and, optionally, a byte buffer for pixels. */
typedef struct vm_batch {
  uint32_t struct_size;
  uint32_t want;            /* vm_want */
  vm_frame *frames;         /* capacity entries */
  uint32_t capacity;        /* >= 1 */
  uint32_t count;           /* out: frames written */
  uint8_t *data;            /* with VM_WANT_PIXELS: the pixel buffer */
  int64_t data_capacity;
  int64_t data_used;        /* out: bytes written to data */
  int64_t data_needed;      /* out, with VM_ERR_BUFFER_TOO_SMALL: bytes one frame needs */
} vm_batch;

/* Decodes the next frames into the batch, one call for up to `capacity` frames.
 *
 * Returns VM_OK with count >= 1; VM_EOF (count may be >= 1) when the stream has ended
 * cleanly and every frame has been returned; or an error. An error that comes after some
 * frames (a corrupt or truncated stream) is returned by the call that reaches it: the frames
 * decoded before it are in the batch (count may be >= 1) and are valid. After VM_EOF or an
 * error every further call returns the same status with count = 0. A stream whose packets
 * decoded with errors ends with VM_ERR_CORRUPT instead of VM_EOF, after all the frames the
 * decoder produced. With VM_WANT_PIXELS, a frame that does not fit in the remaining buffer
 * ends the batch early and is returned by the next call; VM_ERR_BUFFER_TOO_SMALL (with
 * data_needed set) when not even one frame fits, and the call can be repeated with a bigger
 * buffer. Timestamps are left as the container gives them (no offset is applied). */
VM_API int32_t vm_clip_next(vm_clip *clip, vm_batch *batch);

/* ===================================================================================== */
/* Sampling: which frames vm_clip_next returns                                            */
/* ===================================================================================== */

/* The frames a sampled clip returns are exactly those that decoding every frame (the plain
 * vm_clip_next) and then applying vm_sampling_select would give: the same frames, in the
 * same order, with the same pts and pixels. docs/sampling.md has the rule of every mode.
 *
 * Times are clip time: a frame's pts in seconds, minus the container's start time
 * (vm_clip_info.container_start_us), so that the clip starts at 0 as in ffmpeg and framemd5.
 * A frame without a pts has no clip time: time-based rules never select it.
 *
 *   VM_SAMPLE_ALL        every frame (in the window)
 *   VM_SAMPLE_EVERY      frames 0, n, 2n, ... counted from the first frame in the window
 *   VM_SAMPLE_FPS        rate_num/rate_den targets per second at start + k/rate (start = 0
 *                        without VM_SAMPLING_START); each target picks the first frame whose
 *                        time is at or after it; a frame picked by several targets (frames
 *                        further apart than 1/rate) is returned once. Correct on variable
 *                        frame rate: only timestamps count.
 *   VM_SAMPLE_UNIFORM    n frames at the centres of n equal runs of the frames in the window:
 *                        indices floor((2j+1)*count/(2n)), j = 0..n-1, by frame count (the
 *                        container's duration is never used); every frame when count <= n
 *   VM_SAMPLE_KEYFRAMES  the frames the decoder marks as key frames (VM_FRAME_KEY); only the
 *                        packets the container marks as key frames are decoded
 *
 * Every mode keeps to the window [start_us, end_us) when the flags set it, and returns at
 * most max_frames frames (a cap: the clip then ends with VM_EOF, unlike the TOO_LARGE limit
 * vm_open_options.max_frames). */
typedef enum vm_sample_mode {
  VM_SAMPLE_ALL = 0,
  VM_SAMPLE_EVERY = 1,
  VM_SAMPLE_FPS = 2,
  VM_SAMPLE_UNIFORM = 3,
  VM_SAMPLE_KEYFRAMES = 4,
} vm_sample_mode;

typedef enum vm_sampling_flags {
  VM_SAMPLING_START = 1 << 0,      /* start_us is set */
  VM_SAMPLING_END = 1 << 1,        /* end_us is set */
  /* Decode every packet and select afterwards, never skipping or seeking: the reference the
   * fast path is tested against, and what a benchmark compares it with. */
  VM_SAMPLING_DECODE_ALL = 1 << 2,
} vm_sampling_flags;

typedef struct vm_sampling {
  uint32_t struct_size;
  int32_t mode;              /* vm_sample_mode */
  uint32_t flags;            /* vm_sampling_flags */
  int32_t rate_num, rate_den;/* VM_SAMPLE_FPS: frames per second as a fraction (7.5 = 15/2) */
  int32_t reserved0;
  int64_t n;                 /* VM_SAMPLE_EVERY: the step; VM_SAMPLE_UNIFORM: how many frames */
  int64_t start_us;          /* window start in clip time, microseconds (VM_SAMPLING_START) */
  int64_t end_us;            /* window end, exclusive (VM_SAMPLING_END); after start_us */
  int64_t max_frames;        /* at most this many frames; 0 = no cap */
  int64_t buffer_bytes;      /* packets kept in memory between planning and decoding: 0 = the
                                default (64 MiB), -1 = none (they are read again, and far gaps
                                are crossed by seeking in the file) */
} vm_sampling;

/* Sets which frames the clip returns. Call it after a successful vm_clip_open and before the
 * first vm_clip_next; `sampling` is copied; NULL means every frame. VM_ERR_INVALID_ARGUMENT
 * (with vm_clip_last_error saying why) for a bad mode or value, or once decoding has begun.
 *
 * What it costs: except for VM_SAMPLE_ALL without a window and VM_SAMPLE_KEYFRAMES, the first
 * vm_clip_next reads the whole video stream's packets without decoding them (a few ms for a
 * short clip; kept in memory up to buffer_bytes, read again from the source beyond), decides which
 * frames are selected, and then decodes only what those frames depend on: packets after the
 * last needed one of a GOP are dropped, non-reference frames that are not selected are
 * skipped by the decoder, and far gaps are jumped over (in memory, or by seeking in the
 * file) to the key frame that starts the next needed run. Whatever it decodes is checked
 * against the prediction (timestamps, order, no decode errors); when a check fails it decodes
 * the clip through from the start instead (vm_clip_stats.fallbacks), still returning only the
 * selected frames, each once. Errors: a clip's status is decided as without sampling, for the
 * packets it reads and decodes (a truncated or corrupt container is reported as before; a
 * bitstream error in a frame that was never decoded is not). */
VM_API int32_t vm_clip_set_sampling(vm_clip *clip, const vm_sampling *sampling);

/* The selection rule itself, as a pure function: given the frames a plain decode returned
 * (their pts and vm_frame flags, in order) and the clip's description (time base, container
 * start), sets selected[i] to 1 for the frames the sampling picks, 0 for the others. Returns
 * how many were selected, or VM_ERR_INVALID_ARGUMENT. Thread-safe. */
VM_API int64_t vm_sampling_select(const vm_sampling *sampling, const vm_clip_info *info,
                                  const int64_t *pts, const uint32_t *flags, int64_t count,
                                  uint8_t *selected);

/* FFmpeg's name of a pixel format number ("yuv420p", "yuv420p10le"), "" if unknown. */
VM_API const char *vm_pix_fmt_name(int32_t pix_fmt);

/* ===================================================================================== */
/* Frame operations: conversion, resizing, orientation, statistics                        */
/* ===================================================================================== */

/* By default frames come out as decoded. An output (vm_clip_set_output) converts them, in C,
 * on the thread that calls vm_clip_next: to 8-bit RGB, BGR or gray with the colour matrix
 * and range of the stream, resampled to a size (YUV planes are resampled before the matrix,
 * chroma straight to the output size), turned as the display matrix says. docs/frames.md
 * has the arithmetic; in short:
 *   - matrix: the frame's (BT.601, BT.709, BT.2020 (NCL; CL is treated as NCL), FCC,
 *     SMPTE 240M, YCgCo); unspecified: BT.709 when width >= 1280 or height > 576, else
 *     BT.601 (what players do). No tone mapping: HDR comes out as its non-linear R'G'B'.
 *   - range: the frame's; unspecified: full for yuvj* and RGB formats, else limited.
 *   - chroma siting: the frame's; unspecified: centre for full range, else left (MPEG-2).
 *   - 9..16-bit sources are carried at 14 bits through the resampling and rounded once, at
 *     the end, to 8 bits.
 *   - every pixel format FFmpeg knows is accepted: planar, semi-planar (nv12, p010) and
 *     packed YUV/RGB of 8 or 9..16 bits are read directly, the rest (palettes, big-endian,
 *     float, sub-byte, Bayer, XYZ) through libswscale to a 16-bit planar format first. */

typedef enum vm_pixel_format {
  VM_PIXEL_NATIVE = 0,  /* the frame as decoded: no operation at all (framemd5-exact) */
  VM_PIXEL_RGB24 = 1,   /* packed R, G, B bytes */
  VM_PIXEL_BGR24 = 2,   /* packed B, G, R bytes (OpenCV's order) */
  VM_PIXEL_GRAY8 = 3,   /* full-range luma Y' (BT.601 luma for RGB sources) */
} vm_pixel_format;

/* How the picture (as displayed: after orientation, with square pixels) meets width x height. */
typedef enum vm_resize_mode {
  VM_RESIZE_NONE = 0,        /* keep the size (width, height: 0) */
  VM_RESIZE_FILL = 1,        /* exactly width x height, stretched */
  VM_RESIZE_FIT = 2,         /* aspect kept, as large as fits inside width x height: one side
                                equals its bound, the other is round(aspect * bound) */
  VM_RESIZE_CENTER_CROP = 3, /* aspect kept, resized to cover width x height (the other side
                                round()ed), then the centre cut out (offset floor((R - N) / 2)):
                                exactly width x height */
  VM_RESIZE_PAD = 4,         /* FIT, then centred on a black width x height canvas (offset
                                floor((N - n) / 2)) */
  VM_RESIZE_SHORT_SIDE = 5,  /* aspect kept, the short side equals `width` (height: 0) */
} vm_resize_mode;

/* Resampling kernels. Downscaling widens the kernel by the scale factor (antialiasing, as
 * swscale and PIL do); out-of-picture taps repeat the edge sample. */
typedef enum vm_filter {
  VM_FILTER_BILINEAR = 0,    /* triangle kernel (default) */
  VM_FILTER_AREA = 1,        /* exact pixel-area average when downscaling; bilinear upscaling */
  VM_FILTER_BICUBIC = 2,     /* Keys cubic, a = -0.5 (Catmull-Rom) */
} vm_filter;

typedef enum vm_output_flags {
  /* Keep the picture as stored instead of turning it as the display matrix says (a
   * rotation and/or mirror, applied the way ffmpeg's autorotation does). */
  VM_OUTPUT_KEEP_ORIENTATION = 1 << 0,
  /* Treat samples as square: ignore the sample aspect ratio when keeping the aspect. */
  VM_OUTPUT_IGNORE_SAR = 1 << 1,
} vm_output_flags;

#define VM_MAX_OUTPUT_SIDE 16384

typedef struct vm_output {
  uint32_t struct_size;
  int32_t pixel_format;     /* vm_pixel_format */
  int32_t width, height;    /* the box of the resize mode, 1..VM_MAX_OUTPUT_SIDE */
  int32_t resize;           /* vm_resize_mode */
  int32_t filter;           /* vm_filter */
  uint32_t flags;           /* vm_output_flags */
  float scene_threshold;    /* VM_FRAME_SCENE_CUT when scene_score >= this; 0 = default */
} vm_output;

/* Sets how the following frames of the clip come out (NULL, or pixel_format NATIVE with no
 * resize: as decoded). May be called at any time; takes effect from the next frame. The
 * options are copied. VM_ERR_INVALID_ARGUMENT for an inconsistent set (a size without a
 * resize mode, a resize of the native format, ...), with the reason in vm_clip_last_error;
 * the previous output then stays. The statistics do not depend on it. */
VM_API int32_t vm_clip_set_output(vm_clip *clip, const vm_output *output);

/* Frame statistics (VM_WANT_STATS). Computed on the whole decoded frame, whatever the
 * output size or crop, on its luma area-averaged to a short side of at most 256 samples (long
 * side at most 1024; never enlarged), in full-range levels 0..255:
 *   luma_mean, luma_std    mean and standard deviation of the levels
 *   dark_fraction          of pixels at or below VM_STATS_BLACK_LEVEL (10% of full scale)
 *   VM_FRAME_BLACK         dark_fraction >= VM_STATS_BLACK_RATIO (ffmpeg blackdetect's defaults)
 *   VM_FRAME_BLANK         luma_std <= VM_STATS_BLANK_STDDEV: a uniform frame of any level
 *   sharpness              variance of the 3x3 Laplacian [0 1 0; 1 -4 1; 0 1 0] over the
 *                          interior samples (0 for a flat picture; higher is sharper)
 *   motion                 mean absolute difference of the luma, area-averaged to 64x64,
 *                          to that of the previous frame with statistics (the previous
 *                          sampled frame); -1 for the first
 *   scene_score            total-variation distance of the 32-bin luma histograms of this
 *                          and that previous frame: 0 same levels .. 1 none in common; -1
 *                          for the first. VM_FRAME_SCENE_CUT when >= the output's
 *                          scene_threshold (default VM_STATS_SCENE_THRESHOLD)
 *   dhash                  difference hash: luma area-averaged to 9x8 (of the picture as
 *                          output: turned unless VM_OUTPUT_KEEP_ORIENTATION), bit = the right
 *                          neighbour is brighter, row-major, first bit the MSB (imagehash's
 *                          convention); near-equal pictures have hashes a few bits apart */
#define VM_STATS_BLACK_LEVEL 25.5
#define VM_STATS_BLACK_RATIO 0.98
#define VM_STATS_BLANK_STDDEV 3.0
#define VM_STATS_SCENE_THRESHOLD 0.3

/* Per-clip aggregates of the statistics of the frames returned so far. */
typedef struct vm_clip_aggregates {
  uint32_t struct_size;
  int32_t reserved0;
  int64_t frames;           /* frames with statistics */
  int64_t black_frames;     /* with VM_FRAME_BLACK */
  int64_t blank_frames;     /* with VM_FRAME_BLANK */
  int64_t scene_cuts;       /* with VM_FRAME_SCENE_CUT */
  double luma_mean, luma_min, luma_max;             /* of luma_mean */
  double sharpness_mean, sharpness_min, sharpness_max;
  double motion_mean, motion_min, motion_max;       /* over frames with a motion value */
  double scene_score_max;
} vm_clip_aggregates;

/* Fills the aggregates of the frames returned so far. Before any frame with statistics every
 * field is 0 except the motion fields and scene_score_max, which are -1 while fewer than two
 * frames had statistics. Accepts a clip without operations (all empty). */
VM_API int32_t vm_clip_aggregates_get(const vm_clip *clip, vm_clip_aggregates *aggregates);

/* Orientation of a picture: transpose first (when the bit is set), then the flips, in
 * display space. The named values are those a display matrix can ask for. */
typedef enum vm_orientation {
  VM_ORIENTATION_NORMAL = 0,
  VM_ORIENTATION_MIRROR = 1,      /* left-right flip */
  VM_ORIENTATION_FLIP = 2,        /* top-bottom flip */
  VM_ORIENTATION_ROTATE_180 = 3,
  VM_ORIENTATION_TRANSPOSE = 4,   /* rows become columns */
  VM_ORIENTATION_ROTATE_90 = 5,   /* turn 90 degrees clockwise */
  VM_ORIENTATION_ROTATE_270 = 6,  /* turn 90 degrees counter-clockwise */
  VM_ORIENTATION_TRANSVERSE = 7,
} vm_orientation;

/* A caller's picture for vm_image_process: planes laid out as FFmpeg's pixel format
 * `pix_fmt` says. The colour fields follow FFmpeg's numbering where 0 means unspecified. */
typedef enum vm_color_matrix {
  VM_MATRIX_AUTO = 0, VM_MATRIX_BT601 = 1, VM_MATRIX_BT709 = 2, VM_MATRIX_BT2020 = 3,
  VM_MATRIX_FCC = 4, VM_MATRIX_SMPTE240M = 5, VM_MATRIX_YCGCO = 6, VM_MATRIX_RGB = 7,
} vm_color_matrix;

typedef struct vm_image {
  uint32_t struct_size;
  int32_t pix_fmt;          /* FFmpeg pixel format number */
  int32_t width, height;
  int32_t matrix;           /* vm_color_matrix */
  int32_t color_range;      /* 0 unspecified, 1 limited ("tv"), 2 full ("pc") */
  int32_t chroma_location;  /* FFmpeg AVChromaLocation: 0 unspecified, 1 left, 2 center, ... */
  int32_t orientation;      /* vm_orientation to apply (ignored with KEEP_ORIENTATION) */
  int32_t sar_num, sar_den; /* sample aspect ratio; 0/0 = square */
  int32_t reserved0, reserved1;
  const uint8_t *planes[4];
  int64_t strides[4];       /* bytes from one row to the next */
} vm_image;

/* Runs the operations of `output` (NULL: native) on one caller-owned picture, the way a
 * clip's frame would be processed, into entry 0 of the batch (count = 1, pixels at data
 * offset 0 with VM_WANT_PIXELS, md5 and statistics as `want` says; motion and scene_score
 * are -1). VM_ERR_BUFFER_TOO_SMALL with data_needed as vm_clip_next. Thread-safe; for tests,
 * tools and GPU reference checks, not the hot path (it plans every call). */
VM_API int32_t vm_image_process(const vm_image *image, const vm_output *output, vm_batch *batch);

/* vm_image_process through the GPU path: the picture is laid out as NVDEC would deliver it
 * (NV12, P010/P016 with the samples in the high bits, planar 4:4:4) and processed by the code
 * the GPU runs on a decoded frame: with VM_DEVICE_CUDA, uploaded to GPU device_index and run
 * by its CUDA kernels; with VM_DEVICE_EMULATED, the same per-pixel functions run on the host
 * (what CPU-only tests check); VM_DEVICE_CPU is vm_image_process. The pixels equal
 * vm_image_process's; the statistics are summed in the GPU's order (docs/gpu.md: equal to
 * 1e-6 relative, and the emulation equals the GPU exactly). pix_fmt must be one NVDEC outputs
 * as a software decoder would: yuv420p, yuvj420p, yuv420p10le, yuv420p12le, yuv444p,
 * yuvj444p, yuv444p10le, yuv444p12le (else VM_ERR_UNSUPPORTED_CODEC); with a native output it
 * returns the picture repacked from the NVDEC layout, as a frame is downloaded. */
VM_API int32_t vm_image_process_on(const vm_image *image, const vm_output *output, vm_batch *batch,
                                   int32_t device, int32_t device_index);

/* ===================================================================================== */
/* GPU decoding (NVDEC and CUDA)                                                          */
/* ===================================================================================== */

/* A clip opened with VM_DEVICE_CUDA decodes through FFmpeg's CUDA hwaccel: frames stay in GPU
 * memory; conversion, resizing and statistics run as CUDA kernels on the same per-pixel
 * functions as the CPU path (ops/pixel_math.h), so that the CPU path is the reference; only
 * the output pictures (and for the native format the frames, downloaded for hashing) come back.
 * One CUDA context per GPU per process (the device's primary context, shared with FFmpeg),
 * decoders kept between clips while the next clip needs the same one.
 *
 * libvidmill loads and works without a GPU or driver: libcuda, libnvcuvid and libnvidia-ml
 * are opened at run time (FFmpeg opens its own copies the same way), the CUDA runtime is
 * linked statically. Without them every CUDA clip runs on the CPU (VM_FALLBACK_NO_GPU).
 * docs/gpu.md has the details. Functions here are thread-safe. */

/* How many CUDA devices this process can use (CUDA_VISIBLE_DEVICES applies), 0 when none;
 * then `detail` (may be NULL) says why: built without CUDA, no driver, no device. Initialises
 * the driver once; later calls are cheap. */
VM_API int32_t vm_cuda_device_count(char *detail, size_t detail_size);

typedef struct vm_cuda_device {
  uint32_t struct_size;
  int32_t index;               /* CUDA device index */
  int32_t compute_major, compute_minor;
  int32_t multiprocessors;
  int32_t decoders;            /* NVDEC engines (decoder caps, after vm_cuda_probe: -1 before,
                                  or when the driver does not say; 0 none) */
  int32_t mig;                 /* 1: a MIG instance */
  int32_t reserved0;
  int64_t memory_bytes;
  char name[96];
  char pci_bus_id[32];         /* "0000:3b:00.0" */
} vm_cuda_device;

/* Describes device `index`: VM_OK, or VM_ERR_INVALID_ARGUMENT for no such device. */
VM_API int32_t vm_cuda_device_get(int32_t index, vm_cuda_device *device);

/* The real round trip a caller decides on: FFmpeg's CUDA device is created on the device's
 * primary context and NVDEC's caps are asked for H.264 (the GPU decodes), and a kernel writes
 * device memory that is read back and checked (the frame operations run on the GPU). VM_OK
 * when the GPU decodes, with `detail` (may be NULL) saying what does not work: no decoder
 * engine (vm_cuda_device.decoders 0: clips decode on the CPU), or kernels that cannot run
 * (frames are then downloaded for the CPU's operations); else a negative status with the
 * reason. Done once per device (it creates the device's CUDA context), the answer is kept. */
VM_API int32_t vm_cuda_probe(int32_t index, char *detail, size_t detail_size);

typedef struct vm_cuda_utilization {
  uint32_t struct_size;
  int32_t decoder_percent;     /* NVDEC busy over NVML's last sample period, -1 unknown */
  int32_t sm_percent;          /* kernels running, -1 unknown */
  int32_t memory_percent;      /* memory controller busy, -1 unknown */
  int64_t memory_used_bytes;   /* -1 unknown */
  int64_t memory_total_bytes;
} vm_cuda_utilization;

/* NVML's view of device `index` (NVML from the driver, opened at run time). VM_OK with
 * unknown fields at -1 where NVML says nothing (no NVML, MIG instances), or
 * VM_ERR_INVALID_ARGUMENT for no such device. */
VM_API int32_t vm_cuda_utilization_get(int32_t index, vm_cuda_utilization *utilization);

typedef struct vm_decoder_caps {
  uint32_t struct_size;
  int32_t supported;           /* 1 when NVDEC decodes this codec, depth and chroma format */
  int32_t decoders;            /* NVDEC engines that can (-1 unknown) */
  int32_t min_width, min_height;
  int32_t max_width, max_height;
  int32_t reserved0;
  int64_t max_macroblocks;     /* width * height / 256 at most */
} vm_decoder_caps;

/* NVDEC's decoder caps (cuvidGetDecoderCaps) of device `index` for a codec ("h264", "hevc",
 * "av1", "vp9", "vp8", "mpeg2video", ...), bit depth 8..12 and chroma format (0 monochrome,
 * 1 4:2:0, 2 4:2:2, 3 4:4:4). VM_OK (caps->supported says), VM_ERR_UNSUPPORTED_CODEC for a
 * codec NVDEC has no number for, or a negative status when the GPU cannot be asked. Cached. */
VM_API int32_t vm_cuda_decoder_caps(int32_t index, const char *codec, int32_t bit_depth, int32_t chroma_format,
                                    vm_decoder_caps *caps);

/* ===================================================================================== */
/* Decoding processes: crash isolation                                                    */
/* ===================================================================================== */

/* A decoder that crashes on a hostile file (SIGSEGV, abort) takes its process down. A
 * vm_worker is a supervised child process, the small executable vidmill-worker running this
 * same library, in which clips are opened with vm_clip_open_in: the clip handle it returns is
 * used exactly like a local one (every vm_clip_* function works on it, with the same
 * results, frames and statistics), but the decoding happens in the child. The bytes of a
 * memory source and the frames of each batch travel through memory the two processes share;
 * each call is one round trip over a socket.
 *
 * When the child dies during a call (a signal, an exit), that call and every later call on
 * the clip return VM_ERR_CRASHED, with the signal and the top native frame in
 * vm_clip_last_error ("the decoding process was killed by SIGSEGV (at libavcodec.so.61+0x3b349a;
 * report: DIR/vidmill-worker-PID.crash)"); the next vm_clip_open_in starts a fresh process.
 * The parent enforces what a dying child cannot: a call still running grace_ms past the clip's
 * own timeout_ms kills the child (VM_ERR_TIMEOUT), and a child whose resident memory passes
 * memory_limit is killed (VM_ERR_OUT_OF_MEMORY). A child never outlives its parent by more
 * than a fraction of a second, and ignores SIGINT and SIGTERM: its parent decides when it ends.
 *
 * A vm_worker and its clips are used by one thread at a time, and it holds one open clip at a
 * time (close it before opening the next). Workers are independent: one per decoding thread. */

typedef struct vm_worker vm_worker;

typedef struct vm_worker_options {
  uint32_t struct_size;
  int32_t grace_ms;            /* past a clip's timeout_ms before the parent kills the child;
                                  0 = 5000 */
  const char *executable;      /* the vidmill-worker executable; NULL = the one in the directory
                                  of this library */
  const char *const *preload;  /* absolute paths of libraries the child loads first, in this
                                  order, NULL-terminated (the FFmpeg libraries this process
                                  loaded by path: the child then uses the very same files);
                                  NULL = none (its own RPATH finds them) */
  const char *const *environment; /* NAME=value entries added to the child's environment,
                                  NULL-terminated; NULL = none */
  const char *crash_dir;       /* where a child that dies by a signal writes its report
                                  (vidmill-worker-PID.crash); NULL = none */
  int64_t memory_limit;        /* resident bytes at which the child is killed; 0 = no limit */
} vm_worker_options;

/* Starts the child and waits until it has loaded its libraries. On failure *worker is NULL
 * and `detail` (may be NULL) says why: the executable cannot be run, a library did not load.
 * The options are copied. */
VM_API int32_t vm_worker_start(const vm_worker_options *options, vm_worker **worker,
                               char *detail, size_t detail_size);

/* Ends the child (it is told to exit, killed if it does not) and frees the worker. The clip
 * open in it, if any, must have been closed. Accepts NULL. */
VM_API void vm_worker_close(vm_worker *worker);

typedef struct vm_worker_state {
  uint32_t struct_size;
  int32_t pid;                 /* the child now; 0 when it died (the next open starts another) */
  int32_t starts;              /* children started, the first included */
  int32_t deaths;              /* children that died or were killed during a call */
} vm_worker_state;

/* Copies the counters (no system call: cheap enough to ask after every clip). */
VM_API int32_t vm_worker_state_get(const vm_worker *worker, vm_worker_state *state);

/* vm_clip_open in the worker's child (starting a fresh one when the last died). Everything
 * vm_clip_open says holds; in addition VM_ERR_CRASHED, VM_ERR_TIMEOUT or VM_ERR_OUT_OF_MEMORY
 * from the supervision, and VM_ERR_INVALID_ARGUMENT while another clip is open in it.
 * source->data is copied into the shared memory during the call. */
VM_API int32_t vm_clip_open_in(vm_worker *worker, const vm_source *source, const vm_open_options *options,
                               vm_clip **clip);

/* The child's side, run by the vidmill-worker executable once it has loaded the library: it
 * serves one parent on the descriptors that parent set up, until told to stop or the parent
 * is gone. Not for other callers. Returns the process's exit status. */
VM_API int vm_worker_serve(int argc, char **argv);

/* Tests of the supervision: when the environment variable VIDMILL_TEST_CRASH_ON is set to a
 * non-empty string when the library initialises, vm_clip_open kills the process with SIGSEGV
 * for every clip whose name contains it (pass it to a worker through
 * vm_worker_options.environment). Never set it otherwise. */
#define VM_TEST_CRASH_ENV "VIDMILL_TEST_CRASH_ON"

/* ===================================================================================== */
/* Image encoding: JPEG and PNG files of converted frames                                 */
/* ===================================================================================== */

/* A converted frame (VM_PIXEL_RGB24, BGR24 or GRAY8, as vm_clip_next writes it into a batch)
 * becomes an image file with FFmpeg's own encoders:
 *   VM_IMAGE_JPEG  baseline JFIF by the mjpeg encoder: full-range BT.601 YCbCr, chroma 4:2:0
 *                  (each chroma sample the mean of its 2x2 pixels, centred: libjpeg's way),
 *                  Huffman tables optimised per image. `quality` 1..100 is libjpeg's scale:
 *                  the AC quantisers are exactly those libjpeg (PIL, OpenCV) uses at that
 *                  quality (Annex K tables scaled by 5000/q below 50, by 200 - 2q from 50,
 *                  clamped to 1..255); the DC quantiser is mjpeg's fixed 8 (its DC precision
 *                  cannot be raised), which rounds each 8x8 block's mean to a whole level.
 *                  Gray input gives neutral chroma; BGR input is read as BGR.
 *   VM_IMAGE_PNG   lossless by the png encoder: RGB (BGR input is reordered) or gray, 8 bits,
 *                  each row filtered with the best of PNG's five filters, zlib level 6. */
typedef enum vm_image_codec {
  VM_IMAGE_JPEG = 1,
  VM_IMAGE_PNG = 2,
} vm_image_codec;

#define VM_JPEG_DEFAULT_QUALITY 95

typedef struct vm_encoder_options {
  uint32_t struct_size;
  int32_t codec;            /* vm_image_codec */
  int32_t quality;          /* JPEG: 1..100 (libjpeg's scale), 0 = VM_JPEG_DEFAULT_QUALITY; PNG: 0 */
  int32_t reserved0;
} vm_encoder_options;

typedef struct vm_encoder vm_encoder;

/* Makes an encoder; `options` is copied. VM_ERR_INVALID_ARGUMENT for an unknown codec or a
 * quality out of range; VM_ERR_UNSUPPORTED_CODEC when this FFmpeg lacks the encoder. An
 * encoder is used by one thread at a time; reuse it for every image a thread encodes (it
 * keeps FFmpeg's encoder open for as long as the picture size and format stay the same). */
VM_API int32_t vm_encoder_open(const vm_encoder_options *options, vm_encoder **encoder);

/* Frees the encoder. Accepts NULL. */
VM_API void vm_encoder_close(vm_encoder *encoder);

/* Why the last call failed, "" when it did not; valid until the next call. Accepts NULL. */
VM_API const char *vm_encoder_last_error(const vm_encoder *encoder);

/* Encodes one packed picture: `height` rows of `width` pixels of `pixel_format`
 * (VM_PIXEL_RGB24, BGR24 or GRAY8), `stride` bytes apart, into the caller's `out`. *size gets
 * the file's length. When it is longer than `capacity`, nothing is written, *size says how
 * long it is and the call returns VM_ERR_BUFFER_TOO_SMALL: call again with a buffer that big
 * (the picture is encoded again, to the same bytes). The pixels are only read during the
 * call. Each side 1..VM_MAX_OUTPUT_SIDE. */
VM_API int32_t vm_encoder_encode(vm_encoder *encoder, const uint8_t *pixels, int64_t stride, int32_t width,
                                 int32_t height, int32_t pixel_format, uint8_t *out, int64_t capacity,
                                 int64_t *size);

/* ===================================================================================== */
/* Synthetic clips (demo, benchmarks, tests)                                              */
/* ===================================================================================== */

typedef struct vm_synth_options {
  uint32_t struct_size;
  int32_t width, height;
  int32_t fps_num, fps_den;
  int32_t frames;          /* number of frames */
  int32_t gop;             /* key frame interval in frames; 0 = encoder default */
  int32_t bit_rate_kbps;   /* 0 = encoder default */
  int32_t seed;            /* varies the picture between clips */
  int32_t reserved0;
  const char *path;        /* output file; the container follows the extension */
  const char *encoder;     /* FFmpeg encoder name: "libopenh264", "libvpx-vp9", "mpeg4",
                              "libaom-av1", "libsvtav1", ... */
  const char *pattern;     /* lavfi source: "testsrc2" (default), "mandelbrot", "smptehdbars" */
  const char *pix_fmt;     /* NULL = the encoder's first supported format */
} vm_synth_options;

/* Renders a test pattern and encodes it into a new clip. Writes to a temporary file next to
 * `path` and renames it into place, so a reader never sees a half-written clip. The detail
 * of a failure goes to `detail` (may be NULL). */
VM_API int32_t vm_synth_write(const vm_synth_options *options, char *detail,
                              size_t detail_size);

#ifdef __cplusplus
}
#endif

#endif /* VIDMILL_H */
