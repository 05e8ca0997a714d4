package io.vidmill.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vidmill.isolate.Isolation;
import io.vidmill.manifest.Manifest;
import io.vidmill.pipeline.Progress;
import io.vidmill.pipeline.Run;
import io.vidmill.pipeline.RunOptions;
import io.vidmill.shard.Shard;
import io.vidmill.testing.Results;
import io.vidmill.testing.TestMedia;
import io.vidmill.testing.TinyClips;
import io.vidmill.tune.TuneOptions;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contact sheet's two ways to a picture give the same bytes: the frame a run keeps as it
 * decodes (in-process and in decoding processes) against the report's own decode, on generated
 * clips of four containers and on the real-world corpus; the sample a run keeps pictures for is
 * the report's sample.
 */
class ContactSheetTest {
  @TempDir Path dir;

  @Test
  void theSampleIsTheKeysWithTheSmallestMd5AsDuckDbComputesIt() throws Exception {
    Random random = new Random(7);
    List<String> keys = new ArrayList<>(List.of("a", "ü/ö.mp4", "it's \"quoted\".mkv", "s3://b/k?x=1", "\u2028"));
    for (int i = 0; i < 200; i++) keys.add("clip-" + random.nextLong() + ".mp4");
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
         PreparedStatement st = db.prepareStatement("SELECT md5(?)")) {
      for (String k : keys) {
        st.setString(1, k);
        try (ResultSet rs = st.executeQuery()) {
          rs.next();
          assertEquals(rs.getString(1), ContactSheet.rank(k), k);
        }
      }
    }
    ContactSheet.Pictures p = new ContactSheet.Pictures(5);
    byte[] jpeg = {(byte) 0xff, (byte) 0xd8, (byte) 0xff, 0x00};
    for (String k : keys) {
      boolean smallest = keys.stream().filter(o -> ContactSheet.rank(o).compareTo(ContactSheet.rank(k)) < 0)
          .count() < 5;
      if (smallest) assertThat(p.wants(k)).as("a key of the final sample is always wanted: " + k).isTrue();
      if (p.wants(k)) p.add(k, jpeg);
    }
    List<String> expected = keys.stream().sorted(Comparator.comparing(ContactSheet::rank)).limit(5).toList();
    for (String k : keys) assertEquals(expected.contains(k), p.picture(k).isPresent(), k);
    assertThat(p.wants(keys.stream().max(Comparator.comparing(ContactSheet::rank)).orElseThrow())).isFalse();
    // a clip that succeeded without a picture holds its place; what is not a JPEG is none
    ContactSheet.Pictures q = new ContactSheet.Pictures(1);
    q.add(expected.get(0), "<svg/>".getBytes());
    assertThat(q.picture(expected.get(0))).isEmpty();
    assertThat(q.wants(expected.get(1))).isFalse();
  }

  @Test
  void aRunKeepsThePicturesTheReportWouldDecodeOnGeneratedClips() throws Exception {
    TinyClips.make(dir.resolve("clips"), 16);
    for (Isolation iso : List.of(Isolation.NONE, Isolation.PROCESSES)) {
      Map<String, Optional<byte[]>> kept = runAndCompare(dir.resolve("clips"), dir.resolve("out-" + iso.processes()),
          iso, 24);
      // mp4 and mov declare their frame count, so their pictures are made as they decode
      for (var e : kept.entrySet()) {
        if (e.getKey().endsWith(".mp4") || e.getKey().endsWith(".mov")) {
          assertThat(e.getValue()).as(e.getKey()).isPresent();
        }
      }
      assertThat(kept.values().stream().filter(Optional::isPresent).count()).isGreaterThanOrEqualTo(8);
    }
    // a sample smaller than the run: the run keeps pictures for exactly the report's sample
    Path out = dir.resolve("out-small-sample");
    ContactSheet.Pictures p = run(dir.resolve("clips"), out, Isolation.NONE, 3);
    try (Results r = new Results(out)) {
      List<Map<String, Object>> sample = r.query("SELECT key FROM CLIPS WHERE status = 'ok' ORDER BY md5(key) LIMIT 3");
      assertEquals(3, sample.size());
      for (var row : r.query("SELECT key FROM CLIPS")) {
        String key = (String) row.get("key");
        boolean inSample = sample.stream().anyMatch(s -> s.get("key").equals(key));
        if (!inSample) assertThat(p.picture(key)).as(key).isEmpty();
      }
    }
  }

  @Test
  void aRunKeepsThePicturesTheReportWouldDecodeOnTheCorpus() throws Exception {
    Path media = TestMedia.require().resolve("valid");
    Map<String, Optional<byte[]>> kept = runAndCompare(media, dir.resolve("out-corpus"), Isolation.PROCESSES, 100);
    long made = kept.values().stream().filter(Optional::isPresent).count();
    System.out.printf("corpus: %d of %d decoded clips got their picture as the run decoded them%n", made, kept.size());
    // most real files declare their frame count (mp4, mov); every one made must match
    assertThat(made).isGreaterThanOrEqualTo(kept.size() / 2);
  }

  /**
   * Runs over {@code clips} keeping pictures, then decodes every decoded clip's picture the
   * report's way; each picture the run kept is the same JPEG. Returns what the run kept.
   */
  private Map<String, Optional<byte[]>> runAndCompare(Path clips, Path out, Isolation iso, int count) throws Exception {
    ContactSheet.Pictures p = run(clips, out, iso, count);
    Map<String, Optional<byte[]>> kept = new TreeMap<>();
    try (Results r = new Results(out)) {
      for (var row : r.query("SELECT key, uri FROM CLIPS WHERE status = 'ok'")) {
        String key = (String) row.get("key");
        Optional<byte[]> mine = p.picture(key);
        kept.put(key, mine);
        if (mine.isEmpty()) continue;
        Optional<byte[]> decoded = Thumbnailer.standard().jpeg(key, (String) row.get("uri"), ContactSheet.WIDTH);
        assertThat(decoded).as(key).isPresent();
        assertThat(mine.get()).as("the run's picture of " + key + " is the report's").isEqualTo(decoded.get());
      }
    }
    assertThat(kept).isNotEmpty();
    return kept;
  }

  private static ContactSheet.Pictures run(Path clips, Path out, Isolation iso, int count) throws Exception {
    RunOptions o = new RunOptions(clips.toString(), Manifest.Format.AUTO, null, Manifest.DEFAULT_EXTENSIONS, out,
        Shard.ALL, TuneOptions.fixed(2, 1, 8, 64L << 20), Duration.ofSeconds(60), 0,
        io.vidmill.decode.OpenOptions.DEFAULTS.withThreads(1), Duration.ofSeconds(5), 1000, Progress.Mode.OFF,
        Duration.ofSeconds(10), false).withIsolation(iso);
    Run run = new Run(o, new PrintWriter(new StringWriter()), new ByteArrayInputStream(new byte[0]));
    ContactSheet.Pictures p = new ContactSheet.Pictures(count);
    run.keepPictures(p);
    run.execute();
    assertThat(Files.isDirectory(out.resolve("clips"))).isTrue();
    return p;
  }
}
