package io.vidmill.decode;

import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * Prints frames the way {@code ffmpeg -noautorotate -i FILE -map 0:v:0 -fps_mode passthrough
 * -f framemd5 -} does, so that users can diff vidmill against ffmpeg on their own files.
 *
 * <p>The frame data is the same by construction; the timestamps need ffmpeg's arithmetic:
 * <ul>
 *   <li>the input is shifted so that the container starts at 0 (ffmpeg's default input
 *       ts_offset is minus the format's start time, over all streams);</li>
 *   <li>the output time base is 1/frame rate, with FFmpeg's guess of the frame rate (its
 *       av_guess_frame_rate; 25 when there is none, like ffmpeg's fallback);</li>
 *   <li>each pts is rounded into that time base as ffmpeg 5.1's fftools do it (extra precision
 *       bits, a tiny bias away from exact midpoints, then llrint);</li>
 *   <li>the framemd5 muxer makes dts non-decreasing, and rawvideo packets last one tick.</li>
 * </ul>
 * Header lines (starting with #) are informative; compare the others.
 */
public final class FrameMd5Format {
  private final ClipInfo info;
  private final Rational outTb;
  private final long offset;
  private long lastDts = Long.MIN_VALUE;

  public FrameMd5Format(ClipInfo info) {
    this.info = info;
    Rational rate = info.guessedFrameRate().known() ? info.guessedFrameRate() : new Rational(25, 1);
    this.outTb = new Rational(rate.den(), rate.num());
    this.offset = info.containerStartMicros() == Long.MIN_VALUE ? 0
        : rescale(-info.containerStartMicros(), 1, 1_000_000, info.timeBase().num(), info.timeBase().den());
  }

  /** The output time base ("#tb 0: ..."). */
  public Rational timeBase() {
    return outTb;
  }

  public List<String> header(String software) {
    List<String> lines = new ArrayList<>();
    lines.add("#format: frame checksums");
    lines.add("#version: 2");
    lines.add("#hash: MD5");
    lines.add("#software: " + software);
    lines.add("#tb 0: " + outTb);
    lines.add("#media_type 0: video");
    lines.add("#codec_id 0: rawvideo");
    lines.add("#dimensions 0: " + info.width() + "x" + info.height());
    lines.add("#sar 0: " + info.sampleAspectRatio());
    lines.add("#stream#, dts,        pts, duration,     size, hash");
    return lines;
  }

  /** A stream pts as a line shows it (before the muxer's dts fix-ups): to compare other outputs' timestamps. */
  public long outputPts(long pts) {
    return pts == Long.MIN_VALUE ? Long.MIN_VALUE : toOutput(pts + offset);
  }

  /** The line for the next frame; frames must come in output order. */
  public String line(Frame f) {
    long pts = outputPts(f.pts());
    long dts = pts;
    if (lastDts != Long.MIN_VALUE && dts != Long.MIN_VALUE && dts < lastDts) {
      if (pts >= dts) pts = Math.max(pts, lastDts);
      dts = lastDts;
    }
    if (dts != Long.MIN_VALUE) lastDts = dts;
    return String.format("0, %10d, %10d, %8d, %8d, %s", dts, pts, 1, f.dataSize(), f.md5Hex());
  }

  /** ffmpeg 5.1 fftools' adjust_frame_pts_to_encoder_tb followed by llrint. */
  long toOutput(long pts) {
    Rational in = info.timeBase();
    int extraBits = Math.clamp(29 - log2(outTb.den()), 0, 16);
    long den = (long) outTb.den() << extraBits;
    long scaled = rescale(pts, in.num(), in.den(), outTb.num(), den);
    double f = (double) scaled / (1L << extraBits);
    f += (f > 0 ? 1 : -1) * (1.0 / (1 << 17));
    return (long) Math.rint(f);
  }

  private static int log2(long v) {
    return v <= 0 ? 0 : 63 - Long.numberOfLeadingZeros(v);
  }

  /** av_rescale_q(a, bNum/bDen, cNum/cDen) with AV_ROUND_NEAR_INF, exactly. */
  static long rescale(long a, long bNum, long bDen, long cNum, long cDen) {
    BigInteger num = BigInteger.valueOf(a).multiply(BigInteger.valueOf(bNum)).multiply(BigInteger.valueOf(cDen));
    BigInteger den = BigInteger.valueOf(bDen).multiply(BigInteger.valueOf(cNum));
    return new java.math.BigDecimal(num).divide(new java.math.BigDecimal(den), 0, RoundingMode.HALF_UP)
        .longValueExact();
  }
}
