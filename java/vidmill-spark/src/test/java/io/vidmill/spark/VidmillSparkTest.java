package io.vidmill.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vidmill.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real local Spark session (local[2]) over the shared corpus: the rows Spark writes equal those
 * of a single-node vidmill run on the same manifest, and the Dataset API keeps the input's columns.
 */
class VidmillSparkTest {
  /** What identifies and describes a clip's result (not how long it took or how it was scheduled). */
  static final List<String> COMPARED = List.of("key", "uri", "status", "error", "container", "codec", "profile",
      "decoder", "width", "height", "pix_fmt", "bit_depth", "rotation", "mirror", "fps", "duration",
      "declared_frames", "frames_decoded", "decode_errors", "bytes_read", "size_bytes", "attempts", "backend",
      "backend_reason", "extra_columns");

  @TempDir static Path dir;
  static Path media;
  static Path manifest;
  static int entries;
  static SparkSession spark;

  @BeforeAll
  static void setUp() throws IOException {
    media = Path.of(System.getProperty("vidmill.media.dir", "../../../shared/media")).toAbsolutePath().normalize();
    assumeTrue(Files.isRegularFile(media.resolve("MANIFEST.tsv")),
        "test media not found at " + media + " (set -Dvidmill.media.dir=...; the corpus lives in ../shared/media)");
    List<String> lines = new ArrayList<>();
    lines.add("# the corpus, a missing file, an empty file, and one clip twice");
    for (String sub : List.of("valid", "invalid")) {
      try (Stream<Path> files = Files.list(media.resolve(sub))) {
        files.sorted().forEach(p -> lines.add(p.toString()));
      }
    }
    lines.add(dir.resolve("missing.mp4").toString());
    lines.add(Files.writeString(dir.resolve("empty.mp4"), "").toString());
    entries = lines.size() - 1;
    lines.add(lines.get(1));
    manifest = Files.write(dir.resolve("clips.txt"), lines);
    spark = SparkSession.builder().master("local[2]").appName("vidmill-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate();
  }

  @AfterAll
  static void tearDown() {
    if (spark != null) spark.stop();
  }

  static List<String> rows(Dataset<Row> d) {
    return d.selectExpr(COMPARED.toArray(String[]::new)).orderBy("key").collectAsList().stream()
        .map(Row::toString).toList();
  }

  static Map<String, String> types(StructType schema) {
    java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
    for (StructField f : schema.fields()) m.put(f.name(), f.dataType().simpleString());
    return m;
  }

  @Test
  void sparkRunWritesTheRowsOfASingleNodeRun() {
    Path single = dir.resolve("single");
    StringWriter log = new StringWriter();
    int rc = Main.run(new PrintWriter(log), new PrintWriter(log), "run", "--input", manifest.toString(), "--out",
        single.toString(), "--workers", "2", "--progress", "off");
    assertEquals(1, rc, log.toString()); // the corpus's invalid files fail

    Path onSpark = dir.resolve("spark");
    assertEquals(1, SparkRun.run("--input", manifest.toString(), "--out", onSpark.toString(), "--partitions", "3"));

    Dataset<Row> expected = spark.read().parquet(single.resolve("clips").toString());
    Dataset<Row> actual = spark.read().parquet(onSpark.toString());
    assertEquals(types(expected.schema()), types(actual.schema()));
    assertEquals(entries, actual.count());
    List<String> want = rows(expected);
    assertEquals(want, rows(actual));
    assertThat(want).hasSize(entries);
    assertThat(actual.filter("status = 'ok'").count()).isGreaterThanOrEqualTo(25);
    assertThat(actual.filter("status = 'NOT_FOUND'").count()).isEqualTo(1);
    assertThat(actual.filter("status = 'EMPTY'").count()).isEqualTo(1);

    // a finished OUT is refused, then resumed: nothing is missing, nothing is added twice
    assertEquals(3, SparkRun.run("--input", manifest.toString(), "--out", onSpark.toString()));
    assertEquals(1, SparkRun.run("--input", manifest.toString(), "--out", onSpark.toString(), "--resume"));
    assertEquals(entries, spark.read().parquet(onSpark.toString()).count());
  }

  @Test
  void aDirectoryIsListedByItsKeysAsVidmillRunDoesAndBatchesCommitInTurn() throws IOException {
    Path clips = dir.resolve("tree");
    new io.vidmill.synth.SyntheticClip(64, 48, 25, 1, 5, 5, 0, 1, "mpeg4", "testsrc2", null).write(
        Files.createDirectories(clips.resolve("a/b")).resolve("one.mp4"));
    new io.vidmill.synth.SyntheticClip(64, 48, 25, 1, 7, 5, 0, 2, "mpeg4", "testsrc2", null).write(clips.resolve("two.MKV"));
    Files.writeString(clips.resolve("a/notes.txt"), "not a clip");
    Files.writeString(clips.resolve("a/b/broken.webm"), "not a clip either");
    Path single = dir.resolve("tree-single");
    StringWriter log = new StringWriter();
    assertEquals(1, Main.run(new PrintWriter(log), new PrintWriter(log), "run", "--input", clips.toString(), "--out",
        single.toString(), "--progress", "off"), log.toString());
    Path onSpark = dir.resolve("tree-spark");
    assertEquals(1, SparkRun.run("--input", clips.toString(), "--out", onSpark.toString(), "--batches", "2"));
    List<String> want = rows(spark.read().parquet(single.resolve("clips").toString()));
    assertThat(want).hasSize(3).anyMatch(r -> r.startsWith("[a/b/one.mp4," + clips.resolve("a/b/one.mp4") + ",ok,"));
    assertEquals(want, rows(spark.read().parquet(onSpark.toString())));
  }

  @Test
  void datasetInResultsOutWithTheInputsColumns() {
    StructType schema = DataTypes.createStructType(List.of(
        DataTypes.createStructField("video", DataTypes.StringType, true),
        DataTypes.createStructField("label", DataTypes.IntegerType, true),
        DataTypes.createStructField("status", DataTypes.StringType, true)));
    String clip = media.resolve("valid/androidx_bbb_176x144_mpeg4.mp4").toString();
    Dataset<Row> clips = spark.createDataFrame(List.of(
        RowFactory.create(clip, 7, "train"),
        RowFactory.create("file:" + dir.resolve("missing.mp4"), 8, "val"),
        RowFactory.create(null, 9, "test")), schema);

    Dataset<Row> results = VidmillSpark.process(clips, ClipOptions.of("video"));
    StructType out = results.schema();
    assertEquals(DataTypes.IntegerType, out.apply("label").dataType());
    assertEquals(DataTypes.StringType, out.apply("input_status").dataType());
    assertEquals(DataTypes.TimestampType, out.apply("finished_at").dataType());
    assertThat(Arrays.asList(out.fieldNames())).doesNotContain("video").endsWith("label", "input_status", "extra_columns");

    List<Row> rows = results.orderBy("label").collectAsList();
    assertEquals(3, rows.size());
    assertEquals(List.of("ok", "NOT_FOUND", "INVALID_ARGUMENT"), rows.stream().map(r -> r.getAs("status")).toList());
    Row ok = rows.getFirst();
    assertEquals(clip, ok.getAs("key"));
    assertEquals("mpeg4", ok.getAs("codec"));
    assertEquals(176, (int) ok.getAs("width"));
    assertEquals("train", ok.getAs("input_status"));
    assertThat((long) ok.getAs("frames_decoded")).isPositive();
    assertEquals(dir.resolve("missing.mp4").toString(), rows.get(1).getAs("uri")); // Hadoop's file: is a local path
    assertEquals("the row has no path", rows.get(2).getAs("error"));
  }

  @Test
  void gpuAddressesOfATaskAreItsDeviceHint() {
    assertEquals(List.of("0", "3"), ClipPartitions.gpus(Map.of("gpu", new ResourceInformation("gpu", new String[] {"0", "3"}))));
    assertEquals(List.of(), ClipPartitions.gpus(Map.of()));
    assertEquals("s3://bucket/a.mp4", ClipPartitions.clipUri("s3a://bucket/a.mp4", Path.of("/m")));
    assertEquals("/m/sub/a.mp4", ClipPartitions.clipUri("sub/a.mp4", Path.of("/m")));
    assertEquals("/x y/a.mp4", ClipPartitions.clipUri("file:/x y/a.mp4", Path.of("/m")));
  }
}
