/* crop.h - where a decoded frame's displayed picture lies, for frames whose cropping FFmpeg
 * leaves undone. FFmpeg crops hardware frames at the right and bottom only (a device pointer
 * cannot be moved by libavutil); the GPU path turns apply_cropping off and cuts the picture
 * itself, by the rule av_frame_apply_cropping applies to a software frame of the CPU decoder's
 * format, so that its frames are exactly the CPU's. Without AV_FRAME_CROP_UNALIGNED that rule
 * crops less on the left than asked when the data pointers would lose their alignment; the
 * offsets of a software frame's planes are those of planes whose rows are 64-byte aligned
 * (FFmpeg's buffers), which only their left crop can misalign.
 *
 * Header-only, so that vmtool checks it against av_frame_apply_cropping itself. */
#ifndef VIDMILL_CROP_H
#define VIDMILL_CROP_H

#include <limits.h>
#include <stdint.h>

#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>

static inline int vm_crop_ctz(uint64_t v) {
  int n = 0;
  while (!(v & 1)) v >>= 1, n++;
  return n;
}

/* The displayed rectangle (x, y, w, h) of frame `f` (its size and crop fields as the decoder
 * set them) when it is cropped as a software frame of sw_pix_fmt. 0, or a negative AVERROR. */
static inline int vm_crop_rect(const AVFrame *f, int sw_pix_fmt, int unaligned, int *x, int *y, int *w, int *h) {
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)sw_pix_fmt);
  if (!d || f->width <= 0 || f->height <= 0) return AVERROR(EINVAL);
  size_t cl = f->crop_left, cr = f->crop_right, ct = f->crop_top, cb = f->crop_bottom;
  if (cl >= INT_MAX - cr || ct >= INT_MAX - cb || cl + cr >= (size_t)f->width || ct + cb >= (size_t)f->height) {
    /* FFmpeg ignores invalid cropping (with a warning): the whole frame */
    *x = *y = 0;
    *w = f->width;
    *h = f->height;
    return 0;
  }
  if (!unaligned && cl) {
    /* av_frame_apply_cropping and its calc_cropping_offsets: each plane's offset is the crop
     * (shifted by the chroma subsampling for planes 1 and 2) times the row size and the step
     * of the plane's first component */
    int min_log2_align = INT_MAX;
    for (int i = 0; i < 4; i++) {
      const AVComponentDescriptor *comp = NULL;
      for (int j = 0; j < d->nb_components; j++)
        if (d->comp[j].plane == i) {
          comp = &d->comp[j];
          break;
        }
      if (!comp) break;
      const int sx = (i == 1 || i == 2) ? d->log2_chroma_w : 0, sy = (i == 1 || i == 2) ? d->log2_chroma_h : 0;
      const uint64_t linesize = 64; /* any multiple of 32 gives the same answer */
      uint64_t off = (uint64_t)(ct >> sy) * linesize + (uint64_t)(cl >> sx) * (uint64_t)comp->step;
      int a = off ? vm_crop_ctz(off) : INT_MAX;
      if (a < min_log2_align) min_log2_align = a;
    }
    const int log2_crop_align = vm_crop_ctz(cl);
    if (log2_crop_align < min_log2_align) return AVERROR_BUG; /* as av_frame_apply_cropping */
    if (min_log2_align < 5) cl &= ~(((size_t)1 << (5 + log2_crop_align - min_log2_align)) - 1);
  }
  *x = (int)cl;
  *y = (int)ct;
  *w = f->width - (int)(cl + cr);
  *h = f->height - (int)(ct + cb);
  return 0;
}

#endif
