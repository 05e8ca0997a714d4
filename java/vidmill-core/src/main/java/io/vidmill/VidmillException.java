package io.vidmill;

import io.vidmill.decode.Status;

/**
 * What vidmill throws at its API edge. In a batch run a failed clip is a result row, not an
 * exception: these reach callers only where one clip (or the library itself) is all there is.
 * Each carries the stable {@link Status} code and the one-line message.
 */
public abstract sealed class VidmillException extends RuntimeException
    permits ClipException, NativeUnavailableException {
  private final Status status;

  VidmillException(Status status, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  /** The stable error code. */
  public Status status() {
    return status;
  }
}
