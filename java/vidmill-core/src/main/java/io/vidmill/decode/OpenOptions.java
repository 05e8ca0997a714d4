package io.vidmill.decode;

import java.time.Duration;
import java.util.Objects;

/**
 * How a clip is opened.
 *
 * @param threads decoder threads: 0 lets FFmpeg choose (fast for one big clip, costly to start
 *     for small ones), 1 is best when many clips decode side by side
 * @param maxPixels largest frame (width x height) accepted; 0 for the library default
 *     (16384 x 16384)
 * @param maxFrames frames per clip before TOO_LARGE; 0 for no limit
 * @param timeout wall-clock limit from open to the last frame; ZERO for none
 * @param fullProbe always run FFmpeg's stream analysis (needed for r_frame_rate, as ffprobe
 *     reports it); otherwise only when the container header is incomplete
 * @param openDecoder false to describe the clip without opening a decoder
 * @param deniedCodecs codec names refused as UNSUPPORTED_CODEC, comma-separated; "" for none
 * @param device where the clip decodes ({@link Device}); a clip the GPU cannot take decodes
 *     on the CPU and its {@link ClipInfo} says why. DEFAULTS: the CPU; the commands and the
 *     batch engine default to {@link Device#AUTO}
 */
public record OpenOptions(int threads, long maxPixels, long maxFrames, Duration timeout,
                          boolean fullProbe, boolean openDecoder, String deniedCodecs, Device device) {
  /**
   * Refused unless allowed: FFmpeg 7.1's VVC decoder is young, there is no reference output to
   * check it against, and no GPU decodes VVC (VM_DEFAULT_DENIED_CODECS in vidmill.h).
   */
  public static final String DEFAULT_DENIED_CODECS = "vvc";

  public static final OpenOptions DEFAULTS =
      new OpenOptions(0, 0, 0, Duration.ZERO, false, true, DEFAULT_DENIED_CODECS, Device.CPU);

  public OpenOptions {
    if (threads < 0) throw new IllegalArgumentException("threads must be >= 0");
    if (maxPixels < 0 || maxFrames < 0) throw new IllegalArgumentException("limits must be >= 0");
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) throw new IllegalArgumentException("timeout must be >= 0");
    Objects.requireNonNull(deniedCodecs, "deniedCodecs");
    Objects.requireNonNull(device, "device");
  }

  /** The default refusals minus these codecs. */
  public OpenOptions withAllowedCodecs(java.util.Collection<String> allowed) {
    String denied = String.join(",", java.util.Arrays.stream(deniedCodecs.split(","))
        .map(String::strip).filter(c -> !c.isEmpty() && !allowed.contains(c)).toList());
    return withDeniedCodecs(denied);
  }

  public OpenOptions withThreads(int n) {
    return new OpenOptions(n, maxPixels, maxFrames, timeout, fullProbe, openDecoder, deniedCodecs, device);
  }

  public OpenOptions withMaxPixels(long n) {
    return new OpenOptions(threads, n, maxFrames, timeout, fullProbe, openDecoder, deniedCodecs, device);
  }

  public OpenOptions withMaxFrames(long n) {
    return new OpenOptions(threads, maxPixels, n, timeout, fullProbe, openDecoder, deniedCodecs, device);
  }

  public OpenOptions withTimeout(Duration d) {
    return new OpenOptions(threads, maxPixels, maxFrames, d, fullProbe, openDecoder, deniedCodecs, device);
  }

  public OpenOptions withFullProbe(boolean b) {
    return new OpenOptions(threads, maxPixels, maxFrames, timeout, b, openDecoder, deniedCodecs, device);
  }

  public OpenOptions withOpenDecoder(boolean b) {
    return new OpenOptions(threads, maxPixels, maxFrames, timeout, fullProbe, b, deniedCodecs, device);
  }

  public OpenOptions withDevice(Device d) {
    return new OpenOptions(threads, maxPixels, maxFrames, timeout, fullProbe, openDecoder, deniedCodecs, d);
  }

  public OpenOptions withDeniedCodecs(String codecs) {
    return new OpenOptions(threads, maxPixels, maxFrames, timeout, fullProbe, openDecoder, codecs, device);
  }
}
