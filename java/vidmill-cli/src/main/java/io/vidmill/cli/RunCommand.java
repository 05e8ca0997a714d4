package io.vidmill.cli;

import io.vidmill.decode.OpenOptions;
import io.vidmill.manifest.Manifest;
import io.vidmill.manifest.ManifestException;
import io.vidmill.pipeline.Progress;
import io.vidmill.pipeline.Run;
import io.vidmill.pipeline.RunOptions;
import io.vidmill.pipeline.RunStats;
import io.vidmill.shard.Shard;
import io.vidmill.sink.ResultSink;
import io.vidmill.tune.TuneOptions;
import io.vidmill.tune.Tuner;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "run",
    description = {
        "Fetches and decodes every clip of a manifest, out of order and in parallel, and writes one",
        "result row per clip to OUT/clips/*.parquet (failures also to OUT/failures.jsonl).",
        "Resumable: after a crash or kill -9 the same command carries on; every clip ends up in the",
        "results exactly once. Re-running a finished run does nothing and says so."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "0:every clip was decoded",
        "1:the run finished, some clips failed (see OUT/failures.jsonl)",
        "2:bad command line",
        "3:fatal: the run stopped (unreadable manifest, OUT unusable, disk full); run it again to resume"})
final class RunCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = {"-i", "--input"}, required = true, paramLabel = "INPUT",
      description = "A directory (walked recursively), a text file with one path or URI per line, a JSONL or "
          + "CSV file with a path column, or - for stdin. Clips may be local paths, file://, s3://, http(s)://.")
  String input;

  @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT", description = "Where results go.")
  Path out;

  @Option(names = "--format", paramLabel = "FORMAT", description = "auto, directory, lines, jsonl or csv (default: auto).")
  String format = "auto";

  @Option(names = "--path-column", paramLabel = "NAME",
      description = "The column with the clip's path in JSONL/CSV (default: the first of path, uri, url, file, ...).")
  String pathColumn;

  @Option(names = "--extensions", paramLabel = "EXT,...", split = ",",
      description = "File extensions a directory walk takes (default: mp4,mov,mkv,webm,m4v,avi,...).")
  List<String> extensions;

  @Option(names = "--shard", paramLabel = "i/n",
      description = "Process only shard i of n (by a stable hash of the clip key). Default: from Slurm array "
          + "or Kubernetes Indexed Job variables when set, else the whole manifest.")
  String shard;

  @Option(names = "--shards", paramLabel = "N",
      description = "The number of shards for a Kubernetes Indexed Job (JOB_COMPLETION_INDEX gives i).")
  Integer shards;

  @Option(names = "--workers", paramLabel = "N|auto",
      description = "Clips decoded at once (default: auto: chosen from the CPUs and memory the process may use, "
          + "cgroup limits included, and changed during the run; see docs/tuning.md).")
  String workers = "auto";

  @Option(names = "--fetch-concurrency", paramLabel = "N|auto",
      description = "Clips fetched at once (default: auto: max(8, 2 x workers), raised while decoders wait for slow storage).")
  String fetchConcurrency = "auto";

  @Option(names = "--max-bytes-in-flight", paramLabel = "SIZE|auto",
      description = "Cap on fetched bytes held in memory (default: auto: min(512M, a quarter of the memory limit), "
          + "raised for slow storage while memory allows).")
  String maxBytes = "auto";

  @Option(names = "--clip-timeout", paramLabel = "SECONDS", description = "Wall-clock limit per clip, fetch and decode (default: 300).")
  double clipTimeout = 300;

  @Option(names = "--retries", paramLabel = "N", description = "Extra attempts after an I/O error; decode errors are never retried (default: 3).")
  int retries = 3;

  @Option(names = "--commit-interval", paramLabel = "SECONDS",
      description = "How often results are made durable; a kill loses at most this much work (default: 30).")
  double commitInterval = 30;

  @Option(names = "--part-rows", paramLabel = "N", description = "Most rows per Parquet part file (default: 100000).")
  int partRows = 100_000;

  @Option(names = "--progress", paramLabel = "MODE",
      description = "auto (a live line on a terminal, periodic lines otherwise), tty, log or off.")
  String progress = "auto";

  @Option(names = "--log-interval", paramLabel = "SECONDS", description = "Seconds between progress lines when not on a terminal (default: 10).")
  double logInterval = 10;

  @Option(names = "--profile", description = "Print where the time went, per stage.")
  boolean profile;

  @Option(names = "--metrics-port", paramLabel = "PORT",
      description = "Serve Prometheus metrics on http://HOST:PORT/metrics while the run goes (0: any free port, printed).")
  Integer metricsPort;

  @Option(names = "--metrics-host", paramLabel = "ADDRESS",
      description = "The address the metrics server listens on (default: 0.0.0.0, every interface).")
  String metricsHost = "0.0.0.0";

  @Option(names = "--report", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Write OUT/report.html when the run ends (default; --no-report leaves it out).")
  boolean report = true;

  @Mixin DecodeOptions decode;

  @Mixin DeviceOptions devices;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (devices.device().kind() == io.vidmill.decode.Device.Kind.CUDA && !devices.usable(err)) return Main.EXIT_FATAL;
    // DuckDB (the Parquet writer) unpacks and loads its native library: let that overlap
    // with loading FFmpeg and reading the manifest instead of adding to them
    Thread.ofPlatform().daemon().name("vidmill-duckdb-warmup").start(ResultSink::warmUp);
    RunOptions options = options(err);
    Run run = new Run(options, out, System.in);
    Run.Summary s;
    String written; // where the report went, said after the summary
    try (RunOutputs outputs = RunOutputs.start(run, options, metricsHost, metricsPort, out)) {
      s = run.execute();
      written = outputs.finish(s, report, err);
    } catch (ManifestException e) {
      err.println("FATAL the manifest cannot be read: " + e.getMessage());
      return Main.EXIT_FATAL;
    } catch (RunOutputs.MetricsPortException e) {
      err.println("ERROR " + e.getMessage());
      return Main.EXIT_USAGE;
    } catch (java.io.IOException e) {
      if (!Main.requireNative(err)) return Main.EXIT_FATAL; // the root cause, with every loading step
      err.println("FATAL " + (e.getMessage() != null ? e.getMessage() : e.toString()));
      if (System.getenv("VIDMILL_DEBUG") != null) e.printStackTrace(err);
      return Main.EXIT_FATAL;
    }
    if (!s.alreadyComplete()) printSummary(out, s, run.stats(), options, run.tuner());
    if (written != null) out.println(written);
    return s.exitCode();
  }

  private RunOptions options(PrintWriter err) {
    Manifest.Format fmt;
    try {
      fmt = Manifest.Format.valueOf(format.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--format: one of auto, directory, lines, jsonl, csv");
    }
    Shard sh;
    try {
      sh = shard != null ? Shard.parse(shard) : Shard.fromEnvironment(System::getenv, shards).orElse(Shard.ALL);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    Integer n = autoOr(workers, "--workers");
    Integer fetch = autoOr(fetchConcurrency, "--fetch-concurrency");
    if (n != null && n < 1) throw new ParameterException(spec.commandLine(), "--workers must be >= 1");
    if (fetch != null && fetch < 1) throw new ParameterException(spec.commandLine(), "--fetch-concurrency must be >= 1");
    Long bytes = maxBytes.equalsIgnoreCase("auto") ? null : parseSize(maxBytes);
    if (bytes != null && bytes < 1) throw new ParameterException(spec.commandLine(), "--max-bytes-in-flight must be > 0");
    Set<String> ext = extensions == null ? Manifest.DEFAULT_EXTENSIONS
        : extensions.stream().map(e -> e.replaceFirst("^\\.", "").toLowerCase(Locale.ROOT))
            .collect(Collectors.toCollection(LinkedHashSet::new));
    Progress.Mode mode;
    try {
      mode = Progress.Mode.valueOf(progress.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--progress: one of auto, tty, log, off");
    }
    // decoder threads per clip are the tuner's unless --threads fixes them
    OpenOptions open = decode.options(1).withDevice(devices.device());
    TuneOptions tuning = new TuneOptions(n, decode.threads, fetch, bytes);
    return new RunOptions(input, fmt, pathColumn, ext, out, sh, tuning,
        Duration.ofMillis(Math.round(clipTimeout * 1000)), retries, open,
        Duration.ofMillis(Math.round(commitInterval * 1000)), partRows, mode,
        Duration.ofMillis(Math.round(logInterval * 1000)), profile);
  }

  private Integer autoOr(String value, String option) {
    if (value.equalsIgnoreCase("auto")) return null;
    try {
      return Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw new ParameterException(spec.commandLine(), option + ": a number or auto");
    }
  }

  private long parseSize(String s) {
    String t = s.strip().toUpperCase(Locale.ROOT);
    long mult = 1;
    if (t.endsWith("B")) t = t.substring(0, t.length() - 1);
    if (t.endsWith("K")) mult = 1L << 10;
    else if (t.endsWith("M")) mult = 1L << 20;
    else if (t.endsWith("G")) mult = 1L << 30;
    if (mult > 1) t = t.substring(0, t.length() - 1);
    try {
      return (long) (Double.parseDouble(t) * mult);
    } catch (NumberFormatException e) {
      throw new ParameterException(spec.commandLine(), "not a size: " + s + " (e.g. 512M, 2G)");
    }
  }

  private static void printSummary(PrintWriter out, Run.Summary s, RunStats st, RunOptions o, Tuner tuner) {
    out.printf(Locale.ROOT, "%nsummary: %,d clips ok, %,d failed%s; %,d frames; this attempt %,d clips in %.1f s "
            + "(%.1f clips/s, %,.0f frames/s, %.1f MB/s fetched)%n",
        s.ok(), s.failed(),
        s.failuresByCode().isEmpty() ? "" : " " + s.failuresByCode().entrySet().stream()
            .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", ", "(", ")")),
        s.frames(), st.done(), st.seconds(), st.done() / st.seconds(), st.frames.sum() / st.seconds(),
        st.bytes.sum() / st.seconds() / 1e6);
    if (s.alreadyDone() + s.duplicates() + s.otherShards() > 0) {
      out.printf(Locale.ROOT, "skipped: %,d done by an earlier attempt, %,d repeated keys, %,d of other shards%n",
          s.alreadyDone(), s.duplicates(), s.otherShards());
    }
    out.println("results: " + Path.of(s.out(), "clips") + (s.failed() > 0 ? ", failures: see the failures*.jsonl in " + s.out() : ""));
    printTuning(out, tuner, o.profile());
    if (o.profile()) printProfile(out, st);
  }

  /** What the tuner chose and why; with --profile every decision, else the start and the end. */
  static void printTuning(PrintWriter out, Tuner tuner, boolean all) {
    List<Tuner.Change> h = tuner.history();
    Tuner.Change first = h.getFirst();
    Tuner.Change last = h.getLast();
    long changes = 0;
    for (int i = 1; i < h.size(); i++) if (!h.get(i).settings().equals(h.get(i - 1).settings())) changes++;
    if (tuner.allFixed()) {
      out.println("tuning: fixed, " + first.settings().describe());
      return;
    }
    out.printf(Locale.ROOT, "tuning: %s%s; last clips of the run: %d decoder threads each%n",
        changes == 0 ? "kept " : "ended with ", last.settings().describe(), tuner.threadsFor(true));
    if (changes > 0 && !all) {
      out.printf(Locale.ROOT, "  %d changes from the start (%s); --profile lists them%n", changes, first.settings().describe());
    }
    if (all) {
      for (Tuner.Change c : h) {
        out.printf(Locale.ROOT, "  %7.1f s  %-46s %s%n", c.seconds(), c.settings().describe(), c.reason());
      }
    }
  }

  /** Where the time went: summed over workers, in % of all stage time and µs per frame. */
  private static void printProfile(PrintWriter out, RunStats st) {
    long frames = Math.max(1, st.frames.sum());
    String[] names = {"fetch", "demux", "decode", "convert", "process", "write", "open"};
    long[] nanos = {st.fetchNanos.sum(), st.demuxNanos.sum(), st.decodeNanos.sum(), st.outputNanos.sum(), 0,
        st.writeNanos.sum(), st.openNanos.sum()};
    long all = Arrays.stream(nanos).sum();
    out.println("\nprofile (summed over all workers; convert = packing/hashing frames for output):");
    out.printf("  %-8s %10s %7s %12s%n", "stage", "seconds", "share", "us/frame");
    for (int i = 0; i < names.length; i++) {
      out.printf(Locale.ROOT, "  %-8s %10.2f %6.1f%% %12.1f%n", names[i], nanos[i] / 1e9,
          all == 0 ? 0 : 100.0 * nanos[i] / all, nanos[i] / 1e3 / frames);
    }
  }
}
