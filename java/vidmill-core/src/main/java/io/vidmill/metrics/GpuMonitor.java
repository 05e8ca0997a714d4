package io.vidmill.metrics;

import java.util.Map;

/**
 * How busy the GPUs are, for the {@code vidmill_gpu_*} gauges: the GPU path (NVML, or the
 * driver's counters) implements it; without a GPU there is nothing to say and no sample is
 * served, rather than a made-up zero.
 */
public interface GpuMonitor {
  GpuMonitor NONE = new GpuMonitor() {
    @Override
    public Map<String, Double> decoderUtilization() {
      return Map.of();
    }

    @Override
    public Map<String, Double> smUtilization() {
      return Map.of();
    }
  };

  /** Per GPU (its index, "0", "1", ...): the share of time its video decoders (NVDEC) were busy, 0 to 1. */
  Map<String, Double> decoderUtilization();

  /** Per GPU: the share of time its streaming multiprocessors were busy, 0 to 1. */
  Map<String, Double> smUtilization();
}
