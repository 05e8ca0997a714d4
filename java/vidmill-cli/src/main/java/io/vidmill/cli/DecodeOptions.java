package io.vidmill.cli;

import io.vidmill.decode.OpenOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Decoder options shared by the commands that open clips. */
final class DecodeOptions {
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

  OpenOptions options(int defaultThreads) {
    return OpenOptions.DEFAULTS
        .withThreads(threads != null ? threads : defaultThreads)
        .withMaxPixels(maxPixels)
        .withTimeout(Duration.ofMillis(Math.round(timeoutSeconds * 1000)))
        .withAllowedCodecs(allowCodecs);
  }
}
