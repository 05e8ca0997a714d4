package io.vidmill.cli;

import io.vidmill.decode.OpenOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Decoder options shared by the commands that open clips. */
final class DecodeOptions {
  /** Ten years: the longest time limit taken (longer ones overflow nanosecond clocks). */
  static final double MAX_SECONDS = 10 * 365.25 * 86400;

  @Spec(Spec.Target.MIXEE) CommandSpec spec;

  @Option(names = "--threads", paramLabel = "N",
      description = "Decoder threads per clip; 0 = FFmpeg's choice (default: 0, and 1 for run, which "
          + "decodes many clips side by side).")
  Integer threads;

  @Option(names = "--timeout", paramLabel = "SECONDS",
      description = "Wall-clock limit per clip; 0 = none (default: ${DEFAULT-VALUE}).")
  double timeoutSeconds = 600;

  @Option(names = "--max-pixels", paramLabel = "N",
      description = "Largest frame (width x height) accepted; 0 = library default (16384x16384).")
  long maxPixels = 0;

  @Option(names = "--allow-codec", paramLabel = "CODEC",
      description = "Decode a codec vidmill refuses by default (" + OpenOptions.DEFAULT_DENIED_CODECS + ").")
  List<String> allowCodecs = new ArrayList<>();

  OpenOptions options() {
    return options(0);
  }

  /** The options; a ParameterException (a usage error, exit 2) for a value out of range. */
  OpenOptions options(int defaultThreads) {
    if (threads != null && threads < 0) throw new ParameterException(spec.commandLine(), "--threads must be >= 0");
    if (maxPixels < 0) throw new ParameterException(spec.commandLine(), "--max-pixels must be >= 0");
    return OpenOptions.DEFAULTS
        .withThreads(threads != null ? threads : defaultThreads)
        .withMaxPixels(maxPixels)
        .withTimeout(seconds(spec, "--timeout", timeoutSeconds, true))
        .withAllowedCodecs(allowCodecs);
  }

  /** SECONDS of an option as a Duration: a finite number, >= 0 (or > 0), at most ten years. */
  static Duration seconds(CommandSpec spec, String option, double value, boolean zeroAllowed) {
    if (!(value >= 0 && value <= MAX_SECONDS) || (!zeroAllowed && value == 0)) {
      throw new ParameterException(spec.commandLine(), option + " must be a number of seconds "
          + (zeroAllowed ? ">= 0" : "> 0") + " (at most ten years), not " + value);
    }
    // a positive limit stays one (a millisecond at least: 0 ms would mean none)
    return value == 0 ? Duration.ZERO : Duration.ofNanos(Math.max(1_000_000, Math.round(value * 1e9)));
  }
}
