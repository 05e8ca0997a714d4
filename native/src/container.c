/* What the container's own structure says about the end of the data.
 *
 * FFmpeg's demuxers read what they can and stop quietly at the end of the file; they do not
 * say "this file was cut". The top-level layout does: an ISO BMFF box or a Matroska segment
 * that declares more bytes than the file has. This is checked without FFmpeg, on the first
 * few headers, and names a failure or turns a clean-looking EOF into TRUNCATED. The one
 * exception: an MP4 'mdat' that runs past the end is forgiven when the container declares its
 * frame count and every frame was read (an "mdat too long" file from a sloppy writer). */
#include <string.h>

#include "internal.h"

#define MAX_ELEMENTS 100000

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int known_top_level_box(const uint8_t *type) {
  static const char *const boxes[] = {"ftyp", "styp", "moov", "mdat", "free", "skip", "wide",
                                      "pnot", "sidx", "moof", "uuid", "meta", "pdin", "prft",
                                      "emsg", NULL};
  for (int i = 0; boxes[i]; i++)
    if (memcmp(type, boxes[i], 4) == 0) return 1;
  return 0;
}

/* VM_CUT, VM_CUT_IN_MEDIA_DATA (only the mdat box runs past the end) or 0 */
static int isobmff_cut(vm_input *in, char *what, size_t what_size) {
  int64_t off = 0;
  for (int n = 0; off < in->size && n < MAX_ELEMENTS; n++) {
    uint8_t h[16];
    int64_t got = vm_input_pread(in, off, h, sizeof h);
    if (got < 8) {
      if (n == 0) return 0;
      snprintf(what, what_size, "the file ends inside a box header at byte %" PRId64, off);
      return VM_CUT;
    }
    if (n == 0 && !known_top_level_box(h + 4)) return 0;
    for (int i = 4; i < 8; i++)
      if (h[i] < 0x20 || h[i] > 0x7e) return 0; /* not a box: garbage, not a cut */
    uint64_t size = be32(h);
    if (size == 1) {
      if (got < 16) {
        snprintf(what, what_size, "the file ends inside a box header at byte %" PRId64, off);
        return 1;
      }
      size = (uint64_t)be32(h + 8) << 32 | be32(h + 12);
      if (size < 16) return 0;
    } else if (size == 0) {
      return 0; /* "to the end of the file" */
    } else if (size < 8) {
      return 0; /* malformed, which is for the demuxer to report */
    }
    if (size > (uint64_t)(in->size - off)) {
      snprintf(what, what_size, "its '%.4s' box at byte %" PRId64 " declares %" PRIu64
               " bytes but the file ends after %" PRId64, (const char *)h + 4, off, size, in->size - off);
      return memcmp(h + 4, "mdat", 4) == 0 ? VM_CUT_IN_MEDIA_DATA : VM_CUT;
    }
    off += (int64_t)size;
  }
  return 0;
}

/* EBML variable-length integer at p (up to 8 bytes available): returns its length, or 0. */
static int ebml_vint(const uint8_t *p, int64_t avail, int keep_marker, uint64_t *value, int *unknown) {
  if (avail < 1 || p[0] == 0) return 0;
  int len = 1;
  while (!(p[0] & (0x80 >> (len - 1)))) len++;
  if (len > avail) return 0;
  uint64_t v = keep_marker ? p[0] : (p[0] & (0xff >> len));
  int all_ones = (p[0] & (0xff >> len)) == (0xff >> len);
  for (int i = 1; i < len; i++) {
    v = v << 8 | p[i];
    all_ones &= p[i] == 0xff;
  }
  *value = v;
  if (unknown) *unknown = all_ones;
  return len;
}

static int ebml_element(vm_input *in, int64_t off, uint64_t *id, uint64_t *size, int *unknown, int *header) {
  uint8_t h[16];
  int64_t got = vm_input_pread(in, off, h, sizeof h);
  int a = ebml_vint(h, got, 1, id, NULL);
  if (!a) return 0;
  int b = ebml_vint(h + a, got - a, 0, size, unknown);
  if (!b) return 0;
  *header = a + b;
  return 1;
}

static int matroska_cut(vm_input *in, char *what, size_t what_size) {
  uint64_t id, size;
  int unknown, header;
  if (!ebml_element(in, 0, &id, &size, &unknown, &header) || id != 0x1A45DFA3 || unknown) return 0;
  int64_t off = header + (int64_t)size;
  if (!ebml_element(in, off, &id, &size, &unknown, &header)) {
    if (off >= in->size) {
      snprintf(what, what_size, "the file ends before its Matroska segment starts");
      return 1;
    }
    return 0;
  }
  if (id != 0x18538067) return 0;
  int64_t start = off + header;
  if (!unknown) {
    if (size > (uint64_t)(in->size - start)) {
      snprintf(what, what_size, "its Matroska segment declares %" PRIu64 " bytes but the file ends after %" PRId64,
               size, in->size - start);
      return 1;
    }
    return 0;
  }
  /* a segment of unknown size (live recording): look at its children instead */
  off = start;
  for (int n = 0; off < in->size && n < MAX_ELEMENTS; n++) {
    if (!ebml_element(in, off, &id, &size, &unknown, &header)) {
      snprintf(what, what_size, "the file ends inside a Matroska element header at byte %" PRId64, off);
      return 1;
    }
    if (unknown) return 0;
    if (size > (uint64_t)(in->size - off - header)) {
      snprintf(what, what_size, "its Matroska element at byte %" PRId64 " declares %" PRIu64
               " bytes but the file ends after %" PRId64, off, size, in->size - off - header);
      return 1;
    }
    off += header + (int64_t)size;
  }
  return 0;
}

int vm_container_cut(vm_input *in, char *what, size_t what_size) {
  if (what_size) what[0] = 0;
  if (in->size <= 0) return 0;
  int cut = isobmff_cut(in, what, what_size);
  return cut ? cut : matroska_cut(in, what, what_size);
}

const char *vm_container_hint(vm_input *in) {
  uint8_t h[8];
  if (vm_input_pread(in, 0, h, 8) != 8) return NULL;
  if (!memcmp(h + 4, "styp", 4) || !memcmp(h + 4, "moof", 4) || !memcmp(h + 4, "sidx", 4) ||
      !memcmp(h + 4, "emsg", 4))
    return "a fragmented-MP4 media segment without its initialization segment (no moov)";
  return NULL;
}
