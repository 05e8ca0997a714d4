package io.vidmill.ops;

import static io.vidmill.nativelib.Layouts.OUTPUT;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.vidmill.nativelib.Layouts;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a clip's frames come out ({@code vm_output}): converted to a pixel format, resized,
 * turned as the display matrix says. The conversion runs natively, on the decoding thread.
 *
 * <pre>{@code
 * Output o = Output.of(PixelFormat.RGB24).withSize(224, 224, Resize.CENTER_CROP);
 * }</pre>
 *
 * @param format the pixel format; NATIVE for the frames as decoded (then no resize)
 * @param width the box width, or the short side for SHORT_SIDE; 0 for NONE
 * @param height the box height; 0 for NONE and SHORT_SIDE
 * @param resize how the picture meets the box
 * @param filter the resampling kernel
 * @param applyOrientation turn and mirror as the display matrix says (the default)
 * @param ignoreSampleAspect treat samples as square when keeping the aspect
 * @param sceneThreshold scene-cut threshold on the scene score, 0 for the default (0.3)
 */
public record Output(PixelFormat format, int width, int height, Resize resize, Filter filter,
                     boolean applyOrientation, boolean ignoreSampleAspect, float sceneThreshold) {
  /** The frames as decoded. */
  public static final Output NATIVE =
      new Output(PixelFormat.NATIVE, 0, 0, Resize.NONE, Filter.BILINEAR, true, false, 0);

  /** The largest width or height (VM_MAX_OUTPUT_SIDE). */
  public static final int MAX_SIDE = 16384;

  private static final int FLAG_KEEP_ORIENTATION = 1;
  private static final int FLAG_IGNORE_SAR = 2;
  private static final Pattern BOX = Pattern.compile("(\\d+)x(\\d+)");

  public Output {
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(resize, "resize");
    Objects.requireNonNull(filter, "filter");
    if (format == PixelFormat.NATIVE && resize != Resize.NONE)
      throw new IllegalArgumentException("the native pixel format cannot be resized: choose rgb24, bgr24 or gray8");
    boolean needsWidth = resize != Resize.NONE;
    boolean needsHeight = needsWidth && resize != Resize.SHORT_SIDE;
    if (needsWidth ? width < 1 || width > MAX_SIDE : width != 0)
      throw new IllegalArgumentException("width " + width + " does not suit " + resize);
    if (needsHeight ? height < 1 || height > MAX_SIDE : height != 0)
      throw new IllegalArgumentException("height " + height + " does not suit " + resize);
    if (!(sceneThreshold >= 0 && sceneThreshold <= 1))
      throw new IllegalArgumentException("sceneThreshold must be within 0..1");
  }

  /** Frames converted to this format, at their size. */
  public static Output of(PixelFormat format) {
    return NATIVE.withFormat(format);
  }

  public Output withFormat(PixelFormat f) {
    return new Output(f, width, height, resize, filter, applyOrientation, ignoreSampleAspect, sceneThreshold);
  }

  /** Resized into (or onto) a width x height box. */
  public Output withSize(int w, int h, Resize mode) {
    return new Output(format, w, h, mode, filter, applyOrientation, ignoreSampleAspect, sceneThreshold);
  }

  /** Resized so that the short side is n, aspect kept. */
  public Output withShortSide(int n) {
    return new Output(format, n, 0, Resize.SHORT_SIDE, filter, applyOrientation, ignoreSampleAspect, sceneThreshold);
  }

  /**
   * The CLI's {@code --size}: "N" is the short side N; "WxH" a box, met as {@code boxMode}
   * says (FILL when null).
   */
  public Output withSize(String spec, Resize boxMode) {
    Matcher m = BOX.matcher(spec.trim());
    if (m.matches()) {
      return withSize(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
          boxMode == null ? Resize.FILL : boxMode);
    }
    try {
      return withShortSide(Integer.parseInt(spec.trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("size '" + spec + "' is neither N (short side) nor WxH");
    }
  }

  public Output withFilter(Filter f) {
    return new Output(format, width, height, resize, f, applyOrientation, ignoreSampleAspect, sceneThreshold);
  }

  public Output withOrientation(boolean apply) {
    return new Output(format, width, height, resize, filter, apply, ignoreSampleAspect, sceneThreshold);
  }

  public Output withIgnoreSampleAspect(boolean ignore) {
    return new Output(format, width, height, resize, filter, applyOrientation, ignore, sceneThreshold);
  }

  public Output withSceneThreshold(float threshold) {
    return new Output(format, width, height, resize, filter, applyOrientation, ignoreSampleAspect, threshold);
  }

  private static final long PIXEL_FORMAT = Layouts.offset(OUTPUT, "pixel_format");
  private static final long WIDTH = Layouts.offset(OUTPUT, "width");
  private static final long HEIGHT = Layouts.offset(OUTPUT, "height");
  private static final long RESIZE = Layouts.offset(OUTPUT, "resize");
  private static final long FILTER = Layouts.offset(OUTPUT, "filter");
  private static final long FLAGS = Layouts.offset(OUTPUT, "flags");
  private static final long SCENE_THRESHOLD = Layouts.offset(OUTPUT, "scene_threshold");

  /** The struct for vm_clip_set_output, allocated in the arena. */
  public MemorySegment toNative(Arena arena) {
    MemorySegment s = arena.allocate(OUTPUT);
    s.set(JAVA_INT, 0, (int) OUTPUT.byteSize());
    s.set(JAVA_INT, PIXEL_FORMAT, format.code);
    s.set(JAVA_INT, WIDTH, width);
    s.set(JAVA_INT, HEIGHT, height);
    s.set(JAVA_INT, RESIZE, resize.code);
    s.set(JAVA_INT, FILTER, filter.code);
    s.set(JAVA_INT, FLAGS, (applyOrientation ? 0 : FLAG_KEEP_ORIENTATION) | (ignoreSampleAspect ? FLAG_IGNORE_SAR : 0));
    s.set(JAVA_FLOAT, SCENE_THRESHOLD, sceneThreshold);
    return s;
  }
}
