package io.vidmill.synth;

import static io.vidmill.nativelib.Layouts.SYNTH_OPTIONS;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.vidmill.ClipException;
import io.vidmill.decode.ClipInfo;
import io.vidmill.decode.Status;
import io.vidmill.nativelib.Layouts;
import io.vidmill.nativelib.NativeLibrary;
import io.vidmill.nativelib.Vidmill;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A test-pattern clip for demos, benchmarks and tests, encoded by the FFmpeg build vidmill
 * ships (libopenh264, libvpx, libaom, SVT-AV1, FFmpeg's own encoders): no ffmpeg binary and no
 * third-party media needed. The file appears atomically.
 *
 * @param encoder FFmpeg encoder name, e.g. "libopenh264", "libvpx-vp9", "mpeg4", "libaom-av1"
 * @param pattern lavfi source: "testsrc2", "mandelbrot", "smptehdbars", ...
 * @param pixFmt null for the encoder's default (yuv420p when it has it)
 * @param seed varies the picture, so that clips of a corpus differ
 */
public record SyntheticClip(int width, int height, int fpsNum, int fpsDen, int frames, int gop,
                            int bitRateKbps, int seed, String encoder, String pattern, String pixFmt) {
  public SyntheticClip {
    Objects.requireNonNull(encoder, "encoder");
    Objects.requireNonNull(pattern, "pattern");
  }

  /** H.264 (OpenH264), testsrc2, one key frame per second. */
  public static SyntheticClip h264(int width, int height, int fps, double seconds, int seed) {
    return new SyntheticClip(width, height, fps, 1, (int) Math.round(fps * seconds), fps, 0, seed,
        "libopenh264", "testsrc2", null);
  }

  public SyntheticClip withEncoder(String e) {
    return new SyntheticClip(width, height, fpsNum, fpsDen, frames, gop, bitRateKbps, seed, e, pattern, pixFmt);
  }

  public SyntheticClip withPattern(String p) {
    return new SyntheticClip(width, height, fpsNum, fpsDen, frames, gop, bitRateKbps, seed, encoder, p, pixFmt);
  }

  public SyntheticClip withPixFmt(String p) {
    return new SyntheticClip(width, height, fpsNum, fpsDen, frames, gop, bitRateKbps, seed, encoder, pattern, p);
  }

  /** Encodes the clip to {@code path}; the container follows the extension (.mp4, .webm, .mkv, .mov). */
  public void write(Path path) {
    NativeLibrary.requireAvailable();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment o = arena.allocate(SYNTH_OPTIONS);
      o.set(JAVA_INT, 0, (int) SYNTH_OPTIONS.byteSize());
      o.set(JAVA_INT, Layouts.offset(SYNTH_OPTIONS, "width"), width);
      o.set(JAVA_INT, Layouts.offset(SYNTH_OPTIONS, "height"), height);
      o.set(JAVA_INT, Layouts.offset(SYNTH_OPTIONS, "fps_num"), fpsNum);
      o.set(JAVA_INT, Layouts.offset(SYNTH_OPTIONS, "fps_den"), fpsDen);
      o.set(JAVA_INT, Layouts.offset(SYNTH_OPTIONS, "frames"), frames);
      o.set(JAVA_INT, Layouts.offset(SYNTH_OPTIONS, "gop"), gop);
      o.set(JAVA_INT, Layouts.offset(SYNTH_OPTIONS, "bit_rate_kbps"), bitRateKbps);
      o.set(JAVA_INT, Layouts.offset(SYNTH_OPTIONS, "seed"), seed);
      o.set(ADDRESS, Layouts.offset(SYNTH_OPTIONS, "path"), arena.allocateFrom(path.toString()));
      o.set(ADDRESS, Layouts.offset(SYNTH_OPTIONS, "encoder"), arena.allocateFrom(encoder));
      o.set(ADDRESS, Layouts.offset(SYNTH_OPTIONS, "pattern"), arena.allocateFrom(pattern));
      o.set(ADDRESS, Layouts.offset(SYNTH_OPTIONS, "pix_fmt"),
          pixFmt == null ? MemorySegment.NULL : arena.allocateFrom(pixFmt));
      MemorySegment detail = arena.allocate(512);
      int rc = Vidmill.vm_synth_write(o, detail, 512);
      if (rc != 0) {
        throw new ClipException(Status.of(rc), path.toString(), "cannot synthesise a " + encoder + " clip: "
            + detail.getString(0), ClipInfo.UNKNOWN);
      }
    }
  }
}
