package io.vidmill.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vidmill.decode.ClipInfo;
import io.vidmill.decode.OpenOptions;
import io.vidmill.decode.Status;
import io.vidmill.fetch.ByteBudget;
import io.vidmill.fetch.Fetcher;
import io.vidmill.journal.DoneSet;
import io.vidmill.journal.Journal;
import io.vidmill.manifest.ClipRef;
import io.vidmill.manifest.Manifest;
import io.vidmill.report.ContactSheet;
import io.vidmill.shard.ClipHash;
import io.vidmill.sink.ResultSink;
import io.vidmill.sink.ShardWriter;
import io.vidmill.tune.ResourceLimits;
import io.vidmill.tune.Tuner;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * {@code vidmill run}: every clip of a manifest (this shard's part of it) fetched, decoded and
 * recorded exactly once, resumable after a kill at any moment.
 *
 * <pre>
 *   manifest ─► shard / done filter ─► fetch (virtual threads; bounded concurrency and bytes)
 *            ─► decode queue ─► decode workers (one native decoder each, one thread per clip)
 *            ─► sink (Parquet + failures.jsonl) ─► journal commit
 *                     ▲ decoders, threads per clip, fetches, bytes: the tuner, every 500 ms
 * </pre>
 * Clips finish out of order; each result carries its key. Memory holds what is in flight, not
 * the manifest: the entries being fetched and decoded, the rows waiting for a commit, and a
 * 16-byte hash per clip of this shard (to skip what an earlier attempt committed, and repeated
 * keys).
 */
public final class Run {
  private static final ClipTask.Work END = ClipTask.END;
  private static final ObjectMapper JSON = new ObjectMapper();
  /** A frames table's rows wait in DuckDB's memory until a commit: this many at most (about 100 MB). */
  private static final long MAX_PENDING_FRAME_ROWS = 1_000_000;

  private static final ClipResult SINK_END = new ClipResult(new ClipRef("", "", null), null, Status.OK, "",
      ClipInfo.UNKNOWN, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "", 0, Instant.EPOCH);

  /** How a run ended. */
  public record Summary(boolean alreadyComplete, long ok, long failed, java.util.Map<String, Long> failuresByCode,
                        long frames, long bytes, double seconds, long alreadyDone, long duplicates,
                        long otherShards, String shard, String out, JsonNode json) {
    public int exitCode() {
      return failed == 0 ? 0 : 1;
    }
  }

  private final RunOptions o;
  private final PrintWriter out;
  private final InputStream stdin;
  private final RunStats stats = new RunStats();
  private final AtomicReference<Throwable> fatal = new AtomicReference<>();
  private final Tuner tuner;
  private volatile Path crashDir;
  private final DevicePlan devices;
  private final ResourceLimits memoryProbe;
  // what the decoders need to know to spend idle cores on the last clips of a run
  private volatile boolean manifestDone;
  private final AtomicInteger untaken = new AtomicInteger();
  // what the tuner measures
  private final Gates.Workers activeWorkers;
  private final Gates.Resizable fetchSlots;
  private final LongAdder busyNanos = new LongAdder();
  private final LongAdder waitNanos = new LongAdder();
  private final LongAdder fetchSlotWaitNanos = new LongAdder();
  private final LongAdder pixels = new LongAdder();
  private final AtomicLongArray waitingSince;   // per decoder: when it began to wait for input, 0 if not
  private volatile long slotWaitSince;          // when the manifest reader began to wait for a slot, 0 if not
  // what the run is set to now, for the timeline and the metrics: the tuner's settings unless
  // another view is installed (settings(Supplier))
  private volatile Supplier<Map<String, Number>> settings = this::tunerSettings;
  // the queues of the running pipeline, for queueDepths(); null before and after
  private volatile BlockingQueue<?> decodeQueueNow;
  private volatile BlockingQueue<?> sinkQueueNow;
  private volatile Fetcher fetcherNow;
  // where clips' tar members wait for the sink; null when no frames are written
  private volatile Path spoolDir;
  // the contact sheet's pictures, made as clips decode; null: none
  private volatile ContactSheet.Pictures pictures;

  public Run(RunOptions options, PrintWriter out, InputStream stdin) {
    this(options, out, stdin, ResourceLimits.detect());
  }

  /**
   * With the CPU and memory limits given rather than read from this process's cgroup.
   *
   * @throws IllegalStateException when the decode options ask for {@code --device cuda} (or
   *     {@code cuda:N}) and that GPU does not decode
   */
  public Run(RunOptions options, PrintWriter out, InputStream stdin, ResourceLimits limits) {
    this.o = options;
    this.out = out;
    this.stdin = stdin;
    this.devices = DevicePlan.of(options.decode().device(), limits.wholeCpus());
    this.tuner = new Tuner(limits, options.tuning(), devices.sessions());
    this.memoryProbe = limits;
    Tuner.Settings s = tuner.settings();
    this.activeWorkers = new Gates.Workers(s.workers());
    this.fetchSlots = new Gates.Resizable(s.fetchConcurrency());
    this.waitingSince = new AtomicLongArray(tuner.maxWorkers());
  }

  public RunStats stats() {
    return stats;
  }

  /**
   * Makes the report's contact sheet pictures from the frames this run decodes anyway, into
   * {@code pictures} (see {@link ContactSheet}); before {@link #execute}.
   */
  public void keepPictures(ContactSheet.Pictures pictures) {
    this.pictures = pictures;
  }

  /** NVML's gauges of the GPUs this run decodes on (nothing without). */
  public io.vidmill.metrics.GpuMonitor gpuMonitor() {
    return devices.monitor();
  }

  /** The tuner of this run: its current settings and every decision with its reason. */
  public Tuner tuner() {
    return tuner;
  }

  /**
   * What the run is set to now: {@code workers} (clips decoded at once), {@code decoder_threads}
   * (per clip; 0 = FFmpeg's choice), {@code fetch_concurrency}, {@code max_bytes_in_flight}.
   * Sampled into the timeline every second and served as metrics.
   */
  public Map<String, Number> settings() {
    return settings.get();
  }

  /** Replaces where {@link #settings()} comes from: a tuner that changes them during the run reports them here. */
  public void settings(Supplier<Map<String, Number>> current) {
    this.settings = current;
  }

  private Map<String, Number> tunerSettings() {
    Tuner.Settings s = tuner.settings();
    Map<String, Number> m = new LinkedHashMap<>();
    m.put("workers", s.workers());
    m.put("decoder_threads", s.threads());
    m.put("fetch_concurrency", s.fetchConcurrency());
    m.put("max_bytes_in_flight", s.bytesInFlight());
    if (tuner.gpuSessions() != null) m.put("gpu_sessions", tuner.gpuSessions().perGpu());
    return m;
  }

  /**
   * How full the pipeline is now: clips being fetched, waiting for a decoder, being decoded,
   * waiting for the sink, and the fetched bytes held in memory.
   */
  public Map<String, Number> queueDepths() {
    BlockingQueue<?> d = decodeQueueNow;
    BlockingQueue<?> k = sinkQueueNow;
    Fetcher f = fetcherNow;
    Map<String, Number> m = new LinkedHashMap<>();
    m.put("fetching", stats.fetching.get());
    m.put("decode_queue", d == null ? 0 : d.size());
    m.put("decoding", stats.decoding.get());
    m.put("sink_queue", k == null ? 0 : k.size());
    m.put("bytes_in_flight", f == null ? 0 : f.budget().used());
    return m;
  }

  public Summary execute() throws IOException, InterruptedException {
    OutDir dir = new OutDir(o.out(), o.shard());
    String inputId = o.input().equals("-") ? "-" : Path.of(o.input()).toAbsolutePath().normalize().toString();
    List<String> extensions = o.extensions().stream().sorted().toList();
    OutDir.Identity wanted = new OutDir.Identity(inputId, o.format().name(), o.pathColumn(), extensions, List.of(),
        o.shard().count(), o.spec().toJson());
    OutDir.Identity existing = dir.claim(wanted);
    Files.createDirectories(dir.root);
    // where a decoding process that dies by a signal leaves its report (removed again when empty)
    crashDir = dir.root.resolve("crashes");
    if (o.isolation().processes()) Files.createDirectories(crashDir);
    return execute(dir, inputId, extensions, existing);
  }

  private Summary execute(OutDir dir, String inputId, List<String> extensions, OutDir.Identity existing)
      throws IOException, InterruptedException {
    try (Journal journal = Journal.open(dir.journal)) {
      Journal.State state = journal.state();
      if (state.finishedSummary() != null) {
        JsonNode s = JSON.readTree(state.finishedSummary());
        out.printf("already complete: %s holds this run (shard %s): %d clips ok, %d failed; nothing to do%n",
            dir.root, o.shard().label(), s.path("ok").asLong(), s.path("failed").asLong());
        return summaryFrom(s, true, dir);
      }
      recover(dir, state);
      boolean resumed = !state.parts().isEmpty();

      try (Manifest manifest = Manifest.open(o.input(), o.format(), o.pathColumn(), o.extensions(), stdin)) {
        // the first entry fixes the passthrough columns of a new run
        ClipRef first = manifest.hasNext() ? manifest.next() : null;
        List<String> passthrough = existing != null && !existing.passthrough().isEmpty() || first == null
            ? (existing != null ? existing.passthrough() : List.of())
            : List.copyOf(first.columns().keySet());
        OutDir.Identity identity = dir.record(new OutDir.Identity(inputId, o.format().name(), o.pathColumn(),
            extensions, passthrough, o.shard().count(), o.spec().toJson()));
        describeStart(dir, state);
        boolean writesFrames = o.spec().frames() != io.vidmill.dataset.FrameFormat.NONE;
        spoolDir = writesFrames ? dir.spool : null;
        try (ResultSink sink = new ResultSink(dir.clips, dir.failures, dir.partPrefix, journal, identity.passthrough(),
                 o.spec().frameTable() ? dir.framesTable : null,
                 writesFrames ? ShardWriter.recover(dir.frames, dir.shardPrefix, o.shardBytes(), state) : null);
             Fetcher fetcher = new Fetcher(new ByteBudget(tuner.settings().bytesInFlight()), o.clipTimeout())) {
          AtomicLong total = new AtomicLong(-1);
          startCounting(total);
          fetcherNow = fetcher;
          try (Progress progress = new Progress(o.progress(), o.logInterval(), out, stats, total::get);
               Timeline timeline = Timeline.start(dir.timeline, o.shard().label(), stats, this::settings,
                   this::queueDepths)) {
            process(first, manifest, state.done(), fetcher, sink);
            removeIfEmpty(crashDir);
          } finally {
            fetcherNow = null;
          }
          if (fatal.get() != null) throw new IOException("the run stopped: " + fatal.get().getMessage(), fatal.get());
          // a run done in one attempt knows its totals; after a resume, the output files do
          ObjectNode summary = summaryJson(dir, resumed ? sink.totals() : null, sink);
          if (spoolDir != null) deleteTree(spoolDir);
          journal.finish(JSON.writeValueAsString(summary));
          Journal.writeAtomically(dir.summary, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(summary));
          stats.writeNanos.add(sink.writeNanos());
          return summaryFrom(summary, false, dir);
        }
      }
    }
  }

  /**
   * Undo what a killed attempt left half-done: parts no commit names, failure lines after the
   * last commit, clips' frames that never reached a shard (the shards themselves are put right
   * by {@link ShardWriter#recover}).
   */
  private void recover(OutDir dir, Journal.State state) throws IOException {
    for (Path p : dir.uncommittedParts(state.parts())) Files.deleteIfExists(p);
    for (Path p : dir.uncommittedParts(dir.framesTable, state.frameTableParts())) Files.deleteIfExists(p);
    deleteTree(dir.spool);
    if (Files.exists(dir.failures)) {
      try (FileChannel ch = FileChannel.open(dir.failures, StandardOpenOption.WRITE)) {
        if (ch.size() > state.failuresLength()) {
          ch.truncate(state.failuresLength());
          ch.force(true);
        }
      }
    }
  }

  /** Removes {@code dir} and the files in it (one level: what the run's own folders hold). */
  static void deleteTree(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) return;
    try (var files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) Files.deleteIfExists(p);
    }
    Files.deleteIfExists(dir);
  }

  private void describeStart(OutDir dir, Journal.State state) {
    StringBuilder b = new StringBuilder();
    Tuner.Change start = tuner.history().getFirst();
    b.append(String.format(Locale.ROOT, "vidmill run: %s -> %s, shard %s (%s)%ntuning: %s%s (%s)",
        o.input(), dir.root, o.shard().label(), o.shard().source(),
        tuner.allFixed() ? "fixed, " : "auto, starting with ", start.settings().describe(), start.reason()));
    if (o.decode().device().wantsGpu()) b.append(System.lineSeparator()).append(io.vidmill.gpu.Cuda.choice(o.decode().device()));
    if (!o.spec().equals(ClipSpec.DEFAULT)) b.append(System.lineSeparator()).append("making: ").append(describe(o.spec(), dir));
    if (state.done().size() > 0) {
      b.append(String.format(Locale.ROOT, "%nresuming: %,d clips already done in %d parts", state.done().size(),
          state.parts().size()));
      if (state.tornBytes() > 0) b.append(String.format(Locale.ROOT, " (cut %d bytes of a torn journal record)", state.tornBytes()));
    }
    out.println(b);
    out.flush();
  }

  /** "sample fps=1; 224x224 rgb24 (center_crop, bilinear); statistics; jpeg (quality 95) in OUT/frames, ..." */
  private String describe(ClipSpec spec, OutDir dir) {
    List<String> parts = new ArrayList<>();
    if (!spec.sampling().selectsEverything()) parts.add("sample " + spec.sampling());
    if (spec.converts()) {
      io.vidmill.ops.Output out = spec.output();
      String size = switch (out.resize()) {
        case NONE -> "decoded size";
        case SHORT_SIDE -> "short side " + out.width();
        default -> out.width() + "x" + out.height();
      };
      parts.add(size + " " + out.format().name().toLowerCase(Locale.ROOT) + " (" + out.resize().name().toLowerCase(Locale.ROOT)
          + ", " + out.filter().name().toLowerCase(Locale.ROOT) + (out.applyOrientation() ? "" : ", not turned") + ")");
    }
    if (spec.stats()) parts.add("statistics");
    if (spec.frames() != io.vidmill.dataset.FrameFormat.NONE) {
      parts.add(spec.frames() + (spec.frames() == io.vidmill.dataset.FrameFormat.JPEG ? " (quality " + spec.quality() + ")" : "")
          + " in " + dir.frames + ", shards of " + (o.shardBytes() >> 20) + " MiB");
    }
    if (spec.frameTable()) parts.add("frames table in " + dir.framesTable);
    return String.join("; ", parts);
  }

  private void startCounting(AtomicLong total) {
    if (o.input().equals("-")) return;
    Path p = Path.of(o.input());
    if (!Files.isRegularFile(p)) return;
    Thread.ofVirtual().start(() -> {
      long lines = Manifest.countLines(p);
      total.set(Math.max(0, lines / o.shard().count()));
    });
  }

  private void process(ClipRef first, Manifest manifest, DoneSet done, Fetcher fetcher, ResultSink sink)
      throws InterruptedException {
    BlockingQueue<ClipTask.Work> decodeQueue = new ArrayBlockingQueue<>(tuner.maxWorkers() * 2);
    BlockingQueue<ClipResult> sinkQueue = new ArrayBlockingQueue<>(1024);
    DoneSet thisRun = new DoneSet();
    decodeQueueNow = decodeQueue;
    sinkQueueNow = sinkQueue;

    Thread sinkThread = Thread.ofPlatform().name("vidmill-sink").start(() -> sinkLoop(sinkQueue, sink));
    // as many decoder threads as the tuner may ever want; the gate lets the chosen number work
    List<Thread> workers = new ArrayList<>();
    for (int i = 0; i < tuner.maxWorkers(); i++) {
      int index = i;
      workers.add(Thread.ofPlatform().name("vidmill-decode-" + i).start(() -> decodeLoop(index, decodeQueue, sinkQueue)));
    }
    Thread control = Thread.ofPlatform().daemon().name("vidmill-tune").start(() -> tuneLoop(fetcher));
    try (ExecutorService fetchers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("vidmill-fetch-", 0).factory())) {
      // one entry read ahead where reading never waits (a file, a folder): the manifest's end
      // is then known before its last clip is handed over, and a decoder that takes that clip
      // at once still knows it is the last (stdin or a pipe could hold a clip back instead)
      boolean readAhead = !o.input().equals("-")
          && (Files.isRegularFile(Path.of(o.input())) || Files.isDirectory(Path.of(o.input())));
      ClipRef ref = first;
      ClipRef next = readAhead ? nextOrNull(manifest) : null;
      while (ref != null && fatal.get() == null) {
        if (readAhead && next == null) manifestDone = true;
        stats.seen.increment();
        ClipHash hash = ClipHash.of(ref.key());
        if (!o.shard().contains(hash)) {
          stats.otherShards.increment();
        } else if (done.contains(hash)) {
          stats.alreadyDone.increment();
        } else if (!thisRun.add(hash)) {
          stats.duplicates.increment();
        } else {
          acquireFetchSlot();
          untaken.incrementAndGet();
          stats.fetching.incrementAndGet();
          ClipRef clip = ref;
          fetchers.submit(() -> {
            ClipTask.Work w = ClipTask.fetch(clip, hash, fetcher, o.clipTimeout(), o.retries(), stats);
            try {
              decodeQueue.put(w);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            } finally {
              stats.fetching.decrementAndGet();
              fetchSlots.release();
            }
          });
        }
        if (readAhead) {
          ref = next;
          next = ref == null ? null : nextOrNull(manifest);
        } else {
          ref = nextOrNull(manifest);
        }
      }
      manifestDone = true;
    } // waits for every fetch to be handed over
    // the active decoders drain the queue, then take one end marker each; the others leave
    int takers = activeWorkers.end();
    for (int i = 0; i < takers; i++) decodeQueue.put(END);
    for (Thread t : workers) t.join();
    control.interrupt();
    control.join();
    sinkQueue.put(SINK_END);
    sinkThread.join();
    decodeQueueNow = null;
    sinkQueueNow = null;
  }

  /** The manifest's next entry, or null at its end or when it cannot be read (then fatal). */
  private ClipRef nextOrNull(Manifest manifest) {
    try {
      return manifest.hasNext() ? manifest.next() : null;
    } catch (RuntimeException e) {
      fatal.compareAndSet(null, e);
      return null;
    }
  }

  private void acquireFetchSlot() throws InterruptedException {
    if (fetchSlots.tryAcquire()) return;
    long start = System.nanoTime();
    slotWaitSince = start;
    try {
      fetchSlots.acquire();
    } finally {
      slotWaitSince = 0;
      fetchSlotWaitNanos.add(System.nanoTime() - start);
    }
  }

  /**
   * The CPU time of this process's children, the decoding processes, those gone included: with
   * {@code --isolation process} they do the decoding, and a tuner that saw this process's CPU
   * alone would find the CPUs idle and try decoders the machine has no room for.
   */
  private static final class ChildCpu {
    private final Map<Long, Long> byPid = new java.util.HashMap<>();

    long nanos() {
      ProcessHandle.current().children().forEach(c -> c.info().totalCpuDuration()
          .ifPresent(d -> byPid.merge(c.pid(), d.toNanos(), Math::max)));
      long sum = 0;
      for (long n : byPid.values()) sum += n;
      return sum;
    }
  }

  private final ChildCpu childCpu = new ChildCpu();

  /** Every 500 ms: measure, let the tuner decide, apply what it decided. */
  private void tuneLoop(Fetcher fetcher) {
    ProcessHandle self = ProcessHandle.current();
    try {
      while (!Thread.currentThread().isInterrupted()) {
        Thread.sleep(500);
        long now = System.nanoTime();
        long ongoingWait = 0;
        for (int i = 0; i < waitingSince.length(); i++) {
          long since = waitingSince.get(i);
          if (since != 0) ongoingWait += Math.max(0, now - since);
        }
        long slotSince = slotWaitSince;
        long cpuNanos = self.info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L) + childCpu.nanos();
        Tuner.Sample x = new Tuner.Sample(now, cpuNanos, busyNanos.sum(),
            waitNanos.sum() + ongoingWait, pixels.sum(), stats.done(),
            fetchSlotWaitNanos.sum() + (slotSince != 0 ? Math.max(0, now - slotSince) : 0),
            fetcher.budget().waitNanos(), memoryUsed(), manifestDone);
        Tuner.Settings s = tuner.observe(x);
        if (devices.onGpus()) s = tuner.observeGpu(devices.sample(now, pixels.sum()));
        if (s.workers() != activeWorkers.active()) activeWorkers.setActive(s.workers());
        if (s.fetchConcurrency() != fetchSlots.size()) fetchSlots.resize(s.fetchConcurrency());
        if (s.bytesInFlight() != fetcher.budget().capacity()) fetcher.budget().setCapacity(s.bytesInFlight());
      }
    } catch (InterruptedException e) {
      // the run is over
    } catch (RuntimeException e) {
      // tuning is an optimisation: a failure here must not stop the run; the settings stay
      out.println("tuning stopped: " + e);
    }
  }

  private long memoryUsed() {
    return memoryProbe.memoryUsed();
  }

  private void decodeLoop(int index, BlockingQueue<ClipTask.Work> in, BlockingQueue<ClipResult> results) {
    try (ClipDecoder decoder = newDecoder(index)) {
      boolean prepared = false;
      while (true) {
        if (!activeWorkers.await(index)) return;
        if (!prepared && fatal.get() == null) {
          // libvidmill may still be loading (beside the command line parsing), or this
          // decoder's process starting: the manifest and the fetches get going meanwhile
          try {
            decoder.prepare();
          } catch (RuntimeException e) {
            fatal.compareAndSet(null, e);
          }
          prepared = true;
        }
        if (fatal.get() != null) {
          drain(in, results);
          return;
        }
        long waitStart = System.nanoTime();
        waitingSince.set(index, waitStart);
        ClipTask.Work w;
        try {
          w = in.take();
        } finally {
          waitingSince.set(index, 0);
        }
        if (w == END) return;
        long start = System.nanoTime();
        waitNanos.add(start - waitStart);
        boolean last = untaken.decrementAndGet() == 0 && manifestDone;
        ClipResult r;
        stats.decoding.incrementAndGet();
        try {
          r = decoder.decode(w, tuner.threadsFor(last));
        } catch (ClipDecoder.Unavailable e) {
          fatal.compareAndSet(null, e); // no decoding process can decode here
          r = ClipTask.result(w, Status.INTERNAL, String.valueOf(e.getMessage()), ClipInfo.UNKNOWN, null, 0, 0, 0);
        } catch (java.io.UncheckedIOException e) {
          // OUT cannot take the frames (a full disk): the run stops, resumable
          fatal.compareAndSet(null, e.getCause());
          r = null;
        } catch (RuntimeException | Error e) {
          // a bug, not the clip's fault: record it against the clip and go on
          r = ClipTask.result(w, Status.INTERNAL, String.valueOf(e), ClipInfo.UNKNOWN, null, 0, 0, 0);
        } finally {
          stats.decoding.decrementAndGet();
          if (w.fetched() != null) w.fetched().close();
        }
        if (r == null) {
          drain(in, results);
          return;
        }
        busyNanos.add(System.nanoTime() - start);
        pixels.add(r.framesDecoded() * Math.max(1L, (long) r.info().width() * r.info().height()));
        stats.record(r);
        results.put(r);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void removeIfEmpty(Path dir) {
    try {
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // not empty: it holds reports of decoding processes that died, for the user
    }
  }

  /** Decoder {@code index}'s; with GPUs it is one of its GPU's group. */
  private ClipDecoder newDecoder(int index) {
    OpenOptions decode = o.decode().withDevice(devices.deviceFor(index));
    if (!o.isolation().processes()) return new ClipDecoder.InProcess(decode, o.spec(), spoolDir, pictures);
    long limit = o.isolation().memoryLimitFor(memoryProbe.memoryBytes(), tuner.settings().workers());
    return new ClipDecoder.Isolated(decode, o.spec(), spoolDir, pictures, limit, crashDir, stats);
  }

  /** After a fatal error: release what arrives until the end, recording nothing. */
  private static void drain(BlockingQueue<ClipTask.Work> in, BlockingQueue<ClipResult> results) {
    try {
      for (ClipTask.Work w; (w = in.take()) != END; ) {
        if (w.fetched() != null) w.fetched().close();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void sinkLoop(BlockingQueue<ClipResult> in, ResultSink sink) {
    long lastCommit = System.nanoTime();
    long interval = o.commitInterval().toNanos();
    try {
      while (true) {
        long wait = Math.max(1, interval - (System.nanoTime() - lastCommit));
        ClipResult r = in.poll(wait, TimeUnit.NANOSECONDS);
        if (r == SINK_END) break;
        if (fatal.get() != null) continue; // keep draining so that the workers can finish
        try {
          if (r != null) sink.add(r);
          if (sink.pending() >= o.partRows() || sink.pendingFrameRows() >= MAX_PENDING_FRAME_ROWS
              || System.nanoTime() - lastCommit >= interval) {
            sink.commit();
            lastCommit = System.nanoTime();
          }
        } catch (IOException | RuntimeException e) {
          fatal.compareAndSet(null, e);
        }
      }
      if (fatal.get() == null) sink.commit(true);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | RuntimeException e) {
      fatal.compareAndSet(null, e);
    }
  }

  /** The whole run's counts (all attempts, from the committed results) and this attempt's. */
  private ObjectNode summaryJson(OutDir dir, ResultSink.Totals totals, ResultSink sink) {
    if (totals == null) totals = new ResultSink.Totals(stats.ok.sum(), stats.failed.sum(), stats.failuresByCode(),
        stats.frames.sum());
    ObjectNode s = JSON.createObjectNode();
    s.put("ok", totals.ok());
    s.put("failed", totals.failed());
    ObjectNode codes = s.putObject("failures_by_code");
    totals.failuresByCode().forEach(codes::put);
    s.put("frames", totals.frames());
    s.put("clips_this_attempt", stats.done());
    s.put("frames_this_attempt", stats.frames.sum());
    s.put("frames_returned_this_attempt", stats.framesReturned.sum());
    if (sink.shards() != null) {
      s.put("frames_written_this_attempt", sink.framesWritten());
      s.put("shards_finished_this_attempt", sink.shards().shardsFinished());
      s.put("shard_bytes_this_attempt", sink.shards().bytesAppended());
    }
    s.put("bytes_fetched", stats.bytes.sum());
    s.put("seconds", stats.seconds());
    s.put("already_done", stats.alreadyDone.sum());
    s.put("duplicates", stats.duplicates.sum());
    s.put("other_shards", stats.otherShards.sum());
    s.put("retries", stats.retries.sum());
    s.put("shard", o.shard().label());
    s.put("out", dir.root.toString());
    var tuning = s.putArray("tuning");
    for (Tuner.Change c : tuner.history()) {
      ObjectNode n = tuning.addObject();
      n.put("seconds", Math.round(c.seconds() * 10) / 10.0);
      n.put("workers", c.settings().workers());
      n.put("threads", c.settings().threads());
      n.put("fetch_concurrency", c.settings().fetchConcurrency());
      n.put("bytes_in_flight", c.settings().bytesInFlight());
      n.put("reason", c.reason());
    }
    return s;
  }

  private Summary summaryFrom(JsonNode s, boolean alreadyComplete, OutDir dir) {
    java.util.Map<String, Long> codes = new java.util.TreeMap<>();
    s.path("failures_by_code").properties().forEach(e -> codes.put(e.getKey(), e.getValue().asLong()));
    return new Summary(alreadyComplete, s.path("ok").asLong(), s.path("failed").asLong(), codes,
        s.path("frames").asLong(), s.path("bytes_fetched").asLong(), s.path("seconds").asDouble(),
        s.path("already_done").asLong(), s.path("duplicates").asLong(), s.path("other_shards").asLong(),
        o.shard().label(), dir.root.toString(), s);
  }
}
