package io.vidmill.pipeline;

import io.vidmill.ClipException;
import io.vidmill.decode.Clip;
import io.vidmill.decode.ClipInfo;
import io.vidmill.decode.ClipStats;
import io.vidmill.decode.DecodeResult;
import io.vidmill.decode.FrameBatch;
import io.vidmill.decode.OpenOptions;
import io.vidmill.decode.Status;
import io.vidmill.fetch.FetchException;
import io.vidmill.fetch.Fetched;
import io.vidmill.fetch.Fetcher;
import io.vidmill.manifest.ClipRef;
import io.vidmill.shard.ClipHash;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * What happens to one clip between the manifest and the sink, the same in {@link Run} and
 * {@link Engine}: fetched (with retries for I/O errors), then decoded into a {@link ClipResult}.
 */
final class ClipTask {
  private ClipTask() {}

  /** Handed from fetch to decode: the bytes, or why there are none. */
  record Work(ClipRef ref, ClipHash hash, Fetched fetched, FetchException failure, long fetchNanos,
              int attempts, long deadlineNanos) {}

  /** Tells a decode loop to stop. */
  static final Work END = new Work(null, null, null, null, 0, 0, 0);

  /**
   * Brings the clip's bytes in, retrying I/O errors up to {@code retries} times with jittered
   * exponential back-off inside the clip's time limit; a missing object, a denied read and
   * everything deterministic are final at once.
   */
  static Work fetch(ClipRef ref, ClipHash hash, Fetcher fetcher, Duration clipTimeout, int retries, RunStats stats) {
    long start = System.nanoTime();
    long deadline = start + clipTimeout.toNanos();
    int attempt = 0;
    while (true) {
      attempt++;
      try {
        Fetched f = fetcher.fetch(ref.uri(), deadline);
        stats.bytes.add(f.bytes());
        return new Work(ref, hash, f, null, System.nanoTime() - start, attempt, deadline);
      } catch (FetchException e) {
        long backoff = Math.min(8000, 250L << Math.min(attempt - 1, 5));
        backoff += ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
        if (!e.retryable() || attempt > retries || System.nanoTime() + backoff * 1_000_000 > deadline) {
          return new Work(ref, hash, null, e, System.nanoTime() - start, attempt, deadline);
        }
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return new Work(ref, hash, null, e, System.nanoTime() - start, attempt, deadline);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return interrupted(ref, hash, e, System.nanoTime() - start, attempt, deadline);
      }
    }
  }

  static Work interrupted(ClipRef ref, ClipHash hash, InterruptedException e, long nanos, int attempts, long deadline) {
    return new Work(ref, hash, null, new FetchException(Status.IO, "interrupted", false, e), nanos, attempts, deadline);
  }

  /** Decodes the fetched clip with {@code threads} decoder threads, within what is left of its time limit. */
  static ClipResult decode(Work w, FrameBatch batch, OpenOptions decode, int threads) {
    if (w.failure() != null) {
      return result(w, w.failure().status(), w.failure().getMessage(), ClipInfo.UNKNOWN, null, 0, 0, threads);
    }
    long start = System.nanoTime();
    long left = TimeUnit.NANOSECONDS.toMillis(w.deadlineNanos() - start);
    if (left <= 0) {
      return result(w, Status.TIMEOUT, "the clip's time limit passed while it was being fetched",
          ClipInfo.UNKNOWN, null, 0, 0, threads);
    }
    OpenOptions options = decode.withTimeout(Duration.ofMillis(left)).withThreads(threads);
    try (Clip clip = Clip.open(w.fetched().source(), options)) {
      DecodeResult d = clip.decodeAll(batch, f -> {});
      return result(w, d.status(), d.message(), clip.info(), d.stats(), d.frames(), System.nanoTime() - start, threads);
    } catch (ClipException e) {
      return result(w, e.status(), e.detail(), e.info(), null, 0, System.nanoTime() - start, threads);
    }
  }

  /** The row of a clip; {@code threads} stands in where the decoder never reported its own. */
  static ClipResult result(Work w, Status status, String error, ClipInfo info, ClipStats s, long frames,
                           long decodeStageNanos, int threads) {
    return new ClipResult(w.ref(), w.hash(), status, error, info, frames, s == null ? 0 : s.decodeErrors(),
        s == null ? 0 : s.bytesRead(), w.fetchNanos(), s == null ? decodeStageNanos : s.openNanos(),
        s == null ? 0 : s.demuxNanos(), s == null ? 0 : s.decodeNanos(), s == null ? 0 : s.outputNanos(),
        w.fetchNanos() + decodeStageNanos, w.attempts(), info.backend(), s == null ? threads : s.threads(), Instant.now());
  }
}
