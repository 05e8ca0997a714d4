/* The native open/probe/decode entry under arbitrary bytes, from memory: whatever the input, a
 * status from the documented set and a one-line message, frames of a consistent shape, and no
 * crash, leak or sanitizer report. The last byte of the input also picks the frame operations
 * (conversion, resizing, statistics), the same way as the Java fuzz test (ClipFuzzTest), so that
 * the two share their inputs: java/vidmill-core/src/test/resources/io/vidmill/decode/
 * ClipFuzzTestInputs/openAndDecode/.
 *
 * Two ways in:
 *   - `fuzz_clip` (CMake -DVIDMILL_FUZZ=ON, clang): a libFuzzer target over an instrumented
 *     libvidmill with AddressSanitizer and UBSan;
 *   - `vmtool fuzzcheck FILE|DIR...` (any build): every input once, for CTest and the CI's
 *     sanitizer build. */
#include <dirent.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vidmill.h"
#include "vmtool.h"

#define FUZZ_MAX_PIXELS ((int64_t)2048 * 2048)
#define FUZZ_MAX_FRAMES 16
#define FUZZ_MAX_ALLOC ((int64_t)128 << 20)

/* A broken promise of the API: report it the way a sanitizer would, so the fuzzer keeps it. */
#define FUZZ_CHECK(cond, ...)                                              \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "fuzz_clip: %s: ", #cond);                          \
      fprintf(stderr, __VA_ARGS__);                                        \
      fputc('\n', stderr);                                                 \
      abort();                                                             \
    }                                                                      \
  } while (0)

/* The output for an input, from its last byte (ClipFuzzTest.output). */
static vm_output output_for(unsigned pick) {
  int side = 8 + ((pick >> 2) & 7) * 12;
  vm_output o = {.struct_size = sizeof o, .filter = (int32_t)((pick >> 5) % 3)};
  switch (pick & 3) {
    case 0: o.pixel_format = VM_PIXEL_NATIVE; o.filter = VM_FILTER_BILINEAR; break;
    case 1:
      o.pixel_format = VM_PIXEL_RGB24;
      o.width = side;
      o.height = side * 3 / 4 + 1;
      o.resize = 1 + (int32_t)((pick >> 2) % 4); /* FILL, FIT, CENTER_CROP, PAD */
      break;
    case 2: o.pixel_format = VM_PIXEL_GRAY8; o.width = side; o.resize = VM_RESIZE_SHORT_SIDE; break;
    default:
      o.pixel_format = VM_PIXEL_BGR24;
      o.filter = VM_FILTER_BILINEAR;
      if (pick & 0x80) o.flags = VM_OUTPUT_KEEP_ORIENTATION;
      break;
  }
  return o;
}

static int one_line(const char *s) { return s[0] && !strchr(s, '\n'); }

static int open_failure_allowed(int32_t s) {
  return s == VM_ERR_EMPTY || s == VM_ERR_NOT_A_VIDEO || s == VM_ERR_NO_VIDEO_STREAM ||
         s == VM_ERR_UNSUPPORTED_CODEC || s == VM_ERR_ENCRYPTED || s == VM_ERR_TRUNCATED ||
         s == VM_ERR_CORRUPT || s == VM_ERR_TOO_LARGE || s == VM_ERR_TIMEOUT || s == VM_ERR_OUT_OF_MEMORY;
}

static int decode_end_allowed(int32_t s) {
  return s == VM_EOF || s == VM_ERR_TRUNCATED || s == VM_ERR_CORRUPT || s == VM_ERR_TOO_LARGE ||
         s == VM_ERR_TIMEOUT || s == VM_ERR_ENCRYPTED || s == VM_ERR_OUT_OF_MEMORY;
}

static void check_frame(const vm_frame *f, const vm_output *o, uint32_t want) {
  FUZZ_CHECK(f->width > 0 && f->height > 0, "frame %dx%d", f->width, f->height);
  if (o->pixel_format != VM_PIXEL_NATIVE) {
    int64_t channels = o->pixel_format == VM_PIXEL_GRAY8 ? 1 : 3;
    FUZZ_CHECK(f->data_size == (int64_t)f->width * f->height * channels, "%dx%d frame of %" PRId64 " bytes",
               f->width, f->height, f->data_size);
    if (o->resize == VM_RESIZE_FILL || o->resize == VM_RESIZE_CENTER_CROP || o->resize == VM_RESIZE_PAD)
      FUZZ_CHECK(f->width == o->width && f->height == o->height, "%dx%d for a %dx%d box", f->width, f->height,
                 o->width, o->height);
  }
  if (want & VM_WANT_STATS) {
    FUZZ_CHECK(f->flags & VM_FRAME_STATS, "no statistics");
    FUZZ_CHECK(f->luma_mean >= 0 && f->luma_mean <= 255, "luma_mean %f", f->luma_mean);
    FUZZ_CHECK(f->dark_fraction >= 0 && f->dark_fraction <= 1, "dark_fraction %f", f->dark_fraction);
    FUZZ_CHECK(f->sharpness >= 0, "sharpness %f", f->sharpness);
    FUZZ_CHECK(f->scene_score == -1 || (f->scene_score >= 0 && f->scene_score <= 1), "scene_score %f",
               f->scene_score);
  }
}

int vm_fuzz_clip(const uint8_t *data, size_t size) {
  static const uint8_t none[1];
  unsigned pick = size ? data[size - 1] : 0;
  vm_output out = output_for(pick);
  uint32_t want = VM_WANT_MD5;
  if (out.pixel_format != VM_PIXEL_NATIVE || (pick & 0x80)) want |= VM_WANT_PIXELS | VM_WANT_STATS;

  vm_source src = {.struct_size = sizeof src, .data = size ? data : none, .size = (int64_t)size,
                   .name = "fuzz.bin"};
  vm_open_options opts = {.struct_size = sizeof opts, .flags = (pick & 0x40) ? VM_OPEN_FULL_PROBE : 0,
                          .threads = 1, .max_pixels = FUZZ_MAX_PIXELS, .max_frames = FUZZ_MAX_FRAMES,
                          .timeout_ms = 1000};
  vm_clip *clip = NULL;
  int32_t status = vm_clip_open(&src, &opts, &clip);
  FUZZ_CHECK(clip != NULL, "no handle for status %s", vm_status_name(status));
  if (status != VM_OK) {
    FUZZ_CHECK(open_failure_allowed(status), "open failed with %s: %s", vm_status_name(status),
               vm_clip_last_error(clip));
    FUZZ_CHECK(one_line(vm_clip_last_error(clip)), "message '%s'", vm_clip_last_error(clip));
    vm_clip_close(clip);
    return 0;
  }
  vm_clip_info info = {.struct_size = sizeof info};
  FUZZ_CHECK(vm_clip_info_get(clip, &info) == VM_OK, "info");
  FUZZ_CHECK(info.width >= 0 && info.height >= 0 && (int64_t)info.width * info.height <= FUZZ_MAX_PIXELS,
             "declared %dx%d", info.width, info.height);
  int32_t set = vm_clip_set_output(clip, &out);
  FUZZ_CHECK(set == VM_OK, "output refused: %s", vm_clip_last_error(clip));

  enum { CAP = 8 };
  vm_frame frames[CAP];
  int64_t cap = (want & VM_WANT_PIXELS) ? 1 << 16 : 0;
  uint8_t *pixels = cap ? malloc((size_t)cap) : NULL;
  int64_t total = 0;
  for (;;) {
    vm_batch batch = {.struct_size = sizeof batch, .want = want, .frames = frames, .capacity = CAP,
                      .data = pixels, .data_capacity = cap};
    status = vm_clip_next(clip, &batch);
    if (status == VM_ERR_BUFFER_TOO_SMALL) {
      FUZZ_CHECK(batch.data_needed > cap && batch.data_needed <= FUZZ_MAX_PIXELS * 8, "needs %" PRId64,
                 batch.data_needed);
      cap = batch.data_needed;
      pixels = realloc(pixels, (size_t)cap);
      FUZZ_CHECK(pixels != NULL, "realloc");
      continue;
    }
    FUZZ_CHECK(batch.count <= CAP, "count %u", batch.count);
    for (uint32_t i = 0; i < batch.count; i++) check_frame(&frames[i], &out, want);
    total += batch.count;
    if (status != VM_OK) break;
  }
  FUZZ_CHECK(decode_end_allowed(status), "decoding ended with %s: %s", vm_status_name(status),
             vm_clip_last_error(clip));
  if (status != VM_EOF) FUZZ_CHECK(one_line(vm_clip_last_error(clip)), "message '%s'", vm_clip_last_error(clip));
  FUZZ_CHECK(total <= FUZZ_MAX_FRAMES, "%" PRId64 " frames", total);
  vm_clip_stats stats = {.struct_size = sizeof stats};
  FUZZ_CHECK(vm_clip_stats_get(clip, &stats) == VM_OK && stats.frames == total, "stats");
  if (want & VM_WANT_STATS) {
    vm_clip_aggregates agg = {.struct_size = sizeof agg};
    FUZZ_CHECK(vm_clip_aggregates_get(clip, &agg) == VM_OK && agg.frames == total, "aggregates");
  }
  free(pixels);
  vm_clip_close(clip);
  return 0;
}

void vm_fuzz_limits(void) { vm_set_max_alloc(FUZZ_MAX_ALLOC); }

#ifdef VIDMILL_LIBFUZZER
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  vm_fuzz_limits();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return vm_fuzz_clip(data, size); }
#endif

/* vmtool fuzzcheck FILE|DIR...: every input (the files of each DIR) once through vm_fuzz_clip,
 * under the limits the fuzzer runs with; a broken promise aborts. 77 (skipped) when there is no
 * input at all. */
static int check_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  uint8_t *buf = NULL;
  size_t size = 0, cap = 0, n;
  do {
    if (size == cap) {
      cap = cap ? cap * 2 : 1 << 16;
      buf = realloc(buf, cap);
      if (!buf) abort();
    }
    n = fread(buf + size, 1, cap - size, f);
    size += n;
  } while (n > 0);
  fclose(f);
  vm_fuzz_clip(buf, size);
  free(buf);
  return 1;
}

int cmd_fuzzcheck(int n, char **paths) {
  vm_fuzz_limits();
  int checked = 0;
  for (int i = 0; i < n; i++) {
    DIR *d = opendir(paths[i]);
    if (!d) {
      checked += check_file(paths[i]);
      continue;
    }
    for (struct dirent *e; (e = readdir(d));) {
      if (e->d_name[0] == '.') continue;
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", paths[i], e->d_name);
      checked += check_file(path);
    }
    closedir(d);
  }
  vm_set_max_alloc(0);
  printf("fuzzcheck: %d inputs, all within the contract\n", checked);
  return checked ? 0 : 77;
}
