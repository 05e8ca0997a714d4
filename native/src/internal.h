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

  uint8_t *scratch;       /* a packed frame, for hashing */
  unsigned int scratch_size;
  struct vm_ops *ops;     /* frame operations (ops/), NULL until an output or statistics are asked for */

  vm_clip_info info;
  vm_clip_stats stats;
  char error[VM_ERROR_SIZE];
};

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

/* util */
void vm_strlcpy(char *dst, const char *src, size_t size);

#endif
