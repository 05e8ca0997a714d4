package io.vidmill.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vidmill.synth.SyntheticClip;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 at random moments, then the same command again, until it finishes: every clip ends
 * up in the results exactly once, none lost, none duplicated, failures listed once.
 */
class RunResumeTest {
  @TempDir Path dir;

  private static long progressLines(Path log) throws java.io.IOException {
    if (!Files.exists(log)) return 0;
    try (var lines = Files.lines(log)) {
      return lines.filter(l -> l.startsWith("progress: ")).count();
    }
  }

  private static long journalBytes(Path out) throws java.io.IOException {
    Path journal = out.resolve("journal");
    return Files.exists(journal) ? Files.size(journal) : 0;
  }

  /**
   * Runs {@code args} again and again, each attempt killed with SIGKILL at a random moment once
   * it is decoding, until {@code minKills} kills have landed; then once more to its end. Returns
   * the kills.
   */
  static int killAndResume(String[] args, Path out, Path log, int minKills, long seed) throws Exception {
    Random random = new Random(seed);
    int kills = 0;
    for (int attempt = 0; attempt < 40; attempt++) {
      long linesBefore = progressLines(log);
      Process p = Subprocess.vidmill(log, List.of("-Xmx512m"), args).start();
      boolean last = kills >= minKills;
      if (!last) {
        // kill at a random moment once this attempt is decoding (its first progress line),
        // whatever the machine's speed: within its first commits, or between them; every
        // other kill waits for this attempt's first commit, so that resuming is exercised
        // even where starting up takes longer than the random delays
        long journalBefore = Math.max(4, journalBytes(out)); // a new journal holds its 4-byte magic
        while (p.isAlive() && progressLines(log) == linesBefore) Thread.sleep(20);
        if (attempt % 2 == 1) {
          while (p.isAlive() && journalBytes(out) <= journalBefore) Thread.sleep(10);
        }
        if (!p.waitFor(random.nextInt(1200), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly(); // SIGKILL
          p.waitFor();
          kills++;
          continue;
        }
      }
      assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
      if (p.exitValue() == 1) break; // finished, with the broken clips failed
      assertThat(p.exitValue()).as(Files.readString(log)).isIn(0, 1);
    }
    return kills;
  }

  /**
   * {@code n} clips (copies of {@code distinct} synthetic ones, 320x180, 1 to 1.4 s, MPEG-4 in
   * Matroska and H.264 in MP4) and {@code broken} truncated ones, named PREFIXnnnnn, added to the
   * manifest and to what each should end as.
   */
  private void clips(String prefix, int n, int distinct, int broken, StringBuilder manifest,
                     Map<String, String> expected) throws java.io.IOException {
    Path clips = Files.createDirectories(dir.resolve("clips"));
    for (int i = 0; i < n; i++) {
      Path p = clips.resolve(String.format("%s%05d.%s", prefix, i, i % 2 == 0 ? "mkv" : "mp4"));
      if (i < distinct) {
        new SyntheticClip(320, 180, 25, 1, 25 + i % 10, 12, 0, i, i % 2 == 0 ? "mpeg4" : "libopenh264", "testsrc2", null).write(p);
      } else {
        Files.copy(clips.resolve(String.format("%s%05d.%s", prefix, i % distinct, i % 2 == 0 ? "mkv" : "mp4")), p);
      }
      manifest.append(p).append('\n');
      expected.put(p.toString(), "ok");
    }
    byte[] head = Files.readAllBytes(clips.resolve(prefix + "00001.mp4"));
    for (int i = 0; i < broken; i++) {
      Path b = clips.resolve(prefix + "broken" + i + ".mp4");
      Files.write(b, java.util.Arrays.copyOf(head, head.length / 2));
      manifest.append(b).append('\n');
      expected.put(b.toString(), "TRUNCATED");
    }
  }

  @Test
  void killedAtRandomMomentsThenResumedEveryClipExactlyOnce() throws Exception {
    // thousands of small clips (enough work, about 20 s for one worker, that every kill lands
    // mid-run), some broken ones among them
    Map<String, String> expected = new HashMap<>();
    StringBuilder manifest = new StringBuilder();
    clips("c", 2000, 40, 20, manifest, expected);
    Path media = Path.of(System.getProperty("vidmill.media.dir", "../../../shared/media"));
    if (Files.isDirectory(media.resolve("invalid"))) {
      for (String f : List.of("videl_empty.mp4", "androidx_sample_audio_only.mp4", "mp4parse_av1-clearkey-cbcs-video.mp4")) {
        manifest.append(media.resolve("invalid").resolve(f).toAbsolutePath().normalize()).append('\n');
      }
      expected.put(media.resolve("invalid/videl_empty.mp4").toAbsolutePath().normalize().toString(), "NOT_A_VIDEO");
      expected.put(media.resolve("invalid/androidx_sample_audio_only.mp4").toAbsolutePath().normalize().toString(), "NO_VIDEO_STREAM");
      expected.put(media.resolve("invalid/mp4parse_av1-clearkey-cbcs-video.mp4").toAbsolutePath().normalize().toString(), "ENCRYPTED");
    }
    Path list = Files.writeString(dir.resolve("manifest.txt"), manifest.toString());
    Path out = dir.resolve("out");
    Path log = dir.resolve("log.txt");
    String[] args = {"run", "--input", list.toString(), "--out", out.toString(), "--commit-interval", "0.1",
        "--part-rows", "150", "--progress", "log", "--log-interval", "0.2", "--workers", "1"};

    int kills = killAndResume(args, out, log, 6, 20261125);
    assertThat(kills).as("the kills must land while the run is going").isGreaterThanOrEqualTo(6);
    assertThat(Files.readString(log)).contains("resuming:");

    Map<String, String> got = new HashMap<>();
    long rows;
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement s = db.createStatement()) {
      String parts = out.resolve("clips/*.parquet").toString();
      try (ResultSet rs = s.executeQuery("SELECT count(*) FROM read_parquet('" + parts + "')")) {
        rs.next();
        rows = rs.getLong(1);
      }
      try (ResultSet rs = s.executeQuery("SELECT key, status FROM read_parquet('" + parts + "')")) {
        while (rs.next()) got.put(rs.getString(1), rs.getString(2));
      }
    }
    assertEquals(expected.size(), rows, "one row per clip, no duplicates");
    assertEquals(expected, got);
    List<String> failures = Files.readAllLines(out.resolve("failures.jsonl"));
    long failed = expected.values().stream().filter(v -> !v.equals("ok")).count();
    assertEquals(failed, failures.size());
    Set<String> failedKeys = new HashSet<>();
    for (String f : failures) failedKeys.add(f.replaceAll("^\\{\"key\":\"([^\"]*)\".*", "$1"));
    assertEquals(failed, failedKeys.size());
    assertThat(Files.list(out.resolve("clips")).map(Path::toString).filter(n -> n.endsWith(".tmp")).toList()).isEmpty();
    // the report of the last attempt covers them all: every clip once, the timeline of every attempt
    var report = ReportCommandTest.dataOf(out.resolve("report.html"));
    assertEquals(expected.size(), report.path("totals").path("clips").asLong());
    assertThat(report.path("timeline").path("attempts").asInt()).isGreaterThan(kills);

    // and once finished, the same command is a no-op that says so
    Path again = dir.resolve("again.txt");
    Process p = Subprocess.vidmill(again, List.of(), args).start();
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertEquals(1, p.exitValue());
    assertThat(Files.readString(again)).contains("already complete");
  }

  /**
   * The same with the clips' frames written as JPEG shards (rolled small, so that kills land
   * on both sides of shard boundaries and commits): every clip's frames are in exactly one
   * shard, once, where its row says; a clip that failed has none; the frames table has a row
   * per frame, once.
   */
  @Test
  void killedWhileWritingShardsEveryClipsFramesExactlyOnce() throws Exception {
    Map<String, String> expected = new HashMap<>();
    StringBuilder manifest = new StringBuilder();
    // enough clips that a run is still going after five kills at random moments (decoding
    // processes start in milliseconds: each attempt gets far)
    clips("f", 1000, 20, 10, manifest, expected);
    Path list = Files.writeString(dir.resolve("frames-manifest.txt"), manifest.toString());
    Path out = dir.resolve("frames-out");
    Path log = dir.resolve("frames-log.txt");
    String[] args = {"run", "--input", list.toString(), "--out", out.toString(), "--frames", "jpeg", "--size", "32x32",
        "--sample", "uniform=2", "--stats", "--frames-table", "--shard-size", "48K", "--commit-interval", "0.1",
        "--part-rows", "50", "--progress", "log", "--log-interval", "0.2", "--workers", "1", "--no-report"};
    int kills = killAndResume(args, out, log, 5, 20261202);
    assertThat(kills).isGreaterThanOrEqualTo(5);
    assertThat(Files.readString(log)).contains("resuming:");

    Map<String, String> status = new HashMap<>();
    Map<String, String[]> placement = new HashMap<>(); // key -> shard, offset
    long tableRows;
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement s = db.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT key, status, frames_shard, frames_offset, sample_key FROM read_parquet('"
          + out.resolve("clips/*.parquet") + "')")) {
        while (rs.next()) {
          assertThat(status.put(rs.getString(1), rs.getString(2))).as("one row per clip").isNull();
          if (rs.getString(3) != null) placement.put(rs.getString(5), new String[] {rs.getString(3), rs.getString(4)});
        }
      }
      try (ResultSet rs = s.executeQuery("SELECT count(*), count(DISTINCT (key, frame)) FROM read_parquet('"
          + out.resolve("frames_table/*.parquet") + "')")) {
        rs.next();
        tableRows = rs.getLong(1);
        assertEquals(tableRows, rs.getLong(2), "each frame once in the frames table");
      }
    }
    assertEquals(expected, status);
    long ok = expected.values().stream().filter("ok"::equals).count();
    assertEquals(2 * ok, tableRows);

    // every member of every shard, read with commons-compress: each clip's frames once, together
    Map<String, java.util.List<String>> samples = new java.util.LinkedHashMap<>();
    Map<String, String> shardOf = new HashMap<>();
    java.util.List<Path> shards;
    try (var files = Files.list(out.resolve("frames"))) {
      java.util.List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
      assertThat(names).as("finished shards only").allMatch(n -> n.matches("frames-\\d{6}\\.tar"));
      shards = names.stream().map(n -> out.resolve("frames").resolve(n)).toList();
    }
    assertThat(shards.size()).isGreaterThan(3);
    for (Path shard : shards) {
      try (var in = Files.newInputStream(shard);
           var tar = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(in)) {
        String last = null;
        for (var e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
          String key = e.getName().substring(0, e.getName().indexOf('.'));
          if (!key.equals(last)) {
            assertThat(samples.containsKey(key)).as("%s appears once, its members together", key).isFalse();
            samples.put(key, new java.util.ArrayList<>());
            shardOf.put(key, shard.getFileName().toString());
          }
          samples.get(key).add(e.getName().substring(key.length() + 1));
          last = key;
        }
      }
    }
    assertEquals(ok, samples.size(), "a sample per clip that succeeded, none for the failed ones");
    for (Map.Entry<String, String> e : expected.entrySet()) {
      String sk = io.vidmill.dataset.SampleKey.of(e.getKey());
      if (!e.getValue().equals("ok")) {
        assertThat(samples).doesNotContainKey(sk);
        continue;
      }
      assertEquals(java.util.List.of("000000.jpg", "000001.jpg", "json"), samples.get(sk), e.getKey());
      String[] where = placement.get(sk);
      assertEquals(shardOf.get(sk), where[0], "the row names the clip's shard");
      // and the offset is where its first member starts
      try (var ch = java.nio.channels.FileChannel.open(out.resolve("frames").resolve(where[0]))) {
        java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(512);
        ch.read(header, Long.parseLong(where[1]));
        assertThat(new org.apache.commons.compress.archivers.tar.TarArchiveEntry(header.array()).getName())
            .isEqualTo(sk + ".000000.jpg");
      }
    }
    try (var all = Files.walk(out)) {
      assertThat(all.map(Path::toString).filter(n -> n.endsWith(".tmp") || n.contains(".spool"))).isEmpty();
    }
  }
}
