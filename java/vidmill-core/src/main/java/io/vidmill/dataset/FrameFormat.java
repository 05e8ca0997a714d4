package io.vidmill.dataset;

import java.util.Locale;

/** What {@code vidmill run --frames} writes of each clip's selected frames. */
public enum FrameFormat {
  /** Nothing: the frames are decoded (and converted, when an output is set), then dropped. */
  NONE(null),
  /** A JPEG file per frame, {@code KEY.NNNNNN.jpg}. */
  JPEG("jpg"),
  /** A PNG file per frame, {@code KEY.NNNNNN.png}. */
  PNG("png"),
  /** One array per clip, {@code KEY.npy}: uint8, frames x height x width x channels (no channel axis for gray). */
  NPY("npy");

  private final String extension;

  FrameFormat(String extension) {
    this.extension = extension;
  }

  /** The file extension, null for NONE. */
  public String extension() {
    return extension;
  }

  /** "jpeg" (or "jpg"), "png", "npy" or "none", any case. */
  public static FrameFormat parse(String name) {
    return switch (name.strip().toLowerCase(Locale.ROOT)) {
      case "jpeg", "jpg" -> JPEG;
      case "png" -> PNG;
      case "npy" -> NPY;
      case "none" -> NONE;
      default -> throw new IllegalArgumentException("unknown frame format '" + name + "' (jpeg, png, npy, none)");
    };
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
