package io.vidmill.testing;

import io.vidmill.synth.SyntheticClip;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Many small synthetic clips, quick to make and to decode, for pipeline tests. */
public final class TinyClips {
  private TinyClips() {}

  /** n clips of 64x48 and 4 to 9 frames, mixing containers and codecs; returns their paths. */
  public static List<Path> make(Path dir, int n) throws IOException {
    Files.createDirectories(dir);
    List<Path> paths = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String[][] kinds = {{"mp4", "libopenh264"}, {"mkv", "mpeg4"}, {"webm", "libvpx"}, {"mov", "mpeg4"}};
      String[] k = kinds[i % kinds.length];
      Path p = dir.resolve(String.format("c%05d.%s", i, k[0]));
      if (!Files.exists(p)) {
        new SyntheticClip(64, 48, 25, 1, framesOf(i), 5, 0, i, k[1], "testsrc2", null).write(p);
      }
      paths.add(p);
    }
    return paths;
  }

  /** How many frames clip i has. */
  public static int framesOf(int i) {
    return 4 + i % 6;
  }
}
