package io.vidmill.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads the timelines of all shards (OUT/timeline*.jsonl, see pipeline.Timeline) into the
 * report's buckets, one line at a time: memory grows with the buckets, not with the lines.
 * Lines that do not parse (the torn last line of a killed attempt) are skipped.
 *
 * <p>Per bucket: the bytes fetched (the difference between a stream's consecutive samples,
 * a stream being one attempt of one shard), the queue depths summed over shards (each shard's
 * mean within the bucket), the settings averaged over the shards reporting in it.
 */
final class TimelineReader {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The time the timelines cover, epoch ms; (MAX_VALUE, MIN_VALUE) when there are none. */
  record Range(long firstMs, long lastMs) {}

  private TimelineReader() {}

  /** From each file's first and last complete lines: the files are appended in time order. */
  static Range range(List<Path> files) throws IOException {
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    for (Path f : files) {
      try (BufferedReader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
        for (String line; (line = r.readLine()) != null; ) {
          JsonNode n = parse(line);
          if (n != null) {
            first = Math.min(first, ms(n));
            break;
          }
        }
      }
      for (String line : tail(f)) {
        JsonNode n = parse(line);
        if (n != null) last = Math.max(last, ms(n));
      }
    }
    return new Range(first, last);
  }

  /** The lines of the last 64 kB of a file (the first one may be cut: it will not parse). */
  private static List<String> tail(Path f) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "r")) {
      long len = raf.length();
      int n = (int) Math.min(len, 65536);
      byte[] b = new byte[n];
      raf.seek(len - n);
      raf.readFully(b);
      return Arrays.asList(new String(b, StandardCharsets.UTF_8).split("\n"));
    }
  }

  private static JsonNode parse(String line) {
    if (line.isBlank() || line.charAt(0) != '{') return null;
    try {
      JsonNode n = JSON.readTree(line);
      return n != null && n.isObject() && n.path("t").isNumber() ? n : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static long ms(JsonNode n) {
    return Math.round(n.path("t").asDouble() * 1000);
  }

  /** One attempt of one shard: its samples come in time order. */
  private static final class Stream {
    long lastBytes;
    int bucket = -1;
    int samples;
    // in the order the run wrote them: the charts' series follow it
    final Map<String, Double> queues = new LinkedHashMap<>();
    final Map<String, Double> settings = new LinkedHashMap<>();
  }

  private static final class Series {
    final Map<String, double[]> queues = new LinkedHashMap<>();
    final Map<String, double[]> settings = new LinkedHashMap<>();
    final double[] fetched;
    final int[] reporting;
    final int buckets;

    Series(int buckets) {
      this.buckets = buckets;
      fetched = new double[buckets];
      reporting = new int[buckets];
    }

    double[] of(Map<String, double[]> m, String name) {
      return m.computeIfAbsent(name, k -> {
        double[] a = new double[buckets];
        Arrays.fill(a, Double.NaN);
        return a;
      });
    }

    /** A stream leaves a bucket: its mean there goes into the totals. */
    void flush(Stream s) {
      if (s.bucket < 0 || s.samples == 0) return;
      int b = s.bucket;
      reporting[b]++;
      s.queues.forEach((k, v) -> {
        double[] a = of(queues, k);
        a[b] = (Double.isNaN(a[b]) ? 0 : a[b]) + v / s.samples;
      });
      s.settings.forEach((k, v) -> {
        double[] a = of(settings, k);
        a[b] = (Double.isNaN(a[b]) ? 0 : a[b]) + v / s.samples;
      });
      s.queues.clear();
      s.settings.clear();
      s.samples = 0;
    }
  }

  /** The timelines in the grid's buckets; null when there are none. */
  static ObjectNode read(List<Path> files, ReportData.Grid grid) throws IOException {
    if (files.isEmpty() || grid.buckets() == 0) return null;
    Series series = new Series(grid.buckets());
    Map<String, Stream> streams = new HashMap<>();
    TreeSet<String> shards = new TreeSet<>();
    long lines = 0;
    long skipped = 0;
    for (Path f : files) {
      try (BufferedReader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
        for (String line; (line = r.readLine()) != null; ) {
          JsonNode n = parse(line);
          if (n == null) {
            if (!line.isBlank()) skipped++;
            continue;
          }
          lines++;
          String shard = n.path("shard").asText("");
          shards.add(shard);
          Stream s = streams.computeIfAbsent(shard + "@" + n.path("attempt").asText(""), k -> new Stream());
          int b = grid.bucket(ms(n));
          if (b < 0 || b >= grid.buckets()) continue;
          if (b != s.bucket) {
            series.flush(s);
            s.bucket = b;
          }
          long bytes = n.path("bytes_fetched").asLong();
          series.fetched[b] += Math.max(0, bytes - s.lastBytes);
          s.lastBytes = bytes;
          s.samples++;
          add(s.queues, n.path("queues"));
          add(s.settings, n.path("settings"));
        }
      }
    }
    streams.values().forEach(series::flush);

    ObjectNode o = JSON.createObjectNode();
    o.put("samples", lines);
    o.put("skipped_lines", skipped);
    o.put("attempts", streams.size());
    o.put("shards", shards.size());
    ArrayNode fetched = o.putArray("fetched_bytes_per_s");
    double perSecond = 1000.0 / grid.widthMs();
    for (double v : series.fetched) fetched.add(ReportData.round(v * perSecond));
    ObjectNode queues = o.putObject("queues");
    series.queues.forEach((k, a) -> queues.set(k, array(a, 1)));
    ObjectNode settings = o.putObject("settings");
    series.settings.forEach((k, a) -> {
      double[] mean = a.clone();
      for (int i = 0; i < mean.length; i++) if (series.reporting[i] > 0) mean[i] /= series.reporting[i];
      settings.set(k, array(mean, 1));
    });
    return o;
  }

  private static void add(Map<String, Double> into, JsonNode values) {
    values.properties().forEach(e -> {
      if (e.getValue().isNumber()) into.merge(e.getKey(), e.getValue().asDouble(), Double::sum);
    });
  }

  private static ArrayNode array(double[] a, double factor) {
    ArrayNode n = JSON.createArrayNode();
    for (double v : a) {
      if (Double.isNaN(v)) n.addNull();
      else n.add(ReportData.round(v * factor));
    }
    return n;
  }
}
