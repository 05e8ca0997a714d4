package io.vidmill.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vidmill.ClipException;
import io.vidmill.synth.SyntheticClip;
import io.vidmill.testing.Decoding;
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
}
