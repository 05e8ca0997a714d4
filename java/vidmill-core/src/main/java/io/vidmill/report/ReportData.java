package io.vidmill.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything the report shows, gathered from an OUT folder as one JSON object: the results
 * (OUT/clips/*.parquet, all shards) aggregated by DuckDB, so that a run of millions of clips
 * costs a few scans and never holds its rows in memory; the shards' summaries; the timelines.
 * Every list is capped (examples, top values, shards), so the page stays small.
 */
final class ReportData {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final List<String> STAGES = List.of("fetch", "open", "demux", "decode", "output");
  static final int MAX_POINTS = 400;
  static final int TOP_VALUES = 12;
  static final int EXAMPLES_PER_CODE = 5;
  static final int MAX_SHARD_ROWS = 200;
  private static final double[] DURATION_EDGES = {0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600};
  private static final double[] SIZE_EDGES = {1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7, 2e7, 5e7, 1e8,
      2e8, 5e8, 1e9, 2e9, 5e9, 1e10};
  private static final Pattern PART_SHARD = Pattern.compile("part-(\\d+)-of-(\\d+)-\\d+\\.parquet$");
  private static final Pattern SHARD_SUFFIX = Pattern.compile("^-(\\d+)-of-(\\d+)$");

  private final Path out;
  private final Report.Options options;
  private final Connection db;
  private final boolean hasClips;

  private ReportData(Path out, Report.Options options, Connection db, boolean hasClips) {
    this.out = out;
    this.options = options;
    this.db = db;
    this.hasClips = hasClips;
  }

  /**
   * Results up to this size (all parts together) are read into memory once for the report's
   * queries; bigger ones are scanned by each query (a run of a hundred million clips).
   */
  static final long MATERIALIZE_BYTES = 256L << 20;

  static ObjectNode collect(Path out, Report.Options options) throws IOException {
    List<Path> parts = files(out.resolve("clips"), "*.parquet");
    boolean hasClips = !parts.isEmpty();
    long bytes = 0;
    for (Path p : parts) bytes += Files.size(p);
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:")) {
      try (Statement s = db.createStatement()) {
        // instants stay instants: epoch_ms of a TIMESTAMPTZ goes through the session's zone
        s.execute("SET TimeZone = 'UTC'");
        s.execute("SET memory_limit = '1GB'");
        if (hasClips) {
          String glob = out.resolve("clips").resolve("*.parquet").toString().replace("'", "''");
          // a dozen queries follow: each would open and read every part again
          s.execute("CREATE " + (bytes <= MATERIALIZE_BYTES ? "TEMP TABLE" : "VIEW") + " clips AS SELECT * FROM "
              + "read_parquet('" + glob + "', union_by_name = true, filename = true)");
        }
      }
      return new ReportData(out, options, db, hasClips).gather();
    } catch (SQLException e) {
      throw new IOException("cannot read the results in " + out.resolve("clips") + ": " + e.getMessage(), e);
    }
  }

  private ObjectNode gather() throws IOException, SQLException {
    ObjectNode root = JSON.createObjectNode();
    root.put("report_version", 1);
    root.put("out", out.toString());
    root.put("generated_at", Instant.now().toString());
    root.set("run", runInfo());
    ObjectNode totals = totals();
    root.set("totals", totals);
    List<Path> timelines = files(out, "timeline*.jsonl");
    TimelineReader.Range range = TimelineReader.range(timelines);
    Grid grid = Grid.of(totals.path("first_start_ms").asLong(Long.MAX_VALUE), totals.path("last_ms").asLong(0), range);
    root.set("throughput", throughput(grid));
    root.set("timeline", TimelineReader.read(timelines, grid));
    root.set("stages", stages(totals.path("frames").asLong()));
    root.set("failures", failures());
    root.set("histograms", histograms());
    root.set("slowest", slowest());
    root.set("shards", shards(root.path("run").path("shards").asInt(1)));
    root.set("thumbnails", thumbnails(root));
    return root;
  }

  // ---- what the run is -------------------------------------------------------------------

  private JsonNode runInfo() {
    ObjectNode r = JSON.createObjectNode();
    Path runJson = out.resolve("run.json");
    try {
      JsonNode j = JSON.readTree(runJson.toFile());
      r.put("input", j.path("input").asText(""));
      r.put("format", j.path("format").asText(""));
      r.put("shards", j.path("shards").asInt(1));
    } catch (IOException e) {
      r.put("shards", 1);
    }
    return r;
  }

  private ObjectNode totals() throws SQLException {
    ObjectNode t = JSON.createObjectNode();
    if (!hasClips) {
      t.put("clips", 0);
      return t;
    }
    row("SELECT count(*), count(*) FILTER (WHERE status = 'ok'), count(*) FILTER (WHERE status <> 'ok'), "
        + "coalesce(sum(frames_decoded), 0), coalesce(sum(bytes_read), 0), coalesce(sum(size_bytes), 0), "
        + "coalesce(sum(duration) FILTER (WHERE status = 'ok'), 0), min(epoch_ms(finished_at) - total_ms), "
        + "max(epoch_ms(finished_at)), coalesce(sum(attempts - 1), 0), coalesce(sum(total_ms), 0) FROM clips", rs -> {
          t.put("clips", rs.getLong(1));
          t.put("ok", rs.getLong(2));
          t.put("failed", rs.getLong(3));
          t.put("frames", rs.getLong(4));
          t.put("bytes_read", rs.getLong(5));
          t.put("size_bytes", rs.getLong(6));
          t.put("video_seconds", rs.getDouble(7));
          if (rs.getObject(8) != null) t.put("first_start_ms", Math.round(rs.getDouble(8)));
          if (rs.getObject(9) != null) t.put("last_ms", rs.getLong(9));
          t.put("retries", rs.getLong(10));
          t.put("clip_seconds", rs.getDouble(11) / 1000);
        });
    return t;
  }

  // ---- over time ---------------------------------------------------------------------------

  /** Chart buckets shared by the results and the timelines: [origin, origin + n·width), width in ms. */
  record Grid(long originMs, long widthMs, int buckets) {
    private static final long[] NICE = {100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000,
        300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000};

    static Grid of(long firstMs, long lastMs, TimelineReader.Range timeline) {
      long lo = Math.min(firstMs, timeline.firstMs());
      long hi = Math.max(lastMs, timeline.lastMs());
      if (lo == Long.MAX_VALUE || hi < lo) return new Grid(0, 1000, 0);
      long span = Math.max(1, hi - lo);
      long width = NICE[NICE.length - 1];
      for (long w : NICE) {
        if (span / w < MAX_POINTS) {
          width = w;
          break;
        }
      }
      long origin = Math.floorDiv(lo, width) * width;
      return new Grid(origin, width, (int) ((hi - origin) / width) + 1);
    }

    int bucket(long ms) {
      return (int) Math.floorDiv(ms - originMs, widthMs);
    }

    ArrayNode times() {
      ArrayNode a = JSON.createArrayNode();
      for (int i = 0; i < buckets; i++) a.add((originMs + i * widthMs) / 1000.0);
      return a;
    }
  }

  /** Clips, failures, frames, bytes and stage time per bucket, from the results (all shards, all attempts). */
  private ObjectNode throughput(Grid g) throws SQLException {
    ObjectNode o = JSON.createObjectNode();
    o.put("width_s", g.widthMs() / 1000.0);
    o.set("t", g.times());
    int n = g.buckets();
    double[][] v = new double[4 + STAGES.size()][n];
    if (hasClips && n > 0) {
      long o0 = g.originMs();
      long w = g.widthMs();
      rows("SELECT (epoch_ms(finished_at) - " + o0 + ") // " + w + " AS b, count(*), count(*) FILTER (WHERE status <> 'ok'), "
          + "sum(frames_decoded), sum(bytes_read) FROM clips GROUP BY b", rs -> {
            int b = (int) rs.getLong(1);
            if (b < 0 || b >= n) return;
            for (int i = 0; i < 4; i++) v[i][b] = rs.getDouble(i + 2);
          });
      // A clip's stage time belongs to the buckets it was spent in, not to the one it finished in
      // (that would show more workers busy than there are): the decoder's stages spread over
      // the end of the clip's life, the fetch over the time before them.
      List<String> later = STAGES.subList(1, STAGES.size());
      StringBuilder sql = new StringBuilder("WITH c AS (SELECT epoch_ms(finished_at) AS e, coalesce(fetch_ms, 0) AS s_fetch, "
          + "greatest(coalesce(total_ms, 0) - coalesce(fetch_ms, 0), 0) AS d");
      for (String st : later) sql.append(", coalesce(").append(st).append("_ms, 0) AS s_").append(st);
      sql.append(" FROM clips), parts AS (SELECT e - d - s_fetch AS a, e - d AS z, s_fetch");
      for (String st : later) sql.append(", 0 AS s_").append(st);
      sql.append(" FROM c WHERE s_fetch > 0 UNION ALL SELECT e - d AS a, e AS z, 0 AS s_fetch");
      for (String st : later) sql.append(", s_").append(st);
      sql.append(" FROM c WHERE d > 0), spread AS (SELECT *, unnest(range(CAST(floor((a - ").append(o0).append(") / ")
          .append(w).append(") AS BIGINT), CAST(floor((z - ").append(o0).append(") / ").append(w)
          .append(") AS BIGINT) + 1)) AS k FROM parts) SELECT k");
      String share = "(CASE WHEN z > a THEN (least(z, " + o0 + " + (k + 1) * " + w + ") - greatest(a, " + o0 + " + k * " + w
          + ")) / (z - a) ELSE 1 END)";
      for (String st : STAGES) sql.append(", sum(s_").append(st).append(" * ").append(share).append(")");
      sql.append(" FROM spread GROUP BY k");
      rows(sql.toString(), rs -> {
        int b = (int) rs.getLong(1);
        if (b < 0 || b >= n) return;
        for (int i = 0; i < STAGES.size(); i++) v[4 + i][b] = rs.getDouble(i + 2);
      });
    }
    double perSecond = 1000.0 / g.widthMs();
    o.set("clips_per_s", scaled(v[0], perSecond));
    o.set("failed_per_s", scaled(v[1], perSecond));
    o.set("frames_per_s", scaled(v[2], perSecond));
    o.set("bytes_per_s", scaled(v[3], perSecond));
    o.set("clips", scaled(v[0], 1));
    ObjectNode busy = o.putObject("stage_busy");
    // ms of stage time per ms of wall time: how many workers were in that stage, on average
    for (int i = 0; i < STAGES.size(); i++) busy.set(STAGES.get(i), scaled(v[4 + i], 1.0 / g.widthMs()));
    return o;
  }

  private static ArrayNode scaled(double[] values, double factor) {
    ArrayNode a = JSON.createArrayNode();
    for (double x : values) a.add(round(x * factor));
    return a;
  }

  static double round(double x) {
    if (x == 0 || Double.isNaN(x) || Double.isInfinite(x)) return x;
    double scale = Math.pow(10, 4 - (int) Math.floor(Math.log10(Math.abs(x))));
    return Math.round(x * scale) / scale;
  }

  // ---- where the time went ---------------------------------------------------------------

  private ArrayNode stages(long frames) throws SQLException {
    ArrayNode a = JSON.createArrayNode();
    if (!hasClips) return a;
    List<String> all = new ArrayList<>(STAGES);
    all.add("total");
    StringBuilder sql = new StringBuilder("SELECT ");
    for (String s : all) {
      String c = s + "_ms";
      // a clip that never got to a stage (failed before it) is not one of its samples
      String only = s.equals("fetch") || s.equals("total") ? "" : " FILTER (WHERE " + c + " > 0)";
      sql.append("coalesce(sum(").append(c).append("), 0), approx_quantile(").append(c).append(", 0.5)").append(only)
          .append(", approx_quantile(").append(c).append(", 0.99)").append(only).append(", avg(").append(c).append(")")
          .append(only).append(", count(").append(c).append(")").append(only).append(", ");
    }
    sql.setLength(sql.length() - 2);
    sql.append(" FROM clips");
    row(sql.toString(), rs -> {
      for (int i = 0; i < all.size(); i++) {
        ObjectNode s = a.addObject();
        s.put("stage", all.get(i));
        double totalMs = rs.getDouble(i * 5 + 1);
        s.put("seconds", round(totalMs / 1000));
        s.put("p50_ms", round(rs.getDouble(i * 5 + 2)));
        s.put("p99_ms", round(rs.getDouble(i * 5 + 3)));
        s.put("mean_ms", round(rs.getDouble(i * 5 + 4)));
        s.put("clips", rs.getLong(i * 5 + 5));
        s.put("us_per_frame", frames == 0 ? 0 : round(totalMs * 1000 / frames));
      }
    });
    return a;
  }

  // ---- failures ----------------------------------------------------------------------------

  private ArrayNode failures() throws SQLException {
    ArrayNode a = JSON.createArrayNode();
    if (!hasClips) return a;
    TreeMap<String, ObjectNode> byCode = new TreeMap<>();
    rows("SELECT status, count(*) AS n FROM clips WHERE status <> 'ok' GROUP BY status ORDER BY n DESC, status", rs -> {
      ObjectNode f = a.addObject();
      f.put("code", rs.getString(1));
      f.put("clips", rs.getLong(2));
      f.putArray("examples");
      byCode.put(rs.getString(1), f);
    });
    if (byCode.isEmpty()) return a;
    rows("SELECT status, key, uri, error FROM clips WHERE status <> 'ok' "
        + "QUALIFY row_number() OVER (PARTITION BY status ORDER BY key) <= " + EXAMPLES_PER_CODE
        + " ORDER BY status, key", rs -> {
          ObjectNode e = ((ArrayNode) byCode.get(rs.getString(1)).get("examples")).addObject();
          e.put("key", rs.getString(2));
          e.put("uri", rs.getString(3));
          e.put("error", rs.getString(4));
        });
    return a;
  }

  // ---- what the clips are ------------------------------------------------------------------

  private ObjectNode histograms() throws SQLException {
    ObjectNode h = JSON.createObjectNode();
    if (!hasClips) return h;
    h.set("codec", top("coalesce(codec, '(unknown)')", "true"));
    h.set("container", top("coalesce(container, '(unknown)')", "true"));
    h.set("resolution", top("width || '×' || height", "width IS NOT NULL AND height IS NOT NULL"));
    h.set("fps", top("CASE WHEN abs(fps - round(fps)) < 0.005 THEN CAST(CAST(round(fps) AS BIGINT) AS VARCHAR) "
        + "ELSE CAST(round(fps, 2) AS VARCHAR) END", "fps IS NOT NULL AND fps > 0"));
    h.set("duration", bins("duration", DURATION_EDGES, "s"));
    h.set("size", bins("size_bytes", SIZE_EDGES, "B"));
    h.set("pix_fmt", top("pix_fmt", "pix_fmt IS NOT NULL"));
    h.set("backend", top("coalesce(backend, '(none)')", "true"));
    return h;
  }

  /** The most frequent values (ties by name), then the rest as one "other" row. */
  private ObjectNode top(String expr, String where) throws SQLException {
    ObjectNode o = JSON.createObjectNode();
    ArrayNode rows = o.putArray("rows");
    long[] kindsTotal = {0, 0};
    rows("WITH g AS (SELECT " + expr + " AS label, count(*) AS n FROM clips WHERE " + where + " GROUP BY 1) "
        + "SELECT label, n, count(*) OVER (), sum(n) OVER () FROM g ORDER BY n DESC, label LIMIT " + TOP_VALUES, rs -> {
          ObjectNode r = rows.addObject();
          r.put("label", rs.getString(1));
          r.put("clips", rs.getLong(2));
          kindsTotal[0] = rs.getLong(3);
          kindsTotal[1] = rs.getLong(4);
        });
    long shown = 0;
    for (JsonNode r : rows) shown += r.path("clips").asLong();
    o.put("kinds", kindsTotal[0]);
    o.put("clips", kindsTotal[1]);
    if (kindsTotal[1] > shown) {
      ObjectNode r = rows.addObject();
      r.put("label", "other (" + (kindsTotal[0] - rows.size() + 1) + " more)");
      r.put("clips", kindsTotal[1] - shown);
      r.put("other", true);
    }
    return o;
  }

  /** Counts in ranges [edge i-1, edge i), from the first non-empty range to the last. */
  private ObjectNode bins(String column, double[] edges, String unit) throws SQLException {
    StringBuilder c = new StringBuilder("CASE");
    for (int i = 0; i < edges.length; i++) c.append(" WHEN ").append(column).append(" < ").append(edges[i]).append(" THEN ").append(i);
    c.append(" ELSE ").append(edges.length).append(" END");
    long[] counts = new long[edges.length + 1];
    rows("SELECT " + c + " AS b, count(*) FROM clips WHERE " + column + " IS NOT NULL GROUP BY b", rs ->
        counts[rs.getInt(1)] = rs.getLong(2));
    int lo = 0;
    int hi = counts.length - 1;
    while (lo < hi && counts[lo] == 0) lo++;
    while (hi > lo && counts[hi] == 0) hi--;
    ObjectNode o = JSON.createObjectNode();
    ArrayNode rows = o.putArray("rows");
    long all = 0;
    for (long n : counts) all += n;
    o.put("clips", all);
    o.put("numeric", true);
    if (all == 0) return o;
    for (int i = lo; i <= hi; i++) {
      ObjectNode r = rows.addObject();
      String from = i == 0 ? "0" : amount(edges[i - 1], unit);
      r.put("label", i == edges.length ? "≥ " + from : from + " – " + amount(edges[i], unit));
      r.put("clips", counts[i]);
    }
    return o;
  }

  private static String amount(double v, String unit) {
    if (unit.equals("B")) {
      String[] u = {"B", "kB", "MB", "GB", "TB"};
      int k = 0;
      while (v >= 1000 && k < u.length - 1) {
        v /= 1000;
        k++;
      }
      return (v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v)) + " " + u[k];
    }
    if (v >= 3600) return (long) (v / 3600) + " h";
    if (v >= 60) return (long) (v / 60) + " min";
    return (v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v)) + " s";
  }

  private ArrayNode slowest() throws SQLException {
    ArrayNode a = JSON.createArrayNode();
    if (!hasClips) return a;
    rows("SELECT key, status, total_ms, fetch_ms, decode_ms, codec, width, height, frames_decoded, duration "
        + "FROM clips ORDER BY total_ms DESC NULLS LAST, key LIMIT 10", rs -> {
          ObjectNode r = a.addObject();
          r.put("key", rs.getString(1));
          r.put("status", rs.getString(2));
          r.put("total_ms", round(rs.getDouble(3)));
          r.put("fetch_ms", round(rs.getDouble(4)));
          r.put("decode_ms", round(rs.getDouble(5)));
          r.put("codec", rs.getString(6));
          if (rs.getObject(7) != null) r.put("width", rs.getInt(7));
          if (rs.getObject(8) != null) r.put("height", rs.getInt(8));
          r.put("frames", rs.getLong(9));
          if (rs.getObject(10) != null) r.put("duration", round(rs.getDouble(10)));
        });
    return a;
  }

  // ---- shards ------------------------------------------------------------------------------

  private ObjectNode shards(int count) throws SQLException, IOException {
    ObjectNode o = JSON.createObjectNode();
    o.put("count", count);
    // per shard: rows in the results (by part file name), the journal (started), the summary (complete)
    TreeMap<Integer, ObjectNode> rows = new TreeMap<>();
    java.util.function.IntFunction<ObjectNode> shard = i -> rows.computeIfAbsent(i, k -> {
      ObjectNode r = JSON.createObjectNode();
      r.put("shard", k + "/" + count);
      r.put("clips", 0);
      r.put("ok", 0);
      r.put("failed", 0);
      r.put("started", false);
      r.put("complete", false);
      return r;
    });
    if (hasClips) {
      rows("SELECT filename, count(*), count(*) FILTER (WHERE status = 'ok') FROM clips GROUP BY filename", rs -> {
        int i = shardOf(rs.getString(1));
        if (i < 0 || i >= count) return;
        ObjectNode r = shard.apply(i);
        r.put("clips", r.path("clips").asLong() + rs.getLong(2));
        r.put("ok", r.path("ok").asLong() + rs.getLong(3));
        r.put("failed", r.path("clips").asLong() - r.path("ok").asLong());
      });
    }
    for (Path j : files(out, "journal*")) {
      int i = shardOfSuffix(j.getFileName().toString(), "journal", "", count);
      if (i >= 0) shard.apply(i).put("started", true);
    }
    int complete = 0;
    double seconds = 0;
    for (Path s : files(out, "summary*.json")) {
      int i = shardOfSuffix(s.getFileName().toString(), "summary", ".json", count);
      if (i < 0) continue;
      ObjectNode r = shard.apply(i);
      r.put("started", true);
      r.put("complete", true);
      complete++;
      try {
        JsonNode j = JSON.readTree(s.toFile());
        r.put("seconds", round(j.path("seconds").asDouble()));
        seconds = Math.max(seconds, j.path("seconds").asDouble());
      } catch (IOException e) {
        // a summary being replaced right now: the shard is complete all the same
      }
    }
    o.put("complete", complete);
    o.put("started", rows.values().stream().filter(r -> r.path("started").asBoolean()).count());
    ArrayNode list = o.putArray("rows");
    // with many shards, the ones that need attention first
    List<ObjectNode> ordered = new ArrayList<>(rows.values());
    if (ordered.size() > MAX_SHARD_ROWS) {
      ordered.sort((x, y) -> Boolean.compare(x.path("complete").asBoolean(), y.path("complete").asBoolean()));
    }
    for (ObjectNode r : ordered.subList(0, Math.min(MAX_SHARD_ROWS, ordered.size()))) list.add(r);
    o.put("rows_left_off", Math.max(0, ordered.size() - MAX_SHARD_ROWS));
    return o;
  }

  /** The shard index in a part file's name (part-00003-of-00016-000001.parquet); 0 for an unsharded part. */
  static int shardOf(String file) {
    Matcher m = PART_SHARD.matcher(file);
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  private static int shardOfSuffix(String name, String base, String ext, int count) {
    if (!name.endsWith(ext)) return -1;
    String mid = name.substring(base.length(), name.length() - ext.length());
    if (mid.isEmpty()) return count == 1 ? 0 : -1;
    Matcher m = SHARD_SUFFIX.matcher(mid);
    return m.matches() && Integer.parseInt(m.group(2)) == count ? Integer.parseInt(m.group(1)) : -1;
  }

  // ---- contact sheet -----------------------------------------------------------------------

  private ObjectNode thumbnails(ObjectNode root) throws SQLException {
    ObjectNode o = JSON.createObjectNode();
    ArrayNode list = o.putArray("items");
    o.put("wanted", options.thumbnails());
    if (!hasClips || options.thumbnails() <= 0 || options.thumbnailer() == Thumbnailer.NONE) {
      o.put("note", options.thumbnailer() == Thumbnailer.NONE ? "this build of vidmill makes no thumbnails"
          : "no thumbnails were asked for");
      return o;
    }
    List<ObjectNode> sample = new ArrayList<>();
    // the sample ContactSheet defines, the one a run keeps pictures for as it decodes
    rows("SELECT key, uri, codec, width, height, duration FROM (SELECT key, uri, codec, width, height, duration "
        + "FROM clips WHERE status = 'ok' ORDER BY md5(key) LIMIT " + options.thumbnails() + ") ORDER BY key", rs -> {
          ObjectNode r = JSON.createObjectNode();
          r.put("key", rs.getString(1));
          r.put("uri", rs.getString(2));
          r.put("codec", rs.getString(3));
          if (rs.getObject(4) != null) r.put("width", rs.getInt(4));
          if (rs.getObject(5) != null) r.put("height", rs.getInt(5));
          if (rs.getObject(6) != null) r.put("duration", round(rs.getDouble(6)));
          sample.add(r);
        });
    long deadline = System.nanoTime() + options.thumbnailBudget().toNanos();
    int failed = 0;
    // each picture is a decode of its own: on every core, the report waits for the slowest
    int threads = Math.max(1, Math.min(sample.size(), Math.min(4, Runtime.getRuntime().availableProcessors())));
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads,
        Thread.ofPlatform().daemon().name("vidmill-thumbnail-", 0).factory());
    try {
      List<java.util.concurrent.Future<Optional<byte[]>>> pictures = new ArrayList<>();
      for (ObjectNode r : sample) {
        pictures.add(pool.submit(() -> options.thumbnailer().jpeg(r.path("key").asText(), r.path("uri").asText(),
            ContactSheet.WIDTH)));
      }
      for (int i = 0; i < sample.size(); i++) {
        ObjectNode r = sample.get(i);
        Optional<byte[]> jpeg;
        try {
          jpeg = pictures.get(i).get(Math.max(0, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
          o.put("note", "the time for thumbnails ran out after " + list.size());
          break;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        } catch (java.util.concurrent.ExecutionException e) {
          failed++;
          continue;
        }
        if (jpeg.isEmpty()) continue;
        byte[] b = jpeg.get();
        // only a JPEG, and a small one, goes into the page
        if (!ContactSheet.acceptable(b)) {
          failed++;
          continue;
        }
        r.remove("uri");
        r.put("jpeg", Base64.getEncoder().encodeToString(b));
        list.add(r);
      }
    } finally {
      pool.shutdownNow(); // what the budget left undone is not waited for
    }
    if (failed > 0) o.put("failed", failed);
    return o;
  }

  // ---- plumbing ----------------------------------------------------------------------------

  @FunctionalInterface
  private interface RowHandler {
    void row(ResultSet rs) throws SQLException;
  }

  private void rows(String sql, RowHandler h) throws SQLException {
    try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) h.row(rs);
    }
  }

  private void row(String sql, RowHandler h) throws SQLException {
    try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      if (rs.next()) h.row(rs);
    }
  }

  static List<Path> files(Path dir, String glob) throws IOException {
    List<Path> list = new ArrayList<>();
    if (!Files.isDirectory(dir)) return list;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
      for (Path p : ds) if (Files.isRegularFile(p)) list.add(p);
    }
    list.sort(null);
    return list;
  }
}
