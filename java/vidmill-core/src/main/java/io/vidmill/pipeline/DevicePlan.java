package io.vidmill.pipeline;

import io.vidmill.decode.Device;
import io.vidmill.gpu.Cuda;
import io.vidmill.metrics.GpuMonitor;
import io.vidmill.tune.GpuSessions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which decoder works on which GPU: with GPUs, one group of decoders per GPU (decoder i on GPU
 * i mod n, so that the first k x n decoders are k per GPU), as many as the GPU sessions say;
 * without, the CPU's decoders as the tuner chooses them. A clip a GPU cannot take decodes on the
 * CPU in its decoder's thread, and its row says why.
 *
 * @param requested what --device asked for
 * @param gpus the GPUs decoding, in order (empty: the CPU)
 * @param sessions their sessions, null without GPUs
 */
record DevicePlan(Device requested, List<Integer> gpus, GpuSessions sessions) {
  /**
   * The plan for a run on {@code cpus} CPUs.
   *
   * @throws IllegalStateException for {@code cuda} or {@code cuda:N} when that GPU does not decode
   *     (no driver, no device, no decoder engine): such a run must not quietly take the CPU
   */
  static DevicePlan of(Device requested, int cpus) {
    if (!requested.wantsGpu()) return new DevicePlan(requested, List.of(), null);
    List<Cuda.Gpu> usable = Cuda.decoderGpus().stream()
        .filter(g -> !requested.isOneGpu() || g.index() == requested.index()).toList();
    if (usable.isEmpty()) {
      if (requested.kind() == Device.Kind.CUDA) {
        throw new IllegalStateException("--device " + requested + ": " + (requested.isOneGpu() && Cuda.isAvailable()
            ? "GPU " + requested.index() + " does not decode (" + Cuda.describe() + ")" : Cuda.describe())
            + " (--device auto decodes on the CPU when there is no GPU)");
      }
      // auto without a GPU: every clip asks for GPU 0, and the library answers CPU with the reason
      return new DevicePlan(requested, List.of(), null);
    }
    int decoders = usable.stream().mapToInt(Cuda.Gpu::decoders).min().orElse(-1);
    if (usable.stream().anyMatch(g -> g.decoders() < 0)) decoders = -1;
    return new DevicePlan(requested, usable.stream().map(Cuda.Gpu::index).toList(),
        new GpuSessions(usable.size(), decoders, cpus));
  }

  /** The device decoder {@code worker} opens its clips with. */
  Device deviceFor(int worker) {
    return gpus.isEmpty() ? requested : Device.cuda(gpus.get(worker % gpus.size()));
  }

  boolean onGpus() {
    return !gpus.isEmpty();
  }

  /** NVML's utilization of the plan's GPUs, for the tuner: the busiest GPU's decoder and SM percent. */
  GpuSessions.Sample sample(long nanos, long pixels) {
    int decoder = -1;
    int sm = -1;
    for (int g : gpus) {
      Cuda.Utilization u = Cuda.utilization(g);
      decoder = Math.max(decoder, u.decoderPercent());
      sm = Math.max(sm, u.smPercent());
    }
    return new GpuSessions.Sample(nanos, pixels, decoder, sm);
  }

  /** The GPUs' gauges for the metrics (nothing without GPUs). */
  GpuMonitor monitor() {
    if (gpus.isEmpty()) return GpuMonitor.NONE;
    return new GpuMonitor() {
      @Override
      public Map<String, Double> decoderUtilization() {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int g : gpus) {
          int p = Cuda.utilization(g).decoderPercent();
          if (p >= 0) m.put(String.valueOf(g), p / 100.0);
        }
        return m;
      }

      @Override
      public Map<String, Double> smUtilization() {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int g : gpus) {
          int p = Cuda.utilization(g).smPercent();
          if (p >= 0) m.put(String.valueOf(g), p / 100.0);
        }
        return m;
      }
    };
  }
}
