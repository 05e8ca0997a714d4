package io.vidmill.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A report over many results (made by DuckDB in the results' schema: 100,000 clips of 8
 * shards, hundreds of codecs, thousands of failures): every list stays capped and the counts
 * still add up; the page does not grow with the clips.
 */
class ReportScaleTest {
  static final int CLIPS = 100_000;
  static final int SHARDS = 8;

  @TempDir static Path out;

  @BeforeAll
  static void results() throws Exception {
    Files.createDirectories(out.resolve("clips"));
    Files.writeString(out.resolve("run.json"), "{\"vidmill_run\": 1, \"input\": \"big.txt\", \"shards\": " + SHARDS + "}");
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement s = db.createStatement()) {
      for (int shard = 0; shard < SHARDS; shard++) {
        String part = out.resolve(String.format("clips/part-%05d-of-%05d-000000.parquet", shard, SHARDS)).toString();
        s.execute("COPY (SELECT 'clips/' || i || '.mp4' AS key, 's3://b/' || i || '.mp4' AS uri, "
            + "CASE WHEN i % 50 = 0 THEN 'CORRUPT' WHEN i % 777 = 0 THEN 'TIMEOUT' ELSE 'ok' END AS status, "
            + "CASE WHEN i % 50 = 0 THEN 'packet ' || i || ' failed' END AS error, 'mp4' AS container, "
            + "'codec' || (i % 400) AS codec, [640, 1280][1 + i % 2]::INTEGER AS width, [360, 720][1 + i % 2]::INTEGER AS height, "
            + "'yuv420p' AS pix_fmt, 25.0 AS fps, (i % 90)::DOUBLE AS duration, 50::BIGINT AS frames_decoded, "
            + "(i % 1000 * 1000)::BIGINT AS bytes_read, (i % 1000 * 1000)::BIGINT AS size_bytes, 1.0 AS fetch_ms, "
            + "0.5 AS open_ms, 0.5 AS demux_ms, 8.0 AS decode_ms, 0.0 AS output_ms, 10.0 AS total_ms, 1 AS attempts, "
            + "'cpu' AS backend, TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_milliseconds(i * 10) AS finished_at "
            + "FROM range(" + shard + ", " + CLIPS + ", " + SHARDS + ") t(i)) TO '" + part + "' (FORMAT PARQUET)");
        if (shard != 3) Files.writeString(out.resolve(String.format("summary-%05d-of-%05d.json", shard, SHARDS)),
            "{\"ok\": 1, \"seconds\": 2000}");
      }
    }
  }

  @Test
  void listsAreCappedAndCountsAddUp() throws Exception {
    Path page = Report.write(out, Report.Options.DEFAULTS);
    assertThat(Files.size(page)).isLessThan(400_000);
    JsonNode d = ReportTest.dataOf(Files.readString(page));
    assertEquals(CLIPS, d.path("totals").path("clips").asLong());

    JsonNode codec = d.path("histograms").path("codec");
    assertEquals(400, codec.path("kinds").asInt());
    assertThat(codec.path("rows").size()).isEqualTo(ReportData.TOP_VALUES + 1);
    long sum = 0;
    for (JsonNode r : codec.path("rows")) sum += r.path("clips").asLong();
    assertEquals(CLIPS, sum);
    JsonNode other = codec.path("rows").get(ReportData.TOP_VALUES);
    assertThat(other.path("other").asBoolean()).isTrue();
    assertThat(other.path("label").asText()).isEqualTo("other (388 more)");

    long corrupt = CLIPS / 50;
    JsonNode failures = d.path("failures");
    assertEquals("CORRUPT", failures.get(0).path("code").asText());
    assertEquals(corrupt, failures.get(0).path("clips").asLong());
    for (JsonNode f : failures) assertThat(f.path("examples").size()).isLessThanOrEqualTo(ReportData.EXAMPLES_PER_CODE);
    assertEquals("clips/0.mp4", failures.get(0).path("examples").get(0).path("key").asText());

    JsonNode shards = d.path("shards");
    assertEquals(SHARDS, shards.path("count").asInt());
    assertEquals(SHARDS - 1, shards.path("complete").asInt());
    for (JsonNode r : shards.path("rows")) {
      assertEquals(CLIPS / SHARDS, r.path("clips").asLong(), r.toString());
      assertEquals(!r.path("shard").asText().equals("3/8"), r.path("complete").asBoolean());
    }
    // 1000 s of results in at most MAX_POINTS buckets
    assertThat(d.path("throughput").path("t").size()).isLessThanOrEqualTo(ReportData.MAX_POINTS).isGreaterThan(100);
    double clips = 0;
    for (JsonNode v : d.path("throughput").path("clips")) clips += v.asDouble();
    assertEquals(CLIPS, clips, 1e-6);
  }
}
