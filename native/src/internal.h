/* Internal declarations shared by the translation units of libvidmill. Not installed. */
#ifndef VIDMILL_INTERNAL_H
#define VIDMILL_INTERNAL_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "vidmill.h"

#define VM_CLIP_MAGIC 0x766d636cu /* "vmcl": lets the log router recognise our clips */
#define VM_ERROR_SIZE 512
#define VM_LOG_LINE_SIZE 256

/* Bytes behind the demuxer: a file descriptor or a caller-owned buffer. Our own AVIOContext
 * (rather than FFmpeg's file protocol) so that we can count bytes, see reads and seeks past
 * the end of the data (truncation), and treat a file and a buffer the same way. */
typedef struct vm_sampler vm_sampler;

typedef struct vm_input {
  int fd;                 /* -1 for memory */
  const uint8_t *data;    /* memory source */
  int64_t size;           /* total bytes */
  int64_t pos;
  int64_t bytes_read;
  int past_eof;           /* something asked for bytes beyond the end */
  int io_errno;           /* last read error (errno), 0 if none */
} vm_input;

struct vm_clip {
  uint32_t magic;
  int32_t state;          /* VM_OK while decoding, then the terminal status */
  char name[256];         /* for messages */

  vm_open_options opts;
  char denied_codecs[256];
  vm_input input;
  AVIOContext *avio;
  AVFormatContext *fmt;
  AVStream *st;
  const AVCodec *codec;   /* the decoder chosen at open */
  AVCodecContext *dec;
  AVPacket *pkt;
  AVFrame *frame;
  int frame_pending;      /* frame holds a decoded frame not yet returned */
  int flushing;           /* the decoder has been sent the end of stream */
  int64_t deadline_ns;    /* CLOCK_MONOTONIC, 0 = none */

  /* what went wrong, decided while decoding and reported at the end of the stream */
  int32_t deferred_status;
  char deferred_error[VM_ERROR_SIZE];
  int index_past_eof;     /* the container's index points beyond the end of the data */
  int container_cut;      /* the container's layout declares more bytes than there are */
  char container_cut_why[160];

  /* messages FFmpeg logged for this clip (routed by log.c) */
  int log_errors;         /* error-level lines so far */
  int log_decoder_errors; /* of which the decoder logged */
  char log_words[VM_LOG_LINE_SIZE];
  int log_errors_seen;    /* log_decoder_errors when the last packet was settled */
  int packet_failed;      /* the packet being decoded reported an error */
  int packet_counted;     /* ... and was counted in stats.decode_errors */
  int consecutive_errors; /* packets in a row that failed */
  int flush_errors;       /* errors while draining the decoder */
  /* the decoder refused to make a frame: over max_pixels (VM_OVER_PIXELS, from its log line) or
   * the allocation limit (VM_OVER_MEMORY, from get_buffer2); set from decoder threads too */
  _Atomic int over_limit;

  struct vm_sampler *sampler; /* sample.c: which frames to return, what to decode; NULL = all */
  int decoding_started;   /* vm_clip_next has been called */
  int analysed;           /* avformat_find_stream_info ran at open (again when reopening) */

  uint8_t *scratch;       /* a packed frame, for hashing */
  unsigned int scratch_size;
  struct vm_ops *ops;     /* frame operations (ops/), NULL until an output or statistics are asked for */

  /* the GPU path (cuda/nvdec.c) */
  struct vm_gpu_decoder *gpu; /* the NVDEC decoder decoding the clip; NULL on the CPU */
  int32_t gpu_restart;    /* a vm_fallback: the clip is to start again on the CPU */
  char gpu_restart_why[VM_REASON_SIZE];
  int gpu_errors_seen;    /* decoder errors logged before the GPU decoder took the clip */
  int64_t skip_frames;    /* after a restart: frames the CPU decoder decodes again, not returned */
  int64_t last_pts;       /* pts of the last frame returned */
  AVFrame *download;      /* a GPU frame downloaded, for the native format */
  AVFrame *host_frame;    /* ... and repacked as a CPU frame, where the kernels cannot run */

  vm_clip_info info;
  vm_clip_stats stats;
  char error[VM_ERROR_SIZE];

  /* isolate/parent.c: the clip is open in this worker's child process, and this handle holds
   * what the child said of it after the last call (info, stats, error, bytes_read); NULL for
   * a clip decoded here */
  struct vm_worker *worker;
};

/* clip.c: whether vm_clip_open and vm_clip_open_in may go on with these arguments */
int vm_open_arguments_valid(const vm_source *source, const vm_open_options *options);
/* clip.c: a handle named after the source, with nothing open, its description unknown */
vm_clip *vm_clip_alloc(const vm_source *source);

/* isolate/parent.c: the vm_clip_* calls on a clip open in a worker (the public functions
 * validate their arguments, then hand over) */
int32_t vm_remote_next(vm_clip *clip, vm_batch *batch);
int32_t vm_remote_set_sampling(vm_clip *clip, const vm_sampling *sampling);
int32_t vm_remote_set_output(vm_clip *clip, const vm_output *output);
int32_t vm_remote_aggregates(const vm_clip *clip, vm_clip_aggregates *aggregates);
void vm_remote_close(vm_clip *clip);

/* clip.c, for sample.c */
/* Reads the next packet of the video stream: 1 with a packet in pkt, 0 at the end of the
 * container (a read error is deferred and reported after the frames), or a terminal status
 * (the clip has failed). Counts stats.packets_read. */
int32_t vm_read_video_packet(vm_clip *clip, AVPacket *pkt);
/* Opens the demuxer again from the first byte (the decoder is kept): the one way back to the
 * start that every container supports. Returns VM_OK or a terminal status. */
int32_t vm_clip_reopen_demuxer(vm_clip *clip);
/* Forgets the decode errors counted so far, for a decode that starts again from the start. */
void vm_clip_reset_decode_counts(vm_clip *clip);
/* Opens the CPU decoder (clip->codec) as clip->dec, the thread count of the options. */
int32_t vm_clip_open_cpu_decoder(vm_clip *clip);
/* Records where the clip decodes: backend, GPU index (-1), and for a clip that asked for the
 * GPU and is on the CPU, the vm_fallback and its reason (printf-style; "" for none). */
void vm_clip_set_backend(vm_clip *clip, int32_t backend, int32_t device, int32_t fallback, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* sample.c: the hooks of the decode loop (only called when clip->sampler is set) */
enum { VM_SAMPLER_DRAIN = 2 };
/* The next packet to send, with dec->skip_frame set for it: 1 with a packet, 0 at the end,
 * VM_SAMPLER_DRAIN to drain the decoder before going on (a jump), or a terminal status. */
int32_t vm_sampler_next_packet(vm_clip *clip, AVPacket *pkt);
/* A frame came out of the decoder: 1 return it, 0 drop it, or a terminal status. */
int32_t vm_sampler_accept(vm_clip *clip, AVFrame *frame);
/* The decoder was drained: 1 go on decoding (it has been flushed for the next packets), 0 the
 * clip has ended, or a terminal status. */
int32_t vm_sampler_drained(vm_clip *clip);
/* The clip moved to another decoder (the GPU's to the CPU's): decode through from the start,
 * returning only the selected frames not returned yet. VM_OK or a terminal status. */
int32_t vm_sampler_restart(vm_clip *clip);
/* Every frame the sampling selects has been returned: stop without decoding further. */
int vm_sampler_done(vm_clip *clip);
/* Whether the packets the clip read may be fewer than its stream has (samples were skipped
 * unread), so that counts of packets read prove nothing about truncation. */
int vm_sampler_read_partially(const vm_clip *clip);
void vm_sampler_free(vm_sampler *sampler);

/* time */
int64_t vm_now_ns(void);

/* log.c: FFmpeg log lines are routed to the clip they belong to. */
void vm_log_install(void);
void vm_log_bind_thread(vm_clip *clip); /* NULL unbinds */
int vm_log_decoder_errors(vm_clip *clip);
void vm_log_first_words(vm_clip *clip, char *buf, size_t size);

/* input.c */
int vm_input_open_file(vm_input *in, const char *path, char *err, size_t err_size);
void vm_input_open_memory(vm_input *in, const uint8_t *data, int64_t size);
AVIOContext *vm_input_avio(vm_input *in);
void vm_input_close(vm_input *in);
/* bytes at an offset, without moving the demuxer's position; returns bytes read (0 on error) */
int64_t vm_input_pread(vm_input *in, int64_t offset, void *buf, int64_t size);

/* container.c */
/* Whether the container's layout declares more bytes than the input has: VM_CUT, or
 * VM_CUT_IN_MEDIA_DATA when only an MP4 'mdat' box runs past the end, which is harmless when
 * every declared sample is present (a writer that got the size wrong); 0 when not cut or
 * unknown. */
enum { VM_CUT = 1, VM_CUT_IN_MEDIA_DATA = 2 };
enum { VM_OVER_PIXELS = 1, VM_OVER_MEMORY = 2 };
int vm_container_cut(vm_input *in, char *what, size_t what_size);
const char *vm_container_hint(vm_input *in); /* what the bytes look like, or NULL */

/* errors.c */
int32_t vm_status_from_averror(int averror);
/* Puts the clip in a failed state with a one-line message; vm_clip_fail appends what
 * FFmpeg said about the clip, vm_clip_fail_own is for failures that are vidmill's own
 * judgement (a limit, a policy, a missing file) where FFmpeg's words would mislead. */
void vm_clip_fail(vm_clip *clip, int32_t status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void vm_clip_fail_own(vm_clip *clip, int32_t status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void vm_format_averror(int averror, char *buf, size_t size);

/* library.c */
void vm_library_once(void);
/* The allocation limit vm_set_max_alloc set (VM_DEFAULT_MAX_ALLOC before): a worker's child gets it too. */
int64_t vm_max_alloc(void);
/* Dies with SIGSEGV when VIDMILL_TEST_CRASH_ON names this clip (tests of process supervision). */
void vm_test_crash_point(const char *clip_name);

/* util */
void vm_strlcpy(char *dst, const char *src, size_t size);

#endif
