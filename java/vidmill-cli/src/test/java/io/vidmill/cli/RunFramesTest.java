package io.vidmill.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vidmill.dataset.SampleKey;
import io.vidmill.decode.Clip;
import io.vidmill.decode.FrameMd5Format;
import io.vidmill.decode.OpenOptions;
import io.vidmill.decode.Source;
import io.vidmill.synth.SyntheticClip;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vidmill run} making datasets, checked the way their users read them: the tar shards
 * with Python's tarfile, the JPEGs decoded by OpenCV and compared with the rgb24 frames of the
 * same run made as npy, the arrays loaded by numpy and compared with {@code vidmill frames}, the
 * selected frames against {@code framemd5 --sample}, hostile keys kept inside their folder.
 */
class RunFramesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PYTHON = "/usr/bin/python3";

  @TempDir static Path dir;
  static List<Path> clips = new ArrayList<>();

  @BeforeAll
  static void clips() throws IOException {
    Path in = Files.createDirectories(dir.resolve("in"));
    // colour bars and motion (testsrc2), three codecs and containers, an odd size
    Object[][] kinds = {{"a.mp4", SyntheticClip.h264(320, 180, 25, 1.2, 1)},
        {"b.mkv", SyntheticClip.h264(176, 144, 30, 0.5, 2).withEncoder("mpeg4")},
        {"c.webm", SyntheticClip.h264(161, 97, 24, 0.5, 3).withEncoder("libvpx-vp9")}};
    for (Object[] k : kinds) {
      Path p = in.resolve((String) k[0]);
      ((SyntheticClip) k[1]).write(p);
      clips.add(p);
    }
  }

  static Path media() {
    Path m = Path.of(System.getProperty("vidmill.media.dir", "../../../shared/media")).toAbsolutePath().normalize();
    return Files.isDirectory(m.resolve("valid")) ? m : null;
  }

  static RunCommandTest.Result vidmill(String... args) {
    return RunCommandTest.run(args);
  }

  /** Runs check_shards.py on OUT (and a reference OUT); skips the test when Python or OpenCV is missing. */
  static JsonNode pythonReads(Path out, Path reference) throws Exception {
    assumeTrue(Files.isExecutable(Path.of(PYTHON)), "no " + PYTHON + ": the shards are not read by Python here");
    Process probe = new ProcessBuilder(PYTHON, "-c", "import cv2, numpy").redirectErrorStream(true).start();
    assumeTrue(probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0,
        "python3 has no cv2/numpy (apt-get install python3-opencv): the shards are not read by Python here");
    Path script = dir.resolve("check_shards.py");
    try (InputStream s = RunFramesTest.class.getResourceAsStream("check_shards.py")) {
      Files.write(script, s.readAllBytes());
    }
    List<String> cmd = new ArrayList<>(List.of(PYTHON, script.toString(), out.toString()));
    if (reference != null) cmd.add(reference.toString());
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    byte[] stdout = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertEquals(0, p.exitValue(), new String(stdout, StandardCharsets.UTF_8));
    return JSON.readTree(stdout);
  }

  static List<Map<String, Object>> rows(String sql) throws Exception {
    List<Map<String, Object>> rows = new ArrayList<>();
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement s = db.createStatement();
         ResultSet rs = s.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 1; i <= n; i++) row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
        rows.add(row);
      }
    }
    return rows;
  }

  private static void assertNoLeftovers(Path out) throws IOException {
    try (Stream<Path> s = Files.walk(out)) {
      assertThat(s.map(p -> out.relativize(p).toString()).filter(n -> n.endsWith(".tmp") || n.contains(".spool")))
          .isEmpty();
    }
  }

  @Test
  void jpegShardsOpenInPythonAndHoldTheFrames() throws Exception {
    // keys a manifest may well have: paths that climb, absolute ones, dots, other alphabets,
    // two that read alike; the clips behind them are real
    Map<String, Path> keys = new LinkedHashMap<>();
    keys.put("../../escape/../a.mp4", clips.get(0));
    keys.put("/etc/clip.mp4", clips.get(1));
    keys.put("dots.in.the.name.webm", clips.get(2));
    keys.put("\u89c6\u9891/\ud074\ub9bd \u00fc.mp4", clips.get(0));
    keys.put(".hidden", clips.get(1));
    keys.put("a/b", clips.get(2));
    keys.put("a_b", clips.get(2));
    Path m = media();
    if (m != null) {
      keys.put("rotated and mirrored", m.resolve("valid/androidx_sample_rotate_and_reflect.mp4"));
      keys.put("10-bit", m.resolve("valid/torchcodec_h264_10bits.mp4"));
    }
    StringBuilder jsonl = new StringBuilder();
    keys.forEach((k, p) -> jsonl.append(JSON.createObjectNode().put("key", k).put("path", p.toString())
        .put("caption", "about " + k)).append('\n'));
    Path manifest = Files.writeString(dir.resolve("keys.jsonl"), jsonl.toString());
    Path out = dir.resolve("jpeg");
    Path ref = dir.resolve("npy");
    String[] common = {"--size", "224x224", "--fit", "crop", "--sample", "uniform=3", "--progress", "off",
        "--workers", "2", "--no-report"};
    RunCommandTest.Result r = vidmill(concat(new String[] {"run", "-i", manifest.toString(), "-o", out.toString(),
        "--frames", "jpeg", "--stats", "--frames-table", "--shard-size", "40K"}, common));
    assertEquals(Main.EXIT_OK, r.exit(), r.out() + r.err());
    assertThat(r.out()).contains("frames: " + 3 * keys.size() + " written this attempt (jpeg");
    RunCommandTest.Result n = vidmill(concat(new String[] {"run", "-i", manifest.toString(), "-o", ref.toString(),
        "--frames", "npy", "--format", "rgb24"}, common));
    assertEquals(Main.EXIT_OK, n.exit(), n.out() + n.err());

    JsonNode py = pythonReads(out, ref);
    assertThat(py.path("problems")).as("what Python saw").isEmpty();
    assertThat(py.path("shards").size()).as("rolled at 40K").isGreaterThan(1);
    assertEquals(keys.size(), py.path("samples").size());
    Map<String, JsonNode> byKey = new HashMap<>();
    for (JsonNode s : py.path("samples")) byKey.put(s.path("key").asText(), s);
    for (String key : keys.keySet()) {
      JsonNode s = byKey.get(key);
      assertThat(s).as(key).isNotNull();
      String sk = SampleKey.of(key);
      assertEquals(sk, s.path("sample_key").asText(), "the tar key is the sanitized key");
      assertEquals(sk, s.path("json_sample_key").asText());
      assertThat(sk).matches("[A-Za-z0-9][A-Za-z0-9_-]*-[0-9a-f]{32}");
      assertThat(s.path("fields")).extracting(JsonNode::asText)
          .containsExactly("000000.jpg", "000001.jpg", "000002.jpg", "json");
      for (JsonNode shape : s.path("shapes")) assertEquals("[224,224,3]", shape.toString(), key);
      for (int i = 0; i < 3; i++) {
        double psnr = s.path("psnr").get(i).asDouble();
        // as close to the frame as libjpeg's own JPEG at quality 95 (mjpeg's DC step is a little coarser)
        assertThat(psnr).as("%s frame %d against its rgb24 frame", key, i)
            .isGreaterThan(s.path("psnr_libjpeg").get(i).asDouble() - 1.0).isGreaterThan(27);
        if (clips.contains(keys.get(key))) { // testsrc2's colour bars: a swap shows
          assertThat(s.path("psnr_swapped").get(i).asDouble()).as("red and blue in their places").isLessThan(psnr - 3);
        }
      }
    }
    assertThat(SampleKey.of("a/b")).isNotEqualTo(SampleKey.of("a_b"));

    // the results say where each clip's frames went; the frames table has a row per frame
    String clipsGlob = out.resolve("clips/*.parquet").toString();
    List<Map<String, Object>> res = rows("SELECT key, sample_key, frames_shard, frames_returned, frames_decoded, "
        + "sample_path, luma_mean, sharpness_max, black_frames FROM '" + clipsGlob + "'");
    assertEquals(keys.size(), res.size());
    for (Map<String, Object> row : res) {
      JsonNode s = byKey.get((String) row.get("key"));
      assertEquals(s.path("sample_key").asText(), row.get("sample_key"));
      assertEquals(s.path("shard").asText(), row.get("frames_shard"));
      assertEquals(3L, row.get("frames_returned"));
      assertThat((Long) row.get("frames_decoded")).isGreaterThanOrEqualTo(3L);
      assertThat(row.get("sample_path")).isIn("planned", "through");
      assertThat((Double) row.get("luma_mean")).isBetween(1.0, 254.0);
      assertThat(row.get("black_frames")).isEqualTo(0L);
    }
    List<Map<String, Object>> frames = rows("SELECT key, frame, file, shard, pts, time, sharpness, dhash FROM '"
        + out.resolve("frames_table/*.parquet") + "' ORDER BY key, frame");
    assertEquals(3 * keys.size(), frames.size());
    for (Map<String, Object> f : frames) {
      JsonNode s = byKey.get((String) f.get("key"));
      int i = (Integer) f.get("frame");
      assertEquals(s.path("frames").get(i).asText(), f.get("file"));
      assertEquals(s.path("pts").get(i).asLong(), f.get("pts"));
      assertEquals(s.path("shard").asText(), f.get("shard"));
      assertThat(f.get("sharpness")).isNotNull();
    }
    // the manifest's columns and the real key travel in the json
    JsonNode json = JSON.readTree(firstMember(out, SampleKey.of("dots.in.the.name.webm") + ".json"));
    assertEquals("dots.in.the.name.webm", json.path("key").asText());
    assertEquals("about dots.in.the.name.webm", json.path("columns").path("caption").asText());
    assertEquals(3, json.path("frames").size());
    assertThat(json.path("frames").get(0).has("sharpness")).isTrue();
    assertThat(json.path("aggregates").path("frames").asInt()).isEqualTo(3);
    assertEquals("jpeg", json.path("outputs").path("frames").asText());
    assertNoLeftovers(out);
    // nothing but the run's own files in OUT
    try (Stream<Path> s = Files.list(out)) {
      assertThat(s.map(p -> p.getFileName().toString()).toList()).allMatch(f -> f.matches(
          "clips|frames|frames_table|run\\.json|journal|failures\\.jsonl|summary\\.json|timeline\\.jsonl|metrics\\.json"));
    }

    // the same command again is a no-op; other outputs into the same OUT are refused
    assertThat(vidmill(concat(new String[] {"run", "-i", manifest.toString(), "-o", out.toString(), "--frames", "jpeg",
        "--stats", "--frames-table", "--shard-size", "40K"}, common)).out()).contains("already complete");
    RunCommandTest.Result other = vidmill(concat(new String[] {"run", "-i", manifest.toString(), "-o", out.toString(),
        "--frames", "png", "--stats", "--frames-table"}, common));
    assertEquals(Main.EXIT_FATAL, other.exit());
    assertThat(other.err()).contains("made with other outputs");
  }

  @Test
  void decodingProcessesWriteTheSameDatasetAsThisProcess() throws Exception {
    // the default decodes in child processes, which spool the clips' members for this
    // process's sink: the dataset must not tell the two apart
    Map<String, Map<String, String>> members = new HashMap<>();
    Map<String, List<Map<String, Object>>> tables = new HashMap<>();
    Map<String, List<Map<String, Object>>> clipRows = new HashMap<>();
    for (String isolation : List.of("none", "process")) {
      Path out = dir.resolve("isolation-" + isolation);
      RunCommandTest.Result r = vidmill("run", "-i", dir.resolve("in").toString(), "-o", out.toString(),
          "--isolation", isolation, "--frames", "png", "--size", "96x64", "--sample", "uniform=4", "--stats",
          "--frames-table", "--shard-size", "20K", "--progress", "off", "--no-report");
      assertEquals(0, r.exit(), r.err());
      Map<String, String> m = new HashMap<>();
      try (Stream<Path> shards = Files.list(out.resolve("frames"))) {
        for (Path shard : shards.toList()) {
          try (InputStream in = Files.newInputStream(shard);
               var tar = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(in)) {
            for (var e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
              String digest = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(tar.readAllBytes()));
              assertThat(m.put(e.getName(), digest)).as("%s once", e.getName()).isNull();
            }
          }
        }
      }
      members.put(isolation, m);
      tables.put(isolation, rows("SELECT key, frame, file, pts, time, key_frame, width, height, luma_mean, sharpness, "
          + "dhash FROM '" + out.resolve("frames_table/*.parquet") + "' ORDER BY key, frame"));
      clipRows.put(isolation, rows("SELECT key, status, frames_decoded, frames_returned, sample_key, luma_mean, "
          + "black_frames FROM '" + out.resolve("clips/*.parquet") + "' ORDER BY key"));
      assertNoLeftovers(out);
    }
    assertThat(members.get("none")).hasSize(clips.size() * 5); // four PNGs and a json each
    assertEquals(members.get("none"), members.get("process"));
    assertThat(tables.get("none")).hasSize(clips.size() * 4);
    assertEquals(tables.get("none"), tables.get("process"));
    assertThat(clipRows.get("none")).hasSize(clips.size()).allMatch(row -> row.get("status").equals("ok"));
    assertEquals(clipRows.get("none"), clipRows.get("process"));
  }

  /** The bytes of the first member called {@code name} in the run's shards. */
  private static byte[] firstMember(Path out, String name) throws IOException {
    try (Stream<Path> shards = Files.list(out.resolve("frames"))) {
      for (Path shard : shards.sorted().toList()) {
        try (InputStream in = Files.newInputStream(shard);
             var tar = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(in)) {
          for (var e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
            if (e.getName().equals(name)) return tar.readAllBytes();
          }
        }
      }
    }
    throw new AssertionError(name + " is in no shard");
  }

  @Test
  void npyArraysAreTheFramesOfVidmillFrames() throws Exception {
    List<Path> files = new ArrayList<>(clips);
    if (media() != null) files.add(media().resolve("valid/androidx_sample_rotate_and_reflect.mp4")); // portrait once turned
    Path list = Files.writeString(dir.resolve("npy-list.txt"),
        String.join("\n", files.stream().map(Path::toString).toList()) + "\n");
    // the short side (the size follows each clip's picture) in gray, and a padded box in rgb24
    String[][] cases = {{"--size", "48", "--format", "gray8"}, {"--size", "64x40", "--fit", "pad", "--format", "rgb24"}};
    for (int c = 0; c < cases.length; c++) {
      Path out = dir.resolve("npy" + c);
      RunCommandTest.Result r = vidmill(concat(new String[] {"run", "-i", list.toString(), "-o", out.toString(),
          "--frames", "npy", "--progress", "off", "--no-report"}, cases[c]));
      assertEquals(Main.EXIT_OK, r.exit(), r.out() + r.err());
      JsonNode py = pythonReads(out, null);
      assertThat(py.path("problems")).isEmpty();
      Map<String, JsonNode> byKey = new HashMap<>();
      for (JsonNode s : py.path("samples")) byKey.put(s.path("key").asText(), s);
      for (Path f : files) {
        JsonNode s = byKey.get(f.toString());
        Path raw = dir.resolve("raw" + c + ".bin");
        CliTest.Run frames = CliTest.run(concat(concat(new String[] {"frames", "--raw", raw.toString()}, cases[c]),
            new String[] {f.toString()}));
        assertEquals(Main.EXIT_OK, frames.exit(), frames.err());
        List<JsonNode> lines = new ArrayList<>();
        for (String l : frames.outLines()) lines.add(JSON.readTree(l));
        JsonNode first = lines.getFirst();
        List<Integer> shape = new ArrayList<>(List.of(lines.size(), first.path("height").asInt(), first.path("width").asInt()));
        if (c == 1) shape.add(3);
        assertEquals(shape.toString().replace(" ", ""), s.path("npy_shape").toString(), f.toString());
        assertEquals("uint8", s.path("npy_dtype").asText());
        if (c == 0) assertThat(shape.subList(1, 3)).contains(48); // the short side
        else assertEquals(List.of(40, 64), shape.subList(1, 3));
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(Files.readAllBytes(raw))),
            s.path("npy_md5").asText(), "the array is vidmill frames' pixels, byte for byte: " + f);
        assertThat(s.path("fields")).extracting(JsonNode::asText).containsExactly("json", "npy");
      }
      assertNoLeftovers(out);
    }
  }

  /** The frames a sampled run keeps are those framemd5 --sample prints, on every valid file of the corpus. */
  @Test
  void samplingThroughRunIsFramemd5Sample() throws Exception {
    Path m = CliTest.media();
    List<Path> files;
    try (Stream<Path> s = Files.list(m.resolve("valid"))) {
      files = s.sorted().toList();
    }
    Path list = Files.writeString(dir.resolve("corpus.txt"),
        String.join("\n", files.stream().map(Path::toString).toList()) + "\n");
    // a rule by time with a window, one by count, the key-frame path (the library's own test,
    // SampledCorpusTest, runs every rule; this is the run's path through it)
    String[][] rules = {{"--sample", "fps=2", "--start", "0.5", "--end", "3"}, {"--sample", "uniform=5"},
        {"--sample", "keyframes", "--max-frames", "3"}};
    for (int k = 0; k < rules.length; k++) {
      Path out = dir.resolve("corpus" + k);
      RunCommandTest.Result r = vidmill(concat(new String[] {"run", "-i", list.toString(), "-o", out.toString(),
          "--frames-table", "--progress", "off", "--no-report"}, rules[k]));
      assertThat(r.exit()).as(r.out() + r.err()).isIn(Main.EXIT_OK, Main.EXIT_CLIPS_FAILED);
      Map<String, List<Long>> table = new HashMap<>();
      for (Map<String, Object> row : rows("SELECT key, pts FROM '" + out.resolve("frames_table/*.parquet")
          + "' ORDER BY key, frame")) {
        table.computeIfAbsent((String) row.get("key"), x -> new ArrayList<>()).add((Long) row.get("pts"));
      }
      Map<String, Map<String, Object>> results = new HashMap<>();
      for (Map<String, Object> row : rows("SELECT key, status, frames_returned FROM '" + out.resolve("clips/*.parquet")
          + "'")) {
        results.put((String) row.get("key"), row);
      }
      for (Path f : files) {
        CliTest.Run md5 = CliTest.run(concat(concat(new String[] {"framemd5"}, rules[k]), new String[] {f.toString()}));
        List<Long> pts = md5.outLines().stream().filter(l -> !l.startsWith("#") && !l.isBlank())
            .map(l -> Long.parseLong(l.split(",")[2].strip())).toList();
        Map<String, Object> row = results.get(f.toString());
        String what = String.join(" ", rules[k]) + " " + f.getFileName();
        if (md5.exit() == Main.EXIT_OK) {
          assertEquals("ok", row.get("status"), what);
          // the table holds stream timestamps; framemd5 prints them in its own time base
          List<Long> mapped = new ArrayList<>();
          try (Clip clip = Clip.open(Source.of(f), OpenOptions.DEFAULTS.withFullProbe(true).withOpenDecoder(false))) {
            FrameMd5Format format = new FrameMd5Format(clip.info());
            for (long p : table.getOrDefault(f.toString(), List.of())) mapped.add(format.outputPts(p));
          }
          assertEquals(pts, mapped, what);
        } else {
          assertThat(row.get("status")).as(what).isNotEqualTo("ok"); // a failed clip keeps no frames
          assertThat(table).doesNotContainKey(f.toString());
        }
        assertEquals((long) pts.size(), row.get("frames_returned"), what);
      }
    }
  }

  @Test
  void badDatasetOptionsAreUsageErrors() {
    String in = clips.getFirst().toString();
    String out = dir.resolve("bad").toString();
    for (String[] args : new String[][] {{"--frames", "gif"}, {"--format", "yuv420p"}, {"--quality", "0"},
                                         {"--size", "big"}, {"--fit", "stretch", "--size", "8x8"},
                                         {"--format", "rgb24", "--format", "gray8"}, {"--shard-size", "lots"},
                                         {"--input-format", "xml"}}) {
      RunCommandTest.Result r = vidmill(concat(new String[] {"run", "-i", in, "-o", out}, args));
      assertEquals(Main.EXIT_USAGE, r.exit(), String.join(" ", args) + ": " + r.out() + r.err());
    }
    // the old spelling of the manifest's format still works beside a pixel format
    Path list = dir.resolve("list.txt");
    try {
      Files.writeString(list, in + "\n");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    RunCommandTest.Result ok = vidmill("run", "-i", list.toString(), "-o", dir.resolve("lines").toString(), "--format",
        "lines", "--format", "gray8", "--size", "16", "--progress", "off", "--no-report");
    assertEquals(Main.EXIT_OK, ok.exit(), ok.out() + ok.err());
  }

  static String[] concat(String[] a, String[] b) {
    String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
