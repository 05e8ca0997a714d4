package io.vidmill.decode;

import static io.vidmill.nativelib.Layouts.CLIP_INFO;
import static io.vidmill.nativelib.Layouts.SAMPLING;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.vidmill.nativelib.Layouts;
import io.vidmill.nativelib.NativeLibrary;
import io.vidmill.nativelib.Vidmill;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Which frames of a clip to return ({@code vm_sampling}). The frames are exactly those that
 * decoding every frame and then applying {@link #select} would give; vidmill decodes only what
 * they depend on. The rules (docs/sampling.md):
 *
 * <ul>
 *   <li>{@code all}: every frame;</li>
 *   <li>{@code every=N}: frames 0, N, 2N, ... counted from the first frame in the window;</li>
 *   <li>{@code fps=K}: K targets per second at start + k/K (start 0 without a window), each
 *       picking the first frame whose timestamp is at or after it; a frame picked by several
 *       targets is returned once. By timestamps only, so right on variable frame rate;</li>
 *   <li>{@code uniform=N}: N frames at the centres of N equal runs of the frames in the window
 *       (by frame count; the container's duration is never used); all of them when there are
 *       N or fewer;</li>
 *   <li>{@code keyframes}: the frames the decoder marks as key frames; only those are
 *       decoded.</li>
 * </ul>
 * Times are clip time: seconds from the container's start, as ffmpeg and framemd5 count them.
 * The window is [start, end); {@code maxFrames} caps the frames returned (the clip then ends
 * cleanly, unlike {@link OpenOptions#maxFrames()}, a limit that fails it).
 *
 * @param mode the rule
 * @param n the step ({@code every}) or the number of frames ({@code uniform}); 0 otherwise
 * @param rate frames per second ({@code fps}), else {@link Rational#UNKNOWN}
 * @param start window start, or null for none
 * @param end window end (exclusive), or null for none
 * @param maxFrames at most this many frames; 0 for no cap
 * @param decodeAll decode every packet and select afterwards (the reference; benchmarks)
 * @param bufferBytes packets kept in memory between planning and decoding: 0 for the library's
 *     default (64 MiB), -1 for none (read twice, seeking over far gaps)
 */
public record Sampling(Mode mode, long n, Rational rate, Duration start, Duration end, long maxFrames,
                       boolean decodeAll, long bufferBytes) {

  /** The rule, as in {@code vm_sample_mode}. */
  public enum Mode {
    ALL(0), EVERY(1), FPS(2), UNIFORM(3), KEYFRAMES(4);

    final int code;

    Mode(int code) {
      this.code = code;
    }
  }

  /** How a sampled clip was decoded ({@code vm_sample_path}). */
  public enum Path {
    /** No sampling: every frame returned. */
    NONE,
    /** Every packet decoded, frames selected as they came out. */
    THROUGH,
    /** Only what the selected frames needed was decoded. */
    PLANNED,
    /** Only the key frames were decoded. */
    KEYFRAMES;

    static Path of(int code) {
      return code >= 0 && code < values().length ? values()[code] : NONE;
    }
  }

  public static final Sampling ALL = new Sampling(Mode.ALL, 0, Rational.UNKNOWN, null, null, 0, false, 0);

  private static final long MODE = Layouts.offset(SAMPLING, "mode");
  private static final long FLAGS = Layouts.offset(SAMPLING, "flags");
  private static final long RATE_NUM = Layouts.offset(SAMPLING, "rate_num");
  private static final long RATE_DEN = Layouts.offset(SAMPLING, "rate_den");
  private static final long N = Layouts.offset(SAMPLING, "n");
  private static final long START = Layouts.offset(SAMPLING, "start_us");
  private static final long END = Layouts.offset(SAMPLING, "end_us");
  private static final long MAX = Layouts.offset(SAMPLING, "max_frames");
  private static final long BUFFER = Layouts.offset(SAMPLING, "buffer_bytes");
  private static final int FLAG_START = 1;
  private static final int FLAG_END = 2;
  private static final int FLAG_DECODE_ALL = 4;

  public Sampling {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(rate, "rate");
    switch (mode) {
      case EVERY, UNIFORM -> {
        if (n < 1) throw new IllegalArgumentException(mode.name().toLowerCase(Locale.ROOT) + " needs N >= 1");
      }
      case FPS -> {
        if (rate.num() < 1 || rate.den() < 1) throw new IllegalArgumentException("fps needs a rate > 0");
      }
      default -> { }
    }
    if (maxFrames < 0) throw new IllegalArgumentException("max frames must be >= 0");
    if (bufferBytes < -1) throw new IllegalArgumentException("buffer bytes must be -1, 0 or positive");
    if (start != null && end != null && end.compareTo(start) <= 0)
      throw new IllegalArgumentException("the end (" + seconds(end) + " s) must come after the start (" + seconds(start) + " s)");
  }

  /**
   * Parses {@code all}, {@code every=N}, {@code fps=K} (K a decimal such as 7.5, or a fraction
   * such as 30000/1001), {@code uniform=N} or {@code keyframes}.
   *
   * @throws IllegalArgumentException with what is wrong and the accepted forms
   */
  public static Sampling parse(String spec) {
    String s = spec.strip().toLowerCase(Locale.ROOT);
    int eq = s.indexOf('=');
    String name = eq < 0 ? s : s.substring(0, eq);
    String arg = eq < 0 ? null : s.substring(eq + 1).strip();
    try {
      Sampling r = switch (name) {
        case "all" -> arg == null ? ALL : null;
        case "keyframes" -> arg == null ? of(Mode.KEYFRAMES, 0, Rational.UNKNOWN) : null;
        case "every" -> arg == null ? null : of(Mode.EVERY, Long.parseLong(arg), Rational.UNKNOWN);
        case "uniform" -> arg == null ? null : of(Mode.UNIFORM, Long.parseLong(arg), Rational.UNKNOWN);
        case "fps" -> arg == null ? null : of(Mode.FPS, 0, parseRate(arg));
        default -> null;
      };
      if (r != null) return r;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad number in sampling '" + spec + "'" + FORMS);
    }
    throw new IllegalArgumentException("unknown sampling '" + spec + "'" + FORMS);
  }

  /** A rule without window or cap: {@code of(Mode.EVERY, 3, Rational.UNKNOWN)}, {@code of(Mode.FPS, 0, rate)}. */
  public static Sampling of(Mode mode, long n, Rational rate) {
    return new Sampling(mode, n, rate, null, null, 0, false, 0);
  }

  private static final String FORMS = ": use all, every=N, fps=K (7.5, 30000/1001), uniform=N or keyframes";

  /** "7.5" as 15/2, "30000/1001" as is; reduced, and it must fit FFmpeg's 32-bit fractions. */
  static Rational parseRate(String text) {
    BigInteger num;
    BigInteger den;
    int slash = text.indexOf('/');
    if (slash >= 0) {
      num = new BigInteger(text.substring(0, slash).strip());
      den = new BigInteger(text.substring(slash + 1).strip());
    } else {
      BigDecimal d = new BigDecimal(text);
      if (d.scale() > 9) throw new IllegalArgumentException("fps=" + text + ": at most 9 decimals");
      BigDecimal scaled = d.movePointRight(Math.max(d.scale(), 0));
      num = scaled.toBigIntegerExact();
      den = BigInteger.TEN.pow(Math.max(d.scale(), 0));
    }
    if (num.signum() <= 0 || den.signum() <= 0) throw new IllegalArgumentException("fps=" + text + ": the rate must be > 0");
    BigInteger g = num.gcd(den);
    num = num.divide(g);
    den = den.divide(g);
    if (num.bitLength() > 31 || den.bitLength() > 31) throw new IllegalArgumentException("fps=" + text + ": too precise");
    return new Rational(num.intValueExact(), den.intValueExact());
  }

  /** The window [start, end); either may be null (open on that side). */
  public Sampling withWindow(Duration from, Duration to) {
    return new Sampling(mode, n, rate, from, to, maxFrames, decodeAll, bufferBytes);
  }

  public Sampling withMaxFrames(long v) {
    return new Sampling(mode, n, rate, start, end, v, decodeAll, bufferBytes);
  }

  public Sampling withDecodeAll(boolean b) {
    return new Sampling(mode, n, rate, start, end, maxFrames, b, bufferBytes);
  }

  public Sampling withBufferBytes(long v) {
    return new Sampling(mode, n, rate, start, end, maxFrames, decodeAll, v);
  }

  /** Every frame, no window, no cap: the plain decode, nothing to set. */
  public boolean selectsEverything() {
    return mode == Mode.ALL && start == null && end == null && maxFrames == 0;
  }

  /** The rule as {@link #parse} reads it ("fps=7.5", "every=3"), without window or cap. */
  public String spec() {
    return switch (mode) {
      case ALL -> "all";
      case KEYFRAMES -> "keyframes";
      case EVERY -> "every=" + n;
      case UNIFORM -> "uniform=" + n;
      case FPS -> "fps=" + rateText(rate);
    };
  }

  private static String rateText(Rational r) {
    try {
      return new BigDecimal(r.num()).divide(new BigDecimal(r.den()), MathContext.UNLIMITED).stripTrailingZeros()
          .toPlainString();
    } catch (ArithmeticException nonTerminating) {
      return r.num() + "/" + r.den();
    }
  }

  /** The rule with its window and cap, for messages and logs: "fps=1 [2, 8) s, at most 5". */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder(spec());
    if (start != null || end != null)
      b.append(" [").append(start == null ? "" : seconds(start)).append(", ").append(end == null ? "" : seconds(end))
          .append(") s");
    if (maxFrames > 0) b.append(", at most ").append(maxFrames);
    if (decodeAll) b.append(", decoding all");
    return b.toString();
  }

  private static String seconds(Duration d) {
    return BigDecimal.valueOf(d.toNanos(), 9).stripTrailingZeros().toPlainString();
  }

  /** Microseconds, as vm_sampling counts them (rounded to the nearest). */
  private static long micros(Duration d) {
    return Math.round(d.toNanos() / 1000.0);
  }

  void writeTo(MemorySegment s) {
    s.fill((byte) 0);
    s.set(JAVA_INT, 0, (int) SAMPLING.byteSize());
    s.set(JAVA_INT, MODE, mode.code);
    s.set(JAVA_INT, FLAGS, (start != null ? FLAG_START : 0) | (end != null ? FLAG_END : 0)
        | (decodeAll ? FLAG_DECODE_ALL : 0));
    s.set(JAVA_INT, RATE_NUM, rate.num());
    s.set(JAVA_INT, RATE_DEN, rate.den());
    s.set(JAVA_LONG, N, n);
    s.set(JAVA_LONG, START, start == null ? 0 : micros(start));
    s.set(JAVA_LONG, END, end == null ? 0 : micros(end));
    s.set(JAVA_LONG, MAX, maxFrames);
    s.set(JAVA_LONG, BUFFER, bufferBytes);
  }

  /**
   * The rule itself ({@code vm_sampling_select}): which of the frames a plain decode of the clip
   * returned (all of them, in order) this sampling selects. This is the reference a sampled
   * decode is equal to.
   */
  public boolean[] select(ClipInfo info, List<Frame> frames) {
    NativeLibrary.requireAvailable();
    int count = frames.size();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment s = arena.allocate(SAMPLING);
      writeTo(s);
      MemorySegment i = arena.allocate(CLIP_INFO);
      i.set(JAVA_INT, 0, (int) CLIP_INFO.byteSize());
      i.set(JAVA_INT, Layouts.offset(CLIP_INFO, "time_base_num"), info.timeBase().num());
      i.set(JAVA_INT, Layouts.offset(CLIP_INFO, "time_base_den"), info.timeBase().den());
      i.set(JAVA_LONG, Layouts.offset(CLIP_INFO, "container_start_us"), info.containerStartMicros());
      MemorySegment pts = arena.allocate(JAVA_LONG, Math.max(count, 1));
      MemorySegment flags = arena.allocate(JAVA_INT, Math.max(count, 1));
      MemorySegment selected = arena.allocate(JAVA_BYTE, Math.max(count, 1));
      for (int k = 0; k < count; k++) {
        Frame f = frames.get(k);
        pts.setAtIndex(JAVA_LONG, k, f.pts());
        flags.setAtIndex(JAVA_INT, k, (f.keyFrame() ? 1 : 0) | (f.corrupt() ? 2 : 0));
      }
      long n = Vidmill.vm_sampling_select(s, i, pts, flags, count, selected);
      if (n < 0) throw new IllegalStateException("vm_sampling_select failed: " + Status.of((int) n));
      boolean[] out = new boolean[count];
      for (int k = 0; k < count; k++) out[k] = selected.get(JAVA_BYTE, k) != 0;
      return out;
    }
  }
}
