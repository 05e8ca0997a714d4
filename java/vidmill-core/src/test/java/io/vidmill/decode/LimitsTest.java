package io.vidmill.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vidmill.ClipException;
import io.vidmill.nativelib.Vidmill;
import io.vidmill.synth.SyntheticClip;
import io.vidmill.testing.Decoding;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The limits are enforced natively, before the damage. */
class LimitsTest {
  @TempDir static Path dir;
  static Path big;

  @BeforeAll
  static void clips() {
    big = dir.resolve("big.mp4");
    // 1080p, 4 s: decoding it takes well over the 30 ms allowed below on any machine
    SyntheticClip.h264(1920, 1080, 30, 4, 1).withPattern("mandelbrot").write(big);
  }

  @Test
  void wallClockTimeout() {
    Decoding d = Decoding.of(Source.of(big), OpenOptions.DEFAULTS.withThreads(1).withTimeout(Duration.ofMillis(30)));
    assertEquals(Status.TIMEOUT, d.status(), d.message());
    assertThat(d.frames().size()).isLessThan(120);
    assertThat(d.message()).contains("timed out");
  }

  @Test
  void framesLargerThanTheLimitAreRefusedBeforeDecoding() {
    ClipException e = assertThrows(ClipException.class,
        () -> Clip.open(Source.of(big), OpenOptions.DEFAULTS.withMaxPixels(1280L * 720)).close());
    assertEquals(Status.TOO_LARGE, e.status());
    assertThat(e.detail()).contains("1920x1080");
  }

  @Test
  void tooManyFrames() {
    Decoding d = Decoding.of(Source.of(big), OpenOptions.DEFAULTS.withThreads(1).withMaxFrames(10));
    assertEquals(Status.TOO_LARGE, d.status());
    assertEquals(10, d.frames().size());
  }

  @Test
  void deniedCodec() {
    ClipException e = assertThrows(ClipException.class,
        () -> Clip.open(Source.of(big), OpenOptions.DEFAULTS.withDeniedCodecs("vp9, h264")).close());
    assertEquals(Status.UNSUPPORTED_CODEC, e.status());
    assertEquals("h264", e.info().codec());
  }

  // ---- declared sizes over the limit: refused from the header, before any big allocation ----

  /**
   * While a test runs, FFmpeg may allocate at most 16 MiB at once: had anything sized a frame of
   * the declared 60000x60000 (5.4 GB), it would have failed as "needs more memory than the
   * allocation limit" rather than the header check's "frame size ... is over the limit".
   */
  private static <T> T withSmallAllocations(java.util.function.Supplier<T> body) {
    Vidmill.vm_set_max_alloc(16L << 20);
    try {
      return body.get();
    } finally {
      Vidmill.vm_set_max_alloc(0);
    }
  }

  @Test
  void mp4DeclaringAHugeFrameIsTooLargeBeforeAnyDecoderExists() throws IOException {
    Path clip = dir.resolve("small.mp4");
    SyntheticClip.h264(64, 48, 25, 0.2, 3).write(clip);
    byte[] b = Files.readAllBytes(clip);
    patchMp4Size(b, 60000, 60000);
    ClipException e = tooLargeFromTheHeader(Files.write(dir.resolve("declares_60000x60000.mp4"), b));
    assertEquals(60000, e.info().width());
  }

  @Test
  void matroskaDeclaringAHugeFrameIsTooLargeBeforeAnyDecoderExists() throws IOException {
    Path clip = dir.resolve("small.mkv");
    // 320x256: the muxer writes PixelWidth and PixelHeight in two bytes each, room for 60000
    SyntheticClip.h264(320, 256, 25, 0.2, 4).withEncoder("mpeg4").write(clip);
    byte[] b = Files.readAllBytes(clip);
    patchEbmlUint(b, 0xB0, 320, 60000); // PixelWidth
    patchEbmlUint(b, 0xBA, 256, 60000); // PixelHeight
    tooLargeFromTheHeader(Files.write(dir.resolve("declares_60000x60000.mkv"), b));
  }

  /** Opening fails with the header check's TOO_LARGE, nothing of the frame's size allocated. */
  private static ClipException tooLargeFromTheHeader(Path patched) {
    ClipException e = withSmallAllocations(() -> assertThrows(ClipException.class,
        () -> Clip.open(Source.of(patched), OpenOptions.DEFAULTS.withThreads(1)).close()));
    assertEquals(Status.TOO_LARGE, e.status(), e.detail());
    assertThat(e.detail()).contains("frame size 60000x60000 is over the limit");
    return e;
  }

  /**
   * A container that declares a small frame over a bitstream whose frames are bigger than the
   * limit: the decoder's own check (max_pixels) refuses them before allocating, and the clip is
   * TOO_LARGE, not a corrupt stream.
   */
  @Test
  void bitstreamFramesOverTheLimitAreTooLargeAlthoughTheContainerDeclaresSmallOnes() throws IOException {
    Path clip = dir.resolve("720p.mp4");
    SyntheticClip.h264(1280, 720, 25, 0.2, 5).write(clip);
    byte[] b = Files.readAllBytes(clip);
    patchMp4Size(b, 64, 48);
    Path patched = Files.write(dir.resolve("declares_64x48.mp4"), b);
    Decoding d = withSmallAllocations(() -> Decoding.of(Source.of(patched),
        OpenOptions.DEFAULTS.withThreads(1).withMaxPixels(320 * 240)));
    assertEquals(Status.TOO_LARGE, d.status(), d.message());
    assertThat(d.frames()).isEmpty();
    assertThat(d.message()).contains("1280x720").contains("76800 pixels");
  }

  /** The allocation limit stands for a clip's memory: a frame bigger than it cannot be decoded. */
  @Test
  void framesBiggerThanTheAllocationLimitAreTooLarge() {
    // a 1080p luma plane is 2 MB
    Decoding d;
    Vidmill.vm_set_max_alloc(1L << 20);
    try {
      d = Decoding.of(Source.of(big), OpenOptions.DEFAULTS.withThreads(1));
    } finally {
      Vidmill.vm_set_max_alloc(0);
    }
    assertEquals(Status.TOO_LARGE, d.status(), d.message());
    assertThat(d.message()).contains("allocation limit");
    // and with the default limit the same clip decodes
    assertEquals(Status.EOF, Decoding.of(Source.of(big), OpenOptions.DEFAULTS.withThreads(1).withMaxFrames(0)).status());
  }

  /** Sets the width and height of the MP4's first visual sample entry (avc1) and its track header. */
  static void patchMp4Size(byte[] b, int width, int height) {
    ByteBuffer buf = ByteBuffer.wrap(b);
    // (the ftyp box names avc1 too, as a compatible brand: the sample entry is the one inside stsd)
    int stsd = indexOf(b, "stsd".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0);
    int avc1 = indexOf(b, "avc1".getBytes(java.nio.charset.StandardCharsets.US_ASCII), stsd);
    assertThat(avc1).as("an avc1 sample entry").isPositive();
    // type, 6 reserved, data_reference_index, 2 + 2 + 12 pre-defined/reserved: then 16-bit width, height
    buf.putShort(avc1 + 28, (short) width).putShort(avc1 + 30, (short) height);
    int tkhd = indexOf(b, "tkhd".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0);
    assertThat(tkhd).as("a track header").isPositive();
    int version = b[tkhd + 4];
    // type, version/flags, times, track id, duration, reserved, layer..volume, matrix: then 16.16 width, height
    int at = tkhd + 4 + 4 + (version == 1 ? 32 : 20) + 8 + 8 + 36;
    buf.putInt(at, width << 16).putInt(at + 4, height << 16);
  }

  /** Rewrites the 2-byte value of the EBML element {@code id} that holds {@code was}. */
  private static void patchEbmlUint(byte[] b, int id, int was, int now) {
    byte[] element = {(byte) id, (byte) 0x82, (byte) (was >> 8), (byte) was};
    int at = indexOf(b, element, 0);
    assertThat(at).as("element %x = %d", id, was).isPositive();
    b[at + 2] = (byte) (now >> 8);
    b[at + 3] = (byte) now;
  }

  private static int indexOf(byte[] b, byte[] what, int from) {
    outer:
    for (int i = from; i + what.length <= b.length; i++) {
      for (int j = 0; j < what.length; j++) if (b[i + j] != what[j]) continue outer;
      return i;
    }
    return -1;
  }
}
