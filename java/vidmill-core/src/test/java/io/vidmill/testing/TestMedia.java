package io.vidmill.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shared test corpus (../shared/media: valid/, invalid/, framemd5/, MANIFEST.tsv), read in
 * place and never copied. Tests that need it are skipped, with the reason, when it is absent.
 */
public final class TestMedia {
  private TestMedia() {}

  public static Path dir() {
    String configured = System.getProperty("vidmill.media.dir");
    Path dir = configured != null ? Path.of(configured) : Path.of("../../../shared/media");
    return dir.toAbsolutePath().normalize();
  }

  public static boolean present() {
    return Files.isRegularFile(dir().resolve("MANIFEST.tsv"));
  }

  /** Skips the calling test when the corpus is missing. */
  public static Path require() {
    assumeTrue(present(), "test media not found at " + dir()
        + " (set -Dvidmill.media.dir=...; the corpus lives in ../shared/media)");
    return dir();
  }

  /**
   * MANIFEST.tsv rows, keyed by column name; the "file" column is relative (valid/x.mp4).
   * Without the corpus the calling test is skipped with the reason (as a parameterized test's
   * source: no rows would be a configuration error, not a skip).
   */
  public static List<Map<String, String>> manifest() {
    require();
    try {
      List<String> lines = Files.readAllLines(dir().resolve("MANIFEST.tsv"));
      String[] header = lines.getFirst().split("\t", -1);
      List<Map<String, String>> rows = new ArrayList<>();
      for (String line : lines.subList(1, lines.size())) {
        if (line.isBlank()) continue;
        String[] cells = line.split("\t", -1);
        Map<String, String> row = new LinkedHashMap<>();
        for (int i = 0; i < header.length; i++) row.put(header[i], i < cells.length ? cells[i] : "");
        rows.add(row);
      }
      return rows;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The frame lines of ffmpeg's reference framemd5 for valid/NAME (no # lines). */
  public static List<String> referenceFrameLines(String name) throws IOException {
    return Files.readAllLines(dir().resolve("framemd5").resolve(name + ".framemd5")).stream()
        .filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
  }
}
