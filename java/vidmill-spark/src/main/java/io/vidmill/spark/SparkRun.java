package io.vidmill.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.regexp_extract;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.xxhash64;

import io.vidmill.decode.OpenOptions;
import io.vidmill.manifest.Manifest;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code spark-submit --class io.vidmill.spark.SparkRun vidmill-spark.jar --input M --out OUT}:
 * vidmill run on a Spark cluster. Reads the manifest formats of vidmill run (a directory of
 * clips, a text file of paths, JSONL, CSV/TSV) or any table Spark reads (Parquet, ORC, ...)
 * with a path column, from any file system Spark reaches, and writes the result rows as Parquet
 * (ZSTD) under OUT.
 */
@Command(name = "vidmill-spark", mixinStandardHelpOptions = true,
    description = {"Decodes every clip of a manifest on a Spark cluster and writes one result row per clip",
        "(the columns of vidmill run) as Parquet to OUT."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {"0:every clip was decoded", "1:some clips failed (their rows say why)", "2:bad command line",
        "3:fatal: the job failed (rerun with --resume to keep what earlier jobs committed)"})
public final class SparkRun implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = {"-i", "--input"}, required = true, paramLabel = "INPUT",
      description = "A directory of clips, a text file of paths or URIs, a JSONL or CSV/TSV manifest, or a table "
          + "(--format parquet|orc|...): any path Spark reads (local, hdfs://, s3a://, ...).")
  String input;

  @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT", description = "Where the Parquet results go.")
  String out;

  @Option(names = "--format", paramLabel = "FORMAT",
      description = "auto (from the input: a directory is clips, then by extension), directory, lines, jsonl, csv, "
          + "tsv, or any Spark data source (parquet, orc, delta, ...).")
  String format = "auto";

  @Option(names = "--path-column", paramLabel = "NAME",
      description = "The column with the clip's path (default: the first of path, uri, url, file, ...).")
  String pathColumn;

  @Option(names = "--key-column", paramLabel = "NAME", description = "The column naming each clip (default: key; "
      + "without one, the path as written).")
  String keyColumn = "key";

  @Option(names = "--extensions", paramLabel = "EXT,...", split = ",",
      description = "File extensions a directory listing takes (default: those of vidmill run).")
  List<String> extensions;

  @Option(names = "--partitions", paramLabel = "N",
      description = "Tasks to split the clips into (default: 4 x spark.default.parallelism).")
  Integer partitions;

  @Option(names = "--batches", paramLabel = "N",
      description = "Process and commit the clips in N jobs, one after the other (by a hash of the key): a failed "
          + "job loses one batch, and --resume carries on after it (default: 1).")
  int batches = 1;

  @Option(names = "--resume", description = "Skip the clips whose rows OUT already holds and add the others to it.")
  boolean resume;

  @Option(names = "--overwrite", description = "Replace what OUT holds (default: refuse an OUT that exists).")
  boolean overwrite;

  @Option(names = "--threads", paramLabel = "N", description = "Decoder threads per clip; 0 lets FFmpeg choose (default: 1).")
  int threads = 1;

  @Option(names = "--clip-timeout", paramLabel = "SECONDS", description = "Wall-clock limit per clip (default: 300).")
  double clipTimeout = 300;

  @Option(names = "--retries", paramLabel = "N", description = "Extra attempts after an I/O error (default: 3).")
  int retries = 3;

  @Option(names = "--max-bytes-in-flight", paramLabel = "BYTES",
      description = "Cap on fetched bytes held in memory per executor (default: 536870912).")
  long maxBytes = 512L << 20;

  @Option(names = "--fetch-concurrency", paramLabel = "N", description = "Clips fetched at once per executor (default: max(8, 2 x cores)).")
  int fetchConcurrency;

  @Option(names = "--max-pixels", paramLabel = "N", description = "Largest frame accepted (default: 16384 x 16384).")
  long maxPixels;

  @Option(names = "--allow-codec", paramLabel = "CODEC", split = ",", description = "Enable a codec refused by default (vvc).")
  List<String> allowCodecs = List.of();

  /** What one call did: rows written by status. */
  public record Outcome(long ok, long failed, java.util.Map<String, Long> byStatus) {}

  private Outcome outcome;

  public static void main(String[] args) {
    System.exit(new CommandLine(new SparkRun()).execute(args));
  }

  /** Runs with {@code args} in this JVM's Spark session (created if there is none); returns the exit status. */
  public static int run(String... args) {
    return new CommandLine(new SparkRun()).execute(args);
  }

  @Override
  public Integer call() {
    PrintWriter log = spec.commandLine().getOut();
    if (batches < 1) throw new ParameterException(spec.commandLine(), "--batches must be >= 1");
    if (resume && overwrite) throw new ParameterException(spec.commandLine(), "--resume and --overwrite exclude each other");
    SparkSession spark = SparkSession.builder().appName("vidmill").getOrCreate();
    try {
      Input in = read(spark);
      ClipOptions options = ClipOptions.of(in.pathColumn).withKeyColumn("key").withBaseDir(in.baseDir)
          .withDecoding(threads, clipTimeout, retries, maxPixels,
              OpenOptions.DEFAULTS.withAllowedCodecs(allowCodecs).deniedCodecs())
          .withFetching(maxBytes, fetchConcurrency);
      // one row per clip key, as vidmill run: a repeated key is processed once
      Dataset<Row> clips = in.clips.dropDuplicates("key");
      FileSystem fs = new Path(out).getFileSystem(spark.sparkContext().hadoopConfiguration());
      boolean exists = fs.exists(new Path(out));
      if (exists && !resume && !overwrite) {
        spec.commandLine().getErr().println("FATAL " + out + " exists: --resume adds what it lacks, --overwrite replaces it");
        return 3;
      }
      if (exists && resume && fs.exists(new Path(out, "_SUCCESS"))) {
        clips = clips.join(spark.read().parquet(out).select("key"), "key", "left_anti");
      }
      int n = partitions != null ? partitions : 4 * spark.sparkContext().defaultParallelism();
      log.printf("vidmill-spark: %s (%s, path column %s) -> %s, %d partitions, %d batch(es)%n", input, in.format,
          in.pathColumn, out, n, batches);
      log.flush();
      for (int b = 0; b < batches; b++) {
        Dataset<Row> batch = batches == 1 ? clips : clips.filter(pmod(xxhash64(col("key")), lit(batches)).equalTo(b));
        Dataset<Row> results = VidmillSpark.process(batch.repartition(n), options);
        SaveMode mode = b == 0 && overwrite ? SaveMode.Overwrite : exists || b > 0 ? SaveMode.Append : SaveMode.ErrorIfExists;
        results.write().mode(mode).option("compression", "zstd").parquet(out);
        if (batches > 1) log.printf("batch %d of %d committed%n", b + 1, batches);
        log.flush();
      }
      java.util.Map<String, Long> byStatus = new java.util.TreeMap<>();
      for (Row r : spark.read().parquet(out).groupBy("status").count().collectAsList()) {
        byStatus.put(r.getString(0), r.getLong(1));
      }
      long ok = byStatus.getOrDefault("ok", 0L);
      long failed = byStatus.values().stream().mapToLong(Long::longValue).sum() - ok;
      outcome = new Outcome(ok, failed, byStatus);
      log.printf("summary: %,d clips ok, %,d failed%s; results: %s%n", ok, failed, failed == 0 ? ""
          : byStatus.entrySet().stream().filter(e -> !e.getKey().equals("ok")).map(e -> e.getKey() + "=" + e.getValue())
              .collect(Collectors.joining(", ", " (", ")")), out);
      return failed == 0 ? 0 : 1;
    } catch (ParameterException e) {
      throw e;
    } catch (Exception e) {
      spec.commandLine().getErr().println("FATAL " + e);
      return 3;
    }
  }

  /** The clips as a Dataset with a path column and a key column. */
  private record Input(Dataset<Row> clips, String pathColumn, String baseDir, String format) {}

  private Input read(SparkSession spark) throws java.io.IOException {
    Path path = new Path(input);
    FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
    FileStatus status = fs.getFileStatus(path);
    String qualified = fs.makeQualified(path).toString();
    String f = format.toLowerCase(Locale.ROOT);
    if (f.equals("auto")) f = status.isDirectory() ? "directory" : byExtension(path.getName());
    // relative paths in a manifest are relative to its folder (local manifests, as in vidmill run)
    String baseDir = qualified.startsWith("file:") && !status.isDirectory()
        ? new Path(qualified).getParent().toUri().getPath() : null;
    Dataset<Row> d = switch (f) {
      case "directory" -> {
        Set<String> ext = extensions == null ? Manifest.DEFAULT_EXTENSIONS
            : extensions.stream().map(e -> e.replaceFirst("^\\.", "").toLowerCase(Locale.ROOT))
                .collect(Collectors.toCollection(LinkedHashSet::new));
        // binaryFile lists the files in parallel; only the path is selected, so no file is read
        Dataset<Row> files = spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(qualified)
            .select(col("path"));
        yield files.filter(lower(regexp_extract(col("path"), "\\.([^./]+)$", 1)).isin(ext.toArray()))
            .withColumn("key", substring(col("path"), qualified.length() + 2, Integer.MAX_VALUE));
      }
      case "lines", "text", "txt" -> spark.read().text(qualified)
          .withColumn("value", regexp_replace(col("value"), "^\\s+|\\s+$", ""))
          .filter(col("value").notEqual("").and(not(col("value").startsWith("#"))))
          .withColumnRenamed("value", "path");
      // every value a string, as vidmill run's manifests give them
      case "jsonl", "json", "ndjson" -> spark.read().option("primitivesAsString", "true").json(qualified);
      case "csv" -> spark.read().option("header", "true").csv(qualified);
      case "tsv" -> spark.read().option("header", "true").option("sep", "\t").csv(qualified);
      default -> spark.read().format(f).load(qualified);
    };
    String pc = pathColumn;
    List<String> columns = Arrays.asList(d.columns());
    if (pc == null) pc = Manifest.PATH_COLUMNS.stream().filter(columns::contains).findFirst().orElse(null);
    if (pc == null || !columns.contains(pc)) {
      throw new ParameterException(spec.commandLine(), input + " has no " + (pathColumn != null ? "column '" + pathColumn
          + "'" : "path column (one of " + Manifest.PATH_COLUMNS + "; name yours with --path-column)") + "; it has " + columns);
    }
    if (!keyColumn.equals("key")) {
      if (!columns.contains(keyColumn)) throw new ParameterException(spec.commandLine(), "no column '" + keyColumn + "'");
      d = d.withColumnRenamed(keyColumn, "key");
    } else if (!columns.contains("key")) {
      d = d.withColumn("key", regexp_replace(col(pc), "^\\s+|\\s+$", ""));
    }
    return new Input(d, pc, baseDir, f);
  }

  private static String byExtension(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.endsWith(".jsonl") || n.endsWith(".ndjson") || n.endsWith(".json")) return "jsonl";
    if (n.endsWith(".csv")) return "csv";
    if (n.endsWith(".tsv")) return "tsv";
    if (n.endsWith(".parquet")) return "parquet";
    if (n.endsWith(".orc")) return "orc";
    return "lines";
  }

  /** What the last {@link #call} wrote, by status (null before it finished). */
  Outcome outcome() {
    return outcome;
  }
}
