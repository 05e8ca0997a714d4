package io.vidmill.pipeline;

import io.vidmill.decode.OpenOptions;
import io.vidmill.manifest.Manifest;
import io.vidmill.shard.Shard;
import io.vidmill.isolate.Isolation;
import io.vidmill.tune.TuneOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/**
 * Everything {@code vidmill run} needs.
 *
 * @param input a directory, a manifest file, or "-" for stdin
 * @param tuning what the user fixed of decoders, decoder threads, fetches and bytes in flight;
 *     the rest is chosen (and changed during the run) by {@link io.vidmill.tune.Tuner}
 * @param clipTimeout wall-clock limit per clip, fetch and decode together
 * @param retries extra attempts for I/O errors (never for decode errors)
 * @param decode decoder options; its timeout is replaced by what is left of clipTimeout, its
 *     thread count by the tuner's
 * @param commitInterval how often results are made durable (one Parquet part per commit)
 * @param partRows a commit happens at the latest after this many clips
 * @param spec what to make of each clip: sampling, conversion, statistics, dataset outputs
 * @param shardBytes with frames written, the size a tar shard is rolled at
 * @param isolation in this process, or in supervised decoding processes
 */
public record RunOptions(String input, Manifest.Format format, String pathColumn, Set<String> extensions,
                         Path out, Shard shard, TuneOptions tuning,
                         Duration clipTimeout, int retries, OpenOptions decode, Duration commitInterval,
                         int partRows, Progress.Mode progress, Duration logInterval, boolean profile,
                         ClipSpec spec, long shardBytes, Isolation isolation) {
  /** 1 GiB: WebDataset's readers like shards of hundreds of MB to a few GB. */
  public static final long DEFAULT_SHARD_BYTES = 1L << 30;

  public RunOptions {
    java.util.Objects.requireNonNull(isolation, "isolation");
    java.util.Objects.requireNonNull(tuning, "tuning");
    java.util.Objects.requireNonNull(spec, "spec");
    if (retries < 0) throw new IllegalArgumentException("retries must be >= 0");
    if (partRows < 1) throw new IllegalArgumentException("part rows must be >= 1");
    if (shardBytes < 1) throw new IllegalArgumentException("shard size must be > 0");
  }

  /**
   * A plain run: every frame decoded, nothing kept but the results, decoding in this process
   * (library use and tests; the CLI chooses decoding processes).
   */
  public RunOptions(String input, Manifest.Format format, String pathColumn, Set<String> extensions, Path out,
                    Shard shard, TuneOptions tuning, Duration clipTimeout, int retries, OpenOptions decode,
                    Duration commitInterval, int partRows, Progress.Mode progress, Duration logInterval,
                    boolean profile) {
    this(input, format, pathColumn, extensions, out, shard, tuning, clipTimeout, retries, decode, commitInterval,
        partRows, progress, logInterval, profile, ClipSpec.DEFAULT, DEFAULT_SHARD_BYTES, Isolation.NONE);
  }

  public RunOptions withSpec(ClipSpec s, long shardSize) {
    return new RunOptions(input, format, pathColumn, extensions, out, shard, tuning, clipTimeout, retries, decode,
        commitInterval, partRows, progress, logInterval, profile, s, shardSize, isolation);
  }

  public RunOptions withIsolation(Isolation i) {
    return new RunOptions(input, format, pathColumn, extensions, out, shard, tuning, clipTimeout, retries, decode,
        commitInterval, partRows, progress, logInterval, profile, spec, shardBytes, i);
  }
}
