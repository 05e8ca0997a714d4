package io.vidmill.tune;

import java.util.Locale;
import java.util.Optional;

/**
 * How many clips decode at once on each GPU (decode sessions: each one a thread that demuxes
 * and parses on the CPU and feeds NVDEC), chosen from the GPU's decoder engines and corrected
 * from what NVML says they do.
 *
 * <ul>
 *   <li>Start at two sessions per NVDEC engine (the engine count comes from NVDEC's decoder
 *       caps, never a table of GPU models; two when the driver does not say): while one session
 *       is parsing, opening its next clip or copying out, another keeps the engine fed, which
 *       matters most for short clips, where opening costs as much as decoding.
 *   <li>While the decoder engines are less than 85% busy and the SMs (the kernels of the frame
 *       operations) less than 90%, try one session more per GPU; keep it only if throughput
 *       (decoded pixels per second) rose by 3%, else go back and wait twice as long before the
 *       next trial (the tuner's hill climbing). Where NVML says nothing (MIG instances, no NVML)
 *       throughput alone decides.
 *   <li>At most eight sessions per engine, and no more than four per CPU the process may use
 *       (the sessions' CPU work is the ceiling then).
 * </ul>
 * Pure logic, driven by {@link #observe}: tests run it against simulated GPUs.
 */
public final class GpuSessions {
  /**
   * A measurement.
   *
   * @param nanos a monotonic clock
   * @param pixels decoded pixels so far, over all GPUs
   * @param decoderPercent NVML's decoder utilization, the busiest GPU's; -1 unknown
   * @param smPercent NVML's SM utilization, the busiest GPU's; -1 unknown
   */
  public record Sample(long nanos, long pixels, int decoderPercent, int smPercent) {}

  static final long SETTLE_NANOS = 1_000_000_000L;
  static final long WINDOW_NANOS = 2_000_000_000L;
  static final long TRIAL_HOLD_NANOS = 10_000_000_000L;

  private final int gpus;
  private final int decoders;
  private final int maxPerGpu;
  private int perGpu;
  private Sample windowStart;
  private long lastChangeNanos = Long.MIN_VALUE;
  private long noTrialBefore = Long.MIN_VALUE;
  private int backoff = 1;
  private int trialFrom;        // sessions before the trial, 0: no trial running
  private double trialRateBefore;
  private double lastRate;
  private String reason;

  /**
   * @param gpus GPUs that decode (at least one)
   * @param decoders NVDEC engines per GPU (the fewest of them), -1 when unknown
   * @param cpus CPUs the process may use
   */
  public GpuSessions(int gpus, int decoders, int cpus) {
    if (gpus < 1) throw new IllegalArgumentException("GPU sessions need a GPU that decodes");
    if (decoders == 0) throw new IllegalArgumentException("a GPU without decoder engines decodes on the CPU");
    this.gpus = gpus;
    this.decoders = decoders;
    int byEngines = decoders > 0 ? 8 * decoders : 16;
    int byCpus = Math.max(2, 4 * Math.max(1, cpus) / gpus);
    this.maxPerGpu = Math.max(1, Math.min(byEngines, byCpus));
    this.perGpu = Math.min(maxPerGpu, decoders > 0 ? 2 * decoders : 2);
    this.reason = decoders > 0
        ? String.format(Locale.ROOT, "%d per GPU: two per NVDEC engine (%d engines, from NVDEC's caps)", perGpu, decoders)
        : String.format(Locale.ROOT, "%d per GPU (the driver does not say how many NVDEC engines)", perGpu);
    if (perGpu == maxPerGpu && perGpu < (decoders > 0 ? 2 * decoders : 2))
      reason += String.format(Locale.ROOT, ", at most %d: four per CPU", maxPerGpu);
  }

  /** Sessions per GPU now. */
  public synchronized int perGpu() {
    return perGpu;
  }

  /** Sessions over all GPUs now. */
  public synchronized int total() {
    return perGpu * gpus;
  }

  public int gpus() {
    return gpus;
  }

  /** The most sessions per GPU it may try. */
  public int maxPerGpu() {
    return maxPerGpu;
  }

  /** The most sessions over all GPUs: the decode threads to start. */
  public int maxTotal() {
    return maxPerGpu * gpus;
  }

  /** Why the sessions are what they are. */
  public synchronized String reason() {
    return reason;
  }

  /** Pixels per second in the last window. */
  public synchronized double lastRate() {
    return lastRate;
  }

  /** Takes a measurement; the reason when the sessions per GPU changed. */
  public synchronized Optional<String> observe(Sample x) {
    boolean settling = lastChangeNanos != Long.MIN_VALUE && x.nanos() - lastChangeNanos < SETTLE_NANOS;
    if (windowStart == null || settling) {
      windowStart = x;
      return Optional.empty();
    }
    long dt = x.nanos() - windowStart.nanos();
    if (dt < WINDOW_NANOS) return Optional.empty();
    double rate = (x.pixels() - windowStart.pixels()) / (dt / 1e9);
    windowStart = x;
    lastRate = rate;
    if (trialFrom > 0) {
      int from = trialFrom;
      trialFrom = 0;
      if (rate >= trialRateBefore * 1.03) {
        backoff = 1;
        return Optional.of(reason = String.format(Locale.ROOT, "kept %d per GPU: throughput %+.0f%%", perGpu,
            100 * (rate / Math.max(1, trialRateBefore) - 1)));
      }
      noTrialBefore = x.nanos() + TRIAL_HOLD_NANOS * backoff;
      backoff = Math.min(backoff * 2, 32);
      return Optional.of(set(x, from, String.format(Locale.ROOT, "back to %d per GPU: one more changed throughput by "
          + "%+.0f%%", from, 100 * (rate / Math.max(1, trialRateBefore) - 1))));
    }
    boolean decodersIdle = x.decoderPercent() < 0 || x.decoderPercent() < 85;
    boolean smsIdle = x.smPercent() < 0 || x.smPercent() < 90;
    if (perGpu < maxPerGpu && decodersIdle && smsIdle && x.nanos() >= noTrialBefore && rate > 0) {
      trialFrom = perGpu;
      trialRateBefore = rate;
      return Optional.of(set(x, perGpu + 1, String.format(Locale.ROOT, "NVDEC %s busy, SMs %s: trying %d per GPU",
          percent(x.decoderPercent()), percent(x.smPercent()), perGpu + 1)));
    }
    return Optional.empty();
  }

  private String set(Sample x, int sessions, String why) {
    perGpu = sessions;
    lastChangeNanos = x.nanos();
    windowStart = x;
    reason = why;
    return why;
  }

  private static String percent(int p) {
    return p < 0 ? "(unknown)" : p + "%";
  }
}
