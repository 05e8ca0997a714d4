package io.vidmill.cli;

import io.vidmill.synth.SyntheticClip;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A small folder of real clips for report and metrics tests: several codecs, sizes and rates, two broken files. */
final class SampleClips {
  /** A file name that would be markup if anything put it into the page as HTML. */
  static final String EVIL_NAME = "<img src=x onerror=window.__pwned=1>&amp;.mp4";

  private SampleClips() {}

  /** The good clips (in name order), all made in {@code dir}; the broken ones are there too. */
  static List<Path> make(Path dir) throws IOException {
    Files.createDirectories(dir);
    List<Path> good = new ArrayList<>();
    Object[][] kinds = {
        {"a_h264_%d.mp4", SyntheticClip.h264(96, 64, 25, 0.4, 0), 3},
        {"b_mpeg4_%d.mkv", SyntheticClip.h264(128, 72, 30, 0.3, 10).withEncoder("mpeg4"), 2},
        {"c_vp9_%d.webm", SyntheticClip.h264(80, 48, 24, 0.25, 20).withEncoder("libvpx-vp9"), 2},
        {"d_h264_%d.mov", SyntheticClip.h264(64, 112, 50, 0.2, 30), 1}};
    for (Object[] k : kinds) {
      SyntheticClip c = (SyntheticClip) k[1];
      for (int i = 0; i < (int) k[2]; i++) {
        Path p = dir.resolve(String.format((String) k[0], i));
        new SyntheticClip(c.width(), c.height(), c.fpsNum(), c.fpsDen(), c.frames(), c.gop(), c.bitRateKbps(),
            c.seed() + i, c.encoder(), c.pattern(), c.pixFmt()).write(p);
        good.add(p);
      }
    }
    Files.writeString(dir.resolve("broken_not_a_video.mp4"), "this is text, not a video");
    Files.writeString(dir.resolve(EVIL_NAME), "neither is this");
    return good;
  }

  /** Frames of all the good clips together. */
  static long frames() {
    return 3 * 10 + 2 * 9 + 2 * 6 + 10;
  }
}
