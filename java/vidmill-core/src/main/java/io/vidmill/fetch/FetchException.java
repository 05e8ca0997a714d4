package io.vidmill.fetch;

import io.vidmill.decode.Status;

/**
 * Fetching a clip failed. {@code retryable} marks I/O that may succeed on a second try (a
 * reset connection, a 503); a missing object or a denied read will not.
 */
public final class FetchException extends Exception {
  private final Status status;
  private final boolean retryable;

  public FetchException(Status status, String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.retryable = retryable;
  }

  public Status status() {
    return status;
  }

  public boolean retryable() {
    return retryable;
  }
}
