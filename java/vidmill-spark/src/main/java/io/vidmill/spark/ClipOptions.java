package io.vidmill.spark;

import io.vidmill.decode.OpenOptions;
import io.vidmill.pipeline.Engine;
import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * How {@link VidmillSpark#process} reads a Dataset of clips and runs the engine on executors.
 * Serializable: it travels to the executors with the task.
 *
 * @param pathColumn the column with each clip's path or URI (local, file:, s3://, s3a://,
 *     http(s)://)
 * @param keyColumn the column naming each clip in the results; null, or a column the input
 *     lacks: the path as written (as in vidmill run)
 * @param baseDir where relative paths are resolved (null: they must be absolute or URIs)
 * @param threadsPerClip decoder threads per clip (1: many clips side by side, the fast
 *     arrangement for short clips; 0 lets FFmpeg choose)
 * @param clipTimeoutSeconds wall-clock limit per clip, fetch and decode together
 * @param retries extra attempts after an I/O error (never after a decode error)
 * @param maxBytesInFlight cap on fetched bytes held in memory per executor
 * @param fetchConcurrency clips fetched at once per executor; 0 for max(8, 2 x executor cores)
 * @param maxPixels largest frame accepted; 0 for the library default
 * @param deniedCodecs codecs refused as UNSUPPORTED_CODEC, comma-separated
 */
public record ClipOptions(String pathColumn, String keyColumn, String baseDir, int threadsPerClip,
                          double clipTimeoutSeconds, int retries, long maxBytesInFlight, int fetchConcurrency,
                          long maxPixels, String deniedCodecs) implements Serializable {
  public ClipOptions {
    Objects.requireNonNull(pathColumn, "pathColumn");
    Objects.requireNonNull(deniedCodecs, "deniedCodecs");
    if (clipTimeoutSeconds <= 0) throw new IllegalArgumentException("the clip timeout must be > 0");
    if (threadsPerClip < 0 || retries < 0 || maxBytesInFlight < 1 || fetchConcurrency < 0 || maxPixels < 0) {
      throw new IllegalArgumentException("threads, retries, fetch concurrency, max pixels >= 0; bytes in flight >= 1");
    }
  }

  /** vidmill run's defaults, for clips named by {@code pathColumn}. */
  public static ClipOptions of(String pathColumn) {
    return new ClipOptions(pathColumn, "key", null, 1, 300, 3, 512L << 20, 0, 0, OpenOptions.DEFAULT_DENIED_CODECS);
  }

  public ClipOptions withKeyColumn(String column) {
    return new ClipOptions(pathColumn, column, baseDir, threadsPerClip, clipTimeoutSeconds, retries, maxBytesInFlight,
        fetchConcurrency, maxPixels, deniedCodecs);
  }

  public ClipOptions withBaseDir(String dir) {
    return new ClipOptions(pathColumn, keyColumn, dir, threadsPerClip, clipTimeoutSeconds, retries, maxBytesInFlight,
        fetchConcurrency, maxPixels, deniedCodecs);
  }

  public ClipOptions withDecoding(int threads, double timeoutSeconds, int retries, long maxPixels, String denied) {
    return new ClipOptions(pathColumn, keyColumn, baseDir, threads, timeoutSeconds, retries, maxBytesInFlight,
        fetchConcurrency, maxPixels, denied);
  }

  public ClipOptions withFetching(long maxBytesInFlight, int fetchConcurrency) {
    return new ClipOptions(pathColumn, keyColumn, baseDir, threadsPerClip, clipTimeoutSeconds, retries, maxBytesInFlight,
        fetchConcurrency, maxPixels, deniedCodecs);
  }

  /** The engine of an executor with {@code cores} cores. */
  Engine.Options engineOptions(int cores) {
    // the task's GPUs where they decode (the engine takes Spark's GPU addresses), else the CPU
    OpenOptions open = OpenOptions.DEFAULTS.withThreads(threadsPerClip).withMaxPixels(maxPixels)
        .withDeniedCodecs(deniedCodecs).withDevice(io.vidmill.decode.Device.AUTO);
    return new Engine.Options(cores, fetchConcurrency > 0 ? fetchConcurrency : Math.max(8, 2 * cores),
        maxBytesInFlight, Duration.ofMillis(Math.round(clipTimeoutSeconds * 1000)), retries, open);
  }
}
