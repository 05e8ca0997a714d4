package io.vidmill.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * /metrics of a real vidmill run, scraped while it runs: the run reads its manifest from stdin,
 * and the test holds the rest of the manifest back until it has seen the first clips counted.
 * No timing: the run cannot finish before the test lets it. Then OUT/metrics.json against the
 * Parquet results.
 */
class MetricsScrapeTest {
  private static final Pattern URL = Pattern.compile("metrics: (http://127\\.0\\.0\\.1:(\\d+)/metrics)");

  @TempDir Path dir;

  @Test
  void scrapedWhileRunningThenTheSameFiguresInMetricsJson() throws Exception {
    List<Path> good = SampleClips.make(dir.resolve("in"));
    Path out = dir.resolve("out");
    Path log = dir.resolve("log.txt");
    Process p = Subprocess.vidmill(log, List.of(), "run", "--input", "-", "--out", out.toString(), "--workers", "1",
        "--progress", "off", "--metrics-port", "0", "--metrics-host", "127.0.0.1").start();
    try (OutputStream stdin = p.getOutputStream()) {
      scrapeWhileRunning(p, stdin, log, good, dir);
    } catch (Throwable t) {
      p.destroyForcibly();
      throw t;
    } // end of the manifest
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertEquals(Main.EXIT_CLIPS_FAILED, p.exitValue(), Files.readString(log));

    JsonNode metrics = new ObjectMapper().readTree(out.resolve("metrics.json").toFile()).path("metrics");
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement s = db.createStatement();
         ResultSet rs = s.executeQuery("SELECT count(*) FILTER (WHERE status = 'ok'), count(*) FILTER (WHERE status <> 'ok'),"
             + " sum(frames_decoded), count(*) FILTER (WHERE decode_ms > 0), sum(total_ms) / 1000 FROM '"
             + out.resolve("clips/*.parquet") + "'")) {
      rs.next();
      assertEquals(rs.getLong(1), value(metrics, "vidmill_clips_total", "ok"));
      assertEquals(good.size(), rs.getLong(1));
      assertEquals(rs.getLong(2), value(metrics, "vidmill_clips_total", "failed"));
      assertEquals(2, value(metrics, "vidmill_failures_total", "NOT_A_VIDEO"));
      assertEquals(rs.getLong(3), value(metrics, "vidmill_frames_total", null));
      JsonNode total = stage(metrics, "total");
      JsonNode decode = stage(metrics, "decode");
      assertEquals(rs.getLong(1) + rs.getLong(2), total.path("count").asLong());
      assertEquals(rs.getLong(4), decode.path("count").asLong());
      assertEquals(rs.getDouble(5), total.path("sum").asDouble(), 1e-6);
    }
  }

  /** Half the manifest, the scrape, then the rest (the caller closes stdin: the manifest's end). */
  private static void scrapeWhileRunning(Process p, OutputStream stdin, Path log, List<Path> good, Path dir)
      throws Exception {
    String url = awaitUrl(p, log);
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    // the first half and a broken clip, then wait until the run has counted them
    int half = 3; // the three 10-frame H.264 clips
    StringBuilder first = new StringBuilder();
    for (Path c : good.subList(0, half)) first.append(c).append('\n');
    first.append(dir.resolve("in/broken_not_a_video.mp4")).append('\n');
    stdin.write(first.toString().getBytes(StandardCharsets.UTF_8));
    stdin.flush();
    Map<String, Double> m = Map.of();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (System.nanoTime() < deadline) {
      m = parse(http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body());
      if (m.getOrDefault("vidmill_clips_total{status=\"ok\"}", 0.0) >= half
          && m.getOrDefault("vidmill_clips_total{status=\"failed\"}", 0.0) >= 1) break;
      assertThat(p.isAlive()).as(Files.readString(log)).isTrue();
      Thread.sleep(50);
    }
    assertThat(p.isAlive()).as("the run waits for the rest of its manifest").isTrue();
    assertEquals(half, m.get("vidmill_clips_total{status=\"ok\"}"), m.toString());
    assertEquals(1.0, m.get("vidmill_clips_total{status=\"failed\"}"));
    assertEquals(1.0, m.get("vidmill_failures_total{code=\"NOT_A_VIDEO\"}"));
    assertEquals(half + 1.0, m.get("vidmill_backend_clips_total{backend=\"cpu\"}"));
    assertEquals(half + 1.0, m.get("vidmill_clip_stage_seconds_count{stage=\"total\"}"));
    assertEquals((double) half, m.get("vidmill_clip_stage_seconds_count{stage=\"decode\"}"));
    assertThat(m.get("vidmill_frames_total")).isEqualTo(30.0); // the first clips are the 10-frame H.264 ones
    assertThat(m.get("vidmill_fetched_bytes_total")).isPositive();
    assertEquals(1.0, m.get("vidmill_tuner_setting{setting=\"workers\"}"));
    assertEquals(1.0, m.get("vidmill_tuner_setting{setting=\"decoder_threads\"}"));
    assertThat(m).containsKey("vidmill_clip_stage_latency_seconds{stage=\"decode\",quantile=\"0.99\"}")
        .containsKey("vidmill_pipeline_clips{queue=\"decode_queue\"}").containsKey("vidmill_bytes_in_flight")
        .containsKey("jvm_memory_used_bytes{area=\"heap\"}");
    assertThat(m.keySet()).noneMatch(k -> k.startsWith("vidmill_gpu_"));

    StringBuilder rest = new StringBuilder();
    for (Path c : good.subList(half, good.size())) rest.append(c).append('\n');
    rest.append(dir.resolve("in").resolve(SampleClips.EVIL_NAME)).append('\n');
    stdin.write(rest.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static String awaitUrl(Process p, Path log) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    while (System.nanoTime() < deadline) {
      if (Files.exists(log)) {
        Matcher m = URL.matcher(Files.readString(log));
        if (m.find()) return m.group(1);
      }
      assertThat(p.isAlive()).as(Files.exists(log) ? Files.readString(log) : "no output").isTrue();
      Thread.sleep(20);
    }
    throw new AssertionError("no metrics URL printed: " + Files.readString(log));
  }

  /** Prometheus text format: "name{labels} value" lines, comments skipped. */
  static Map<String, Double> parse(String body) {
    Map<String, Double> m = new HashMap<>();
    for (String line : body.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      int space = line.lastIndexOf(' ');
      m.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
    }
    return m;
  }

  private static long value(JsonNode metrics, String name, String label) {
    for (JsonNode s : metrics.path(name).path("samples")) {
      JsonNode labels = s.path("labels");
      if (label == null || labels.toString().contains("\"" + label + "\"")) return Math.round(s.path("value").asDouble());
    }
    throw new AssertionError(name + " " + label + " not in " + metrics.path(name));
  }

  private static JsonNode stage(JsonNode metrics, String stage) {
    for (JsonNode s : metrics.path("vidmill_clip_stage_seconds").path("samples")) {
      if (s.path("labels").path("stage").asText().equals(stage)) return s;
    }
    throw new AssertionError("no stage " + stage);
  }
}
