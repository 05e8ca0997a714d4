package io.vidmill.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.vidmill.dataset.FrameFormat;
import io.vidmill.decode.OpenOptions;
import io.vidmill.manifest.Manifest;
import io.vidmill.manifest.ManifestException;
import io.vidmill.ops.Output;
import io.vidmill.ops.PixelFormat;
import io.vidmill.pipeline.ClipSpec;
import io.vidmill.pipeline.Progress;
import io.vidmill.pipeline.Run;
import io.vidmill.pipeline.RunOptions;
import io.vidmill.pipeline.RunStats;
import io.vidmill.shard.Shard;
import io.vidmill.sink.ResultSink;
import io.vidmill.isolate.Isolation;
import io.vidmill.tune.TuneOptions;
import io.vidmill.tune.Tuner;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
        "result row per clip to OUT/clips/*.parquet (failures also to OUT/failures.jsonl). With --sample,",
        "--size, --stats, --frames and --frames-table it makes a dataset: the selected frames of each",
        "clip, converted, as WebDataset tar shards under OUT/frames/, and a row per frame.",
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

  @Option(names = "--input-format", paramLabel = "FORMAT",
      description = "How to read INPUT: auto, directory, lines, jsonl or csv (default: auto).")
  String inputFormat;

  @Option(names = "--format", paramLabel = "FMT",
      description = {"The pixel format of converted frames: rgb24, bgr24 or gray8 (default: rgb24 when frames are "
          + "converted). Also takes --input-format's values, as it did before pixel formats (both may be given)."})
  List<String> formats = new ArrayList<>();

  @Mixin SamplingOptions sampling;

  @Mixin OutputOptions outputs;

  @Option(names = "--frames", paramLabel = "jpeg|png|npy|none",
      description = {"Write each clip's selected frames as WebDataset tar shards under OUT/frames/: a JPEG or PNG "
          + "per frame (KEY.NNNNNN.jpg) or one uint8 array per clip (KEY.npy), and KEY.json (default: none). "
          + "See docs/outputs.md."})
  String frames = "none";

  @Option(names = "--quality", paramLabel = "Q",
      description = "JPEG quality 1..100, libjpeg's scale (the quantisers PIL and OpenCV use at Q; default: 95).")
  int quality = io.vidmill.ops.ImageEncoder.DEFAULT_QUALITY;

  @Option(names = "--stats", description = "Frame statistics: the clip's aggregates in the results; per frame in "
      + "KEY.json and the frames table.")
  boolean stats;

  @Option(names = "--frames-table", description = "Also write a row per selected frame (timestamps, key frame, "
      + "statistics) to OUT/frames_table/*.parquet.")
  boolean framesTable;

  @Option(names = "--shard-size", paramLabel = "SIZE",
      description = "Start a new tar shard once one reaches SIZE; a clip is never split (default: 1G).")
  String shardSize = "1G";

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

  @Option(names = "--isolation", paramLabel = "MODE",
      description = "process (default): decode in supervised child processes (small native ones, started in "
          + "milliseconds), one per decoder, so that a native crash on a hostile file costs that clip (status "
          + "CRASHED), not the run; none: in this process.")
  String isolation = "process";

  @Option(names = "--worker-memory", paramLabel = "SIZE|auto",
      description = "Resident memory at which a decoding process is killed and its clip fails with OUT_OF_MEMORY "
          + "(default: auto, max(1G, 3/4 of the memory limit / decoders)).")
  String workerMemory = "auto";

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
    RunOptions options = options();
    Run run = new Run(options, out, System.in);
    Run.Summary s;
    String written; // where the report went, said after the summary
    try (RunOutputs outputs = RunOutputs.start(run, options, report, metricsHost, metricsPort, out)) {
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
      err.println("FATAL " + fatalLine(e, this.out));
      if (System.getenv("VIDMILL_DEBUG") != null) e.printStackTrace(err);
      return Main.EXIT_FATAL;
    }
    if (!s.alreadyComplete()) printSummary(out, s, run.stats(), options, run.tuner());
    if (written != null) out.println(written);
    return s.exitCode();
  }

  /**
   * The one line of a run that stopped on an I/O error: what failed and, for the causes a
   * person can fix (a full disk, an unwritable OUT), what to do; the run resumes when the same
   * command runs again.
   */
  static String fatalLine(java.io.IOException e, Path out) {
    String line = (e.getMessage() != null ? e.getMessage() : e.toString()).replace('\n', ' ');
    StringBuilder chain = new StringBuilder();
    boolean denied = false;
    for (Throwable t = e; t != null; t = t.getCause()) {
      chain.append(' ').append(t.getMessage());
      if (t instanceof java.nio.file.FileSystemException f) chain.append(' ').append(f.getFile());
      denied |= t instanceof java.nio.file.AccessDeniedException || t instanceof java.nio.file.ReadOnlyFileSystemException;
      if (t instanceof java.nio.file.AccessDeniedException a && !line.contains("denied")) line += " (permission denied)";
    }
    String all = chain.toString().toLowerCase(Locale.ROOT);
    if (all.contains("no space left on device") || all.contains("disk quota exceeded")) {
      return line + "; OUT is full: free space, then run the same command again to resume";
    }
    boolean inOut = all.contains(out.toAbsolutePath().normalize().toString().toLowerCase(Locale.ROOT));
    if (inOut && (denied || all.contains("permission denied") || all.contains("read-only file system"))) {
      return line + "; OUT is not writable: fix that, then run the same command again to resume";
    }
    return line;
  }

  /** The run's options from the command line; a ParameterException (exit 2) for a bad value. */
  RunOptions options() {
    String manifestFormat = inputFormat;
    PixelFormat pixelFormat = null;
    for (String f : formats) {
      if (MANIFEST_FORMATS.contains(f.strip().toLowerCase(Locale.ROOT))) {
        if (manifestFormat != null) throw new ParameterException(spec.commandLine(), "the input format is given twice");
        manifestFormat = f.strip();
        continue;
      }
      if (pixelFormat != null) throw new ParameterException(spec.commandLine(), "--format is given twice");
      try {
        pixelFormat = PixelFormat.parse(f);
      } catch (IllegalArgumentException e) {
        pixelFormat = PixelFormat.NATIVE;
      }
      if (pixelFormat == PixelFormat.NATIVE) {
        throw new ParameterException(spec.commandLine(), "--format " + f + ": rgb24, bgr24 or gray8 (or an input "
            + "format: " + String.join(", ", MANIFEST_FORMATS) + ")");
      }
    }
    String mf = (manifestFormat == null ? "auto" : manifestFormat).strip().toLowerCase(Locale.ROOT);
    if (!MANIFEST_FORMATS.contains(mf)) {
      throw new ParameterException(spec.commandLine(), "--input-format: one of " + String.join(", ", MANIFEST_FORMATS));
    }
    Manifest.Format fmt = Manifest.Format.valueOf(mf.toUpperCase(Locale.ROOT));
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
    if (retries < 0) throw new ParameterException(spec.commandLine(), "--retries must be >= 0");
    if (partRows < 1) throw new ParameterException(spec.commandLine(), "--part-rows must be >= 1");
    if (shards != null && shards < 1) throw new ParameterException(spec.commandLine(), "--shards must be >= 1");
    if (metricsPort != null && (metricsPort < 0 || metricsPort > 65535)) {
      throw new ParameterException(spec.commandLine(), "--metrics-port must be 0..65535");
    }
    Duration clipLimit = DecodeOptions.seconds(spec, "--clip-timeout", clipTimeout, false);
    Duration commitEvery = DecodeOptions.seconds(spec, "--commit-interval", commitInterval, false);
    Duration logEvery = DecodeOptions.seconds(spec, "--log-interval", logInterval, false);
    // decoder threads per clip are the tuner's unless --threads fixes them
    OpenOptions open = decode.options(1).withDevice(devices.device());
    TuneOptions tuning = new TuneOptions(n, decode.threads, fetch, bytes);
    Isolation iso = switch (isolation.toLowerCase(Locale.ROOT)) {
      case "process", "processes" -> new Isolation(true,
          workerMemory.equalsIgnoreCase("auto") ? 0 : parseSize(workerMemory));
      case "none" -> Isolation.NONE;
      default -> throw new ParameterException(spec.commandLine(), "--isolation: process or none");
    };
    long shardBytes = parseSize(shardSize);
    if (shardBytes < 1) throw new ParameterException(spec.commandLine(), "--shard-size must be > 0");
    return new RunOptions(input, fmt, pathColumn, ext, out, sh, tuning, clipLimit, retries, open, commitEvery,
        partRows, mode, logEvery, profile, clipSpec(pixelFormat), shardBytes, iso);
  }

  /** What to make of each clip; with none of these options, a plain run (no conversion, nothing kept). */
  private ClipSpec clipSpec(PixelFormat pixelFormat) {
    try {
      FrameFormat ff = FrameFormat.parse(frames);
      boolean converts = ff != FrameFormat.NONE || pixelFormat != null || outputs.given();
      Output output = converts ? outputs.output(pixelFormat == null ? PixelFormat.RGB24 : pixelFormat) : Output.NATIVE;
      return ClipSpec.DEFAULT.withSampling(sampling.sampling()).withOutput(output).withStats(stats)
          .withFrames(ff, quality).withFrameTable(framesTable);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  private static final List<String> MANIFEST_FORMATS = List.of("auto", "directory", "lines", "jsonl", "csv");

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
    if (st.workerDeaths.sum() > 0) {
      out.printf(Locale.ROOT, "decoding processes that died or were killed: %,d (replaced; their clips are in the results)%n",
          st.workerDeaths.sum());
    }
    if (s.alreadyDone() + s.duplicates() + s.otherShards() > 0) {
      out.printf(Locale.ROOT, "skipped: %,d done by an earlier attempt, %,d repeated keys, %,d of other shards%n",
          s.alreadyDone(), s.duplicates(), s.otherShards());
    }
    if (!o.spec().sampling().selectsEverything()) {
      out.printf(Locale.ROOT, "sampling %s: this attempt returned %,d of the %,d frames decoded%n", o.spec().sampling(),
          st.framesReturned.sum(), st.frames.sum());
    }
    out.println("results: " + Path.of(s.out(), "clips") + (s.failed() > 0 ? ", failures: see the failures*.jsonl in " + s.out() : ""));
    JsonNode j = s.json();
    if (j.has("frames_written_this_attempt")) {
      out.printf(Locale.ROOT, "frames: %,d written this attempt (%s, %.1f MB), %d shards finished, in %s%n",
          j.path("frames_written_this_attempt").asLong(), o.spec().frames(),
          j.path("shard_bytes_this_attempt").asLong() / 1e6, j.path("shards_finished_this_attempt").asLong(),
          Path.of(s.out(), "frames"));
    }
    if (o.spec().frameTable()) out.println("frames table: " + Path.of(s.out(), "frames_table"));
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
    String[] names = {"fetch", "demux", "decode", "convert", "encode", "write", "open"};
    long[] nanos = {st.fetchNanos.sum(), st.demuxNanos.sum(), st.decodeNanos.sum(), st.outputNanos.sum(),
        st.encodeNanos.sum(), st.writeNanos.sum(), st.openNanos.sum()};
    long all = Arrays.stream(nanos).sum();
    out.println("\nprofile (summed over all workers; convert = converting/packing frames, encode = image files "
        + "for the dataset):");
    out.printf("  %-8s %10s %7s %12s%n", "stage", "seconds", "share", "us/frame");
    for (int i = 0; i < names.length; i++) {
      out.printf(Locale.ROOT, "  %-8s %10.2f %6.1f%% %12.1f%n", names[i], nanos[i] / 1e9,
          all == 0 ? 0 : 100.0 * nanos[i] / all, nanos[i] / 1e3 / frames);
    }
  }
}
