package io.vidmill.decode;

import static io.vidmill.nativelib.Layouts.BATCH;
import static io.vidmill.nativelib.Layouts.FRAME;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.vidmill.nativelib.Layouts;
import io.vidmill.nativelib.Vidmill;
import io.vidmill.ops.FrameStats;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.AbstractList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Caller-owned memory that one {@link Clip#next} call fills with up to {@link #capacity()}
 * frames: one downcall per batch, never per frame. Confined to the thread that allocates it;
 * reuse one batch for every clip a worker decodes.
 */
public final class FrameBatch implements AutoCloseable {
  private static final long WANT = Layouts.offset(BATCH, "want");
  private static final long FRAMES = Layouts.offset(BATCH, "frames");
  private static final long CAPACITY = Layouts.offset(BATCH, "capacity");
  private static final long COUNT = Layouts.offset(BATCH, "count");
  private static final long DATA = Layouts.offset(BATCH, "data");
  private static final long DATA_CAPACITY = Layouts.offset(BATCH, "data_capacity");
  private static final long DATA_NEEDED = Layouts.offset(BATCH, "data_needed");

  private static final long F_PTS = Layouts.offset(FRAME, "pts");
  private static final long F_DTS = Layouts.offset(FRAME, "dts");
  private static final long F_DURATION = Layouts.offset(FRAME, "duration");
  private static final long F_DATA_OFFSET = Layouts.offset(FRAME, "data_offset");
  private static final long F_DATA_SIZE = Layouts.offset(FRAME, "data_size");
  private static final long F_WIDTH = Layouts.offset(FRAME, "width");
  private static final long F_HEIGHT = Layouts.offset(FRAME, "height");
  private static final long F_PIX_FMT = Layouts.offset(FRAME, "pix_fmt");
  private static final long F_FLAGS = Layouts.offset(FRAME, "flags");
  private static final long F_MD5 = Layouts.offset(FRAME, "md5");
  private static final long F_LUMA_MEAN = Layouts.offset(FRAME, "luma_mean");
  private static final long F_LUMA_STD = Layouts.offset(FRAME, "luma_std");
  private static final long F_DARK = Layouts.offset(FRAME, "dark_fraction");
  private static final long F_SHARPNESS = Layouts.offset(FRAME, "sharpness");
  private static final long F_MOTION = Layouts.offset(FRAME, "motion");
  private static final long F_SCENE = Layouts.offset(FRAME, "scene_score");
  private static final long F_DHASH = Layouts.offset(FRAME, "dhash");
  private static final int FLAG_KEY = 1;
  private static final int FLAG_CORRUPT = 2;
  private static final int FLAG_STATS = 4;
  private static final int FLAG_BLACK = 8;
  private static final int FLAG_BLANK = 16;
  private static final int FLAG_SCENE_CUT = 32;
  /** The pixel buffer grows on demand up to this; a frame bigger than it still fits alone. */
  private static final long MAX_DATA_CAPACITY = 256L << 20;

  private static final ConcurrentHashMap<Integer, String> PIX_FMT_NAMES = new ConcurrentHashMap<>();

  private final Arena arena = Arena.ofConfined();
  private Arena dataArena;
  final MemorySegment struct;
  private final MemorySegment frames;
  private final int capacity;
  private final boolean md5;
  private final boolean pixels;
  private MemorySegment data = MemorySegment.NULL;

  private FrameBatch(int capacity, boolean md5, boolean pixels, boolean stats) {
    if (capacity < 1) throw new IllegalArgumentException("capacity must be >= 1");
    this.capacity = capacity;
    this.md5 = md5;
    this.pixels = pixels;
    struct = arena.allocate(BATCH);
    frames = arena.allocate(FRAME, capacity);
    struct.set(JAVA_INT, 0, (int) BATCH.byteSize());
    struct.set(JAVA_INT, WANT, (md5 ? Want.MD5.bit : 0) | (pixels ? Want.PIXELS.bit : 0)
        | (stats ? Want.STATS.bit : 0));
    struct.set(ADDRESS, FRAMES, frames);
    struct.set(JAVA_INT, CAPACITY, capacity);
    struct.set(ADDRESS, DATA, MemorySegment.NULL);
    struct.set(JAVA_LONG, DATA_CAPACITY, 0L);
  }

  /** A batch of up to {@code capacity} frames, with what each frame should carry. */
  public static FrameBatch allocate(int capacity, Want... wants) {
    boolean md5 = false;
    boolean pixels = false;
    boolean stats = false;
    for (Want w : wants) {
      md5 |= w == Want.MD5;
      pixels |= w == Want.PIXELS;
      stats |= w == Want.STATS;
    }
    return new FrameBatch(capacity, md5, pixels, stats);
  }

  public int capacity() {
    return capacity;
  }

  /**
   * Lets the following fills take at most {@code frames} frames (1 to {@link #capacity()}; the
   * capacity lifts the limit): a caller that wants one particular frame on its own, in another
   * batch, ends this one before it.
   */
  public void limit(int frames) {
    if (frames < 1 || frames > capacity) throw new IllegalArgumentException("a limit of 1 to " + capacity + " frames");
    struct.set(JAVA_INT, CAPACITY, frames);
  }

  /** Frames filled by the last {@link Clip#next} call. */
  public int count() {
    return struct.get(JAVA_INT, COUNT);
  }

  /** Frame i (0 <= i < count) of the last fill. */
  public Frame frame(int i) {
    if (i < 0 || i >= count()) throw new IndexOutOfBoundsException(i);
    MemorySegment f = frames.asSlice(i * FRAME.byteSize(), FRAME.byteSize());
    long offset = f.get(JAVA_LONG, F_DATA_OFFSET);
    long size = f.get(JAVA_LONG, F_DATA_SIZE);
    int flags = f.get(JAVA_INT, F_FLAGS);
    return new Frame(
        f.get(JAVA_LONG, F_PTS),
        f.get(JAVA_LONG, F_DTS),
        f.get(JAVA_LONG, F_DURATION),
        size,
        f.get(JAVA_INT, F_WIDTH),
        f.get(JAVA_INT, F_HEIGHT),
        pixFmtName(f.get(JAVA_INT, F_PIX_FMT)),
        (flags & FLAG_KEY) != 0,
        (flags & FLAG_CORRUPT) != 0,
        md5 ? f.asSlice(F_MD5, 16).toArray(JAVA_BYTE) : null,
        pixels && offset >= 0 ? data.asSlice(offset, size) : null,
        (flags & FLAG_STATS) != 0 ? stats(f, flags) : null);
  }

  private static FrameStats stats(MemorySegment f, int flags) {
    return new FrameStats(f.get(JAVA_FLOAT, F_LUMA_MEAN), f.get(JAVA_FLOAT, F_LUMA_STD), f.get(JAVA_FLOAT, F_DARK),
        f.get(JAVA_FLOAT, F_SHARPNESS), f.get(JAVA_FLOAT, F_MOTION), f.get(JAVA_FLOAT, F_SCENE),
        f.get(JAVA_LONG, F_DHASH), (flags & FLAG_BLACK) != 0, (flags & FLAG_BLANK) != 0,
        (flags & FLAG_SCENE_CUT) != 0);
  }

  /** The frames of the last fill, as a list view. */
  public List<Frame> frames() {
    int n = count();
    return new AbstractList<>() {
      @Override
      public Frame get(int i) {
        return frame(i);
      }

      @Override
      public int size() {
        return n;
      }
    };
  }

  /** After BUFFER_TOO_SMALL: make room for at least one frame of this size. */
  void growData() {
    long needed = struct.get(JAVA_LONG, DATA_NEEDED);
    long size = Math.max(needed, Math.min(needed * capacity, MAX_DATA_CAPACITY));
    if (dataArena != null) dataArena.close();
    dataArena = Arena.ofConfined();
    data = dataArena.allocate(size, 64);
    struct.set(ADDRESS, DATA, data);
    struct.set(JAVA_LONG, DATA_CAPACITY, size);
  }

  private static String pixFmtName(int pixFmt) {
    return PIX_FMT_NAMES.computeIfAbsent(pixFmt, Vidmill::vm_pix_fmt_name);
  }

  @Override
  public void close() {
    if (dataArena != null) dataArena.close();
    arena.close();
  }
}
