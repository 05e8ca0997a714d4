package io.vidmill.pipeline;

import io.vidmill.decode.ClipInfo;
import io.vidmill.decode.Status;
import io.vidmill.manifest.ClipRef;
import io.vidmill.shard.ClipHash;
import java.time.Instant;

/**
 * What happened to one clip: a row of OUT/clips/*.parquet (and of failures.jsonl when it
 * failed). Times are nanoseconds; stage times are those of the successful attempt.
 *
 * @param status EOF for a clip decoded to its end, else the error code
 * @param info what is known about the clip (UNKNOWN when it could not be opened)
 */
public record ClipResult(ClipRef ref, ClipHash hash, Status status, String error, ClipInfo info,
                         long framesDecoded, long decodeErrors, long bytesRead, long fetchNanos,
                         long openNanos, long demuxNanos, long decodeNanos, long outputNanos,
                         long totalNanos, int attempts, String backend, int threads, Instant finishedAt) {
  public boolean ok() {
    return status == Status.EOF;
  }

  /** "ok" or the error code, as the status column holds it. */
  public String statusText() {
    return ok() ? "ok" : status.name();
  }
}
