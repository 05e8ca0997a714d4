package io.vidmill.cli;

import io.vidmill.ops.Filter;
import io.vidmill.ops.Output;
import io.vidmill.ops.PixelFormat;
import io.vidmill.ops.Resize;
import picocli.CommandLine.Option;

/**
 * How converted frames come out: {@code --size}, {@code --fit}, {@code --filter},
 * {@code --no-rotate}. A mixin, so that {@code frames} and {@code run} spell them the same way;
 * each command has its own {@code --format} (run's also names manifest formats).
 */
final class OutputOptions {
  @Option(names = "--size", paramLabel = "N|WxH",
      description = "N: short side N, aspect kept; WxH: a box, met as --fit says (default: the decoded size).")
  String size;

  @Option(names = "--fit", paramLabel = "MODE", description = "fill, fit, crop or pad, for --size WxH (default: fill).")
  String fit;

  @Option(names = "--filter", paramLabel = "KERNEL", description = "bilinear, area or bicubic (default: bilinear).")
  String filter;

  @Option(names = "--no-rotate", description = "Keep frames as stored instead of turning them as the display matrix says.")
  boolean noRotate;

  /** Whether any of these was given (a plain run converts nothing). */
  boolean given() {
    return size != null || fit != null || filter != null || noRotate;
  }

  /**
   * The output these options describe, in {@code format}.
   *
   * @throws IllegalArgumentException for a bad value, with what is wrong
   */
  Output output(PixelFormat format) {
    Output o = Output.of(format).withFilter(Filter.parse(filter == null ? "bilinear" : filter)).withOrientation(!noRotate);
    if (size != null) return o.withSize(size, Resize.parse(fit == null ? "fill" : fit));
    if (fit != null) Resize.parse(fit); // a bad name is still an error
    return o;
  }
}
