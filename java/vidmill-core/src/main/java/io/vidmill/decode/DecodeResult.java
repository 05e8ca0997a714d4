package io.vidmill.decode;

/**
 * How decoding a clip ended.
 *
 * @param status EOF for a clean end, else the error code
 * @param message the error's detail, "" for EOF
 * @param frames frames returned (also those before an error)
 */
public record DecodeResult(Status status, String message, long frames, ClipStats stats) {
  public boolean ok() {
    return status == Status.EOF;
  }
}
