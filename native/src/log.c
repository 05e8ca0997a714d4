/* FFmpeg logs through one process-wide callback. We route each line to the clip it belongs
 * to, so that a clip can report FFmpeg's own words ("moov atom not found") and count the
 * errors its decoder logged: some bitstream errors are concealed by the decoder and show up
 * nowhere else, and a clip that decoded with errors must not be reported as clean.
 *
 * A line belongs to a clip when its logging context (or a parent of it) is the clip's
 * AVCodecContext or AVFormatContext, whose `opaque` points back at the clip; frame-threading
 * copies of the codec context carry the same `opaque`. Otherwise, the clip the calling
 * thread is working on (bound for the duration of each API call) takes it. Lines from a
 * decoder context are counted apart: they are the ones that mean "this packet failed". */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/log.h>

#include "internal.h"

static _Thread_local vm_clip *bound_clip;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int forward_all; /* VIDMILL_FFMPEG_LOG set: also print every line to stderr */

void vm_log_bind_thread(vm_clip *clip) { bound_clip = clip; }

static vm_clip *as_clip(void *opaque) {
  vm_clip *clip = opaque;
  return clip && clip->magic == VM_CLIP_MAGIC ? clip : NULL;
}

static vm_clip *clip_of_context(void *ctx, int *from_decoder) {
  for (int depth = 0; ctx && depth < 4; depth++) {
    const AVClass *cls = *(const AVClass **)ctx;
    if (!cls) return NULL;
    vm_clip *clip = NULL;
    if (cls == avcodec_get_class()) {
      clip = as_clip(((AVCodecContext *)ctx)->opaque);
      *from_decoder = 1;
    } else if (cls == avformat_get_class()) {
      clip = as_clip(((AVFormatContext *)ctx)->opaque);
    }
    if (clip) return clip;
    if (cls->version < (50 << 16) || cls->parent_log_context_offset <= 0) return NULL;
    ctx = *(void **)((uint8_t *)ctx + cls->parent_log_context_offset);
  }
  return NULL;
}

static void log_callback(void *ctx, int level, const char *fmt, va_list args) {
  if (level > AV_LOG_WARNING && !forward_all) return;
  int from_decoder = 0;
  vm_clip *clip = clip_of_context(ctx, &from_decoder);
  if (!clip) {
    clip = bound_clip;
    from_decoder = 0;
  }
  if (forward_all) {
    va_list copy;
    va_copy(copy, args);
    av_log_default_callback(ctx, level, fmt, copy);
    va_end(copy);
  }
  if (!clip || level > AV_LOG_WARNING) return;

  char line[VM_LOG_LINE_SIZE];
  vsnprintf(line, sizeof line, fmt, args);
  size_t n = strlen(line);
  while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ')) line[--n] = 0;
  if (!n) return;

  pthread_mutex_lock(&log_lock);
  /* av_image_check_size2's words when a decoder meets a frame over its max_pixels: the clip is
   * over a limit (TOO_LARGE), not corrupt */
  if (from_decoder && strstr(fmt, "exceeds specified max pixel count")) clip->over_limit = VM_OVER_PIXELS;
  /* The first error is usually the specific one ("Invalid NAL unit size"); what follows
   * tends to be consequences ("error reading header"). Warnings only explain a failure
   * when nothing worse was said. */
  if (level <= AV_LOG_ERROR) {
    if (clip->log_errors++ == 0) vm_strlcpy(clip->log_words, line, sizeof clip->log_words);
    if (from_decoder) clip->log_decoder_errors++;
  } else if (clip->log_errors == 0) {
    vm_strlcpy(clip->log_words, line, sizeof clip->log_words);
  }
  pthread_mutex_unlock(&log_lock);
}

void vm_log_install(void) {
  const char *env = getenv("VIDMILL_FFMPEG_LOG");
  forward_all = env && *env && strcmp(env, "0") != 0;
  av_log_set_callback(log_callback);
}

int vm_log_decoder_errors(vm_clip *clip) {
  pthread_mutex_lock(&log_lock);
  int n = clip->log_decoder_errors;
  pthread_mutex_unlock(&log_lock);
  return n;
}

void vm_log_first_words(vm_clip *clip, char *buf, size_t size) {
  pthread_mutex_lock(&log_lock);
  vm_strlcpy(buf, clip->log_words, size);
  pthread_mutex_unlock(&log_lock);
}
