/* Sampling: which frames a clip returns (the rule), and decoding only what they need.
 *
 * The rule is one function over the frames a plain decode returns (selector_push, used by
 * vm_sampling_select). The fast path applies that same function to a prediction of those
 * frames, made from the packets alone: every packet the demuxer returns becomes one frame
 * with the packet's pts, except edit-list preroll (AV_PKT_FLAG_DISCARD) and frames the
 * bitstream says are not shown (VP8, VP9). From the predicted selection it plans which
 * packets to send, and it checks everything the decoder then returns against the prediction.
 * A failed check (a frame that should have come out and did not, an unexpected timestamp, a
 * decode error) makes it decode the clip through from the start instead: correctness first.
 *
 * Paths (vm_sample_path):
 *   THROUGH    every packet is decoded; frames are selected as they come out. Used when the
 *              prediction cannot be trusted (no pts, duplicate pts, a codec whose packets
 *              are not one frame each), with VM_SAMPLING_DECODE_ALL, and after a fallback.
 *              UNIFORM needs the frame count first: one pass decodes and counts, a second
 *              returns the frames.
 *   PLANNED    the packet table is read first (kept in memory up to a budget, else read
 *              again from the source); only what the selected frames depend on is decoded.
 *   KEYFRAMES  only packets the container marks as key frames are sent (and, in MP4, only
 *              those are read). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef __int128 i128;

/* ---- the rule ------------------------------------------------------------------------ */

typedef struct selector {
  vm_sampling s;
  int32_t tb_num, tb_den;   /* 0/0: no usable time base, so no frame has a time */
  int64_t offset;           /* added to a pts, puts the container's start at 0 */
  int64_t targets;          /* FPS: targets before the window's end; INT64_MAX without one */
  int64_t total;            /* UNIFORM: frames in the window; -1 while unknown */
  int64_t in_window;        /* frames in the window seen so far */
  int64_t reached;          /* FPS: targets reached by the frames so far */
  int64_t next_pick;        /* UNIFORM: the next of the n picks */
  int64_t picked;           /* frames selected so far */
} selector;

static int64_t fps_origin_us(const vm_sampling *s) {
  return (s->flags & VM_SAMPLING_START) ? s->start_us : 0;
}

static void selector_init(selector *sel, const vm_sampling *s, int32_t tb_num, int32_t tb_den,
                          int64_t container_start_us) {
  memset(sel, 0, sizeof *sel);
  sel->s = *s;
  sel->total = -1;
  if (tb_num > 0 && tb_den > 0) {
    sel->tb_num = tb_num;
    sel->tb_den = tb_den;
    /* what ffmpeg and framemd5 subtract: the container start, rounded into the time base */
    if (container_start_us != INT64_MIN && container_start_us != INT64_MAX)
      sel->offset = -av_rescale_q(container_start_us, AV_TIME_BASE_Q, (AVRational){tb_num, tb_den});
  }
  sel->targets = INT64_MAX;
  if (s->mode == VM_SAMPLE_FPS && (s->flags & VM_SAMPLING_END)) {
    /* k >= 0 with origin + k*den/num < end: ceil((end - origin) * num / (den * 1e6)) */
    i128 span = (i128)s->end_us - fps_origin_us(s);
    i128 q = (i128)s->rate_den * 1000000;
    i128 k = span <= 0 ? 0 : (span * s->rate_num + q - 1) / q;
    sel->targets = k > INT64_MAX ? INT64_MAX : (int64_t)k;
  }
}

/* The frame's position on the clip's timeline, in units of 1/(tb_den * 1e6) seconds; 0 when
 * it has none (no pts, no time base, or a value beyond any real clip). */
static int clip_time(const selector *sel, int64_t pts, i128 *t) {
  int64_t ticks;
  if (pts == INT64_MIN || !sel->tb_den || __builtin_add_overflow(pts, sel->offset, &ticks)) return 0;
  *t = (i128)ticks * sel->tb_num * 1000000; /* |t| < 2^114 */
  return 1;
}

static int in_window(const selector *sel, int64_t pts) {
  uint32_t f = sel->s.flags;
  if (!(f & (VM_SAMPLING_START | VM_SAMPLING_END))) return 1;
  i128 t;
  if (!clip_time(sel, pts, &t)) return 0;
  if ((f & VM_SAMPLING_START) && t < (i128)sel->s.start_us * sel->tb_den) return 0;
  if ((f & VM_SAMPLING_END) && t >= (i128)sel->s.end_us * sel->tb_den) return 0;
  return 1;
}

/* FPS: how many targets origin + k/rate (k >= 0) lie at or before time t. */
static int64_t targets_reached(const selector *sel, i128 t) {
  i128 d = t - (i128)fps_origin_us(&sel->s) * sel->tb_den; /* < 2^116 */
  if (d < 0) return 0;
  /* floor(d * num / q) without overflow: d = a*q + b, b < q < 2^83 */
  i128 q = (i128)sel->s.rate_den * 1000000 * sel->tb_den;
  i128 a = d / q, b = d % q;
  i128 k = a * sel->s.rate_num + b * sel->s.rate_num / q + 1;
  return k > sel->targets ? sel->targets : (int64_t)k;
}

/* The rule: is this frame, the next one a plain decode returns, selected? */
static int selector_push(selector *sel, int64_t pts, uint32_t frame_flags) {
  const vm_sampling *s = &sel->s;
  if (s->max_frames > 0 && sel->picked >= s->max_frames) return 0;
  if (!in_window(sel, pts)) return 0;
  int64_t i = sel->in_window++;
  int pick = 0;
  switch (s->mode) {
    case VM_SAMPLE_ALL: pick = 1; break;
    case VM_SAMPLE_EVERY: pick = i % s->n == 0; break;
    case VM_SAMPLE_KEYFRAMES: pick = (frame_flags & VM_FRAME_KEY) != 0; break;
    case VM_SAMPLE_UNIFORM:
      if (sel->total <= s->n) {
        pick = 1;
      } else if (sel->next_pick < s->n &&
                 i == (int64_t)((i128)(2 * sel->next_pick + 1) * sel->total / (2 * (i128)s->n))) {
        pick = 1;
        sel->next_pick++;
      }
      break;
    case VM_SAMPLE_FPS: {
      i128 t;
      if (!clip_time(sel, pts, &t)) break;
      int64_t k = targets_reached(sel, t);
      if (k > sel->reached) {
        pick = 1;
        sel->reached = k;
      }
      break;
    }
  }
  if (pick) sel->picked++;
  return pick;
}

/* Nothing after this point can be selected. Only what follows from the frames seen so far,
 * not from timestamps to come (a stream's timestamps need not increase). */
static int selector_exhausted(const selector *sel) {
  const vm_sampling *s = &sel->s;
  if (s->max_frames > 0 && sel->picked >= s->max_frames) return 1;
  if (s->mode == VM_SAMPLE_UNIFORM && sel->total >= 0)
    return sel->total <= s->n ? sel->in_window >= sel->total : sel->next_pick >= s->n;
  if (s->mode == VM_SAMPLE_FPS) return sel->reached >= sel->targets;
  return 0;
}

static int32_t check_sampling(const vm_sampling *s, char *why, size_t why_size) {
  const char *bad = NULL;
  if (s->mode < VM_SAMPLE_ALL || s->mode > VM_SAMPLE_KEYFRAMES) bad = "unknown sampling mode";
  else if ((s->mode == VM_SAMPLE_EVERY || s->mode == VM_SAMPLE_UNIFORM) && s->n < 1) bad = "n must be at least 1";
  else if (s->mode == VM_SAMPLE_FPS && (s->rate_num < 1 || s->rate_den < 1)) bad = "the rate must be positive";
  else if (s->max_frames < 0) bad = "max_frames must be >= 0";
  else if (s->buffer_bytes < -1) bad = "buffer_bytes must be -1, 0 or positive";
  else if ((s->flags & VM_SAMPLING_START) && (s->flags & VM_SAMPLING_END) && s->end_us <= s->start_us)
    bad = "the window's end must come after its start";
  else if (s->flags & ~(uint32_t)(VM_SAMPLING_START | VM_SAMPLING_END | VM_SAMPLING_DECODE_ALL))
    bad = "unknown sampling flags";
  if (bad && why) vm_strlcpy(why, bad, why_size);
  return bad ? VM_ERR_INVALID_ARGUMENT : VM_OK;
}

static void copy_sampling(vm_sampling *dst, const vm_sampling *src) {
  memset(dst, 0, sizeof *dst);
  memcpy(dst, src, src->struct_size < sizeof *dst ? src->struct_size : sizeof *dst);
  dst->struct_size = sizeof *dst;
}

int64_t vm_sampling_select(const vm_sampling *sampling, const vm_clip_info *info, const int64_t *pts,
                           const uint32_t *flags, int64_t count, uint8_t *selected) {
  if (!sampling || sampling->struct_size < sizeof(vm_sampling) || !info ||
      info->struct_size < sizeof(vm_clip_info) || count < 0 || (count && (!pts || !flags || !selected)))
    return VM_ERR_INVALID_ARGUMENT;
  vm_sampling s;
  copy_sampling(&s, sampling);
  if (check_sampling(&s, NULL, 0) != VM_OK) return VM_ERR_INVALID_ARGUMENT;
  selector sel;
  selector_init(&sel, &s, info->time_base_num, info->time_base_den, info->container_start_us);
  if (s.mode == VM_SAMPLE_UNIFORM) {
    sel.total = 0;
    for (int64_t i = 0; i < count; i++) sel.total += in_window(&sel, pts[i]);
  }
  int64_t n = 0;
  for (int64_t i = 0; i < count; i++) {
    selected[i] = (uint8_t)selector_push(&sel, pts[i], flags[i]);
    n += selected[i];
  }
  return n;
}

/* ---- the sampler: state of one clip -------------------------------------------------- */

/* Packets kept in memory between the planning pass and decoding, per clip. Beyond this the
 * packets are read a second time from the source. */
#define VM_SAMPLE_BUFFER_BYTES ((int64_t)64 << 20)
/* Packets in the table at most (4M: some 39 hours at 30 fps); beyond, decode through. */
#define VM_SAMPLE_MAX_PACKETS ((int64_t)1 << 22)
/* Without the packets in memory, a gap of more bytes than this is crossed by seeking: below,
 * reading on (a copy per packet, no decoding) costs less than a seek and its read-ahead. */
#define VM_SAMPLE_SEEK_BYTES ((int64_t)256 << 10)

enum {
  E_KEY = 1 << 0,        /* the container marks it as a key frame */
  E_DISCARD = 1 << 1,    /* edit-list preroll: decoded, never output */
  E_FRAME = 1 << 2,      /* predicted to come out as a frame */
  E_HINT_OK = 1 << 3,    /* AVDISCARD_NONREF skips it only when nothing refers to it */
  E_SELECTED = 1 << 4,
  E_SENT = 1 << 5,
  E_CLEAN = 1 << 6,      /* decoding can start here: a key frame that splits the stream */
  E_JUMP = 1 << 7,       /* packets before it are dropped: restart the decoder here */
};

enum { A_DROP = 0, A_SEND = 1, A_HINT = 2 };
enum { SRC_DEMUX = 0, SRC_TABLE = 1 };

typedef struct entry {
  int64_t pts, dts, pos;
  AVPacket *pkt;         /* the packet, when buffered */
  int64_t rank;          /* position among the predicted frames (presentation order), -1 */
  int32_t size;
  uint16_t flags;
  uint8_t action;
  int8_t hevc_tid;       /* HEVC: temporal id of the picture, -1 unknown */
  uint8_t hevc_type;     /* HEVC: NAL unit type of the picture */
} entry;

struct vm_sampler {
  vm_sampling spec;
  int path;              /* vm_sample_path */
  int started;
  int src;               /* SRC_DEMUX or SRC_TABLE */
  int demux_dirty;       /* the demuxer has been read since open */
  int keys_only;         /* SRC_DEMUX: send only key packets (KEYFRAMES) */
  int stopped_early;     /* decoding ended before the end of the stream */
  selector sel;          /* THROUGH and KEYFRAMES: applied to the decoded frames */
  int counting;          /* THROUGH, UNIFORM: this pass only counts the frames in the window */

  /* the packet table, in decode order */
  entry *e;
  int64_t n, cap;
  int have_table;
  int overflow;          /* more packets than VM_SAMPLE_MAX_PACKETS */
  int buffered;          /* every packet's data is in memory */
  int64_t buffered_bytes;
  int64_t *order;        /* entries that are predicted frames, by pts */
  int64_t frames;
  int64_t cursor;        /* SRC_TABLE: next entry to consider */
  int64_t last_needed;   /* last entry to send; -1 none */
  int64_t jumped_at;     /* the entry whose jump has been drained already */
  int64_t sent_since_restart;
  int64_t read_idx;      /* SRC_TABLE without buffering: entry the demuxer returns next */
  int64_t *by_pos;       /* entries sorted by byte position, for landing after a seek */
  int no_seek;           /* packet positions cannot identify where a seek landed */

  /* checking the decoder's output against the prediction (PLANNED) */
  int64_t *sel_ranks;
  int64_t n_sel, next_sel;
  int64_t last_rank;

  /* KEYFRAMES: (sequence number, pts) of the key packets sent whose frames are still due */
  int64_t demux_seq;     /* SRC_DEMUX: packets sent, numbering them for their frames */
  int64_t *pending;
  int64_t pending_head, pending_n, pending_cap;

  /* frames returned, so that a fallback returns each selected frame exactly once */
  int64_t *returned_pts;
  int64_t returned, returned_cap;
  int64_t skip_returned; /* THROUGH after a fallback: selected frames already returned */
  int fell_back_on_errors; /* the fallback came from frames that failed to decode */
};

static int64_t *grow(int64_t *a, int64_t *cap, int64_t need) {
  if (need <= *cap) return a;
  int64_t n = *cap ? *cap * 2 : 64;
  while (n < need) n *= 2;
  int64_t *b = av_realloc_array(a, (size_t)n, sizeof *a);
  if (b) *cap = n;
  return b;
}

static void free_table(vm_sampler *s) {
  for (int64_t i = 0; i < s->n; i++) av_packet_free(&s->e[i].pkt);
  av_freep(&s->e);
  av_freep(&s->order);
  av_freep(&s->sel_ranks);
  av_freep(&s->by_pos);
  s->n = s->cap = 0;
}

void vm_sampler_free(vm_sampler *s) {
  if (!s) return;
  free_table(s);
  av_freep(&s->pending);
  av_freep(&s->returned_pts);
  av_free(s);
}

int32_t vm_clip_set_sampling(vm_clip *clip, const vm_sampling *sampling) {
  if (!clip) return VM_ERR_INVALID_ARGUMENT;
  if (clip->state != VM_OK) return clip->state;
  if (clip->worker) return vm_remote_set_sampling(clip, sampling);
  if (!clip->dec || clip->decoding_started) {
    vm_strlcpy(clip->error, "sampling is set after opening, with a decoder, before the first frame is read",
               sizeof clip->error);
    return VM_ERR_INVALID_ARGUMENT;
  }
  vm_sampler_free(clip->sampler);
  clip->sampler = NULL;
  if (!sampling) return VM_OK;
  if (sampling->struct_size < sizeof(vm_sampling)) return VM_ERR_INVALID_ARGUMENT;
  vm_sampling s;
  copy_sampling(&s, sampling);
  char why[128];
  if (check_sampling(&s, why, sizeof why) != VM_OK) {
    snprintf(clip->error, sizeof clip->error, "bad sampling: %s", why);
    return VM_ERR_INVALID_ARGUMENT;
  }
  if (s.mode == VM_SAMPLE_ALL && !(s.flags & (VM_SAMPLING_START | VM_SAMPLING_END)) && s.max_frames == 0)
    return VM_OK; /* every frame: the plain decode */
  vm_sampler *sm = av_mallocz(sizeof *sm);
  if (!sm) return VM_ERR_OUT_OF_MEMORY;
  sm->spec = s;
  sm->last_needed = -1;
  sm->jumped_at = -1;
  clip->sampler = sm;
  return VM_OK;
}

/* ---- what the packets say ------------------------------------------------------------ */

typedef struct bits {
  const uint8_t *p;
  int size, pos;
} bits;

static int bit(bits *b) {
  if (b->pos >= b->size * 8) return -1;
  int v = (b->p[b->pos >> 3] >> (7 - (b->pos & 7))) & 1;
  b->pos++;
  return v;
}

/* VP9: does this frame show a picture? (uncompressed header: frame marker, profile,
 * show_existing_frame, frame_type, show_frame). Unknown counts as shown. */
static int vp9_frame_shown(const uint8_t *p, int size) {
  bits b = {p, size, 0};
  if (bit(&b) != 1 || bit(&b) != 0) return 1; /* frame_marker must be 2 */
  int lo = bit(&b), hi = bit(&b);
  if (lo < 0 || hi < 0) return 1;
  if ((hi << 1 | lo) == 3 && bit(&b) < 0) return 1;
  int existing = bit(&b);
  if (existing != 0) return 1;
  if (bit(&b) < 0) return 1; /* frame_type */
  return bit(&b) != 0;
}

/* VP9 packets may be superframes (a hidden frame and a shown one): shown if any part is. */
static int vp9_shown(const uint8_t *p, int size) {
  if (size < 1) return 1;
  uint8_t last = p[size - 1];
  if ((last & 0xe0) == 0xc0) {
    int frames = (last & 7) + 1, mag = ((last >> 3) & 3) + 1, index = 2 + mag * frames;
    if (size >= index && p[size - index] == last) {
      const uint8_t *q = p + size - index + 1;
      int off = 0, shown = 0;
      for (int f = 0; f < frames; f++) {
        int len = 0;
        for (int i = 0; i < mag; i++) len |= q[f * mag + i] << (8 * i);
        if (len <= 0 || off + len > size - index) return 1;
        shown |= vp9_frame_shown(p + off, len);
        off += len;
      }
      return shown;
    }
  }
  return vp9_frame_shown(p, size);
}

/* HEVC: type and temporal id of the first VCL NAL unit of a picture. NAL units are
 * length-prefixed (hvcC, len_size 1..4) or start-code delimited (len_size 0). */
static void hevc_picture(const uint8_t *p, int size, int len_size, int *type, int *tid) {
  *type = -1;
  *tid = -1;
  int i = 0;
  while (i < size) {
    int start, end;
    if (len_size) {
      if (i + len_size > size) return;
      int64_t len = 0;
      for (int k = 0; k < len_size; k++) len = len << 8 | p[i + k];
      start = i + len_size;
      if (len > size - start) return;
      end = start + (int)len;
    } else {
      int j = i;
      while (j + 2 < size && !(p[j] == 0 && p[j + 1] == 0 && p[j + 2] == 1)) j++;
      if (j + 2 >= size) return;
      start = j + 3;
      int k = start;
      while (k + 2 < size && !(p[k] == 0 && p[k + 1] == 0 && (p[k + 2] == 1 || p[k + 2] == 0))) k++;
      end = k + 2 < size ? k : size;
    }
    if (end - start >= 2) {
      int t = (p[start] >> 1) & 0x3f;
      if (t < 32) {
        *type = t;
        *tid = (p[start + 1] & 7) - 1;
        return;
      }
    }
    i = end;
  }
}

static int hevc_len_size(const AVCodecParameters *par) {
  if (par->extradata_size >= 23 && par->extradata[0] == 1) return (par->extradata[21] & 3) + 1;
  return 0;
}

/* Codecs whose packets are one frame each (or none, when the bitstream says so, see above):
 * the prediction holds for them. */
static int codec_predictable(enum AVCodecID id) {
  switch (id) {
    case AV_CODEC_ID_H264: case AV_CODEC_ID_HEVC: case AV_CODEC_ID_VP8: case AV_CODEC_ID_VP9:
    case AV_CODEC_ID_AV1: case AV_CODEC_ID_MPEG4: case AV_CODEC_ID_MPEG1VIDEO:
    case AV_CODEC_ID_MPEG2VIDEO: case AV_CODEC_ID_H263: case AV_CODEC_ID_MJPEG:
    case AV_CODEC_ID_PRORES: case AV_CODEC_ID_DNXHD:
      return 1;
    default:
      return 0;
  }
}

/* Decoders whose AVDISCARD_NONREF skips only pictures nothing refers to (H.264: nal_ref_idc
 * 0; VP8/VP9: no reference slot refreshed; MPEG-1/2/4, H.263: B pictures). HEVC's skips
 * sub-layer non-reference pictures that higher temporal layers may use: decided per packet. */
static int hint_safe_codec(enum AVCodecID id) {
  switch (id) {
    case AV_CODEC_ID_H264: case AV_CODEC_ID_VP8: case AV_CODEC_ID_VP9: case AV_CODEC_ID_MPEG4:
    case AV_CODEC_ID_MPEG1VIDEO: case AV_CODEC_ID_MPEG2VIDEO: case AV_CODEC_ID_H263:
      return 1;
    default:
      return 0;
  }
}

/* ---- the planning pass --------------------------------------------------------------- */

static int32_t read_table(vm_clip *clip, vm_sampler *s) {
  const AVCodecParameters *par = clip->st->codecpar;
  int hevc_len = par->codec_id == AV_CODEC_ID_HEVC ? hevc_len_size(par) : 0;
  AVPacket *pkt = clip->pkt;
  int64_t budget = s->spec.buffer_bytes > 0 ? s->spec.buffer_bytes : VM_SAMPLE_BUFFER_BYTES;
  s->buffered = s->spec.buffer_bytes >= 0;
  s->demux_dirty = 1;
  for (;;) {
    int32_t r = vm_read_video_packet(clip, pkt);
    if (r < 0) return r;
    if (r == 0) break;
    if (s->n >= VM_SAMPLE_MAX_PACKETS) {
      s->overflow = 1;
      av_packet_unref(pkt);
      continue; /* read on: what the container says at its end still counts */
    }
    if (s->n == s->cap) {
      int64_t cap = s->cap ? s->cap * 2 : 256;
      entry *e = av_realloc_array(s->e, (size_t)cap, sizeof *e);
      if (!e) {
        av_packet_unref(pkt);
        vm_clip_fail_own(clip, VM_ERR_TOO_LARGE, "the packet table of %" PRId64 " packets is over the allocation limit",
                         s->n);
        return clip->state;
      }
      s->e = e;
      s->cap = cap;
    }
    entry *e = &s->e[s->n++];
    memset(e, 0, sizeof *e);
    e->pts = pkt->pts == AV_NOPTS_VALUE ? INT64_MIN : pkt->pts;
    e->dts = pkt->dts == AV_NOPTS_VALUE ? INT64_MIN : pkt->dts;
    e->pos = pkt->pos;
    e->size = pkt->size;
    e->rank = -1;
    e->hevc_tid = -1;
    if (pkt->flags & AV_PKT_FLAG_KEY) e->flags |= E_KEY;
    if (pkt->flags & AV_PKT_FLAG_DISCARD) e->flags |= E_DISCARD;
    int shown = 1;
    if (par->codec_id == AV_CODEC_ID_VP8) shown = pkt->size < 1 || (pkt->data[0] & 0x10);
    else if (par->codec_id == AV_CODEC_ID_VP9) shown = vp9_shown(pkt->data, pkt->size);
    if (shown && !(e->flags & E_DISCARD)) e->flags |= E_FRAME;
    if (hint_safe_codec(par->codec_id)) e->flags |= E_HINT_OK;
    if (par->codec_id == AV_CODEC_ID_HEVC) {
      int type, tid;
      hevc_picture(pkt->data, pkt->size, hevc_len, &type, &tid);
      e->hevc_type = type < 0 ? 0xff : (uint8_t)type;
      e->hevc_tid = (int8_t)tid;
    }
    if (s->buffered && s->buffered_bytes + pkt->size + 256 <= budget) {
      e->pkt = av_packet_alloc();
      if (e->pkt) {
        av_packet_move_ref(e->pkt, pkt);
        s->buffered_bytes += e->pkt->size + 256;
      }
    }
    if (!e->pkt && s->buffered) { /* over budget: the packets will be read again */
      s->buffered = 0;
      for (int64_t i = 0; i < s->n; i++) av_packet_free(&s->e[i].pkt);
    }
    av_packet_unref(pkt);
  }
  s->have_table = 1;
  if (par->codec_id == AV_CODEC_ID_HEVC) {
    /* a sub-layer non-reference picture is unreferenced only in the highest temporal layer */
    int max_tid = -1;
    for (int64_t i = 0; i < s->n; i++) max_tid = s->e[i].hevc_tid > max_tid ? s->e[i].hevc_tid : max_tid;
    for (int64_t i = 0; i < s->n; i++) {
      const entry *e = &s->e[i];
      if (e->hevc_tid >= 0 && e->hevc_tid == max_tid && e->hevc_type <= 14 && !(e->hevc_type & 1))
        s->e[i].flags |= E_HINT_OK;
    }
  }
  return VM_OK;
}

static const vm_sampler *sort_ctx;

static int by_pts(const void *a, const void *b) {
  int64_t x = sort_ctx->e[*(const int64_t *)a].pts, y = sort_ctx->e[*(const int64_t *)b].pts;
  return (x > y) - (x < y);
}

static int by_pos_cmp(const void *a, const void *b) {
  int64_t x = sort_ctx->e[*(const int64_t *)a].pos, y = sort_ctx->e[*(const int64_t *)b].pos;
  return (x > y) - (x < y);
}

static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

static void sort_entries(const vm_sampler *s, int64_t *idx, int64_t n, int (*cmp)(const void *, const void *)) {
  pthread_mutex_lock(&sort_lock); /* qsort has no context argument in C11 */
  sort_ctx = s;
  qsort(idx, (size_t)n, sizeof *idx, cmp);
  sort_ctx = NULL;
  pthread_mutex_unlock(&sort_lock);
}

/* Why the packet table cannot stand in for the decoded frames, or NULL when it can. */
static const char *prediction_unusable(vm_clip *clip, vm_sampler *s) {
  if (s->overflow) return "too many packets to plan";
  if (!codec_predictable(clip->st->codecpar->codec_id)) return "codec";
  if (s->n == 0) return "no packets";
  for (int64_t i = 0; i < s->n; i++)
    if (s->e[i].pts == INT64_MIN) return "packets without pts";
  s->order = av_malloc_array((size_t)s->n, sizeof *s->order);
  if (!s->order) return "memory";
  s->frames = 0;
  for (int64_t i = 0; i < s->n; i++)
    if (s->e[i].flags & E_FRAME) s->order[s->frames++] = i;
  if (!s->frames) return "no frames";
  sort_entries(s, s->order, s->frames, by_pts);
  for (int64_t r = 0; r < s->frames; r++) {
    if (r && s->e[s->order[r]].pts == s->e[s->order[r - 1]].pts) return "duplicate pts";
    s->e[s->order[r]].rank = r;
  }
  int mode = s->spec.mode;
  if (mode == VM_SAMPLE_EVERY || mode == VM_SAMPLE_UNIFORM) {
    /* Frame counts must be exact. What a decoder drops at the start of a stream (pictures
     * before the first key frame, leading pictures of an open GOP) is not predictable. */
    if (!(s->e[0].flags & E_KEY)) return "the stream does not start with a key frame";
    for (int64_t i = 1; i < s->n; i++)
      if ((s->e[i].flags & E_FRAME) && s->e[i].pts < s->e[0].pts) return "leading pictures at the start";
  }
  return NULL;
}

/* Marks the key frames decoding can start from: everything before them in decode order is
 * presented before them, everything after is presented after (no open-GOP leading pictures
 * across them). The first packet always qualifies: a plain decode starts there too. */
static int32_t mark_clean(vm_sampler *s) {
  int64_t *suffix_min = av_malloc_array((size_t)s->n + 1, sizeof *suffix_min);
  if (!suffix_min) return VM_ERR_OUT_OF_MEMORY;
  suffix_min[s->n] = INT64_MAX;
  for (int64_t i = s->n - 1; i >= 0; i--)
    suffix_min[i] = s->e[i].pts < suffix_min[i + 1] ? s->e[i].pts : suffix_min[i + 1];
  int64_t prefix_max = INT64_MIN;
  for (int64_t i = 0; i < s->n; i++) {
    entry *e = &s->e[i];
    if (i == 0 || ((e->flags & E_KEY) && prefix_max < e->pts && suffix_min[i + 1] > e->pts)) e->flags |= E_CLEAN;
    if (e->pts > prefix_max) prefix_max = e->pts;
  }
  av_free(suffix_min);
  return VM_OK;
}

/* Chooses what to send: for each selected frame, the run from the last clean key frame at or
 * before it (in decode order) to it. Runs closer together than the cost of restarting the
 * decoder are joined (decoding the packets between is cheaper than draining the frame
 * threads); the packets between the other runs are dropped, and the decoder is drained and
 * flushed before the next run: a jump. Inside a run, frames that are not selected go to the
 * decoder with AVDISCARD_NONREF where that is safe, so that it skips the ones nothing needs. */
static int32_t plan(vm_clip *clip, vm_sampler *s) {
  int32_t r = mark_clean(s);
  if (r != VM_OK) return r;
  selector sel;
  selector_init(&sel, &s->spec, clip->st->time_base.num, clip->st->time_base.den, clip->info.container_start_us);
  if (s->spec.mode == VM_SAMPLE_UNIFORM) {
    sel.total = 0;
    for (int64_t k = 0; k < s->frames; k++) sel.total += in_window(&sel, s->e[s->order[k]].pts);
  }
  s->sel_ranks = av_malloc_array((size_t)s->frames, sizeof *s->sel_ranks);
  if (!s->sel_ranks) return VM_ERR_OUT_OF_MEMORY;
  for (int64_t k = 0; k < s->frames; k++) {
    entry *e = &s->e[s->order[k]];
    if (selector_push(&sel, e->pts, (e->flags & E_KEY) ? VM_FRAME_KEY : 0)) {
      e->flags |= E_SELECTED;
      s->sel_ranks[s->n_sel++] = k;
    }
  }
  int frame_threads = (clip->dec->active_thread_type & FF_THREAD_FRAME) && clip->dec->thread_count > 1;
  int64_t join_gap = frame_threads ? clip->dec->thread_count : 0;
  int64_t run_start = -1, run_end = -1, clean = 0;
  for (int64_t i = 0; i <= s->n; i++) {
    if (i < s->n && (s->e[i].flags & E_CLEAN)) clean = i;
    if (i < s->n && !(s->e[i].flags & E_SELECTED)) continue;
    if (i < s->n && run_end >= 0 && clean <= run_end + 1 + join_gap) {
      run_end = i;
      continue;
    }
    if (run_end >= 0) {
      for (int64_t k = run_start; k <= run_end; k++) {
        entry *e = &s->e[k];
        e->action = (e->flags & E_SELECTED) ? A_SEND : (e->flags & E_HINT_OK) ? A_HINT : A_SEND;
      }
      if (run_start > 0 && s->e[run_start - 1].action == A_DROP) s->e[run_start].flags |= E_JUMP;
      s->last_needed = run_end;
    }
    if (i < s->n) {
      run_start = clean;
      run_end = i;
    }
  }
  return VM_OK;
}

/* ---- where the packets come from ----------------------------------------------------- */

static int32_t fall_back(vm_clip *clip, const char *why);

/* Back to the first packet: in memory, or by opening the demuxer again. */
static int32_t rewind_source(vm_clip *clip, vm_sampler *s) {
  s->cursor = 0;
  s->jumped_at = -1;
  s->read_idx = 0;
  if (s->have_table && s->buffered) {
    s->src = SRC_TABLE;
    return VM_OK;
  }
  if (s->demux_dirty) {
    int32_t r = vm_clip_reopen_demuxer(clip);
    if (r != VM_OK) return r;
  }
  s->demux_dirty = 1;
  if (!s->have_table) s->src = SRC_DEMUX;
  return VM_OK;
}

static int32_t start_through(vm_clip *clip, vm_sampler *s) {
  s->path = VM_SAMPLE_PATH_THROUGH;
  clip->stats.sample_path = s->path;
  s->keys_only = 0;
  s->counting = s->spec.mode == VM_SAMPLE_UNIFORM;
  selector_init(&s->sel, &s->spec, clip->st->time_base.num, clip->st->time_base.den, clip->info.container_start_us);
  if (s->have_table)
    for (int64_t i = 0; i < s->n; i++) {
      s->e[i].action = A_SEND;
      s->e[i].flags &= (uint16_t)~(E_SENT | E_JUMP);
    }
  s->last_needed = s->n - 1;
  int32_t r = rewind_source(clip, s);
  if (r == VM_OK && s->src == SRC_TABLE && !s->buffered) s->src = SRC_DEMUX; /* no plan to follow */
  return r;
}

static int32_t start(vm_clip *clip, vm_sampler *s) {
  s->started = 1;
  /* each frame carries its packet's opaque: what the decoder returns is checked against the
   * very packet it came from */
  clip->dec->flags |= AV_CODEC_FLAG_COPY_OPAQUE;
  const vm_sampling *sp = &s->spec;
  if (sp->flags & VM_SAMPLING_DECODE_ALL) return start_through(clip, s);
  if (sp->mode == VM_SAMPLE_KEYFRAMES) {
    s->path = VM_SAMPLE_PATH_KEYFRAMES;
    clip->stats.sample_path = s->path;
    s->src = SRC_DEMUX;
    s->keys_only = 1;
    s->demux_dirty = 1;
    selector_init(&s->sel, sp, clip->st->time_base.num, clip->st->time_base.den, clip->info.container_start_us);
    /* Not st->discard = AVDISCARD_NONKEY: FFmpeg's MP4 demuxer then skips samples without
     * advancing its composition offsets, and the key frames after a skipped B frame get
     * another frame's pts. Reading a packet costs a copy; decoding it is what is saved. */
    return VM_OK;
  }
  if (sp->mode == VM_SAMPLE_ALL && !(sp->flags & (VM_SAMPLING_START | VM_SAMPLING_END)))
    return start_through(clip, s); /* only a cap: nothing to plan */
  int64_t t0 = vm_now_ns();
  int32_t r = read_table(clip, s);
  if (r != VM_OK) return r;
  const char *why = prediction_unusable(clip, s);
  if (why) {
    clip->stats.plan_ns += vm_now_ns() - t0;
    return start_through(clip, s);
  }
  r = plan(clip, s);
  clip->stats.plan_ns += vm_now_ns() - t0;
  if (r != VM_OK) {
    vm_clip_fail_own(clip, r, "out of memory while planning");
    return clip->state;
  }
  s->path = VM_SAMPLE_PATH_PLANNED;
  clip->stats.sample_path = s->path;
  s->last_rank = -1;
  r = rewind_source(clip, s);
  s->src = SRC_TABLE;
  return r;
}

static int32_t ensure_started(vm_clip *clip) {
  vm_sampler *s = clip->sampler;
  return s->started ? VM_OK : start(clip, s);
}

/* SRC_TABLE without buffering: find entry j in the file. Reads on from where the demuxer is
 * (dropping what is not wanted), or seeks when the gap is big and lands on or before j. */
static int64_t entry_at_pos(vm_sampler *s, int64_t pos) {
  int64_t lo = 0, hi = s->n - 1;
  while (lo <= hi) {
    int64_t mid = (lo + hi) / 2, p = s->e[s->by_pos[mid]].pos;
    if (p == pos) return s->by_pos[mid];
    if (p < pos) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

static int32_t try_seek(vm_clip *clip, vm_sampler *s, int64_t j, AVPacket *pkt) {
  if (s->no_seek) return 0;
  if (!s->by_pos) {
    s->by_pos = av_malloc_array((size_t)s->n, sizeof *s->by_pos);
    if (!s->by_pos) return 0;
    for (int64_t i = 0; i < s->n; i++) s->by_pos[i] = i;
    sort_entries(s, s->by_pos, s->n, by_pos_cmp);
    for (int64_t i = 0; i < s->n; i++)
      if (s->e[s->by_pos[i]].pos < 0 || (i && s->e[s->by_pos[i]].pos == s->e[s->by_pos[i - 1]].pos)) {
        s->no_seek = 1; /* positions unknown or shared: a landing could not be recognised */
        av_freep(&s->by_pos);
        return 0;
      }
  }
  const entry *e = &s->e[j];
  int64_t ts = e->dts != INT64_MIN && e->dts < e->pts ? e->dts : e->pts;
  if (av_seek_frame(clip->fmt, clip->st->index, ts, AVSEEK_FLAG_BACKWARD) < 0) return 0;
  clip->stats.file_seeks++;
  int32_t r = vm_read_video_packet(clip, pkt);
  if (r < 0) return r;
  int64_t at = r == 1 ? entry_at_pos(s, pkt->pos) : -1;
  if (at < 0 || at > j || s->e[at].pts != (pkt->pts == AV_NOPTS_VALUE ? INT64_MIN : pkt->pts)) {
    av_packet_unref(pkt);
    /* landed somewhere unknown: back to the start, read forward */
    r = vm_clip_reopen_demuxer(clip);
    if (r != VM_OK) return r;
    s->read_idx = 0;
    return 0;
  }
  s->read_idx = at + 1;
  if (at == j) return 1;
  av_packet_unref(pkt);
  return 0;
}

static int32_t fetch_entry(vm_clip *clip, vm_sampler *s, int64_t j, AVPacket *pkt) {
  if (s->read_idx > j) {
    int32_t r = vm_clip_reopen_demuxer(clip);
    if (r != VM_OK) return r;
    s->read_idx = 0;
  }
  if (j > s->read_idx && (s->e[j].flags & E_JUMP) && s->e[s->read_idx].pos >= 0 &&
      s->e[j].pos - s->e[s->read_idx].pos > VM_SAMPLE_SEEK_BYTES) {
    int32_t r = try_seek(clip, s, j, pkt);
    if (r != 0) return r;
  }
  for (;;) {
    int32_t r = vm_read_video_packet(clip, pkt);
    if (r < 0) return r;
    const entry *e = s->read_idx < s->n ? &s->e[s->read_idx] : NULL;
    if (r == 0 || !e || e->pts != (pkt->pts == AV_NOPTS_VALUE ? INT64_MIN : pkt->pts) || e->pos != pkt->pos) {
      av_packet_unref(pkt);
      return -1000; /* the file reads differently the second time */
    }
    if (s->read_idx++ == j) return 1;
    av_packet_unref(pkt);
  }
}

static int32_t next_from_table(vm_clip *clip, vm_sampler *s, AVPacket *pkt) {
  while (s->cursor < s->n && s->cursor <= s->last_needed) {
    entry *e = &s->e[s->cursor];
    if (e->action == A_DROP) {
      clip->stats.packets_skipped++;
      s->cursor++;
      continue;
    }
    if ((e->flags & E_JUMP) && s->jumped_at != s->cursor) {
      s->jumped_at = s->cursor;
      clip->stats.seeks++;
      if (s->sent_since_restart) return VM_SAMPLER_DRAIN;
    }
    if (s->buffered) {
      if (av_packet_ref(pkt, e->pkt) < 0) {
        vm_clip_fail_own(clip, VM_ERR_OUT_OF_MEMORY, "out of memory");
        return clip->state;
      }
    } else {
      int32_t r = fetch_entry(clip, s, s->cursor, pkt);
      if (r == -1000) {
        r = fall_back(clip, "the file read differently the second time");
        if (r != VM_OK) return r;
        return vm_sampler_next_packet(clip, pkt);
      }
      if (r != 1) return r;
    }
    clip->dec->skip_frame = e->action == A_HINT ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
    pkt->opaque = (void *)(intptr_t)(s->cursor + 1);
    e->flags |= E_SENT;
    s->cursor++;
    s->sent_since_restart++;
    return 1;
  }
  if (s->cursor < s->n) {
    clip->stats.packets_skipped += s->n - s->cursor;
    s->cursor = s->n;
    s->stopped_early = 1;
  }
  return 0;
}

static int32_t next_from_demux(vm_clip *clip, vm_sampler *s, AVPacket *pkt) {
  for (;;) {
    int32_t r = vm_read_video_packet(clip, pkt);
    if (r <= 0) return r;
    int64_t pts = pkt->pts == AV_NOPTS_VALUE ? INT64_MIN : pkt->pts;
    /* key frames need nothing else; one that is preroll (an edit list starts after it) is
     * never output, so nothing needs it at all */
    if (s->keys_only && (!(pkt->flags & AV_PKT_FLAG_KEY) || (pkt->flags & AV_PKT_FLAG_DISCARD) ||
                         (pts != INT64_MIN && !in_window(&s->sel, pts)))) {
      clip->stats.packets_skipped++;
      av_packet_unref(pkt);
      continue;
    }
    pkt->opaque = (void *)(intptr_t)(++s->demux_seq);
    if (s->keys_only) {
      int64_t *p = grow(s->pending, &s->pending_cap, 2 * (s->pending_head + s->pending_n + 1));
      if (!p) {
        av_packet_unref(pkt);
        vm_clip_fail_own(clip, VM_ERR_OUT_OF_MEMORY, "out of memory");
        return clip->state;
      }
      s->pending = p;
      s->pending[2 * (s->pending_head + s->pending_n)] = s->demux_seq;
      s->pending[2 * (s->pending_head + s->pending_n) + 1] = pts;
      s->pending_n++;
    }
    clip->dec->skip_frame = AVDISCARD_DEFAULT;
    s->sent_since_restart++;
    return 1;
  }
}

int32_t vm_sampler_next_packet(vm_clip *clip, AVPacket *pkt) {
  vm_sampler *s = clip->sampler;
  if (clip->state != VM_OK) return clip->state;
  int32_t r = ensure_started(clip);
  if (r != VM_OK) return r;
  if (s->counting || s->path != VM_SAMPLE_PATH_PLANNED) {
    if (s->path == VM_SAMPLE_PATH_THROUGH && !s->counting && selector_exhausted(&s->sel)) {
      s->stopped_early = 1;
      return 0;
    }
  }
  return s->src == SRC_TABLE ? next_from_table(clip, s, pkt) : next_from_demux(clip, s, pkt);
}

/* ---- the frames that come out -------------------------------------------------------- */

static int decode_failed(const vm_clip *clip) {
  return clip->stats.decode_errors > 0 || clip->packet_failed;
}

/* Decodes the clip through from the start instead of trusting the plan. */
static int32_t fall_back(vm_clip *clip, const char *why) {
  vm_sampler *s = clip->sampler;
  (void)why;
  clip->stats.fallbacks++;
  if (decode_failed(clip)) s->fell_back_on_errors = 1;
  avcodec_flush_buffers(clip->dec);
  clip->dec->skip_frame = AVDISCARD_DEFAULT;
  clip->flushing = 0;
  vm_clip_reset_decode_counts(clip);
  s->skip_returned = s->returned;
  s->sent_since_restart = 0;
  return start_through(clip, s);
}

int32_t vm_sampler_restart(vm_clip *clip) {
  vm_sampler *s = clip->sampler;
  if (!s->started) return VM_OK; /* nothing was read yet: the first call plans as usual */
  clip->dec->skip_frame = AVDISCARD_DEFAULT;
  clip->flushing = 0;
  s->skip_returned = s->returned;
  s->sent_since_restart = 0;
  s->pending_head = s->pending_n = 0;
  return start_through(clip, s);
}

/* Frames were returned before the prediction failed, and the exact selection differs from
 * them. When frames failed to decode, the clip is corrupt and its frame count was not what the
 * container said: CORRUPT. Otherwise it is a bug. */
static int32_t wrong_frames_returned(vm_clip *clip, vm_sampler *s) {
  if (s->fell_back_on_errors || clip->stats.decode_errors > 0)
    vm_clip_fail_own(clip, VM_ERR_CORRUPT, "frames failed to decode after %" PRId64 " frames were returned, "
                     "chosen from the frames the container declares", s->skip_returned);
  else
    vm_clip_fail_own(clip, VM_ERR_INTERNAL, "sampling returned %" PRId64 " frames that differ from the exact "
                     "selection", s->skip_returned);
  return clip->state;
}

static int32_t deliver(vm_clip *clip, vm_sampler *s, int64_t pts) {
  if (s->path == VM_SAMPLE_PATH_THROUGH && s->sel.picked <= s->skip_returned) {
    /* returned before the fallback: it must be the same frame */
    if (s->returned_pts[s->sel.picked - 1] != pts) return wrong_frames_returned(clip, s);
    return 0;
  }
  int64_t *p = grow(s->returned_pts, &s->returned_cap, s->returned + 1);
  if (!p) {
    vm_clip_fail_own(clip, VM_ERR_OUT_OF_MEMORY, "out of memory");
    return clip->state;
  }
  s->returned_pts = p;
  s->returned_pts[s->returned++] = pts;
  return 1;
}

static int64_t rank_of(const vm_sampler *s, int64_t pts) {
  int64_t lo = 0, hi = s->frames - 1;
  while (lo <= hi) {
    int64_t mid = (lo + hi) / 2, p = s->e[s->order[mid]].pts;
    if (p == pts) return mid;
    if (p < pts) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

int32_t vm_sampler_accept(vm_clip *clip, AVFrame *f) {
  vm_sampler *s = clip->sampler;
  int64_t pts = f->best_effort_timestamp == AV_NOPTS_VALUE ? INT64_MIN : f->best_effort_timestamp;
  uint32_t flags = (f->flags & AV_FRAME_FLAG_KEY) ? VM_FRAME_KEY : 0;
  /* a frame that is decoded but not returned still tells of decoding errors */
  if ((f->flags & AV_FRAME_FLAG_CORRUPT) || f->decode_error_flags) clip->packet_failed = 1;
  switch (s->path) {
    case VM_SAMPLE_PATH_PLANNED: {
      /* the packet it came from: its pts must be the frame's, and FFmpeg's best effort too
       * (when FFmpeg distrusts a stream's pts it uses dts, which sampling cannot reproduce) */
      int64_t k = (intptr_t)f->opaque - 1;
      int64_t r = k >= 0 && k < s->n ? s->e[k].rank : rank_of(s, pts);
      const char *bad = NULL;
      if (r < 0) bad = "a frame with an unexpected timestamp";
      else if (k >= 0 && (f->pts != s->e[k].pts || pts != s->e[k].pts)) bad = "a frame whose pts is not its packet's";
      else if (s->e[s->order[r]].pts != pts) bad = "a frame with an unexpected timestamp";
      else if (!(s->e[s->order[r]].flags & E_SENT)) bad = "a frame from a packet that was not sent";
      else if (r <= s->last_rank) bad = "frames out of presentation order";
      else if (s->next_sel < s->n_sel && s->sel_ranks[s->next_sel] < r) bad = "a selected frame did not come out";
      else if (decode_failed(clip)) bad = "a decoding error";
      if (bad) {
        int32_t st = fall_back(clip, bad);
        return st != VM_OK ? st : 0;
      }
      s->last_rank = r;
      if (s->next_sel < s->n_sel && s->sel_ranks[s->next_sel] == r) {
        s->next_sel++;
        return deliver(clip, s, pts);
      }
      return 0;
    }
    case VM_SAMPLE_PATH_KEYFRAMES: {
      int64_t seq = (intptr_t)f->opaque;
      const int64_t *due = s->pending + 2 * s->pending_head;
      if (!s->pending_n || (seq && seq != due[0]) || due[1] != pts || (f->pts != AV_NOPTS_VALUE && f->pts != pts) ||
          decode_failed(clip)) {
        int32_t st = fall_back(clip, "a key frame did not decode as expected");
        return st != VM_OK ? st : 0;
      }
      s->pending_head++;
      s->pending_n--;
      return selector_push(&s->sel, pts, flags) ? deliver(clip, s, pts) : 0;
    }
    default:
      if (s->counting) {
        s->sel.total += in_window(&s->sel, pts);
        return 0;
      }
      return selector_push(&s->sel, pts, flags) ? deliver(clip, s, pts) : 0;
  }
}

int32_t vm_sampler_drained(vm_clip *clip) {
  vm_sampler *s = clip->sampler;
  int more = 0;
  switch (s->path) {
    case VM_SAMPLE_PATH_PLANNED:
      if ((s->next_sel < s->n_sel && (s->e[s->order[s->sel_ranks[s->next_sel]]].flags & E_SENT)) ||
          decode_failed(clip)) {
        int32_t st = fall_back(clip, "a selected frame did not come out");
        return st != VM_OK ? st : 1;
      }
      more = s->cursor < s->n && s->cursor <= s->last_needed;
      break;
    case VM_SAMPLE_PATH_KEYFRAMES:
      if (s->pending_n || decode_failed(clip)) {
        int32_t st = fall_back(clip, "a key frame did not come out");
        return st != VM_OK ? st : 1;
      }
      return 0;
    default:
      if (s->counting) {
        /* the count is known: decode again and return the frames */
        s->counting = 0;
        int64_t total = s->sel.total;
        avcodec_flush_buffers(clip->dec);
        clip->flushing = 0;
        vm_clip_reset_decode_counts(clip);
        selector_init(&s->sel, &s->spec, clip->st->time_base.num, clip->st->time_base.den,
                      clip->info.container_start_us);
        s->sel.total = total;
        int32_t r = rewind_source(clip, s);
        if (r == VM_OK && s->src == SRC_TABLE && !s->buffered) s->src = SRC_DEMUX;
        return r != VM_OK ? r : 1;
      }
      if (s->sel.picked < s->skip_returned) return wrong_frames_returned(clip, s);
      return 0;
  }
  if (!more) return 0;
  avcodec_flush_buffers(clip->dec);
  clip->flushing = 0;
  s->sent_since_restart = 0;
  return 1;
}

int vm_sampler_done(vm_clip *clip) {
  vm_sampler *s = clip->sampler;
  if (!s->started && ensure_started(clip) != VM_OK) return 0;
  if (clip->state != VM_OK) return 0;
  int done = 0;
  switch (s->path) {
    case VM_SAMPLE_PATH_PLANNED:
      done = s->next_sel >= s->n_sel;
      if (done && s->cursor < s->n) {
        clip->stats.packets_skipped += s->n - s->cursor;
        s->cursor = s->n;
      }
      break;
    case VM_SAMPLE_PATH_KEYFRAMES: done = selector_exhausted(&s->sel); break;
    default:
      done = !s->counting && selector_exhausted(&s->sel) && s->sel.picked >= s->skip_returned;
      break;
  }
  if (done) s->stopped_early = 1;
  return done;
}

int vm_sampler_read_partially(const vm_clip *clip) {
  const vm_sampler *s = clip->sampler;
  return s && (s->path == VM_SAMPLE_PATH_KEYFRAMES || (s->stopped_early && !s->have_table));
}
