package io.vidmill.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** ffmpeg's timestamp arithmetic, checked on cases worked out by hand (no native code). */
class FrameMd5FormatTest {
  private static ClipInfo info(Rational timeBase, Rational rate, long containerStartMicros) {
    ClipInfo u = ClipInfo.UNKNOWN;
    return new ClipInfo(0, "", "", "", "", 64, 48, "yuv420p", 8, 0, false, false, false, new Rational(1, 1),
        timeBase, rate, rate, 0, containerStartMicros, -1, 0, -1, 0, u.colorRange(), u.colorSpace(),
        u.colorPrimaries(), u.colorTransfer(), u.backend(), u.backendFallback(), u.backendReason());
  }

  @Test
  void rescaleRoundsHalfAwayFromZeroLikeAvRescaleQ() {
    assertEquals(2, FrameMd5Format.rescale(3, 1, 2, 1, 1)); // 1.5 -> 2
    assertEquals(-2, FrameMd5Format.rescale(-3, 1, 2, 1, 1)); // -1.5 -> -2
    assertEquals(1, FrameMd5Format.rescale(1001, 1, 30000, 1, 30)); // 1.001 -> 1
    assertEquals(-200000, FrameMd5Format.rescale(-200000, 1, 1_000_000, 1, 1_000_000));
  }

  @Test
  void outputTimeBaseIsOneOverTheFrameRateWith25AsFallback() {
    assertEquals(new Rational(1001, 30000), new FrameMd5Format(info(new Rational(1, 30000),
        new Rational(30000, 1001), 0)).timeBase());
    assertEquals(new Rational(1, 25), new FrameMd5Format(info(new Rational(1, 1000),
        Rational.UNKNOWN, 0)).timeBase());
  }

  @Test
  void midpointsGoUpAndContainerStartIsSubtracted() {
    // stream tb 1/1000, 10 fps: 850 ms is 8.5 ticks; ffmpeg prints 9 (bias away from midpoints)
    FrameMd5Format f = new FrameMd5Format(info(new Rational(1, 1000), new Rational(10, 1), 0));
    assertEquals(9, f.toOutput(850));
    assertEquals(16, f.toOutput(1590));
    // a container that starts at 0.2 s: the frame at 0.2 s is printed at 0
    FrameMd5Format shifted = new FrameMd5Format(info(new Rational(1, 90000), new Rational(10, 1), 200_000));
    Frame frame = new Frame(18000, 18000, 9000, 100, 64, 48, "yuv420p", true, false, new byte[16], null, null);
    assertEquals("0,          0,          0,        1,      100, 00000000000000000000000000000000",
        shifted.line(frame));
  }

  @Test
  void dtsNeverGoesBackwards() {
    FrameMd5Format f = new FrameMd5Format(info(new Rational(1, 1000), new Rational(10, 1), 0));
    Frame a = new Frame(500, 0, 0, 1, 64, 48, "yuv420p", true, false, new byte[16], null, null);
    Frame b = new Frame(300, 0, 0, 1, 64, 48, "yuv420p", false, false, new byte[16], null, null);
    assertEquals("0,          5,          5,", f.line(a).substring(0, 26));
    assertEquals("0,          5,          5,", f.line(b).substring(0, 26));
  }
}
