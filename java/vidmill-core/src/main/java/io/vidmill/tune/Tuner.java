package io.vidmill.tune;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Chooses how many clips decode at once, how many decoder threads each gets, how many clips are
 * fetched at once and how many fetched bytes may wait in memory, and changes its mind while
 * the run goes on. docs/tuning.md explains the method; in short:
 *
 * <ul>
 *   <li>Start from what is known to be fastest for short clips on a CPU: one single-threaded
 *       decoder per CPU the process may use (the cgroup quota and affinity, not the machine's
 *       count), fetching max(8, 2 x decoders) clips ahead, with fetched bytes capped at a
 *       quarter of the memory limit (512 MB at most by default).
 *   <li>Storage slower than decoding shows as decoders waiting for input while every fetch
 *       slot is busy: the fetch concurrency grows in proportion to the waiting (up to 4x a
 *       step) until the decoders stop waiting; a byte cap that holds fetches back grows while
 *       memory allows.
 *   <li>CPUs left idle while the decoders have input (decoding from slow local storage in
 *       place, a tight quota's leftovers) lead to a trial with one decoder more, kept only if
 *       throughput (decoded pixels per second) rose by 3% and CPU use with it (a gain that
 *       used no idle CPU is noise); a failed trial is undone and the next one waits twice as
 *       long (hill climbing with exponential back-off).
 *   <li>Memory close to the limit halves the byte cap and the fetches ahead, then takes away a
 *       decoder, before the kernel's OOM killer would.
 *   <li>The last clips of a run, which no later clip will join on the cores that fall idle,
 *       get FFmpeg's frame threads (one per CPU): same frames, a shorter tail; so do clips when
 *       memory left fewer decoders than CPUs.
 * </ul>
 * With GPUs ({@link GpuSessions}) the decoders are the GPUs' decode sessions: their number comes
 * from the decoder engines and NVML's utilization instead of the CPUs (no CPU trials), and
 * {@link #observeGpu} changes it; fetching and memory are tuned as above.
 * Decisions are damped: measurements in the second after a change are discarded, and each
 * decision looks at a window of at least two seconds. Every decision is kept, with its reason,
 * for the summary and {@code --profile}.
 *
 * <p>Pure logic, driven by {@link #observe}: no clock and no threads of its own, so that tests
 * can run it against simulated workloads.
 */
public final class Tuner {
  /** What the engine runs with now. */
  public record Settings(int workers, int threads, int fetchConcurrency, long bytesInFlight) {
    public String describe() {
      return String.format(Locale.ROOT, "%d %s x %s, %d fetches and %d MB ahead", workers,
          workers == 1 ? "decoder" : "decoders",
          threads == 0 ? "FFmpeg's threads" : threads + (threads == 1 ? " thread" : " threads"), fetchConcurrency,
          bytesInFlight >> 20);
    }
  }

  /** One decision: when (seconds since the start), what, why. */
  public record Change(double seconds, Settings settings, String reason) {}

  /**
   * Cumulative counters of the engine at one moment (nanoseconds unless named otherwise).
   *
   * @param nanos a monotonic clock
   * @param cpuNanos CPU time of the process
   * @param busyNanos time decoders spent on clips, summed over decoders
   * @param waitNanos time active decoders spent waiting for a fetched clip
   * @param pixels decoded pixels (frames x width x height), the measure of work done
   * @param clips clips finished
   * @param fetchSlotWaitNanos time the manifest reader waited for a free fetch slot
   * @param budgetWaitNanos time fetches waited for room under the byte cap, summed
   * @param memoryUsed bytes the process (its cgroup) uses now
   * @param inputDone the manifest is exhausted: what is left is the run's tail
   */
  public record Sample(long nanos, long cpuNanos, long busyNanos, long waitNanos, long pixels, long clips,
                       long fetchSlotWaitNanos, long budgetWaitNanos, long memoryUsed, boolean inputDone) {}

  static final long SETTLE_NANOS = 1_000_000_000L;
  static final long WINDOW_NANOS = 2_000_000_000L;
  static final long PROBE_HOLD_NANOS = 10_000_000_000L;
  static final int MAX_FETCH = 1024;
  static final long DEFAULT_MAX_BYTES = 512L << 20;
  static final long MIN_BYTES = 16L << 20;

  private final ResourceLimits limits;
  private final TuneOptions fixed;
  private final GpuSessions gpu; // null: the CPU decodes
  private final int maxWorkers;
  private final long maxBytes;
  private final List<Change> history = new ArrayList<>();
  private volatile Settings settings;
  private long startNanos = Long.MIN_VALUE;
  private Sample windowStart;
  private long lastChangeNanos = Long.MIN_VALUE;
  private Trial trial;
  private long noTrialBefore = Long.MIN_VALUE;
  private int trialBackoff = 1;
  private boolean memoryBound;
  private double lastRate;

  /** A decoder added on trial: kept if throughput rose, undone if not. */
  private record Trial(Settings before, double rateBefore, double utilBefore) {}

  public Tuner(ResourceLimits limits, TuneOptions fixed) {
    this(limits, fixed, null);
  }

  /** With GPUs: {@code gpu} decides how many clips decode at once (null: the CPUs do). */
  public Tuner(ResourceLimits limits, TuneOptions fixed, GpuSessions gpu) {
    this.limits = limits;
    this.fixed = fixed;
    this.gpu = gpu;
    int cpus = limits.wholeCpus();
    int workers = fixed.workers() != null ? fixed.workers() : gpu != null ? gpu.total() : cpus;
    // room for trials (decoders blocked on I/O inside decoding), never fewer than asked for
    this.maxWorkers = gpu != null ? Math.max(workers, gpu.maxTotal()) : Math.max(workers, 4 * cpus);
    this.maxBytes = fixed.maxBytesInFlight() != null ? fixed.maxBytesInFlight()
        : Math.max(MIN_BYTES, limits.memoryBytes() / 4);
    long bytes = fixed.maxBytesInFlight() != null ? fixed.maxBytesInFlight() : Math.min(DEFAULT_MAX_BYTES, maxBytes);
    int fetch = fixed.fetchConcurrency() != null ? fixed.fetchConcurrency() : Math.max(8, 2 * workers);
    int threads = fixed.threads() != null ? fixed.threads() : 1;
    settings = new Settings(workers, threads, fetch, bytes);
    history.add(new Change(0, settings, startReason()));
  }

  private String startReason() {
    List<String> why = new ArrayList<>();
    why.add(fixed.workers() != null ? "--workers " + fixed.workers()
        : gpu != null ? String.format(Locale.ROOT, "GPU sessions on %d %s: %s", gpu.gpus(),
            gpu.gpus() == 1 ? "GPU" : "GPUs", gpu.reason())
        : "one decoder per CPU: " + limits.describe());
    if (fixed.threads() != null) why.add("--threads " + fixed.threads());
    if (fixed.fetchConcurrency() != null) why.add("--fetch-concurrency " + fixed.fetchConcurrency());
    if (fixed.maxBytesInFlight() != null) why.add("--max-bytes-in-flight " + (fixed.maxBytesInFlight() >> 20) + "M");
    return String.join("; ", why);
  }

  public Settings settings() {
    return settings;
  }

  /** The most decoders the tuner may ever run: the engine starts this many threads, gated. */
  public int maxWorkers() {
    return maxWorkers;
  }

  public synchronized List<Change> history() {
    return List.copyOf(history);
  }

  /** Whether the user fixed every setting (nothing is tuned). */
  public boolean allFixed() {
    return fixed.workers() != null && fixed.threads() != null && fixed.fetchConcurrency() != null
        && fixed.maxBytesInFlight() != null;
  }

  /**
   * Decoder threads for the clip about to open.
   *
   * @param lastClips no clip waits behind this one (the manifest is exhausted and every fetched
   *     clip is taken)
   */
  public int threadsFor(boolean lastClips) {
    if (fixed.threads() != null) return fixed.threads();
    int cpus = limits.wholeCpus();
    if (cpus <= 1) return 1;
    if (lastClips) return Math.min(8, cpus);
    Settings s = settings;
    if (memoryBound && s.workers() < cpus) return Math.min(8, (cpus + s.workers() - 1) / s.workers());
    return 1;
  }

  /** Takes a new measurement; returns the settings to run with from now on. */
  public synchronized Settings observe(Sample x) {
    if (startNanos == Long.MIN_VALUE) startNanos = x.nanos();
    boolean settling = lastChangeNanos != Long.MIN_VALUE && x.nanos() - lastChangeNanos < SETTLE_NANOS;
    if (windowStart == null || settling) {
      windowStart = x; // the first moments after a change show the old settings' queues
      return settings;
    }
    long dt = x.nanos() - windowStart.nanos();
    if (dt < WINDOW_NANOS) return settings;
    Sample w = windowStart;
    windowStart = x;
    Settings s = settings;
    double seconds = dt / 1e9;
    double util = (x.cpuNanos() - w.cpuNanos()) / (dt * limits.cpus());
    double wait = (x.waitNanos() - w.waitNanos()) / ((double) dt * s.workers());
    double slotWait = (x.fetchSlotWaitNanos() - w.fetchSlotWaitNanos()) / (double) dt;
    double budgetWait = (x.budgetWaitNanos() - w.budgetWaitNanos()) / ((double) dt * s.fetchConcurrency());
    double rate = (x.pixels() - w.pixels()) / seconds;
    lastRate = rate;

    // 1. memory first: a run killed by the OOM killer loses more than any speed gains
    if (limits.memoryBytes() > 0 && x.memoryUsed() > 0.9 * limits.memoryBytes()) {
      String why = String.format(Locale.ROOT, "memory: %d of %d MB (%s) in use", x.memoryUsed() >> 20,
          limits.memoryBytes() >> 20, limits.memorySource());
      long bytes = fixed.maxBytesInFlight() != null ? s.bytesInFlight() : Math.max(MIN_BYTES, s.bytesInFlight() / 2);
      int fetch = fixed.fetchConcurrency() != null ? s.fetchConcurrency() : Math.max(1, s.fetchConcurrency() / 2);
      int workers = s.workers();
      if (fixed.workers() == null && workers > 1 && (bytes == s.bytesInFlight() || x.memoryUsed() > 0.95 * limits.memoryBytes())) {
        workers--;
        memoryBound = true;
      }
      trial = null;
      return change(x, new Settings(workers, s.threads(), fetch, bytes), why + ": fewer bytes, fetches or decoders");
    }

    // 2. a trial decoder: keep it only if it paid
    if (trial != null) {
      Trial t = trial;
      trial = null;
      // a real gain uses CPU that was idle: throughput up by noise alone does not count
      if (rate >= t.rateBefore() * 1.03 && util >= t.utilBefore() + 0.03) {
        trialBackoff = 1;
        return note(x, String.format(Locale.ROOT, "kept %d decoders: throughput %+.0f%%", s.workers(),
            100 * (rate / Math.max(1, t.rateBefore()) - 1)));
      }
      noTrialBefore = x.nanos() + PROBE_HOLD_NANOS * trialBackoff;
      trialBackoff = Math.min(trialBackoff * 2, 32);
      return change(x, new Settings(t.before().workers(), s.threads(), s.fetchConcurrency(), s.bytesInFlight()),
          String.format(Locale.ROOT, "back to %d decoders: one more changed throughput by %+.0f%% and CPU use by "
              + "%+.0f points", t.before().workers(), 100 * (rate / Math.max(1, t.rateBefore()) - 1),
              100 * (util - t.utilBefore())));
    }
    if (x.inputDone()) return settings; // the tail says nothing about the next clips

    // 3. decoders starved for input
    if (wait > 0.10) {
      if (budgetWait > 0.2 && fixed.maxBytesInFlight() == null && s.bytesInFlight() < maxBytes) {
        long bytes = Math.min(maxBytes, s.bytesInFlight() * 2);
        return change(x, new Settings(s.workers(), s.threads(), s.fetchConcurrency(), bytes), String.format(Locale.ROOT,
            "decoders waited for input %.0f%% of the time, fetches for room under the %d MB cap: raised to %d MB",
            100 * wait, s.bytesInFlight() >> 20, bytes >> 20));
      }
      if (slotWait > 0.5 && fixed.fetchConcurrency() == null && s.fetchConcurrency() < MAX_FETCH) {
        double factor = Math.min(4, 1.25 / Math.max(0.05, 1 - Math.min(wait, 0.95)));
        int fetch = (int) Math.min(MAX_FETCH, Math.max(s.fetchConcurrency() + 1, Math.ceil(s.fetchConcurrency() * factor)));
        return change(x, new Settings(s.workers(), s.threads(), fetch, s.bytesInFlight()), String.format(Locale.ROOT,
            "decoders waited for input %.0f%% of the time while all %d fetch slots were busy: storage is slower "
                + "than decoding, %d fetches at once", 100 * wait, s.fetchConcurrency(), fetch));
      }
      return settings;
    }

    // 4. CPUs idle although the decoders have input: try one decoder more (with GPUs their
    // sessions are tried instead: observeGpu)
    if (fixed.workers() == null && gpu == null && util < 0.85 && wait < 0.05 && s.workers() < maxWorkers
        && x.nanos() >= noTrialBefore && rate > 0) {
      trial = new Trial(s, rate, util);
      int workers = s.workers() + 1;
      int fetch = fixed.fetchConcurrency() != null ? s.fetchConcurrency() : Math.max(s.fetchConcurrency(), 2 * workers);
      return change(x, new Settings(workers, s.threads(), fetch, s.bytesInFlight()), String.format(Locale.ROOT,
          "CPUs %.0f%% busy while the decoders had input: trying %d decoders", 100 * Math.min(util, 1), workers));
    }
    return settings;
  }

  /** The GPU sessions the decoders are, or null when the CPU decodes. */
  public GpuSessions gpuSessions() {
    return gpu;
  }

  /**
   * Takes a measurement of the GPUs (NVML's utilization and the decoded pixels); returns the
   * settings to run with from now on: the decoders follow the GPU sessions.
   */
  public synchronized Settings observeGpu(GpuSessions.Sample x) {
    if (gpu == null || fixed.workers() != null) return settings;
    if (startNanos == Long.MIN_VALUE) startNanos = x.nanos();
    java.util.Optional<String> why = gpu.observe(x);
    if (why.isEmpty()) return settings;
    Settings s = settings;
    int workers = gpu.total();
    int fetch = fixed.fetchConcurrency() != null ? s.fetchConcurrency() : Math.max(s.fetchConcurrency(), 2 * workers);
    Settings next = new Settings(workers, s.threads(), fetch, s.bytesInFlight());
    if (!next.equals(s)) {
      settings = next;
      lastChangeNanos = x.nanos();
      windowStart = null;
    }
    history.add(new Change((x.nanos() - startNanos) / 1e9, settings, "GPU sessions: " + why.get()));
    return settings;
  }

  /** Decoded pixels per second in the last window (for tests and reports). */
  public synchronized double lastRate() {
    return lastRate;
  }

  private Settings change(Sample x, Settings next, String reason) {
    if (!next.equals(settings)) {
      settings = next;
      lastChangeNanos = x.nanos();
      windowStart = x;
    }
    history.add(new Change((x.nanos() - startNanos) / 1e9, next, reason));
    return settings;
  }

  private Settings note(Sample x, String reason) {
    history.add(new Change((x.nanos() - startNanos) / 1e9, settings, reason));
    return settings;
  }
}
