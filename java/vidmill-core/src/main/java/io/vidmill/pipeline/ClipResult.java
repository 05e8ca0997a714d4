package io.vidmill.pipeline;

import io.vidmill.dataset.ClipFrames;
import io.vidmill.decode.ClipInfo;
import io.vidmill.decode.ClipStats;
import io.vidmill.decode.Status;
import io.vidmill.manifest.ClipRef;
import io.vidmill.ops.ClipAggregates;
import io.vidmill.shard.ClipHash;
import java.time.Instant;

/**
 * What happened to one clip: a row of OUT/clips/*.parquet (and of failures.jsonl when it
 * failed). Times are nanoseconds; stage times are those of the successful attempt.
 *
 * @param status EOF for a clip decoded to its end, else the error code
 * @param info what is known about the clip (UNKNOWN when it could not be opened)
 * @param framesDecoded frames the decoder output (with sampling, more than were returned)
 * @param framesReturned frames the sampling selected and returned
 * @param stats the decoder's counters (sampling: packets skipped, seeks, ...); null when the
 *     clip never reached a decoder
 * @param encodeNanos time spent encoding and spooling the clip's frames for the dataset
 * @param aggregates per-clip aggregates of the frame statistics; null without statistics
 * @param frames what the clip gives the dataset (its spooled tar members, a record per frame);
 *     null when nothing is kept of its frames, and for a failed clip
 */
public record ClipResult(ClipRef ref, ClipHash hash, Status status, String error, ClipInfo info,
                         long framesDecoded, long decodeErrors, long bytesRead, long fetchNanos,
                         long openNanos, long demuxNanos, long decodeNanos, long outputNanos,
                         long totalNanos, int attempts, String backend, int threads, Instant finishedAt,
                         long framesReturned, ClipStats stats, long encodeNanos, ClipAggregates aggregates,
                         ClipFrames frames) {
  /** A result without sampling figures, statistics or dataset frames (every frame decoded was returned). */
  public ClipResult(ClipRef ref, ClipHash hash, Status status, String error, ClipInfo info, long framesDecoded,
                    long decodeErrors, long bytesRead, long fetchNanos, long openNanos, long demuxNanos,
                    long decodeNanos, long outputNanos, long totalNanos, int attempts, String backend, int threads,
                    Instant finishedAt) {
    this(ref, hash, status, error, info, framesDecoded, decodeErrors, bytesRead, fetchNanos, openNanos, demuxNanos,
        decodeNanos, outputNanos, totalNanos, attempts, backend, threads, finishedAt, framesDecoded, null, 0, null,
        null);
  }

  public boolean ok() {
    return status == Status.EOF;
  }

  /** "ok" or the error code, as the status column holds it. */
  public String statusText() {
    return ok() ? "ok" : status.name();
  }

  /** The same result with another error message. */
  public ClipResult withError(String message) {
    return new ClipResult(ref, hash, status, message, info, framesDecoded, decodeErrors, bytesRead, fetchNanos,
        openNanos, demuxNanos, decodeNanos, outputNanos, totalNanos, attempts, backend, threads, finishedAt,
        framesReturned, stats, encodeNanos, aggregates, frames);
  }

  /** The same result with its frames placed in a shard (the sink does this). */
  public ClipResult withFrames(ClipFrames placed) {
    return new ClipResult(ref, hash, status, error, info, framesDecoded, decodeErrors, bytesRead, fetchNanos,
        openNanos, demuxNanos, decodeNanos, outputNanos, totalNanos, attempts, backend, threads, finishedAt,
        framesReturned, stats, encodeNanos, aggregates, placed);
  }
}
