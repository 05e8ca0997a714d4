package io.vidmill.ops;

import java.util.Locale;

/**
 * Resampling kernels ({@code vm_filter}). Downscaling widens the kernel by the scale factor
 * (antialiasing, as swscale and PIL do).
 */
public enum Filter {
  /** Triangle kernel: the default. */
  BILINEAR(0),
  /** Exact pixel-area average when downscaling, bilinear when upscaling. */
  AREA(1),
  /** Keys cubic with a = -0.5 (Catmull-Rom). */
  BICUBIC(2);

  final int code;

  Filter(int code) {
    this.code = code;
  }

  public static Filter parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown filter '" + name + "' (bilinear, area, bicubic)");
    }
  }
}
