package io.vidmill.spark;

import io.vidmill.sink.ResultSink;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * vidmill in Spark: a Dataset of clips in, a Dataset of result rows out, one row per input row.
 *
 * <pre>{@code
 * Dataset<Row> clips = spark.read().parquet("s3a://bucket/clips.parquet");   // a column "path"
 * Dataset<Row> results = VidmillSpark.process(clips, ClipOptions.of("path"));
 * results.write().parquet("s3a://bucket/results");
 * }</pre>
 *
 * Each executor runs one vidmill engine (its decode threads = the executor's cores); each task
 * decodes up to its own cores' worth of clips at once (spark.task.cpus) and hands its GPU
 * addresses, when Spark's resource scheduling assigned it any, to the engine. The result
 * columns are those of {@code vidmill run}'s Parquet files, with the same names, types and
 * values; the input's other columns follow with their own types (renamed input_X where they
 * clash), then {@code extra_columns} (always null here: a Dataset's rows all have the same
 * columns; it is kept so that results of vidmill run and of Spark union by name).
 *
 * <p>Rows are processed as they are: a repeated clip is decoded again (use dropDuplicates
 * first), and there is no journal, since Spark retries a failed task and commits a job's output
 * as a whole ({@link SparkRun} adds resumption across jobs).
 */
public final class VidmillSpark {
  private VidmillSpark() {}

  /** Processes every row of {@code clips} (see the class comment). Lazy, like any transformation. */
  public static Dataset<Row> process(Dataset<Row> clips, ClipOptions options) {
    StructType input = clips.schema();
    StructType out = resultSchema(input, options);
    // the row encoder takes timestamps as java.time.Instant or java.sql.Timestamp, as this says
    boolean java8Time = Boolean.parseBoolean(clips.sparkSession().conf().get("spark.sql.datetime.java8API.enabled", "false"));
    ClipPartitions f = new ClipPartitions(options, input, passthrough(input, options), java8Time);
    return clips.mapPartitions(f, Encoders.row(out));
  }

  /** The schema of {@link #process}'s result for an input of this schema. */
  public static StructType resultSchema(StructType input, ClipOptions options) {
    List<String[]> columns = ResultSink.columnTypes(List.of());
    List<StructField> fields = new ArrayList<>();
    for (String[] c : columns.subList(0, columns.size() - 1)) {
      fields.add(DataTypes.createStructField(c[0], sparkType(c[0], c[1]), true));
    }
    for (int i : passthrough(input, options)) {
      StructField f = input.fields()[i];
      fields.add(DataTypes.createStructField(ResultSink.passthroughName(f.name()), f.dataType(), true));
    }
    String[] extra = columns.getLast();
    fields.add(DataTypes.createStructField(extra[0], sparkType(extra[0], extra[1]), true));
    return DataTypes.createStructType(fields);
  }

  /** The Spark type of a result column's SQL type, as Spark reads it back from the Parquet files. */
  static DataType sparkType(String column, String sqlType) {
    return switch (sqlType) {
      case "VARCHAR" -> DataTypes.StringType;
      case "INTEGER" -> DataTypes.IntegerType;
      case "BIGINT" -> DataTypes.LongType;
      case "DOUBLE" -> DataTypes.DoubleType;
      case "BOOLEAN" -> DataTypes.BooleanType;
      case "TIMESTAMPTZ" -> DataTypes.TimestampType;
      default -> throw new IllegalStateException("result column " + column + " has SQL type " + sqlType
          + ", which has no Spark type here yet: add it to VidmillSpark.sparkType and ClipPartitions.sparkValue");
    };
  }

  /** Indices of the input columns that pass through: all but the path and key columns. */
  static int[] passthrough(StructType input, ClipOptions options) {
    List<String> names = Arrays.asList(input.fieldNames());
    if (!names.contains(options.pathColumn())) {
      throw new IllegalArgumentException("the Dataset has no column '" + options.pathColumn() + "' (it has "
          + names + "): name the column with the clips' paths or URIs");
    }
    List<Integer> keep = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      String n = names.get(i);
      if (!n.equals(options.pathColumn()) && !n.equals(options.keyColumn())) keep.add(i);
    }
    return keep.stream().mapToInt(Integer::intValue).toArray();
  }
}
