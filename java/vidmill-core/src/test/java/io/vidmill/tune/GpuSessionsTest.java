package io.vidmill.tune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * GPU sessions against simulated GPUs: a GPU with E decoder engines decodes at most E x R pixels
 * per second; each session keeps at most a share of an engine busy (the rest of its time is the
 * CPU's: demux, parsing, opening clips); NVML reports the engines' busy share.
 */
class GpuSessionsTest {
  /** A simulated GPU: pixels/s and NVML's decoder percent for a number of sessions. */
  record SimGpu(int engines, double perEngine, double sessionShare, int smPercent) {
    double rate(int sessions) {
      return Math.min(engines * perEngine, sessions * sessionShare * perEngine);
    }

    int decoderPercent(int sessions) {
      return smPercent < -1 ? -1 : (int) Math.round(100 * rate(sessions) / (engines * perEngine));
    }
  }

  /** Observes every 500 ms for {@code seconds}; returns the sessions per GPU at the end. */
  static int run(GpuSessions s, Tuner tuner, SimGpu gpu, double seconds, boolean nvml) {
    long nanos = 0;
    double pixels = 0;
    for (double t = 0; t < seconds; t += 0.5) {
      nanos += 500_000_000L;
      pixels += gpu.rate(s.perGpu()) * 0.5 * s.gpus();
      GpuSessions.Sample x = new GpuSessions.Sample(nanos, (long) pixels, nvml ? gpu.decoderPercent(s.perGpu()) : -1,
          nvml ? gpu.smPercent() : -1);
      if (tuner != null) tuner.observeGpu(x);
      else s.observe(x);
    }
    return s.perGpu();
  }

  @Test
  void startsFromTheEnginesTheCapsReport() {
    assertEquals(14, new GpuSessions(1, 7, 64).perGpu(), "H100-like: 7 NVDEC");
    assertEquals(4, new GpuSessions(2, 2, 64).perGpu());
    assertEquals(8, new GpuSessions(2, 2, 64).total());
    assertEquals(2, new GpuSessions(1, -1, 64).perGpu(), "the driver does not say");
    assertThat(new GpuSessions(1, -1, 64).reason()).contains("does not say");
    // few CPUs bound the sessions: each needs a CPU thread to feed it
    GpuSessions few = new GpuSessions(4, 7, 2);
    assertEquals(2, few.maxPerGpu());
    assertEquals(2, few.perGpu());
    assertThrows(IllegalArgumentException.class, () -> new GpuSessions(1, 0, 8), "no engine: CPU decode");
    assertThrows(IllegalArgumentException.class, () -> new GpuSessions(0, 2, 8));
  }

  @Test
  void climbsWhileTheEnginesAreIdleAndStopsWhenTheyAreBusy() {
    // 2 engines; a session keeps a third of one busy: 6 sessions fill them
    SimGpu gpu = new SimGpu(2, 1e9, 1.0 / 3, 40);
    GpuSessions s = new GpuSessions(1, 2, 64);
    assertEquals(4, s.perGpu());
    int end = run(s, null, gpu, 120, true);
    // it stops once NVDEC is >= 85% busy (5 or 6 sessions) and never keeps a useless one
    assertThat(end).isBetween(5, 6);
    assertThat(gpu.rate(end)).isGreaterThanOrEqualTo(0.83 * 2e9);
  }

  @Test
  void aSessionThatBringsNothingIsTakenBackAndTriedLater() {
    // the engines are the limit from the start, but NVML does not say so (a MIG slice)
    SimGpu gpu = new SimGpu(1, 1e9, 1.0, -2);
    GpuSessions s = new GpuSessions(1, 1, 64);
    assertEquals(2, s.perGpu());
    int end = run(s, null, gpu, 20, false);
    assertEquals(2, end, "the trial of a third session did not raise throughput");
    assertThat(s.reason()).startsWith("back to 2 per GPU");
  }

  @Test
  void busySmsStopTheClimb() {
    SimGpu gpu = new SimGpu(4, 1e9, 0.25, 95);
    GpuSessions s = new GpuSessions(1, 4, 64);
    assertEquals(8, run(s, null, gpu, 60, true), "kernels saturate the GPU: no more sessions");
  }

  @Test
  void theTunerRunsAsManyDecodersAsThereAreSessions() {
    ResourceLimits limits = new ResourceLimits(16, "test", 64L << 30, "test", null);
    GpuSessions s = new GpuSessions(2, 2, 16);
    Tuner tuner = new Tuner(limits, TuneOptions.AUTO, s);
    assertEquals(8, tuner.settings().workers(), "4 per GPU on 2 GPUs");
    assertThat(tuner.maxWorkers()).isGreaterThanOrEqualTo(s.maxTotal());
    assertThat(tuner.history().getFirst().reason()).contains("GPU sessions on 2 GPUs");
    run(s, tuner, new SimGpu(2, 1e9, 1.0 / 3, 40), 60, true);
    assertEquals(s.total(), tuner.settings().workers());
    List<String> reasons = tuner.history().stream().map(Tuner.Change::reason).toList();
    assertThat(reasons).anyMatch(r -> r.startsWith("GPU sessions: NVDEC"));
    // fixed --workers: the sessions do not move it
    Tuner fixed = new Tuner(limits, TuneOptions.AUTO.withWorkers(3), new GpuSessions(1, 2, 16));
    assertEquals(3, fixed.settings().workers());
  }
}
