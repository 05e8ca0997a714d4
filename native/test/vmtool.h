/* What vmtool.c and ops_check.c share. */
#ifndef VMTOOL_H
#define VMTOOL_H

#include <stdio.h>

#include "vidmill.h"

/* A check that counts and says what failed, going on with the others; each test file keeps
 * its own `static int failures`. */
#define CHECK(cond, ...)                                   \
  do {                                                     \
    if (!(cond)) {                                         \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                        \
      fprintf(stderr, "\n");                               \
      failures++;                                          \
    }                                                      \
  } while (0)

/* Parses the OUTPUT option at argv[*i] (--format, --size, --fit, --filter,
 * --keep-orientation), moving *i onto its value; 0 when argv[*i] is no such option. */
int parse_output_option(int argc, char **argv, int *i, vm_output *out);

/* vmtool opscheck MEDIA_DIR DIR [PART]: the frame-operation checks; 0 when all pass. */
int cmd_opscheck(const char *media, const char *dir, const char *part);

/* fuzz_clip.c: one fuzz input through the open/decode contract (aborts when it is broken), and
 * vmtool fuzzcheck FILE|DIR...: every input once; 0 when all hold, 77 when there was none. */
int vm_fuzz_clip(const uint8_t *data, size_t size);
void vm_fuzz_limits(void);
int cmd_fuzzcheck(int n, char **paths);
/* vmtool enccheck [MEDIA_DIR]: the image encoder against FFmpeg's decoders; 0 when all pass. */
int cmd_enccheck(const char *media);
/* Pictures and decoded frames for the checks (ops_check.c). */
typedef struct pic {
  int fmt, w, h;
  uint8_t *data[4];
  int linesize[4];
} pic;
int pic_alloc(pic *p, int fmt, int w, int h);
void pic_free(pic *p);
/* A picture with smooth gradients, edges and fine detail in `fmt` (through swscale). */
int pic_pattern(pic *p, int fmt, int w, int h, int seed);

typedef struct clip_frames {
  int n;
  vm_frame frames[4];
  uint8_t *pixels[4];
  vm_clip_info info;
  vm_clip_aggregates agg;
  int32_t status;
} clip_frames;
/* The first `max` (<= 4) frames of a clip, with the output set (NULL: native). */
int32_t decode_first(const char *path, const vm_output *out, int want, int max, clip_frames *c);
void clip_frames_free(clip_frames *c);
/* A packed native frame seen as a picture (no copy). */
void pic_of_frame(const vm_frame *f, uint8_t *pixels, pic *p);
/* The whole file in a malloc'ed buffer (*size its length), NULL when it cannot be read. */
uint8_t *read_file(const char *path, int64_t *size);
/* Calls fn for every file of MEDIA/valid; 77 (skip) when there is none. */
int for_each_valid(const char *media, void (*fn)(const char *path, const char *name));

/* vmtool isolatecheck DIR [MEDIA]: decoding processes against this process, and their
 * supervision (isolate_check.c); 0 when all holds. */
int cmd_isolatecheck(const char *dir, const char *media);

/* vmtool gpuinfo: the CUDA devices, their probe, NVDEC caps and utilization. */
int cmd_gpuinfo(void);
/* vmtool gpucheck emulated [MEDIA]: the GPU path's arithmetic on the host against the CPU path
 * (and the cropping rule against FFmpeg's); 0 when it all agrees. */
int cmd_gpucheck_emulated(const char *media);
/* vmtool gpucheck device DIR [MEDIA] [CLIPS_DIR]: on a GPU host, the kernels against the
 * emulation and the CPU, and clips decoded on NVDEC against the CPU; 77 without a GPU. */
int cmd_gpucheck_device(const char *dir, const char *media, const char *clips);

#endif
