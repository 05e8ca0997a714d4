package io.vidmill.metrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Summary;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBucket;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Label;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import io.vidmill.journal.Journal;
import io.vidmill.pipeline.ClipResult;
import io.vidmill.pipeline.Run;
import io.vidmill.pipeline.RunStats;
import io.vidmill.shard.Shard;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A run's figures as Prometheus metrics: served on /metrics while it runs ({@link #serve}) and
 * written to OUT/metrics[-SHARD].json at the end ({@link #writeJson}). Counts come from the
 * run's own counters when scraped (nothing is counted twice); the per-clip latency
 * distributions are observed as each clip finishes. Names: docs/report.md.
 */
public final class RunMetrics implements AutoCloseable {
  /** The per-clip stages, as the result columns name them (fetch_ms, ...). */
  public static final List<String> STAGES = List.of("fetch", "open", "demux", "decode", "output", "total");

  private static final ObjectMapper JSON = new ObjectMapper();

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Run run;
  private final String shard;
  private final Instant started = Instant.now();
  private final Histogram stageSeconds;
  private final Summary stageQuantiles;
  private final Counter backendClips;
  private final Counter fallbacks;
  private volatile GpuMonitor gpu = GpuMonitor.NONE;
  private HTTPServer server;

  /** Metrics of {@code run} (shard label "3/16", or "0/1"); observes its results from now on. */
  public RunMetrics(Run run, String shard) {
    this.run = run;
    this.shard = shard;
    this.gpu = run.gpuMonitor(); // NVML's gauges of the run's GPUs, nothing without

    RunStats s = run.stats();
    CounterWithCallback.builder().name("vidmill_clips_total").help("Clips finished, by outcome (ok or failed)")
        .labelNames("status").callback(cb -> {
          cb.call(s.ok.sum(), "ok");
          cb.call(s.failed.sum(), "failed");
        }).register(registry);
    CounterWithCallback.builder().name("vidmill_failures_total").help("Failed clips by error code")
        .labelNames("code").callback(cb -> s.failuresByCode().forEach((code, n) -> cb.call(n, code)))
        .register(registry);
    CounterWithCallback.builder().name("vidmill_frames_total").help("Frames decoded")
        .callback(cb -> cb.call(s.frames.sum())).register(registry);
    CounterWithCallback.builder().name("vidmill_fetched_bytes_total").help("Bytes read from storage (fetched)")
        .callback(cb -> cb.call(s.bytes.sum())).register(registry);
    CounterWithCallback.builder().name("vidmill_retries_total").help("Fetch attempts repeated after an I/O error")
        .callback(cb -> cb.call(s.retries.sum())).register(registry);
    CounterWithCallback.builder().name("vidmill_manifest_entries_total").help("Manifest entries read")
        .callback(cb -> cb.call(s.seen.sum())).register(registry);
    CounterWithCallback.builder().name("vidmill_clips_skipped_total")
        .help("Manifest entries not processed by this attempt, by reason").labelNames("reason").callback(cb -> {
          cb.call(s.alreadyDone.sum(), "already_done");
          cb.call(s.duplicates.sum(), "duplicate");
          cb.call(s.otherShards.sum(), "other_shard");
        }).register(registry);
    backendClips = Counter.builder().name("vidmill_backend_clips_total")
        .help("Clips finished, by the backend that decoded them (the backend column)").labelNames("backend")
        .register(registry);
    fallbacks = Counter.builder().name("vidmill_backend_fallbacks_total")
        .help("Clips that fell back from one backend to another, by cause").labelNames("from", "to", "cause")
        .register(registry);
    stageSeconds = Histogram.builder().name("vidmill_clip_stage_seconds")
        .help("Time per clip in each stage (total: fetch to result); clips that never reached a stage are not in it")
        .labelNames("stage").classicOnly().classicExponentialUpperBounds(0.0001, 2, 24)
        .withoutExemplars() // no trace context to link: sampling them is work per clip for nothing
        .register(registry);
    stageQuantiles = Summary.builder().name("vidmill_clip_stage_latency_seconds")
        .help("Time per clip in each stage, p50 and p99 over the last 5 minutes").labelNames("stage")
        .quantile(0.5, 0.01).quantile(0.99, 0.001).maxAgeSeconds(300).numberOfAgeBuckets(5).withoutExemplars()
        .register(registry);
    GaugeWithCallback.builder().name("vidmill_tuner_setting")
        .help("What the run is set to now: workers, decoder_threads, fetch_concurrency, max_bytes_in_flight")
        .labelNames("setting").callback(cb -> run.settings().forEach((k, v) -> cb.call(v.doubleValue(), k)))
        .register(registry);
    GaugeWithCallback.builder().name("vidmill_pipeline_clips")
        .help("Clips in each part of the pipeline now: fetching, decode_queue, decoding, sink_queue")
        .labelNames("queue").callback(cb -> run.queueDepths().forEach((k, v) -> {
          if (!k.equals("bytes_in_flight")) cb.call(v.doubleValue(), k);
        })).register(registry);
    GaugeWithCallback.builder().name("vidmill_bytes_in_flight").help("Fetched bytes held in memory now")
        .callback(cb -> cb.call(run.queueDepths().getOrDefault("bytes_in_flight", 0).doubleValue()))
        .register(registry);
    GaugeWithCallback.builder().name("vidmill_gpu_decoder_utilization_ratio")
        .help("Share of time each GPU's video decoders were busy (absent without a GPU)").labelNames("gpu")
        .callback(cb -> gpu.decoderUtilization().forEach((g, v) -> cb.call(v, g))).register(registry);
    GaugeWithCallback.builder().name("vidmill_gpu_sm_utilization_ratio")
        .help("Share of time each GPU's streaming multiprocessors were busy (absent without a GPU)")
        .labelNames("gpu").callback(cb -> gpu.smUtilization().forEach((g, v) -> cb.call(v, g))).register(registry);
    GaugeWithCallback.builder().name("vidmill_run_start_time_seconds").help("When this attempt started, Unix time")
        .labelNames("shard").callback(cb -> cb.call(started.toEpochMilli() / 1000.0, shard)).register(registry);
    run.stats().listen(this::observe);
  }

  private void observe(ClipResult r) {
    backendClips.labelValues(r.backend()).inc();
    String cause = r.info().backendFallback();
    if (!cause.isEmpty()) fallback("cuda", r.backend(), cause);
    long[] nanos = {r.fetchNanos(), r.openNanos(), r.demuxNanos(), r.decodeNanos(), r.outputNanos(), r.totalNanos()};
    for (int i = 0; i < nanos.length; i++) {
      // fetch and total every clip has; the others only the clips that got that far
      if (nanos[i] <= 0 && i != 0 && i != nanos.length - 1) continue;
      double seconds = nanos[i] / 1e9;
      stageSeconds.labelValues(STAGES.get(i)).observe(seconds);
      stageQuantiles.labelValues(STAGES.get(i)).observe(seconds);
    }
  }

  /** For the GPU path: a clip meant for {@code from} ran on {@code to} instead, because of {@code cause}. */
  public void fallback(String from, String to, String cause) {
    fallbacks.labelValues(from, to, cause).inc();
  }

  /** Where the GPU gauges come from (the GPU path sets it). */
  public void gpu(GpuMonitor monitor) {
    this.gpu = monitor;
  }

  /** Also the JVM's own metrics (memory, GC, threads, process CPU) on /metrics; not in metrics.json. */
  public RunMetrics withJvmMetrics() {
    JvmMetrics.builder().register(registry);
    return this;
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  /** Serves /metrics on {@code host:port} (0: a free port); returns the port. */
  public int serve(String host, int port) throws IOException {
    server = HTTPServer.builder().hostname(host).port(port).registry(registry).buildAndStart();
    return server.getPort();
  }

  /** The vidmill_* figures now, as JSON: every sample with its labels; histograms with buckets and p50/p99. */
  public ObjectNode toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("shard", shard);
    root.put("attempt_started_at", started.toString());
    root.put("written_at", Instant.now().toString());
    root.put("seconds", run.stats().seconds());
    ObjectNode metrics = root.putObject("metrics");
    for (MetricSnapshot m : registry.scrape()) {
      String name = m.getMetadata().getPrometheusName();
      if (!name.startsWith("vidmill_")) continue;
      String type;
      if (m instanceof CounterSnapshot) {
        type = "counter";
        name += "_total";
      } else if (m instanceof GaugeSnapshot) {
        type = "gauge";
      } else if (m instanceof HistogramSnapshot) {
        type = "histogram";
      } else if (m instanceof SummarySnapshot) {
        type = "summary";
      } else {
        continue;
      }
      ObjectNode o = metrics.putObject(name);
      o.put("type", type);
      o.put("help", m.getMetadata().getHelp());
      ArrayNode samples = o.putArray("samples");
      for (DataPointSnapshot p : m.getDataPoints()) {
        ObjectNode s = samples.addObject();
        ObjectNode labels = s.putObject("labels");
        for (Label l : p.getLabels()) labels.put(l.getName(), l.getValue());
        switch (p) {
          case CounterSnapshot.CounterDataPointSnapshot c -> s.put("value", c.getValue());
          case GaugeSnapshot.GaugeDataPointSnapshot g -> s.put("value", g.getValue());
          case HistogramSnapshot.HistogramDataPointSnapshot h -> histogram(s, h);
          case SummarySnapshot.SummaryDataPointSnapshot q -> {
            s.put("count", q.getCount());
            s.put("sum", q.getSum());
            for (Quantile x : q.getQuantiles()) s.put("p" + Math.round(x.getQuantile() * 100), x.getValue());
          }
          default -> { }
        }
      }
    }
    return root;
  }

  private static void histogram(ObjectNode s, HistogramSnapshot.HistogramDataPointSnapshot h) {
    s.put("count", h.getCount());
    s.put("sum", h.getSum());
    List<double[]> cumulative = new ArrayList<>();
    long total = 0;
    ArrayNode buckets = s.putArray("buckets");
    for (ClassicHistogramBucket b : h.getClassicBuckets()) {
      total += b.getCount();
      cumulative.add(new double[] {b.getUpperBound(), total});
      ObjectNode o = buckets.addObject();
      o.put("le", Double.isInfinite(b.getUpperBound()) ? "+Inf" : Double.toString(b.getUpperBound()));
      o.put("count", total);
    }
    for (double q : new double[] {0.5, 0.99}) {
      double v = Quantiles.fromBuckets(cumulative, q);
      String key = "p" + Math.round(q * 100);
      if (Double.isNaN(v)) s.putNull(key); else s.put(key, v);
    }
  }

  /** The metrics file of a shard: OUT/metrics.json, or OUT/metrics-00003-of-00016.json. */
  public static Path file(Path out, Shard shard) {
    return out.resolve("metrics" + shard.fileSuffix() + ".json");
  }

  /** Writes {@link #toJson()} to {@code file}, atomically (a reader sees the old file or the new one). */
  public void writeJson(Path file) throws IOException {
    Journal.writeAtomically(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson()));
  }

  @Override
  public void close() {
    if (server != null) server.close();
  }

  /** Quantiles of a classic histogram, the way PromQL's histogram_quantile estimates them. */
  static final class Quantiles {
    private Quantiles() {}

    /**
     * @param cumulative (upper bound, cumulative count) in ascending order, the last bound +Inf
     * @return linear interpolation inside the bucket holding the quantile; NaN without observations
     */
    static double fromBuckets(List<double[]> cumulative, double q) {
      if (cumulative.isEmpty()) return Double.NaN;
      double total = cumulative.getLast()[1];
      if (total == 0) return Double.NaN;
      double rank = q * total;
      double lowerBound = 0;
      double lowerCount = 0;
      for (double[] b : cumulative) {
        if (b[1] >= rank) {
          // in the +Inf bucket the best answer is the highest finite bound
          if (Double.isInfinite(b[0])) return lowerBound;
          double inBucket = b[1] - lowerCount;
          return inBucket == 0 ? b[0] : lowerBound + (b[0] - lowerBound) * (rank - lowerCount) / inBucket;
        }
        lowerBound = b[0];
        lowerCount = b[1];
      }
      return lowerBound;
    }
  }
}
