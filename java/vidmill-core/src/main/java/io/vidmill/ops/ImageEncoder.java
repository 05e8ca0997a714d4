package io.vidmill.ops;

import static io.vidmill.nativelib.Layouts.ENCODER_OPTIONS;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.vidmill.decode.Frame;
import io.vidmill.decode.Status;
import io.vidmill.nativelib.Layouts;
import io.vidmill.nativelib.NativeLibrary;
import io.vidmill.nativelib.Vidmill;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;

/**
 * Converted frames to image files ({@code vm_encoder}): JPEG by FFmpeg's mjpeg encoder, PNG by
 * its png encoder, natively, into memory this object owns. vidmill.h ("Image encoding") has the
 * details: JPEG is baseline JFIF 4:2:0 with libjpeg's quantisers for the quality (so quality 95
 * means what it means to PIL and OpenCV), PNG is lossless.
 *
 * <p>Confined to the thread that opens it (one per decode worker); closing it frees the native
 * encoder, and any use after close fails with {@link IllegalStateException}.
 */
public final class ImageEncoder implements AutoCloseable {
  /** The file format ({@code vm_image_codec}). */
  public enum Codec {
    JPEG(1, "jpg"), PNG(2, "png");

    final int code;
    private final String extension;

    Codec(int code, String extension) {
      this.code = code;
      this.extension = extension;
    }

    /** The file extension: "jpg" or "png". */
    public String extension() {
      return extension;
    }
  }

  /** VM_JPEG_DEFAULT_QUALITY. */
  public static final int DEFAULT_QUALITY = 95;

  private static final long O_CODEC = Layouts.offset(ENCODER_OPTIONS, "codec");
  private static final long O_QUALITY = Layouts.offset(ENCODER_OPTIONS, "quality");

  private final Arena arena;
  private final MemorySegment handle;
  private final MemorySegment size;
  private final Codec codec;
  private Arena outArena;
  private MemorySegment out = MemorySegment.NULL;

  private ImageEncoder(Arena arena, MemorySegment handle, Codec codec) {
    this.arena = arena;
    this.handle = handle;
    this.codec = codec;
    this.size = arena.allocate(JAVA_LONG);
  }

  /**
   * @param quality JPEG: 1..100 on libjpeg's scale; ignored for PNG (lossless)
   * @throws IllegalArgumentException for a quality out of range
   * @throws IllegalStateException when this FFmpeg has no such encoder
   */
  public static ImageEncoder open(Codec codec, int quality) {
    if (codec == Codec.JPEG && (quality < 1 || quality > 100))
      throw new IllegalArgumentException("JPEG quality " + quality + " is not within 1..100");
    NativeLibrary.requireAvailable();
    Arena arena = Arena.ofConfined();
    try {
      MemorySegment o = arena.allocate(ENCODER_OPTIONS);
      o.set(JAVA_INT, 0, (int) ENCODER_OPTIONS.byteSize());
      o.set(JAVA_INT, O_CODEC, codec.code);
      o.set(JAVA_INT, O_QUALITY, codec == Codec.JPEG ? quality : 0);
      MemorySegment p = arena.allocate(ADDRESS);
      int rc = Vidmill.vm_encoder_open(o, p);
      if (rc != 0) throw new IllegalStateException("cannot open the " + codec + " encoder: " + Status.of(rc));
      MemorySegment handle = p.get(ADDRESS, 0).reinterpret(arena, Vidmill::vm_encoder_close);
      return new ImageEncoder(arena, handle, codec);
    } catch (RuntimeException | Error e) {
      arena.close();
      throw e;
    }
  }

  public Codec codec() {
    return codec;
  }

  /**
   * Encodes a converted frame (rgb24, bgr24 or gray8, with its pixels: {@code Want.PIXELS}).
   * Returns the file's bytes, valid until the next call or close.
   *
   * @throws IllegalArgumentException for a frame without pixels or in its native format
   */
  public MemorySegment encode(Frame frame) {
    PixelFormat f = PixelFormat.ofFrame(frame.pixFmt());
    if (frame.pixels() == null || f == PixelFormat.NATIVE)
      throw new IllegalArgumentException("only converted frames with pixels (rgb24, bgr24, gray8) are encoded, not "
          + frame.pixFmt() + (frame.pixels() == null ? " without pixels" : ""));
    return encode(frame.pixels(), frame.width(), frame.height(), f);
  }

  /** Encodes {@code height} packed rows of {@code width} pixels of {@code format}. */
  public MemorySegment encode(MemorySegment pixels, int width, int height, PixelFormat format) {
    long stride = (long) width * format.channels();
    if (format == PixelFormat.NATIVE || pixels.byteSize() < stride * height)
      throw new IllegalArgumentException(width + "x" + height + " " + format + " does not fit in " + pixels.byteSize()
          + " bytes");
    if (out.byteSize() == 0) grow(stride * height / 4 + 4096);
    while (true) {
      int rc = Vidmill.vm_encoder_encode(handle, pixels, stride, width, height, format.code, out, out.byteSize(), size);
      long n = size.get(JAVA_LONG, 0);
      if (rc == 0) return out.asSlice(0, n);
      if (rc != Status.BUFFER_TOO_SMALL.code()) {
        String why = Vidmill.vm_encoder_last_error(handle);
        throw rc == Status.INVALID_ARGUMENT.code() ? new IllegalArgumentException(why)
            : new IllegalStateException(codec.name().toLowerCase(Locale.ROOT) + " encoding failed: "
                + Status.of(rc) + ": " + why);
      }
      grow(n + n / 4);
    }
  }

  private void grow(long bytes) {
    if (outArena != null) outArena.close();
    outArena = Arena.ofConfined();
    out = outArena.allocate(bytes, 64);
  }

  @Override
  public void close() {
    if (!arena.scope().isAlive()) return;
    if (outArena != null) outArena.close();
    arena.close();
  }
}
