package io.vidmill.spark;

import io.vidmill.decode.ClipInfo;
import io.vidmill.decode.Status;
import io.vidmill.manifest.ClipRef;
import io.vidmill.manifest.Manifest;
import io.vidmill.pipeline.ClipResult;
import io.vidmill.pipeline.Engine;
import io.vidmill.shard.ClipHash;
import io.vidmill.sink.ResultSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.TaskCompletionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One task's rows through its executor's engine: input rows to clip references, results back
 * to rows of {@link VidmillSpark#resultSchema}. The input iterator is only read on the task's
 * own thread (Spark's iterators need their TaskContext).
 */
final class ClipPartitions implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1;
  private static final Logger LOG = LoggerFactory.getLogger(ClipPartitions.class);
  private static final AtomicBoolean GPU_NOTED = new AtomicBoolean();

  private final ClipOptions options;
  private final int pathIndex;
  private final int keyIndex;
  private final int[] passthrough;
  private final boolean java8Time;

  ClipPartitions(ClipOptions options, StructType input, int[] passthrough, boolean java8Time) {
    this.options = options;
    this.pathIndex = input.fieldIndex(options.pathColumn());
    this.keyIndex = options.keyColumn() != null && Arrays.asList(input.fieldNames()).contains(options.keyColumn())
        ? input.fieldIndex(options.keyColumn()) : -1;
    this.passthrough = passthrough;
    this.java8Time = java8Time;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    TaskContext task = TaskContext.get();
    int cpus = task == null ? 1 : task.cpus();
    List<String> gpus = task == null ? List.of() : gpus(task.resourcesJMap());
    if (!gpus.isEmpty() && GPU_NOTED.compareAndSet(false, true)) {
      LOG.info("vidmill: tasks are given GPUs (this one: {}); the engine's decoders are spread over them; {}", gpus,
          io.vidmill.gpu.Cuda.describe());
    }
    Engine engine = ExecutorEngines.forTask(options);
    Map<ClipRef, Row> inputs = new IdentityHashMap<>();   // in flight; read and written on this thread only
    ArrayDeque<Row> ready = new ArrayDeque<>();          // rows that need no decoding (no path)
    Path base = options.baseDir() == null ? null : Path.of(options.baseDir());

    Iterator<ClipRef> refs = new Iterator<>() {
      private ClipRef next;

      @Override
      public boolean hasNext() {
        while (next == null && rows.hasNext()) {
          Row row = rows.next();
          Object path = row.get(pathIndex);
          Object key = keyIndex >= 0 ? row.get(keyIndex) : null;
          if (path == null || path.toString().isBlank()) {
            ready.add(toRow(noPath(key == null ? "" : key.toString()), row));
            continue;
          }
          String written = path.toString().strip();
          next = new ClipRef(key != null ? key.toString() : written, clipUri(written, base), Map.of());
          inputs.put(next, row);
        }
        return next != null;
      }

      @Override
      public ClipRef next() {
        if (!hasNext()) throw new NoSuchElementException();
        ClipRef r = next;
        next = null;
        return r;
      }
    };
    Engine.Stream stream = engine.process(refs, cpus, gpus);
    if (task != null) task.addTaskCompletionListener((TaskCompletionListener) context -> stream.close());

    return new Iterator<>() {
      private boolean streamDone;

      @Override
      public boolean hasNext() {
        if (!ready.isEmpty()) return true;
        if (!streamDone && stream.hasNext()) return true;
        streamDone = true;
        return !ready.isEmpty();
      }

      @Override
      public Row next() {
        if (!hasNext()) throw new NoSuchElementException();
        if (!ready.isEmpty()) return ready.poll();
        ClipResult r = stream.next();
        return toRow(r, inputs.remove(r.ref()));
      }
    };
  }

  /**
   * A clip's URI as vidmill's fetcher reads it: Hadoop's file: paths become local paths, s3a://
   * and s3n:// (Hadoop's S3 connectors) become s3:// for the AWS SDK, relative paths are
   * resolved against the base directory.
   */
  static String clipUri(String written, Path base) {
    String s = written;
    if (s.startsWith("file:") && !s.startsWith("file://")) {
      s = new org.apache.hadoop.fs.Path(s).toUri().getPath();
    } else if (s.startsWith("s3a://") || s.startsWith("s3n://")) {
      s = "s3://" + s.substring(6);
    }
    return Manifest.resolve(base != null ? base : Path.of("").toAbsolutePath(), s);
  }

  /** The addresses of the GPUs Spark assigned to this task (spark.task.resource.gpu.amount). */
  static List<String> gpus(Map<String, ResourceInformation> resources) {
    ResourceInformation gpu = resources.get("gpu");
    return gpu == null ? List.of() : List.of(gpu.addresses());
  }

  private static ClipResult noPath(String key) {
    return new ClipResult(new ClipRef(key, "", Map.of()), ClipHash.of(key), Status.INVALID_ARGUMENT,
        "the row has no path", ClipInfo.UNKNOWN, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "cpu", 0, Instant.now());
  }

  private Row toRow(ClipResult r, Row input) {
    List<Object> values;
    try {
      values = ResultSink.rowValues(r, List.of());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Object extra = values.removeLast(); // extra_columns: null, the clip carries no manifest columns
    List<Object> out = new ArrayList<>(values.size() + passthrough.length + 1);
    for (Object v : values) out.add(sparkValue(v));
    for (int i : passthrough) out.add(input.get(i));
    out.add(extra);
    return RowFactory.create(out.toArray());
  }

  /** Result values as Spark's row encoder takes them (timestamps as its external type). */
  private Object sparkValue(Object v) {
    if (v instanceof OffsetDateTime t) return java8Time ? t.toInstant() : Timestamp.from(t.toInstant());
    return v;
  }
}
