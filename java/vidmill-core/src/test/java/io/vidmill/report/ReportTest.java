package io.vidmill.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vidmill.decode.OpenOptions;
import io.vidmill.manifest.Manifest;
import io.vidmill.metrics.RunMetrics;
import io.vidmill.pipeline.Progress;
import io.vidmill.pipeline.Run;
import io.vidmill.pipeline.RunOptions;
import io.vidmill.shard.Shard;
import io.vidmill.testing.Results;
import io.vidmill.testing.TinyClips;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report's data from a real run (clips decoded by FFmpeg, one broken, one with a key made
 * to break out of the page), checked against the Parquet results; the page's escaping; the
 * contact sheet with and without thumbnails. The page in a browser: the CLI's ReportBrowserTest.
 */
class ReportTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String EVIL_KEY = "</script><script>window.__pwned=1</script><img src=x onerror=alert(1)>&amp;\u2028";

  @TempDir static Path dir;
  static Path out;
  static ObjectNode metrics;

  @BeforeAll
  static void run() throws Exception {
    List<Path> clips = TinyClips.make(dir.resolve("clips"), 12);
    Path broken = Files.writeString(dir.resolve("broken.mp4"), "not a video at all");
    StringBuilder jsonl = new StringBuilder();
    for (Path c : clips) jsonl.append("{\"path\": \"").append(c).append("\"}\n");
    jsonl.append(JSON.writeValueAsString(Map.of("key", EVIL_KEY, "path", broken.toString()))).append('\n');
    jsonl.append("{\"path\": \"").append(dir.resolve("missing.mp4")).append("\"}\n");
    Path manifest = Files.writeString(dir.resolve("manifest.jsonl"), jsonl.toString());
    out = dir.resolve("out");
    RunOptions o = new RunOptions(manifest.toString(), Manifest.Format.AUTO, null, Manifest.DEFAULT_EXTENSIONS, out,
        Shard.ALL, io.vidmill.tune.TuneOptions.fixed(2, 1, 8, 64L << 20), Duration.ofSeconds(60), 0,
        OpenOptions.DEFAULTS.withThreads(1),
        Duration.ofMillis(200), 5, Progress.Mode.OFF, Duration.ofSeconds(10), false);
    Run run = new Run(o, new PrintWriter(new StringWriter()), new ByteArrayInputStream(new byte[0]));
    try (RunMetrics m = new RunMetrics(run, "0/1")) {
      run.execute();
      metrics = m.toJson();
    }
  }

  /** The JSON block of a report page. */
  static JsonNode dataOf(String html) throws IOException {
    String open = "<script type=\"application/json\" id=\"vidmill-data\">";
    int from = html.indexOf(open) + open.length();
    return JSON.readTree(html.substring(from, html.indexOf("</script>", from)));
  }

  @Test
  void theNumbersAreTheResults() throws Exception {
    Path file = Report.write(out, Report.Options.DEFAULTS);
    assertEquals(out.resolve("report.html"), file);
    JsonNode d = dataOf(Files.readString(file));
    try (Results r = new Results(out)) {
      JsonNode t = d.path("totals");
      assertEquals(14, t.path("clips").asLong());
      assertEquals(r.count("SELECT count(*) FROM CLIPS WHERE status = 'ok'"), t.path("ok").asLong());
      assertEquals(12, t.path("ok").asLong());
      assertEquals(2, t.path("failed").asLong());
      assertEquals(r.count("SELECT sum(frames_decoded) FROM CLIPS"), t.path("frames").asLong());
      assertEquals(r.count("SELECT sum(bytes_read) FROM CLIPS"), t.path("bytes_read").asLong());

      // over time: every clip in some bucket, and the buckets within the run
      JsonNode th = d.path("throughput");
      double clipsInCharts = 0;
      for (JsonNode v : th.path("clips")) clipsInCharts += v.asDouble();
      assertEquals(14, clipsInCharts, 1e-9);
      assertThat(th.path("t").size()).isEqualTo(th.path("clips_per_s").size()).isPositive();
      double firstBucket = th.path("t").get(0).asDouble();
      // the charts start with the run (its timeline), before the first clip finished
      assertThat(firstBucket * 1000).isBetween(t.path("first_start_ms").asDouble() - 60_000,
          t.path("first_start_ms").asDouble());
      assertThat(Math.abs(firstBucket - System.currentTimeMillis() / 1000.0)).as("instants, not local times")
          .isLessThan(600);

      // failures by code, with the examples' keys as they are
      Map<String, Long> codes = new HashMap<>();
      for (JsonNode f : d.path("failures")) codes.put(f.path("code").asText(), f.path("clips").asLong());
      assertEquals(Map.of("NOT_A_VIDEO", 1L, "NOT_FOUND", 1L), codes);
      assertThat(d.path("failures").findValuesAsText("key")).contains(EVIL_KEY);

      // histograms: the codec counts are the GROUP BY
      Map<String, Long> codecs = new HashMap<>();
      for (JsonNode row : d.path("histograms").path("codec").path("rows")) codecs.put(row.path("label").asText(),
          row.path("clips").asLong());
      Map<String, Long> expected = new HashMap<>();
      for (var row : r.query("SELECT coalesce(codec, '(unknown)') AS c, count(*) AS n FROM CLIPS GROUP BY 1")) {
        expected.put((String) row.get("c"), ((Number) row.get("n")).longValue());
      }
      assertEquals(expected, codecs);
      assertEquals(14, d.path("histograms").path("backend").path("clips").asLong());
      assertThat(d.path("histograms").path("resolution").path("rows").get(0).path("label").asText()).isEqualTo("64×48");
      long durations = 0;
      for (JsonNode row : d.path("histograms").path("duration").path("rows")) durations += row.path("clips").asLong();
      assertEquals(12, durations);

      // where the time went: the stage sums are the columns' sums
      for (JsonNode s : d.path("stages")) {
        double sum = ((Number) r.query("SELECT sum(" + s.path("stage").asText() + "_ms) / 1000.0 AS x FROM CLIPS")
            .getFirst().get("x")).doubleValue();
        assertEquals(sum, s.path("seconds").asDouble(), Math.max(1e-6, sum * 1e-3), s.path("stage").asText());
        if (s.path("stage").asText().equals("total")) continue;
        // over time, spread over the buckets it was spent in: all of it, once
        double busy = 0;
        for (JsonNode x : th.path("stage_busy").path(s.path("stage").asText())) busy += x.asDouble();
        assertEquals(sum, busy * th.path("width_s").asDouble(), Math.max(1e-4, sum * 1e-3), s.path("stage").asText());
      }
      assertThat(d.path("slowest").size()).isEqualTo(10);
    }
    // the timeline of the run: its settings and queues
    JsonNode tl = d.path("timeline");
    assertThat(tl.path("samples").asLong()).isGreaterThanOrEqualTo(2);
    int workerSamples = 0;
    for (JsonNode v : tl.path("settings").path("workers")) {
      if (v.isNull()) continue;
      assertEquals(2.0, v.asDouble());
      workerSamples++;
    }
    assertThat(workerSamples).isPositive();
    assertThat(tl.path("queues").has("decode_queue")).isTrue();
    assertEquals(1, d.path("shards").path("complete").asInt());
  }

  @Test
  void nothingFromTheClipsCanBreakOutOfThePage() throws Exception {
    String html = Files.readString(Report.write(out, dir.resolve("evil.html"), Report.Options.DEFAULTS));
    // the key is in the data, escaped: no markup of its own anywhere in the page
    assertThat(html).doesNotContain("<script>window.__pwned").doesNotContain("</script><script>")
        .doesNotContain("<img src=x").doesNotContain("&amp;").doesNotContain("\u2028");
    assertThat(html.toLowerCase()).containsOnlyOnce("<script type=\"application/json\"");
    assertThat(html).contains("\\u003c/script\\u003e\\u003cscript\\u003ewindow.__pwned=1");
    // and the parsed data gives it back exactly
    assertThat(dataOf(html).path("failures").findValuesAsText("key")).contains(EVIL_KEY);
    // only the page's own scripts may run, and nothing is loaded
    assertThat(html).contains("Content-Security-Policy").contains("default-src 'none'").contains("script-src 'sha256-")
        .doesNotContain("unsafe-inline").doesNotContainPattern("(src|href|url)\\s*[=(]\\s*[\"']?(https?:|//)");
  }

  @Test
  void theContactSheetCarriesTheThumbnailsItGets() throws Exception {
    byte[] jpeg = fakeJpeg(Color.ORANGE);
    Thumbnailer three = new Thumbnailer() {
      final java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();

      @Override
      public Optional<byte[]> jpeg(String key, String uri, int maxWidth) {
        assertThat(uri).endsWith(key.substring(key.lastIndexOf('/') + 1));
        int call = calls.incrementAndGet(); // called from several threads
        return call <= 3 ? Optional.of(jpeg) : call == 4 ? Optional.of("<svg/>".getBytes()) : Optional.empty();
      }
    };
    JsonNode d = dataOf(Files.readString(Report.write(out, dir.resolve("thumbs.html"),
        Report.Options.DEFAULTS.withThumbnailer(three))));
    JsonNode th = d.path("thumbnails");
    assertEquals(3, th.path("items").size());
    assertEquals(1, th.path("failed").asInt(), "what is not a JPEG stays out");
    for (JsonNode it : th.path("items")) {
      assertThat(java.util.Base64.getDecoder().decode(it.path("jpeg").asText())).isEqualTo(jpeg);
      assertThat(it.has("uri")).isFalse();
      assertThat(it.path("width").asInt()).isEqualTo(64);
    }
    JsonNode none = dataOf(Files.readString(Report.write(out, dir.resolve("none.html"),
        Report.Options.DEFAULTS.withThumbnailer(Thumbnailer.NONE))));
    assertEquals(0, none.path("thumbnails").path("items").size());
    assertThat(none.path("thumbnails").path("note").asText()).isNotEmpty();
  }

  @Test
  void theStandardThumbnailsAreTheClipsMiddleFramesAsJpegs() throws Exception {
    JsonNode th = dataOf(Files.readString(Report.write(out, dir.resolve("standard.html"), Report.Options.DEFAULTS)))
        .path("thumbnails");
    assertEquals(12, th.path("items").size(), "every decoded clip (the sample is larger than the run)");
    assertThat(th.has("failed")).isFalse();
    for (JsonNode it : th.path("items")) {
      byte[] jpeg = java.util.Base64.getDecoder().decode(it.path("jpeg").asText());
      java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(jpeg));
      assertThat(img).as(it.path("key").asText()).isNotNull();
      // fitted into a 16:9 box of the sheet's width, the clip's aspect kept (TinyClips are 64x48)
      assertEquals(ContactSheet.WIDTH * 9 / 16, img.getHeight());
      assertEquals(Math.round(ContactSheet.WIDTH * 9 / 16 * 64 / 48.0), img.getWidth());
      // a picture, not a blank: testsrc2 has colour bars and a moving pattern
      int[] rgb = img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
      long distinct = java.util.Arrays.stream(rgb).distinct().count();
      assertThat(distinct).isGreaterThan(50);
    }
  }

  @Test
  void metricsJsonHoldsTheRunsFigures() throws Exception {
    JsonNode m = metrics.path("metrics");
    try (Results r = new Results(out)) {
      assertEquals(12.0, sample(m, "vidmill_clips_total", "status", "ok").path("value").asDouble());
      assertEquals(2.0, sample(m, "vidmill_clips_total", "status", "failed").path("value").asDouble());
      assertEquals(1.0, sample(m, "vidmill_failures_total", "code", "NOT_A_VIDEO").path("value").asDouble());
      assertEquals(1.0, sample(m, "vidmill_failures_total", "code", "NOT_FOUND").path("value").asDouble());
      assertEquals((double) r.count("SELECT sum(frames_decoded) FROM CLIPS"),
          m.path("vidmill_frames_total").path("samples").get(0).path("value").asDouble());
      assertEquals(14.0, sample(m, "vidmill_backend_clips_total", "backend", "cpu").path("value").asDouble());
      assertEquals(2.0, sample(m, "vidmill_tuner_setting", "setting", "workers").path("value").asDouble());
      JsonNode total = sample(m, "vidmill_clip_stage_seconds", "stage", "total");
      assertEquals(14, total.path("count").asLong());
      JsonNode decode = sample(m, "vidmill_clip_stage_seconds", "stage", "decode");
      assertEquals(r.count("SELECT count(*) FROM CLIPS WHERE decode_ms > 0"), decode.path("count").asLong());
      assertEquals(((Number) r.query("SELECT sum(decode_ms) / 1000 AS s FROM CLIPS").getFirst().get("s")).doubleValue(),
          decode.path("sum").asDouble(), 1e-6);
      // the p50 estimated from the buckets lies in the bucket of the true median (bounds double)
      double median = ((Number) r.query("SELECT quantile_disc(total_ms, 0.5) / 1000 AS q FROM CLIPS").getFirst()
          .get("q")).doubleValue();
      assertThat(total.path("p50").asDouble()).isBetween(median / 2, median * 2);
      assertThat(sample(m, "vidmill_clip_stage_latency_seconds", "stage", "total").has("p99")).isTrue();
      assertThat(m.path("vidmill_gpu_sm_utilization_ratio").path("samples").size()).as("no GPU, no made-up value").isZero();
    }
  }

  private static JsonNode sample(JsonNode metrics, String name, String label, String value) {
    for (JsonNode s : metrics.path(name).path("samples")) {
      if (s.path("labels").path(label).asText().equals(value)) return s;
    }
    throw new AssertionError(name + "{" + label + "=" + value + "} not in " + metrics.path(name));
  }

  @Test
  void aRunWithoutClipsYetStillHasAPage() throws Exception {
    Path fresh = Files.createDirectories(dir.resolve("fresh"));
    Files.writeString(fresh.resolve("run.json"), "{\"vidmill_run\": 1, \"input\": \"m.txt\", \"shards\": 4}");
    JsonNode d = dataOf(Files.readString(Report.write(fresh, Report.Options.DEFAULTS)));
    assertEquals(0, d.path("totals").path("clips").asLong());
    assertEquals(0, d.path("shards").path("complete").asInt());
    assertEquals(4, d.path("shards").path("count").asInt());
    assertThat(d.path("timeline").isNull()).isTrue();
    assertEquals(0, d.path("throughput").path("t").size());
  }

  @Test
  void anOutWithoutARunIsRefused() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    assertThat(assertThrows(IOException.class, () -> Report.write(empty, Report.Options.DEFAULTS)).getMessage())
        .contains("no vidmill run");
  }

  static byte[] fakeJpeg(Color color) throws IOException {
    BufferedImage img = new BufferedImage(160, 90, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(color);
    g.fillRect(0, 0, 160, 90);
    g.setColor(Color.DARK_GRAY);
    g.fillOval(50, 15, 60, 60);
    g.dispose();
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    ImageIO.write(img, "jpeg", b);
    return b.toByteArray();
  }
}
