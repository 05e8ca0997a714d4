package io.vidmill.decode;

/**
 * vidmill's status codes, equal in name and number to {@code vm_status} in vidmill.h. The
 * set is stable and append-only: scripts and result tables may match on the names.
 */
public enum Status {
  OK(0, "success"),
  EOF(1, "end of stream: every frame was returned"),
  INVALID_ARGUMENT(-1, "API misuse (a bug in the caller)"),
  NOT_FOUND(-2, "the file does not exist"),
  PERMISSION_DENIED(-3, "the file exists but cannot be read"),
  IO(-4, "a read failed, or the path is not a regular file"),
  EMPTY(-5, "the file has zero bytes"),
  NOT_A_VIDEO(-6, "not a media container vidmill recognises, or a still image or text"),
  NO_VIDEO_STREAM(-7, "a media file without a video stream (audio only, no tracks)"),
  UNSUPPORTED_CODEC(-8, "the video codec has no decoder, or is not enabled"),
  ENCRYPTED(-9, "the video stream is encrypted (CENC, ...)"),
  TRUNCATED(-10, "the file ends before the data its container declares"),
  CORRUPT(-11, "malformed container or bitstream; frames failed to decode"),
  TOO_LARGE(-12, "over a limit: pixels per frame, frames per clip, allocation size"),
  TIMEOUT(-13, "the clip's wall-clock limit passed"),
  OUT_OF_MEMORY(-14, "an allocation below the limits failed"),
  BUFFER_TOO_SMALL(-15, "the caller's buffer cannot hold one frame (handled internally)"),
  FFMPEG_VERSION(-16, "the FFmpeg libraries loaded at run time do not match"),
  INTERNAL(-17, "a bug in vidmill"),
  CRASHED(-18, "the process decoding the clip died (a signal); the run went on without it");

  private final int code;
  private final String description;

  Status(int code, String description) {
    this.code = code;
    this.description = description;
  }

  /** The number in vidmill.h. */
  public int code() {
    return code;
  }

  /** One line for documentation and help text. */
  public String description() {
    return description;
  }

  /** Everything but OK and EOF. */
  public boolean isError() {
    return code < 0;
  }

  /** The status for a vm_status number; INTERNAL for a number this version does not know. */
  public static Status of(int code) {
    for (Status s : values()) {
      if (s.code == code) return s;
    }
    return INTERNAL;
  }
}
