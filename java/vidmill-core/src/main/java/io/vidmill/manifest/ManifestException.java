package io.vidmill.manifest;

/** The manifest itself cannot be read: a fatal error for the run, with the line it happened at. */
public final class ManifestException extends RuntimeException {
  public ManifestException(String message, Throwable cause) {
    super(message, cause);
  }

  public ManifestException(String message) {
    super(message);
  }
}
