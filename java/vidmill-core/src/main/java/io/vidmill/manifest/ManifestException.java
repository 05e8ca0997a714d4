package io.vidmill.manifest;

/** The manifest itself cannot be read: a fatal error for the run, with the line it happened at. */
public final class ManifestException extends RuntimeException {
  public ManifestException(String message, Throwable cause) {
    super(firstLine(message), cause);
  }

  public ManifestException(String message) {
    super(firstLine(message));
  }

  /** One line, as every error vidmill prints (parsers' messages add a location on a second line). */
  private static String firstLine(String message) {
    return message == null ? "" : message.lines().findFirst().orElse("").strip();
  }
}
