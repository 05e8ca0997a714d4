/*
 * vidmill.h - the whole C API of libvidmill.
 *
 * libvidmill opens a video clip (a file or a caller-owned memory buffer), describes it, and
 * decodes its first video stream frame by frame, in presentation order, in the decoder's
 * native pixel format, without autorotation and without dropping or duplicating frames.
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
#define VM_ABI_VERSION 1

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
  VM_STRUCT_SAMPLING = 8,
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

typedef struct vm_open_options {
  uint32_t struct_size;
  uint32_t flags;          /* vm_open_flags */
  int32_t threads;         /* decoder threads: 0 = FFmpeg's automatic choice, 1 = one */
  int32_t reserved0;
  int64_t max_pixels;      /* per frame (width*height); 0 = VM_DEFAULT_MAX_PIXELS */
  int64_t max_frames;      /* per clip; 0 = no limit */
  int64_t timeout_ms;      /* wall clock from open to the last frame; 0 = no limit */
  const char *denied_codecs; /* comma-separated FFmpeg codec names refused with
                              VM_ERR_UNSUPPORTED_CODEC; NULL = VM_DEFAULT_DENIED_CODECS,
                              "" = none. Copied at open. */
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
} vm_clip_stats;

/* Copies the counters; stats->struct_size may be 72 (the fields up to output_ns) or
 * sizeof(vm_clip_stats). */
VM_API int32_t vm_clip_stats_get(const vm_clip *clip, vm_clip_stats *stats);

/* ===================================================================================== */
/* Decoding                                                                               */
/* ===================================================================================== */

typedef enum vm_frame_flags {
  VM_FRAME_KEY = 1 << 0,       /* a key frame */
  VM_FRAME_CORRUPT = 1 << 1,   /* the decoder flagged errors in this frame */
} vm_frame_flags;

/* One decoded frame, as filled by vm_clip_next. */
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
} vm_frame;

typedef enum vm_want {
  VM_WANT_MD5 = 1 << 0,        /* compute vm_frame.md5 */
  VM_WANT_PIXELS = 1 << 1,     /* copy the packed picture into batch.data */
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
