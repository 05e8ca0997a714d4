package io.vidmill.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vidmill.ClipException;
import io.vidmill.decode.Clip;
import io.vidmill.decode.ClipInfo;
import io.vidmill.decode.ClipStats;
import io.vidmill.decode.DecodeResult;
import io.vidmill.decode.FrameBatch;
import io.vidmill.decode.OpenOptions;
import io.vidmill.decode.Status;
import io.vidmill.fetch.ByteBudget;
import io.vidmill.fetch.FetchException;
import io.vidmill.fetch.Fetched;
import io.vidmill.fetch.Fetcher;
import io.vidmill.journal.DoneSet;
import io.vidmill.journal.Journal;
import io.vidmill.manifest.ClipRef;
import io.vidmill.manifest.Manifest;
import io.vidmill.nativelib.NativeLibrary;
import io.vidmill.shard.ClipHash;
import io.vidmill.sink.ResultSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
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
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * </pre>
 * Clips finish out of order; each result carries its key. Memory holds what is in flight, not
 * the manifest: the entries being fetched and decoded, the rows waiting for a commit, and a
 * 16-byte hash per clip of this shard (to skip what an earlier attempt committed, and repeated
 * keys).
 */
public final class Run {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Handed from fetch to decode: the bytes, or why there are none. */
  private record Work(ClipRef ref, ClipHash hash, Fetched fetched, FetchException failure, long fetchNanos,
                      int attempts, long deadlineNanos) {}

  private static final Work END = new Work(null, null, null, null, 0, 0, 0);
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
  // what the decoders need to know to spend idle cores on the last clips of a run
  private volatile boolean manifestDone;
  private final java.util.concurrent.atomic.AtomicInteger untaken = new java.util.concurrent.atomic.AtomicInteger();
  // what the run is set to now, for the timeline and the metrics: the options until a tuner
  // installs its own view (settings(Supplier))
  private volatile Supplier<Map<String, Number>> settings = this::fixedSettings;
  // the queues of the running pipeline, for queueDepths(); null before and after
  private volatile BlockingQueue<?> decodeQueueNow;
  private volatile BlockingQueue<?> sinkQueueNow;
  private volatile Fetcher fetcherNow;

  public Run(RunOptions options, PrintWriter out, InputStream stdin) {
    this.o = options;
    this.out = out;
    this.stdin = stdin;
  }

  public RunStats stats() {
    return stats;
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

  private Map<String, Number> fixedSettings() {
    Map<String, Number> m = new LinkedHashMap<>();
    m.put("workers", o.workers());
    m.put("decoder_threads", o.decode().threads());
    m.put("fetch_concurrency", o.fetchConcurrency());
    m.put("max_bytes_in_flight", o.maxBytesInFlight());
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
        o.shard().count());
    OutDir.Identity existing = dir.claim(wanted);
    Files.createDirectories(dir.root);

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
            extensions, passthrough, o.shard().count()));
        describeStart(dir, state);
        try (ResultSink sink = new ResultSink(dir.clips, dir.failures, dir.partPrefix, journal, identity.passthrough());
             Fetcher fetcher = new Fetcher(new ByteBudget(o.maxBytesInFlight()), o.clipTimeout())) {
          AtomicLong total = new AtomicLong(-1);
          startCounting(total);
          fetcherNow = fetcher;
          try (Progress progress = new Progress(o.progress(), o.logInterval(), out, stats, total::get);
               Timeline timeline = Timeline.start(dir.timeline, o.shard().label(), stats, this::settings,
                   this::queueDepths)) {
            process(first, manifest, state.done(), fetcher, sink);
          } finally {
            fetcherNow = null;
          }
          if (fatal.get() != null) throw new IOException("the run stopped: " + fatal.get().getMessage(), fatal.get());
          // a run done in one attempt knows its totals; after a resume, the output files do
          ObjectNode summary = summaryJson(dir, resumed ? sink.totals() : null);
          journal.finish(JSON.writeValueAsString(summary));
          Path tmp = dir.summary.resolveSibling(dir.summary.getFileName() + ".tmp");
          Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(summary));
          Files.move(tmp, dir.summary, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
              java.nio.file.StandardCopyOption.REPLACE_EXISTING);
          stats.writeNanos.add(sink.writeNanos());
          return summaryFrom(summary, false, dir);
        }
      }
    }
  }

  /** Undo what a killed attempt left half-done: parts no commit names, failure lines after the last commit. */
  private void recover(OutDir dir, Journal.State state) throws IOException {
    for (Path p : dir.uncommittedParts(state.parts())) Files.deleteIfExists(p);
    if (Files.exists(dir.failures)) {
      try (FileChannel ch = FileChannel.open(dir.failures, StandardOpenOption.WRITE)) {
        if (ch.size() > state.failuresLength()) {
          ch.truncate(state.failuresLength());
          ch.force(true);
        }
      }
    }
  }

  private void describeStart(OutDir dir, Journal.State state) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "vidmill run: %s -> %s, shard %s (%s), %d workers, %d fetches and %d MB in flight",
        o.input(), dir.root, o.shard().label(), o.shard().source(), o.workers(), o.fetchConcurrency(),
        o.maxBytesInFlight() >> 20));
    if (state.done().size() > 0) {
      b.append(String.format(Locale.ROOT, "%nresuming: %,d clips already done in %d parts", state.done().size(),
          state.parts().size()));
      if (state.tornBytes() > 0) b.append(String.format(Locale.ROOT, " (cut %d bytes of a torn journal record)", state.tornBytes()));
    }
    out.println(b);
    out.flush();
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
    BlockingQueue<Work> decodeQueue = new ArrayBlockingQueue<>(o.workers() * 2);
    BlockingQueue<ClipResult> sinkQueue = new ArrayBlockingQueue<>(1024);
    Semaphore fetchSlots = new Semaphore(o.fetchConcurrency());
    DoneSet thisRun = new DoneSet();
    decodeQueueNow = decodeQueue;
    sinkQueueNow = sinkQueue;

    Thread sinkThread = Thread.ofPlatform().name("vidmill-sink").start(() -> sinkLoop(sinkQueue, sink));
    List<Thread> workers = new ArrayList<>();
    for (int i = 0; i < o.workers(); i++) {
      workers.add(Thread.ofPlatform().name("vidmill-decode-" + i).start(() -> decodeLoop(decodeQueue, sinkQueue)));
    }
    try (ExecutorService fetchers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("vidmill-fetch-", 0).factory())) {
      ClipRef ref = first;
      while (ref != null && fatal.get() == null) {
        stats.seen.increment();
        ClipHash hash = ClipHash.of(ref.key());
        if (!o.shard().contains(hash)) {
          stats.otherShards.increment();
        } else if (done.contains(hash)) {
          stats.alreadyDone.increment();
        } else if (!thisRun.add(hash)) {
          stats.duplicates.increment();
        } else {
          fetchSlots.acquire();
          untaken.incrementAndGet();
          stats.fetching.incrementAndGet();
          ClipRef clip = ref;
          fetchers.submit(() -> {
            Work w = fetch(clip, hash, fetcher);
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
        try {
          ref = manifest.hasNext() ? manifest.next() : null;
        } catch (RuntimeException e) {
          fatal.compareAndSet(null, e);
          ref = null;
        }
      }
      manifestDone = true;
    } // waits for every fetch to be handed over
    for (int i = 0; i < workers.size(); i++) decodeQueue.put(END);
    for (Thread t : workers) t.join();
    sinkQueue.put(SINK_END);
    sinkThread.join();
    decodeQueueNow = null;
    sinkQueueNow = null;
  }

  private Work fetch(ClipRef ref, ClipHash hash, Fetcher fetcher) {
    long start = System.nanoTime();
    long deadline = start + o.clipTimeout().toNanos();
    int attempt = 0;
    while (true) {
      attempt++;
      try {
        Fetched f = fetcher.fetch(ref.uri(), deadline);
        stats.bytes.add(f.bytes());
        return new Work(ref, hash, f, null, System.nanoTime() - start, attempt, deadline);
      } catch (FetchException e) {
        long backoff = Math.min(8000, 250L << Math.min(attempt - 1, 5));
        backoff += ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
        if (!e.retryable() || attempt > o.retries()
            || System.nanoTime() + backoff * 1_000_000 > deadline) {
          return new Work(ref, hash, null, e, System.nanoTime() - start, attempt, deadline);
        }
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return new Work(ref, hash, null, e, System.nanoTime() - start, attempt, deadline);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new Work(ref, hash, null, new FetchException(Status.IO, "interrupted", false, e),
            System.nanoTime() - start, attempt, deadline);
      }
    }
  }

  private void decodeLoop(BlockingQueue<Work> in, BlockingQueue<ClipResult> results) {
    // libvidmill may still be loading (it loads beside the command line parsing): the
    // manifest and the fetches get going meanwhile, the decoders wait here
    try {
      NativeLibrary.requireAvailable();
    } catch (RuntimeException e) {
      fatal.compareAndSet(null, e);
    }
    if (fatal.get() != null) {
      drain(in, results);
      return;
    }
    try (FrameBatch batch = FrameBatch.allocate(32)) {
      while (true) {
        Work w = in.take();
        if (w == END) return;
        boolean last = untaken.decrementAndGet() == 0 && manifestDone;
        ClipResult r;
        stats.decoding.incrementAndGet();
        try {
          r = decode(w, batch, last);
        } catch (RuntimeException | Error e) {
          // a bug, not the clip's fault: record it against the clip and go on
          r = result(w, Status.INTERNAL, String.valueOf(e), ClipInfo.UNKNOWN, null, 0, 0);
        } finally {
          stats.decoding.decrementAndGet();
          if (w.fetched() != null) w.fetched().close();
        }
        stats.record(r);
        results.put(r);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** After a fatal error: release what arrives until the end, recording nothing. */
  private static void drain(BlockingQueue<Work> in, BlockingQueue<ClipResult> results) {
    try {
      for (Work w; (w = in.take()) != END; ) {
        if (w.fetched() != null) w.fetched().close();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private ClipResult decode(Work w, FrameBatch batch, boolean lastClips) {
    if (w.failure() != null) {
      return result(w, w.failure().status(), w.failure().getMessage(), ClipInfo.UNKNOWN, null, 0, 0);
    }
    long start = System.nanoTime();
    long left = TimeUnit.NANOSECONDS.toMillis(w.deadlineNanos() - start);
    if (left <= 0) {
      return result(w, Status.TIMEOUT, "the clip's time limit passed while it was being fetched",
          ClipInfo.UNKNOWN, null, 0, 0);
    }
    OpenOptions options = o.decode().withTimeout(Duration.ofMillis(left));
    if (options.threads() == 1 && o.workers() > 1 && lastClips) {
      // the end of the run: no clip will follow this one onto a core that falls idle, so let
      // FFmpeg's frame threads use it (same frames; the tail finishes sooner)
      options = options.withThreads(Math.min(o.workers(), 8));
    }
    try (Clip clip = Clip.open(w.fetched().source(), options)) {
      DecodeResult d = clip.decodeAll(batch, f -> {});
      return result(w, d.status(), d.message(), clip.info(), d.stats(), d.frames(), System.nanoTime() - start);
    } catch (ClipException e) {
      return result(w, e.status(), e.detail(), e.info(), null, 0, System.nanoTime() - start);
    }
  }

  private ClipResult result(Work w, Status status, String error, ClipInfo info, ClipStats s, long frames,
                            long decodeStageNanos) {
    return new ClipResult(w.ref(), w.hash(), status, error, info, frames, s == null ? 0 : s.decodeErrors(),
        s == null ? 0 : s.bytesRead(), w.fetchNanos(), s == null ? decodeStageNanos : s.openNanos(),
        s == null ? 0 : s.demuxNanos(), s == null ? 0 : s.decodeNanos(), s == null ? 0 : s.outputNanos(),
        w.fetchNanos() + decodeStageNanos, w.attempts(), "cpu", s == null ? o.decode().threads() : s.threads(),
        Instant.now());
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
          if (sink.pending() >= o.partRows() || System.nanoTime() - lastCommit >= interval) {
            sink.commit();
            lastCommit = System.nanoTime();
          }
        } catch (IOException | RuntimeException e) {
          fatal.compareAndSet(null, e);
        }
      }
      if (fatal.get() == null) sink.commit();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | RuntimeException e) {
      fatal.compareAndSet(null, e);
    }
  }

  /** The whole run's counts (all attempts, from the committed results) and this attempt's. */
  private ObjectNode summaryJson(OutDir dir, ResultSink.Totals totals) {
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
    s.put("bytes_fetched", stats.bytes.sum());
    s.put("seconds", stats.seconds());
    s.put("already_done", stats.alreadyDone.sum());
    s.put("duplicates", stats.duplicates.sum());
    s.put("other_shards", stats.otherShards.sum());
    s.put("retries", stats.retries.sum());
    s.put("shard", o.shard().label());
    s.put("out", dir.root.toString());
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
