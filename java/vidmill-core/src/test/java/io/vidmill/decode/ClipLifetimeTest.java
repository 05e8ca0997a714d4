package io.vidmill.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vidmill.synth.SyntheticClip;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Handles, batches and their memory: misuse fails in Java, never in native code. */
class ClipLifetimeTest {
  @TempDir static Path dir;
  static Path clip;

  @BeforeAll
  static void make() {
    clip = dir.resolve("c.webm");
    SyntheticClip.h264(161, 121, 24, 1, 3).withEncoder("libvpx-vp9").write(clip);
  }

  @Test
  void useAfterCloseThrowsAndDoubleCloseIsHarmless() {
    Clip c = Clip.open(Source.of(clip), OpenOptions.DEFAULTS);
    c.close();
    c.close();
    try (FrameBatch batch = FrameBatch.allocate(4)) {
      assertThrows(IllegalStateException.class, () -> c.next(batch));
    }
    assertThrows(IllegalStateException.class, c::info);
    assertThrows(IllegalStateException.class, c::errorMessage);
  }

  @Test
  void closedBatchCannotBeFilled() {
    try (Clip c = Clip.open(Source.of(clip), OpenOptions.DEFAULTS)) {
      FrameBatch batch = FrameBatch.allocate(4);
      batch.close();
      assertThrows(IllegalStateException.class, () -> c.next(batch));
    }
  }

  @Test
  void afterTheEndEveryCallSaysEofWithNoFrames() {
    try (Clip c = Clip.open(Source.of(clip), OpenOptions.DEFAULTS); FrameBatch batch = FrameBatch.allocate(1000)) {
      assertEquals(Status.EOF, c.next(batch));
      assertEquals(24, batch.count());
      assertEquals(Status.EOF, c.next(batch));
      assertEquals(0, batch.count());
      assertEquals(24, c.stats().frames());
    }
  }

  /** One frame per call, a buffer that must grow, pixels that hash to the native MD5. */
  @Test
  void pixelsAreThePackedPictureTheMd5Covers() throws Exception {
    List<String> fromPixels = new ArrayList<>();
    List<String> fromNative = new ArrayList<>();
    try (Clip c = Clip.open(Source.of(clip), OpenOptions.DEFAULTS); FrameBatch batch = FrameBatch.allocate(1, Want.MD5, Want.PIXELS)) {
      DecodeResult r = c.decodeAll(batch, f -> {
        assertEquals(161L * 121 + 2L * 81 * 61, f.dataSize()); // yuv420p with odd sizes rounds chroma up
        assertEquals(f.dataSize(), f.pixels().byteSize());
        try {
          MessageDigest md5 = MessageDigest.getInstance("MD5");
          md5.update(f.pixels().toArray(ValueLayout.JAVA_BYTE));
          fromPixels.add(java.util.HexFormat.of().formatHex(md5.digest()));
        } catch (Exception e) {
          throw new AssertionError(e);
        }
        fromNative.add(f.md5Hex());
      });
      assertEquals(Status.EOF, r.status());
    }
    assertThat(fromPixels).hasSize(24).containsExactlyElementsOf(fromNative);
  }

  @Test
  void oneBatchServesManyClips() {
    try (FrameBatch batch = FrameBatch.allocate(7, Want.MD5)) {
      for (int i = 0; i < 20; i++) {
        try (Clip c = Clip.open(Source.of(clip), OpenOptions.DEFAULTS.withThreads(1))) {
          assertEquals(24, c.decodeAll(batch, f -> {}).frames());
        }
      }
    }
  }
}
