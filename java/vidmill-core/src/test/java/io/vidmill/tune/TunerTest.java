package io.vidmill.tune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.function.DoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * The tuner against simulated workloads: a small queueing model of fetch and decode stands in
 * for the engine, time advances by fixed steps, so every run is the same and nothing depends
 * on this machine's speed.
 */
class TunerTest {
  static final long MB = 1 << 20;

  /**
   * A workload. Clips need {@code cpu} seconds of CPU and {@code blocked} seconds of waiting
   * inside decoding (reads from a slow disk in place); fetching one costs {@code latency}
   * seconds plus its bytes at {@code bandwidth} bytes/s per connection.
   */
  record Workload(double cpu, double blocked, long bytes, double latency, double bandwidth, long pixelsPerClip) {
    static Workload local(double cpu) {
      return new Workload(cpu, 0, 250_000, 0.0005, 2e9, 640L * 360 * 60);
    }

    Workload slowStorage(double latency, double bandwidth) {
      return new Workload(cpu, blocked, bytes, latency, bandwidth, pixelsPerClip);
    }
  }

  /** The engine as a fluid model, observed every 500 ms. */
  static final class Plant {
    final ResourceLimits limits;
    final Tuner tuner;
    long nanos;
    double cpuNanos, busy, waitN, pixels, clips, slotWait, budgetWait;
    double memoryBase = 200 * MB;
    double memoryPerDecoder = 40 * MB;
    double rate;  // clips/s in the last step
    boolean inputDone;

    Plant(ResourceLimits limits, TuneOptions options) {
      this.limits = limits;
      this.tuner = new Tuner(limits, options);
    }

    /** Runs for {@code seconds} under a workload that may change with time. */
    void run(double seconds, DoubleFunction<Workload> workloadAt) {
      for (double t = 0; t < seconds; t += 0.5) step(workloadAt.apply(t));
    }

    void run(double seconds, Workload w) {
      run(seconds, t -> w);
    }

    double memory() {
      Tuner.Settings s = tuner.settings();
      return memoryBase + s.workers() * memoryPerDecoder + s.bytesInFlight();
    }

    void step(Workload w) {
      Tuner.Settings s = tuner.settings();
      double dt = 0.5;
      double cores = limits.cpus();
      double perFetch = w.latency() + w.bytes() / w.bandwidth();
      double fetchSlots = Math.min(s.fetchConcurrency(), Math.max(1, s.bytesInFlight() / (double) w.bytes()));
      double fetchRate = fetchSlots / perFetch;
      // more decoders than CPUs: each context switch and cache refill costs a little
      double oversubscribed = Math.max(0, s.workers() * (w.cpu() / (w.cpu() + w.blocked())) - cores);
      double decodeRate = Math.min(s.workers() / (w.cpu() + w.blocked()), cores / w.cpu())
          * (1 - 0.04 * oversubscribed);
      rate = Math.min(fetchRate, decodeRate);
      boolean fetchBound = fetchRate < decodeRate;
      double busyFraction = Math.min(1, rate * (w.cpu() + w.blocked()) / s.workers());
      nanos += (long) (dt * 1e9);
      cpuNanos += rate * w.cpu() * dt * 1e9 + 0.02 * dt * 1e9;
      busy += busyFraction * s.workers() * dt * 1e9;
      if (fetchBound) {
        waitN += (1 - busyFraction) * s.workers() * dt * 1e9;
        slotWait += dt * 1e9;
        if (fetchSlots < s.fetchConcurrency()) budgetWait += (s.fetchConcurrency() - fetchSlots) * dt * 1e9;
      }
      pixels += rate * dt * w.pixelsPerClip();
      clips += rate * dt;
      tuner.observe(new Tuner.Sample(nanos, (long) cpuNanos, (long) busy, (long) waitN, (long) pixels, (long) clips,
          (long) slotWait, (long) budgetWait, (long) memory(), inputDone));
    }

    /** Clips/s the CPUs allow for this workload, at the best decoder count. */
    static double cpuBound(ResourceLimits l, Workload w) {
      return l.cpus() / w.cpu();
    }
  }

  static ResourceLimits cpus(double n) {
    return new ResourceLimits(n, "test", 8L << 30, "test", null);
  }

  @Test
  void shortLocalClipsKeepOneDecoderPerCpuAndChangeNothing() {
    Plant p = new Plant(cpus(2), TuneOptions.AUTO);
    p.run(60, Workload.local(0.035));
    assertEquals(new Tuner.Settings(2, 1, 8, 512 * MB), p.tuner.settings());
    assertThat(p.tuner.history()).hasSize(1);
    assertThat(p.tuner.history().getFirst().reason()).contains("one decoder per CPU");
    assertThat(p.rate).isGreaterThan(0.97 * Plant.cpuBound(p.limits, Workload.local(0.035)));
  }

  @Test
  void slowStorageGetsMoreFetchesUntilTheDecodersAreBusy() {
    Plant p = new Plant(cpus(2), TuneOptions.AUTO);
    Workload slow = Workload.local(0.035).slowStorage(0.3, 2e6);
    p.run(30, slow);
    double best = Plant.cpuBound(p.limits, slow);
    assertThat(p.rate).isGreaterThan(0.95 * best);
    // about 57 clips/s x 0.425 s per fetch = 24 fetches are needed; not a runaway either
    assertThat(p.tuner.settings().fetchConcurrency()).isBetween(24, 128);
    assertThat(p.tuner.settings().workers()).isEqualTo(2);
    assertThat(p.tuner.history()).anySatisfy(c -> assertThat(c.reason()).contains("storage is slower than decoding"));
  }

  @Test
  void storageThatSlowsDownMidRunIsFollowed() {
    Plant p = new Plant(cpus(2), TuneOptions.AUTO);
    Workload fast = Workload.local(0.035);
    Workload slow = fast.slowStorage(0.5, 1e6);
    p.run(60, t -> t < 20 ? fast : slow);
    assertThat(p.rate).isGreaterThan(0.95 * Plant.cpuBound(p.limits, slow));
    Tuner.Change firstRaise = p.tuner.history().get(1);
    assertThat(firstRaise.seconds()).isGreaterThan(20);
  }

  @Test
  void aByteCapThatHoldsFetchesBackIsRaisedWithinMemory() {
    // 40 MB clips at 8 MB/s per connection: 5.5 s a fetch, 16 fetches = 630 MB to keep 2 CPUs busy
    ResourceLimits l = new ResourceLimits(2, "test", 4L << 30, "test", null);
    Workload big = new Workload(0.7, 0, 40 * MB, 0.5, 8 * MB, 1920L * 1080 * 300);
    Plant p = new Plant(l, TuneOptions.AUTO);
    p.memoryBase = 100 * MB;
    p.run(90, big);
    assertThat(p.rate).isGreaterThan(0.95 * Plant.cpuBound(l, big));
    assertThat(p.tuner.settings().bytesInFlight()).isGreaterThan(512 * MB).isLessThanOrEqualTo(1L << 30);
    assertThat(p.tuner.history()).anySatisfy(c -> assertThat(c.reason()).contains("room under the 512 MB cap"));
  }

  @Test
  void oneCpuOfQuotaMeansOneDecoderAndNoFrameThreads() {
    Plant p = new Plant(cpus(1), TuneOptions.AUTO);
    p.run(30, Workload.local(0.035));
    assertEquals(1, p.tuner.settings().workers());
    assertEquals(1, p.tuner.threadsFor(true));
    assertThat(p.rate).isGreaterThan(0.97 * Plant.cpuBound(p.limits, Workload.local(0.035)));
  }

  @Test
  void aFractionalQuotaRoundsToTheCpusItCanKeepBusy() {
    assertEquals(2, cpus(1.5).wholeCpus());
    assertEquals(1, cpus(1.2).wholeCpus());
    assertEquals(1, cpus(0.5).wholeCpus());
    assertEquals(8, cpus(8).wholeCpus());
  }

  @Test
  void theLastClipsOfARunGetFrameThreadsUnlessThreadsAreFixed() {
    Tuner auto = new Tuner(cpus(4), TuneOptions.AUTO);
    assertEquals(1, auto.threadsFor(false));
    assertEquals(4, auto.threadsFor(true));
    assertEquals(8, new Tuner(cpus(32), TuneOptions.AUTO).threadsFor(true));
    Tuner fixed = new Tuner(cpus(4), TuneOptions.AUTO.withThreads(1));
    assertEquals(1, fixed.threadsFor(true));
  }

  @Test
  void decodersBlockedOnReadsGetCompanyUntilTheCpusAreBusy() {
    // in-place decoding from a slow disk: half of a clip's time is spent waiting for reads
    Plant p = new Plant(cpus(2), TuneOptions.AUTO);
    Workload blocked = new Workload(0.035, 0.05, 250_000, 0.0005, 2e9, 640L * 360 * 60);
    p.run(120, blocked);
    double best = Plant.cpuBound(p.limits, blocked);
    assertThat(p.rate).isGreaterThan(0.9 * best);
    assertThat(p.tuner.settings().workers()).isBetween(5, 6);
    assertThat(p.tuner.history()).anySatisfy(c -> assertThat(c.reason()).startsWith("kept"));
  }

  @Test
  void anIdleCpuThatMoreDecodersCannotUseTriggersFewTrials() {
    // decoding is capped at 30 clips/s whatever the decoders (a slow sink): the CPUs stay half idle
    ResourceLimits l = cpus(2);
    Tuner t = new Tuner(l, TuneOptions.AUTO);
    long nanos = 0;
    double cpu = 0, pixels = 0;
    for (int i = 0; i < 240; i++) { // two minutes
      nanos += 500_000_000L;
      cpu += 0.5 * 1e9;        // one of two CPUs busy
      pixels += 15 * 640 * 360 * 60; // 30 clips/s whatever the settings
      t.observe(new Tuner.Sample(nanos, (long) cpu, 0, 0, (long) pixels, i * 15L, 0, 0, 300 * MB, false));
    }
    long trials = t.history().stream().filter(c -> c.reason().startsWith("CPUs")).count();
    assertThat(trials).isBetween(1L, 4L); // 10 s, 20 s, 40 s, 80 s back-off
    assertThat(t.history()).allSatisfy(c -> assertThat(c.reason()).doesNotStartWith("kept"));
    assertEquals(2, t.settings().workers());
  }

  @Test
  void memoryNearTheLimitShrinksBytesFetchesThenDecoders() {
    ResourceLimits l = new ResourceLimits(4, "test", 1L << 30, "cgroup v2 memory.max", null);
    Plant p = new Plant(l, TuneOptions.AUTO);
    p.memoryPerDecoder = 200 * MB; // 4K clips
    p.run(60, Workload.local(0.2));
    assertThat(p.memory()).isLessThan(0.9 * l.memoryBytes());
    assertThat(p.tuner.settings().workers()).isBetween(1, 3);
    assertThat(p.tuner.history()).anySatisfy(c -> assertThat(c.reason()).contains("memory: ").contains("memory.max"));
    // fewer decoders than CPUs: each clip gets frame threads to use the rest
    assertThat(p.tuner.threadsFor(false)).isGreaterThan(1);
  }

  @Test
  void fixedSettingsNeverMove() {
    TuneOptions fixed = TuneOptions.fixed(3, 2, 8, 64 * MB);
    Plant p = new Plant(cpus(2), fixed);
    p.run(60, Workload.local(0.035).slowStorage(0.3, 2e6));
    assertEquals(new Tuner.Settings(3, 2, 8, 64 * MB), p.tuner.settings());
    assertThat(p.tuner.allFixed()).isTrue();
    assertEquals(2, p.tuner.threadsFor(true));
    assertThat(p.tuner.history().getFirst().reason()).contains("--workers 3").contains("--threads 2");
  }

  @Test
  void fixedWorkersStillGetTunedFetching() {
    Plant p = new Plant(cpus(2), TuneOptions.AUTO.withWorkers(2));
    p.run(30, Workload.local(0.035).slowStorage(0.3, 2e6));
    assertEquals(2, p.tuner.settings().workers());
    assertThat(p.tuner.settings().fetchConcurrency()).isGreaterThan(8);
  }

  @Test
  void theTailOfARunChangesNothing() {
    Plant p = new Plant(cpus(2), TuneOptions.AUTO);
    p.inputDone = true;
    p.run(30, Workload.local(0.035).slowStorage(0.3, 2e6));
    assertThat(p.tuner.history()).hasSize(1);
  }
}
