package io.vidmill.decode;

import static io.vidmill.nativelib.Layouts.CLIP_INFO;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.vidmill.nativelib.Layouts;
import java.lang.foreign.MemorySegment;

/**
 * What a clip is, as far as its container and first frames tell: a copy of {@code
 * vm_clip_info}. {@code truncated} means the container already shows the file is cut short:
 * the frames that are there decode, then decoding ends with TRUNCATED. Unknown numbers are -1 (sizes, durations), 0 (counts, depths) or {@link
 * Long#MIN_VALUE} (timestamps); unknown names are "".
 *
 * <p>{@code backend} is where the clip decodes ("cpu", "cuda:0"); {@code backendFallback} why a
 * clip that asked for a GPU is on the CPU ("" when none: NO_GPU, NO_DECODER, UNSUPPORTED,
 * DECODE_ERROR, GPU_ERROR), {@code backendReason} the same for a person.
 */
public record ClipInfo(
    int streamIndex,
    String container,
    String codec,
    String profile,
    String decoder,
    int width,
    int height,
    String pixFmt,
    int bitDepth,
    int rotation,
    boolean mirror,
    boolean encrypted,
    boolean truncated,
    Rational sampleAspectRatio,
    Rational timeBase,
    Rational avgFrameRate,
    Rational guessedFrameRate,
    long startTime,
    long containerStartMicros,
    long durationMicros,
    long declaredFrames,
    long sizeBytes,
    long bitRate,
    String colorRange,
    String colorSpace,
    String colorPrimaries,
    String colorTransfer,
    String backend,
    String backendFallback,
    String backendReason) {

  /** Nothing known. */
  public static final ClipInfo UNKNOWN = new ClipInfo(-1, "", "", "", "", 0, 0, "", 0, 0, false,
      false, false, Rational.UNKNOWN, Rational.UNKNOWN, Rational.UNKNOWN, Rational.UNKNOWN,
      Long.MIN_VALUE, Long.MIN_VALUE, -1, 0, -1, 0, "", "", "", "", "cpu", "", "");

  private static final long STREAM_INDEX = Layouts.offset(CLIP_INFO, "stream_index");
  private static final long WIDTH = Layouts.offset(CLIP_INFO, "width");
  private static final long HEIGHT = Layouts.offset(CLIP_INFO, "height");
  private static final long BIT_DEPTH = Layouts.offset(CLIP_INFO, "bit_depth");
  private static final long ROTATION = Layouts.offset(CLIP_INFO, "rotation");
  private static final long MIRROR = Layouts.offset(CLIP_INFO, "mirror");
  private static final long ENCRYPTED = Layouts.offset(CLIP_INFO, "encrypted");
  private static final long TRUNCATED = Layouts.offset(CLIP_INFO, "truncated");
  private static final long SAR_NUM = Layouts.offset(CLIP_INFO, "sar_num");
  private static final long TB_NUM = Layouts.offset(CLIP_INFO, "time_base_num");
  private static final long AVG_NUM = Layouts.offset(CLIP_INFO, "avg_frame_rate_num");
  private static final long GUESS_NUM = Layouts.offset(CLIP_INFO, "guessed_frame_rate_num");
  private static final long START_TIME = Layouts.offset(CLIP_INFO, "start_time");
  private static final long CONTAINER_START = Layouts.offset(CLIP_INFO, "container_start_us");
  private static final long DURATION = Layouts.offset(CLIP_INFO, "duration_us");
  private static final long DECLARED = Layouts.offset(CLIP_INFO, "declared_frames");
  private static final long SIZE = Layouts.offset(CLIP_INFO, "size_bytes");
  private static final long BIT_RATE = Layouts.offset(CLIP_INFO, "bit_rate");
  private static final long BACKEND = Layouts.offset(CLIP_INFO, "backend");
  private static final long BACKEND_DEVICE = Layouts.offset(CLIP_INFO, "backend_device");
  private static final long BACKEND_FALLBACK = Layouts.offset(CLIP_INFO, "backend_fallback");
  private static final Layouts.Chars CONTAINER = Layouts.chars(CLIP_INFO, "container");
  private static final Layouts.Chars CODEC = Layouts.chars(CLIP_INFO, "codec");
  private static final Layouts.Chars PROFILE = Layouts.chars(CLIP_INFO, "profile");
  private static final Layouts.Chars DECODER = Layouts.chars(CLIP_INFO, "decoder");
  private static final Layouts.Chars PIX_FMT_NAME = Layouts.chars(CLIP_INFO, "pix_fmt_name");
  private static final Layouts.Chars COLOR_RANGE = Layouts.chars(CLIP_INFO, "color_range");
  private static final Layouts.Chars COLOR_SPACE = Layouts.chars(CLIP_INFO, "color_space");
  private static final Layouts.Chars COLOR_PRIMARIES = Layouts.chars(CLIP_INFO, "color_primaries");
  private static final Layouts.Chars COLOR_TRANSFER = Layouts.chars(CLIP_INFO, "color_transfer");
  private static final Layouts.Chars BACKEND_REASON = Layouts.chars(CLIP_INFO, "backend_reason");

  /** Reads a filled vm_clip_info. */
  static ClipInfo read(MemorySegment s) {
    return new ClipInfo(
        s.get(JAVA_INT, STREAM_INDEX),
        CONTAINER.read(s),
        CODEC.read(s),
        PROFILE.read(s),
        DECODER.read(s),
        s.get(JAVA_INT, WIDTH),
        s.get(JAVA_INT, HEIGHT),
        PIX_FMT_NAME.read(s),
        s.get(JAVA_INT, BIT_DEPTH),
        s.get(JAVA_INT, ROTATION),
        s.get(JAVA_INT, MIRROR) != 0,
        s.get(JAVA_INT, ENCRYPTED) != 0,
        s.get(JAVA_INT, TRUNCATED) != 0,
        rational(s, SAR_NUM),
        rational(s, TB_NUM),
        rational(s, AVG_NUM),
        rational(s, GUESS_NUM),
        s.get(JAVA_LONG, START_TIME),
        s.get(JAVA_LONG, CONTAINER_START),
        s.get(JAVA_LONG, DURATION),
        s.get(JAVA_LONG, DECLARED),
        s.get(JAVA_LONG, SIZE),
        s.get(JAVA_LONG, BIT_RATE),
        COLOR_RANGE.read(s),
        COLOR_SPACE.read(s),
        COLOR_PRIMARIES.read(s),
        COLOR_TRANSFER.read(s),
        s.get(JAVA_INT, BACKEND) == 1 ? "cuda:" + s.get(JAVA_INT, BACKEND_DEVICE) : "cpu",
        fallbackName(s.get(JAVA_INT, BACKEND_FALLBACK)),
        BACKEND_REASON.read(s));
  }

  private static final java.util.concurrent.ConcurrentHashMap<Integer, String> FALLBACK_NAMES =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** vm_fallback_name, asked once per code (every clip of a CPU-only machine has NO_GPU). */
  private static String fallbackName(int code) {
    return code == 0 ? "" : FALLBACK_NAMES.computeIfAbsent(code, io.vidmill.nativelib.Vidmill::vm_fallback_name);
  }

  /** Whether the clip decoded on a GPU. */
  public boolean onGpu() {
    return backend.startsWith("cuda");
  }

  private static Rational rational(MemorySegment s, long numOffset) {
    return new Rational(s.get(JAVA_INT, numOffset), s.get(JAVA_INT, numOffset + 4));
  }

  /** Duration in seconds, or NaN when unknown. */
  public double durationSeconds() {
    return durationMicros < 0 ? Double.NaN : durationMicros / 1e6;
  }
}
