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

#endif
