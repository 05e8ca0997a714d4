package io.vidmill.ops;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vidmill.decode.Clip;
import io.vidmill.decode.DecodeResult;
import io.vidmill.decode.Frame;
import io.vidmill.decode.FrameBatch;
import io.vidmill.decode.OpenOptions;
import io.vidmill.decode.Source;
import io.vidmill.decode.Status;
import io.vidmill.decode.Want;
import io.vidmill.synth.SyntheticClip;
import io.vidmill.testing.TestMedia;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The frame operations through the Java API: shapes of every mode, converted pixels in the
 * batch, statistics with known answers, orientation from the display matrix, and the native
 * path left exact. The arithmetic itself is checked in C (vmtool opscheck, CTest ops_*).
 */
class FrameOpsTest {
  @TempDir static Path dir;
  static Path clip;

  @BeforeAll
  static void makeClip() {
    clip = dir.resolve("ops.mp4");
    new SyntheticClip(320, 240, 24, 1, 12, 6, 0, 3, "libopenh264", "testsrc2", null).write(clip);
  }

  record Decoded(List<Frame> frames, List<byte[]> pixels, DecodeResult result, ClipAggregates aggregates) {}

  static Decoded decode(Path path, Output output, Want... wants) {
    List<Frame> frames = new ArrayList<>();
    List<byte[]> pixels = new ArrayList<>();
    try (Clip c = Clip.open(Source.of(path), OpenOptions.DEFAULTS.withThreads(1));
         FrameBatch batch = FrameBatch.allocate(4, wants)) {
      c.setOutput(output);
      DecodeResult r = c.decodeAll(batch, f -> {
        frames.add(f);
        pixels.add(f.pixels() == null ? null : f.pixels().toArray(JAVA_BYTE));
      });
      return new Decoded(frames, pixels, r, c.aggregates());
    }
  }

  @Test
  void centreCropToRgb24ComesOutInTheBatchWithStatistics() {
    Decoded d = decode(clip, Output.of(PixelFormat.RGB24).withSize(224, 224, Resize.CENTER_CROP),
        Want.PIXELS, Want.MD5, Want.STATS);
    assertEquals(Status.EOF, d.result().status(), d.result().message());
    assertEquals(12, d.frames().size());
    for (int i = 0; i < d.frames().size(); i++) {
      Frame f = d.frames().get(i);
      assertEquals(224, f.width());
      assertEquals(224, f.height());
      assertEquals("rgb24", f.pixFmt());
      assertEquals(224 * 224 * 3, f.dataSize());
      assertEquals(224 * 224 * 3, d.pixels().get(i).length);
      FrameStats s = f.stats();
      assertNotNull(s);
      assertEquals(i > 0, s.hasPrevious());
      assertThat(s.lumaMean()).isBetween(20f, 235f);
      assertThat(s.sharpness()).isPositive();
      assertFalse(s.black());
    }
    ClipAggregates a = d.aggregates();
    assertEquals(12, a.frames());
    assertThat(a.lumaMin()).isLessThanOrEqualTo(a.lumaMean()).isLessThanOrEqualTo(a.lumaMax());
    assertThat(a.motionMean()).isPositive(); // testsrc2 moves
  }

  @Test
  void everyModeHasItsShape() {
    record Case(Output out, int w, int h, int size) {}
    Output rgb = Output.of(PixelFormat.RGB24);
    List<Case> cases = List.of(
        new Case(rgb, 320, 240, 320 * 240 * 3),
        new Case(rgb.withSize(100, 100, Resize.FIT), 100, 75, 100 * 75 * 3),
        new Case(rgb.withSize(100, 100, Resize.PAD), 100, 100, 100 * 100 * 3),
        new Case(rgb.withSize(100, 50, Resize.FILL), 100, 50, 100 * 50 * 3),
        new Case(rgb.withShortSide(120), 160, 120, 160 * 120 * 3),
        new Case(rgb.withSize("64x48", Resize.CENTER_CROP), 64, 48, 64 * 48 * 3),
        new Case(Output.of(PixelFormat.GRAY8).withSize("96", null), 128, 96, 128 * 96),
        new Case(Output.of(PixelFormat.BGR24).withFilter(Filter.AREA).withSize(31, 17, Resize.FILL), 31, 17, 31 * 17 * 3));
    for (Case c : cases) {
      Frame f = decode(clip, c.out(), Want.MD5).frames().getFirst();
      assertEquals(List.of(c.w(), c.h(), c.size()), List.of(f.width(), f.height(), (int) f.dataSize()), c.out().toString());
    }
    // pad: the picture centred on black
    byte[] padded = decode(clip, rgb.withSize(100, 100, Resize.PAD), Want.PIXELS).pixels().getFirst();
    int top = (100 - 75) / 2;
    for (int i = 0; i < top * 100 * 3; i++) assertEquals(0, padded[i], "padding byte " + i);
    assertThat(Arrays.copyOfRange(padded, top * 300, (top + 75) * 300)).isEqualTo(
        decode(clip, rgb.withSize(100, 100, Resize.FIT), Want.PIXELS).pixels().getFirst());
  }

  @Test
  void bgrIsRgbReversedAndGrayIsOneChannel() {
    byte[] rgb = decode(clip, Output.of(PixelFormat.RGB24), Want.PIXELS).pixels().getFirst();
    byte[] bgr = decode(clip, Output.of(PixelFormat.BGR24), Want.PIXELS).pixels().getFirst();
    for (int i = 0; i < rgb.length; i += 3) {
      assertEquals(rgb[i], bgr[i + 2]);
      assertEquals(rgb[i + 1], bgr[i + 1]);
      assertEquals(rgb[i + 2], bgr[i]);
    }
  }

  /** A y4m clip (8-bit gray, full range) of constant frames: the statistics are known exactly. */
  @Test
  void statisticsOfKnownFrames() throws IOException {
    Path y4m = dir.resolve("known.y4m");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.write("YUV4MPEG2 W64 H64 F25:1 Ip A1:1 Cmono XCOLORRANGE=FULL\n".getBytes(StandardCharsets.US_ASCII));
    for (int level : new int[] {10, 10, 200}) {
      bytes.write("FRAME\n".getBytes(StandardCharsets.US_ASCII));
      byte[] frame = new byte[64 * 64];
      Arrays.fill(frame, (byte) level);
      bytes.write(frame);
    }
    Files.write(y4m, bytes.toByteArray());
    Decoded d = decode(y4m, Output.NATIVE, Want.STATS, Want.MD5);
    assertEquals(Status.EOF, d.result().status(), d.result().message());
    List<FrameStats> s = d.frames().stream().map(Frame::stats).toList();
    assertEquals(10f, s.get(0).lumaMean());
    assertTrue(s.get(0).black() && s.get(0).blank());
    assertEquals(-1f, s.get(0).motion());
    assertEquals(0f, s.get(1).motion());
    assertEquals(0f, s.get(1).sceneScore());
    assertEquals(190f, s.get(2).motion(), 1e-3);
    assertEquals(1f, s.get(2).sceneScore(), 1e-6);
    assertTrue(s.get(2).sceneCut());
    assertFalse(s.get(2).black());
    assertEquals(0L, s.get(2).dhash());
    ClipAggregates a = d.aggregates();
    assertEquals(3, a.frames());
    assertEquals(2, a.blackFrames());
    assertEquals(3, a.blankFrames());
    assertEquals(1, a.sceneCuts());
    assertEquals(10, a.lumaMin(), 1e-3);
    assertEquals(200, a.lumaMax(), 1e-3);
    assertEquals(190, a.motionMax(), 1e-3);
  }

  /** Statistics on the native path leave the frames exactly as decoded (framemd5). */
  @Test
  void nativeFramesWithStatisticsStayFrameMd5Exact() throws IOException {
    Path media = TestMedia.require();
    String name = "androidx_sample_rotate_and_reflect.mp4";
    List<String> reference = TestMedia.referenceFrameLines(name).stream()
        .map(l -> l.substring(l.lastIndexOf(',') + 1).trim()).toList();
    Decoded d = decode(media.resolve("valid").resolve(name), Output.NATIVE, Want.MD5, Want.STATS);
    assertEquals(reference, d.frames().stream().map(Frame::md5Hex).toList());
    assertThat(d.frames()).allMatch(f -> f.stats() != null && f.pixFmt().equals("yuv420p") && f.width() == 1080);
  }

  /** The display matrix of this file asks for a transpose (what ffmpeg's autorotation does). */
  @Test
  void framesAreTurnedAsTheDisplayMatrixSaysUnlessAskedNotTo() {
    Path media = TestMedia.require();
    Path file = media.resolve("valid/androidx_sample_rotate_and_reflect.mp4");
    Output gray = Output.of(PixelFormat.GRAY8);
    Decoded shown = decode(file, gray, Want.PIXELS);
    Decoded stored = decode(file, gray.withOrientation(false), Want.PIXELS);
    Frame s = shown.frames().getFirst();
    Frame k = stored.frames().getFirst();
    assertEquals(List.of(720, 1080), List.of(s.width(), s.height()));
    assertEquals(List.of(1080, 720), List.of(k.width(), k.height()));
    byte[] a = shown.pixels().getFirst();
    byte[] b = stored.pixels().getFirst();
    for (int y = 0; y < 1080; y += 7)
      for (int x = 0; x < 720; x += 5) assertEquals(b[x * 1080 + y], a[y * 720 + x], "pixel " + x + "," + y);
  }

  @Test
  void inconsistentOutputsAreRefusedAndAClosedClipStaysClosed() {
    assertThrows(IllegalArgumentException.class, () -> Output.NATIVE.withSize(10, 10, Resize.FILL));
    assertThrows(IllegalArgumentException.class, () -> Output.of(PixelFormat.RGB24).withSize(0, 10, Resize.FIT));
    assertThrows(IllegalArgumentException.class, () -> Output.of(PixelFormat.RGB24).withSize("big", Resize.FIT));
    assertThrows(IllegalArgumentException.class, () -> Output.of(PixelFormat.RGB24).withSceneThreshold(2));
    Clip c = Clip.open(Source.of(clip), OpenOptions.DEFAULTS);
    c.close();
    assertThrows(IllegalStateException.class, () -> c.setOutput(Output.of(PixelFormat.RGB24)));
    assertThrows(IllegalStateException.class, c::aggregates);
  }
}
