package io.vidmill.pipeline;

import io.vidmill.decode.OpenOptions;
import io.vidmill.manifest.Manifest;
import io.vidmill.shard.Shard;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/**
 * Everything {@code vidmill run} needs.
 *
 * @param input a directory, a manifest file, or "-" for stdin
 * @param workers clips decoded at once (decode threads)
 * @param fetchConcurrency clips being fetched at once
 * @param maxBytesInFlight cap on fetched bytes held in memory
 * @param clipTimeout wall-clock limit per clip, fetch and decode together
 * @param retries extra attempts for I/O errors (never for decode errors)
 * @param decode decoder options; its timeout is replaced by what is left of clipTimeout
 * @param commitInterval how often results are made durable (one Parquet part per commit)
 * @param partRows a commit happens at the latest after this many clips
 */
public record RunOptions(String input, Manifest.Format format, String pathColumn, Set<String> extensions,
                         Path out, Shard shard, int workers, int fetchConcurrency, long maxBytesInFlight,
                         Duration clipTimeout, int retries, OpenOptions decode, Duration commitInterval,
                         int partRows, Progress.Mode progress, Duration logInterval, boolean profile) {
  public RunOptions {
    if (workers < 1 || fetchConcurrency < 1) throw new IllegalArgumentException("workers and fetch concurrency must be >= 1");
    if (maxBytesInFlight < 1) throw new IllegalArgumentException("max bytes in flight must be >= 1");
    if (retries < 0) throw new IllegalArgumentException("retries must be >= 0");
    if (partRows < 1) throw new IllegalArgumentException("part rows must be >= 1");
  }
}
