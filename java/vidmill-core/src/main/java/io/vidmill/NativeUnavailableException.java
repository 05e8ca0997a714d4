package io.vidmill;

import io.vidmill.decode.Status;

/** libvidmill or its FFmpeg could not be loaded; the message lists every loading step. */
public final class NativeUnavailableException extends VidmillException {
  public NativeUnavailableException(String message, Throwable cause) {
    super(Status.INTERNAL, message, cause);
  }
}
