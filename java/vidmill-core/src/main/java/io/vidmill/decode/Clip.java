package io.vidmill.decode;

import static io.vidmill.nativelib.Layouts.CLIP_AGGREGATES;
import static io.vidmill.nativelib.Layouts.CLIP_INFO;
import static io.vidmill.nativelib.Layouts.CLIP_STATS;
import static io.vidmill.nativelib.Layouts.OPEN_OPTIONS;
import static io.vidmill.nativelib.Layouts.SOURCE;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.vidmill.ClipException;
import io.vidmill.nativelib.Layouts;
import io.vidmill.nativelib.NativeLibrary;
import io.vidmill.nativelib.Vidmill;
import io.vidmill.ops.ClipAggregates;
import io.vidmill.ops.Output;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

/**
 * One open clip ({@code vm_clip}): its description and its frames, in presentation order.
 *
 * <p>Owned by the thread that opened it. Closing it frees the native decoder; any use after
 * close fails with {@link IllegalStateException}, never a crash (the handle lives in a
 * confined arena whose close runs {@code vm_clip_close}).
 *
 * <pre>{@code
 * try (Clip clip = Clip.open(Source.of(path), OpenOptions.DEFAULTS);
 *      FrameBatch batch = FrameBatch.allocate(32, Want.MD5)) {
 *   Status s;
 *   do {
 *     s = clip.next(batch);
 *     for (Frame f : batch.frames()) ...;   // valid frames, also when s is an error
 *   } while (s == Status.OK);
 *   if (s.isError()) ... clip.errorMessage();
 * }
 * }</pre>
 */
public final class Clip implements AutoCloseable {
  private static final long SRC_PATH = Layouts.offset(SOURCE, "path");
  private static final long SRC_DATA = Layouts.offset(SOURCE, "data");
  private static final long SRC_SIZE = Layouts.offset(SOURCE, "size");
  private static final long SRC_NAME = Layouts.offset(SOURCE, "name");
  private static final long OPT_FLAGS = Layouts.offset(OPEN_OPTIONS, "flags");
  private static final long OPT_THREADS = Layouts.offset(OPEN_OPTIONS, "threads");
  private static final long OPT_MAX_PIXELS = Layouts.offset(OPEN_OPTIONS, "max_pixels");
  private static final long OPT_MAX_FRAMES = Layouts.offset(OPEN_OPTIONS, "max_frames");
  private static final long OPT_TIMEOUT = Layouts.offset(OPEN_OPTIONS, "timeout_ms");
  private static final long OPT_DENIED = Layouts.offset(OPEN_OPTIONS, "denied_codecs");
  private static final long OPT_DEVICE = Layouts.offset(OPEN_OPTIONS, "device");
  private static final long OPT_DEVICE_INDEX = Layouts.offset(OPEN_OPTIONS, "device_index");
  private static final int VM_DEVICE_CUDA = 1;
  private static final int FLAG_FULL_PROBE = 1;
  private static final int FLAG_NO_DECODER = 2;

  private final Arena arena;
  private final MemorySegment handle;
  private final MemorySegment infoStruct;
  private final MemorySegment statsStruct;
  private final String name;
  private Status status = Status.OK;

  private Clip(Arena arena, MemorySegment handle, String name) {
    this.arena = arena;
    this.handle = handle;
    this.name = name;
    this.infoStruct = newInfoStruct(arena);
    this.statsStruct = arena.allocate(CLIP_STATS);
    statsStruct.set(JAVA_INT, 0, (int) CLIP_STATS.byteSize());
  }

  /**
   * Opens a clip and its first video stream.
   *
   * @throws ClipException with the status code and message when the clip cannot be opened
   * @throws io.vidmill.NativeUnavailableException when libvidmill did not load
   */
  public static Clip open(Source source, OpenOptions options) {
    return open(source, options, Sampling.ALL);
  }

  /**
   * Opens a clip that returns only the frames {@code sampling} selects, decoding only what
   * they need (see {@link Sampling}).
   *
   * @throws ClipException with the status code and message when the clip cannot be opened
   */
  public static Clip open(Source source, OpenOptions options, Sampling sampling) {
    return open(source, options, sampling, null);
  }

  /**
   * Opens the clip in a decoding process ({@code in}; null: in this one). The clip works the
   * same; a crash of the process fails its calls with {@link Status#CRASHED}, a process that
   * stops answering or outgrows its memory with TIMEOUT or OUT_OF_MEMORY (see {@link
   * io.vidmill.isolate.Worker}).
   *
   * @throws ClipException with the status code and message when the clip cannot be opened
   */
  public static Clip open(Source source, OpenOptions options, Sampling sampling, io.vidmill.isolate.Worker in) {
    NativeLibrary.requireAvailable();
    Arena arena = Arena.ofConfined();
    try {
      MemorySegment src = arena.allocate(SOURCE);
      src.set(JAVA_INT, 0, (int) SOURCE.byteSize());
      switch (source) {
        case Source.File f -> src.set(ADDRESS, SRC_PATH, arena.allocateFrom(f.path().toString()));
        case Source.Memory m -> {
          src.set(ADDRESS, SRC_DATA, m.data());
          src.set(JAVA_LONG, SRC_SIZE, m.data().byteSize());
        }
      }
      src.set(ADDRESS, SRC_NAME, arena.allocateFrom(source.name()));
      MemorySegment opts = arena.allocate(OPEN_OPTIONS);
      opts.set(JAVA_INT, 0, (int) OPEN_OPTIONS.byteSize());
      opts.set(JAVA_INT, OPT_FLAGS, (options.fullProbe() ? FLAG_FULL_PROBE : 0)
          | (options.openDecoder() ? 0 : FLAG_NO_DECODER));
      opts.set(JAVA_INT, OPT_THREADS, options.threads());
      opts.set(JAVA_LONG, OPT_MAX_PIXELS, options.maxPixels());
      opts.set(JAVA_LONG, OPT_MAX_FRAMES, options.maxFrames());
      opts.set(JAVA_LONG, OPT_TIMEOUT, options.timeout().toMillis());
      opts.set(ADDRESS, OPT_DENIED, arena.allocateFrom(options.deniedCodecs()));
      // AUTO and CUDA: the GPU, or the CPU with the reason in the clip's info (the library
      // decides per clip, once per process per GPU)
      int gpu = options.device().gpuForOneClip();
      opts.set(JAVA_INT, OPT_DEVICE, gpu >= 0 ? VM_DEVICE_CUDA : 0);
      opts.set(JAVA_INT, OPT_DEVICE_INDEX, Math.max(0, gpu));
      MemorySegment out = arena.allocate(ADDRESS);
      int rc = in == null ? Vidmill.vm_clip_open(src, opts, out) : Vidmill.vm_clip_open_in(in.handle(), src, opts, out);
      MemorySegment raw = out.get(ADDRESS, 0);
      if (raw.equals(MemorySegment.NULL)) {
        Status s = Status.of(rc);
        throw new ClipException(s, source.name(), s.description(), ClipInfo.UNKNOWN);
      }
      // from here on, closing the arena closes the native clip
      MemorySegment handle = raw.reinterpret(arena, Vidmill::vm_clip_close);
      if (rc != 0) {
        String detail = Vidmill.vm_clip_last_error(handle);
        ClipInfo info = readInfo(handle, newInfoStruct(arena));
        throw new ClipException(Status.of(rc), source.name(), detail, info);
      }
      if (!sampling.selectsEverything()) {
        if (!options.openDecoder()) throw new IllegalArgumentException("sampling needs a decoder");
        MemorySegment s = arena.allocate(Layouts.SAMPLING);
        sampling.writeTo(s);
        int sr = Vidmill.vm_clip_set_sampling(handle, s);
        if (sr != 0) throw new IllegalArgumentException(sampling + ": " + Vidmill.vm_clip_last_error(handle));
      }
      return new Clip(arena, handle, source.name());
    } catch (RuntimeException | Error e) {
      arena.close();
      throw e;
    }
  }

  private static MemorySegment newInfoStruct(Arena arena) {
    MemorySegment s = arena.allocate(CLIP_INFO);
    s.set(JAVA_INT, 0, (int) CLIP_INFO.byteSize());
    return s;
  }

  private static ClipInfo readInfo(MemorySegment handle, MemorySegment struct) {
    int rc = Vidmill.vm_clip_info_get(handle, struct);
    return rc == 0 ? ClipInfo.read(struct) : ClipInfo.UNKNOWN;
  }

  /** The clip's name as given at open (its path for files). */
  public String name() {
    return name;
  }

  /** The description; pix_fmt and bit depth are known at the latest after the first frame. */
  public ClipInfo info() {
    return readInfo(handle, infoStruct);
  }

  /** Counters and timings of the decode so far. */
  public ClipStats stats() {
    Vidmill.vm_clip_stats_get(handle, statsStruct);
    return ClipStats.read(statsStruct);
  }

  /**
   * Decodes the next frames into the batch. Returns OK (more may follow), EOF (the stream
   * ended cleanly) or an error status; the frames in the batch are valid in every case, also
   * the ones decoded before an error. After EOF or an error, further calls return the same
   * status with no frames.
   */
  public Status next(FrameBatch batch) {
    int rc = Vidmill.vm_clip_next(handle, batch.struct);
    while (rc == Status.BUFFER_TOO_SMALL.code()) {
      batch.growData();
      rc = Vidmill.vm_clip_next(handle, batch.struct);
    }
    status = Status.of(rc);
    return status;
  }

  /**
   * Sets how the following frames come out: converted, resized, turned (see {@link Output});
   * {@link Output#NATIVE} for the frames as decoded. May be called between batches.
   *
   * @throws IllegalArgumentException when the library refuses the combination, with its reason
   */
  public void setOutput(Output output) {
    try (Arena tmp = Arena.ofConfined()) {
      int rc = Vidmill.vm_clip_set_output(handle, output.toNative(tmp));
      if (rc != 0) throw new IllegalArgumentException(output + ": " + Vidmill.vm_clip_last_error(handle));
    }
  }

  /** Aggregates of the statistics of the frames returned so far (batches with {@link Want#STATS}). */
  public ClipAggregates aggregates() {
    try (Arena tmp = Arena.ofConfined()) {
      MemorySegment s = tmp.allocate(CLIP_AGGREGATES);
      s.set(JAVA_INT, 0, (int) CLIP_AGGREGATES.byteSize());
      Vidmill.vm_clip_aggregates_get(handle, s);
      return ClipAggregates.read(s);
    }
  }

  /** The last status {@link #next} returned (OK before the first call). */
  public Status status() {
    return status;
  }

  /** The detail of the last failure, "" when none. */
  public String errorMessage() {
    return Vidmill.vm_clip_last_error(handle);
  }

  /** Decodes every remaining frame, handing each to the consumer; returns how it ended. */
  public DecodeResult decodeAll(FrameBatch batch, Consumer<Frame> consumer) {
    long frames = 0;
    Status s;
    do {
      s = next(batch);
      int n = batch.count();
      for (int i = 0; i < n; i++) {
        consumer.accept(batch.frame(i));
      }
      frames += n;
    } while (s == Status.OK);
    return new DecodeResult(s, s.isError() ? errorMessage() : "", frames, stats());
  }

  @Override
  public void close() {
    if (arena.scope().isAlive()) arena.close();
  }
}
