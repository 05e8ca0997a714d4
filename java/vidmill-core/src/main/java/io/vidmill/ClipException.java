package io.vidmill;

import io.vidmill.decode.ClipInfo;
import io.vidmill.decode.Status;

/**
 * A clip could not be opened. {@link #info()} holds what was learnt before the failure (the
 * container, often the codec and size), for reports and probes.
 */
public final class ClipException extends VidmillException {
  private final String clip;
  private final String detail;
  private final transient ClipInfo info;

  public ClipException(Status status, String clip, String detail, ClipInfo info) {
    super(status, status.name() + " " + clip + ": " + detail, null);
    this.clip = clip;
    this.detail = detail;
    this.info = info;
  }

  /** The clip's name (path or caller-given name). */
  public String clip() {
    return clip;
  }

  /** The message without code and name: "the file is empty (0 bytes)". */
  public String detail() {
    return detail;
  }

  /** What was known when opening failed; never null. */
  public ClipInfo info() {
    return info;
  }
}
