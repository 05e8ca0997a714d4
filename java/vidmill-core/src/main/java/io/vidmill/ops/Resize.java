package io.vidmill.ops;

import java.util.Locale;

/**
 * How the picture (as displayed: turned, square pixels) meets the output size ({@code
 * vm_resize_mode}); vidmill.h and docs/frames.md give the exact rounding and offsets.
 */
public enum Resize {
  /** Keep the size. */
  NONE(0),
  /** Exactly width x height, stretched. */
  FILL(1),
  /** Aspect kept, as large as fits inside width x height. */
  FIT(2),
  /** Aspect kept, covering width x height, then the centre cut out: exactly width x height. */
  CENTER_CROP(3),
  /** FIT, then centred on a black width x height canvas. */
  PAD(4),
  /** Aspect kept, the short side equals the width given. */
  SHORT_SIDE(5);

  final int code;

  Resize(int code) {
    this.code = code;
  }

  /** "fill", "fit", "crop" (or "center-crop"), "pad", any case. */
  public static Resize parse(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    return switch (n) {
      case "fill" -> FILL;
      case "fit" -> FIT;
      case "crop", "center-crop" -> CENTER_CROP;
      case "pad" -> PAD;
      default -> throw new IllegalArgumentException("unknown fit '" + name + "' (fill, fit, crop, pad)");
    };
  }
}
