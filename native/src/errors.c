/* From FFmpeg's error numbers and our own observations to vidmill's stable status codes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

int32_t vm_status_from_averror(int averror) {
  switch (averror) {
    case AVERROR(ENOMEM):
      /* av_max_alloc turns "the file declares a 10 GB table" into ENOMEM */
      return VM_ERR_TOO_LARGE;
    case AVERROR_EXIT:
      return VM_ERR_TIMEOUT; /* only our interrupt callback asks FFmpeg to exit */
    case AVERROR_DECODER_NOT_FOUND:
    case AVERROR_PATCHWELCOME:
    case AVERROR(ENOSYS):
      return VM_ERR_UNSUPPORTED_CODEC;
    case AVERROR_DEMUXER_NOT_FOUND:
      return VM_ERR_NOT_A_VIDEO;
    case AVERROR(EIO):
    case AVERROR(ENXIO):
    case AVERROR(ESTALE):
      return VM_ERR_IO;
    case AVERROR(EACCES):
    case AVERROR(EPERM):
      return VM_ERR_PERMISSION_DENIED;
    case AVERROR(ERANGE):
      return VM_ERR_TOO_LARGE;
    default:
      return VM_ERR_CORRUPT;
  }
}

void vm_format_averror(int averror, char *buf, size_t size) {
  if (av_strerror(averror, buf, size) < 0) snprintf(buf, size, "FFmpeg error %d", averror);
}

static void fail(vm_clip *clip, int32_t status, int with_ffmpeg_words, const char *fmt, va_list args) {
  char text[VM_ERROR_SIZE];
  vsnprintf(text, sizeof text, fmt, args);
  /* FFmpeg's own words usually say more than an error number ("moov atom not found") */
  char last[VM_LOG_LINE_SIZE] = "";
  if (with_ffmpeg_words) vm_log_first_words(clip, last, sizeof last);
  vm_strlcpy(clip->error, text, sizeof clip->error);
  if (last[0] && !strstr(text, last)) {
    size_t used = strlen(clip->error);
    snprintf(clip->error + used, sizeof clip->error - used, " (FFmpeg: %.*s)",
             (int)(sizeof clip->error - used > 12 ? sizeof clip->error - used - 12 : 0), last);
  }
  for (char *c = clip->error; *c; c++)
    if (*c == '\n' || *c == '\r') *c = ' ';
  clip->state = status;
}

void vm_clip_fail(vm_clip *clip, int32_t status, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  fail(clip, status, 1, fmt, args);
  va_end(args);
}

void vm_clip_fail_own(vm_clip *clip, int32_t status, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  fail(clip, status, 0, fmt, args);
  va_end(args);
}
