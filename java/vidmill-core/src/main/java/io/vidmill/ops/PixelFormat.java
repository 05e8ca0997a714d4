package io.vidmill.ops;

import java.util.Locale;

/** What frames are converted to ({@code vm_pixel_format}). */
public enum PixelFormat {
  /** As decoded: no operation at all (the framemd5-exact path). */
  NATIVE(0, 0),
  /** Packed R, G, B bytes. */
  RGB24(1, 3),
  /** Packed B, G, R bytes (OpenCV's order). */
  BGR24(2, 3),
  /** Full-range luma Y' (BT.601 luma for RGB sources). */
  GRAY8(3, 1);

  final int code;
  private final int channels;

  PixelFormat(int code, int channels) {
    this.code = code;
    this.channels = channels;
  }

  /** Bytes per pixel; 0 for NATIVE (it depends on the stream). */
  public int channels() {
    return channels;
  }

  /**
   * The format of a converted frame from FFmpeg's name of it ({@link io.vidmill.decode.Frame#pixFmt()}:
   * "rgb24", "bgr24", "gray"); NATIVE for any other (a frame as decoded).
   */
  public static PixelFormat ofFrame(String ffmpegName) {
    return switch (ffmpegName) {
      case "rgb24" -> RGB24;
      case "bgr24" -> BGR24;
      case "gray" -> GRAY8;
      default -> NATIVE;
    };
  }

  /** "rgb24", "bgr24", "gray8" or "native", any case. */
  public static PixelFormat parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown pixel format '" + name + "' (rgb24, bgr24, gray8, native)");
    }
  }
}
