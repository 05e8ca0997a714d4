package io.vidmill.decode;

import java.util.Locale;

/**
 * Where clips decode: {@code --device auto|cpu|cuda|cuda:N}.
 *
 * <ul>
 *   <li>{@link #AUTO}: every GPU of the machine, one group of decoders per GPU, and the CPU
 *       for every clip a GPU cannot take (and for all of them on a machine without a usable
 *       GPU); each result says which ran and why.
 *   <li>{@link #CPU}: FFmpeg's software decoders only.
 *   <li>{@link #CUDA}: every GPU, as AUTO, but a machine without a usable GPU is an error
 *       (the run does not start) instead of a CPU run: for jobs that must not silently run
 *       many times slower. Clips the GPU cannot decode still fall back to the CPU, per clip.
 *   <li>{@code cuda:N} ({@link #cuda(int)}): GPU N only, with CUDA's fallback rules.
 * </ul>
 * A single clip (Clip.open) given AUTO or CUDA decodes on GPU 0; the batch engine spreads its
 * decoders over the GPUs.
 *
 * @param kind what was asked for
 * @param index the GPU for {@link Kind#CUDA}, -1 for every GPU
 */
public record Device(Kind kind, int index) {
  public enum Kind { AUTO, CPU, CUDA }

  public static final Device AUTO = new Device(Kind.AUTO, -1);
  public static final Device CPU = new Device(Kind.CPU, -1);
  public static final Device CUDA = new Device(Kind.CUDA, -1);

  public Device {
    if (kind == null) throw new IllegalArgumentException("kind");
    if (kind != Kind.CUDA && index != -1) throw new IllegalArgumentException(kind + " takes no GPU index");
    if (index < -1) throw new IllegalArgumentException("a GPU index is >= 0");
  }

  /** GPU {@code index}. */
  public static Device cuda(int index) {
    if (index < 0) throw new IllegalArgumentException("a GPU index is >= 0, not " + index);
    return new Device(Kind.CUDA, index);
  }

  /** "auto", "cpu", "cuda" or "cuda:N". */
  public static Device parse(String text) {
    String t = text.strip().toLowerCase(Locale.ROOT);
    switch (t) {
      case "auto" -> {
        return AUTO;
      }
      case "cpu" -> {
        return CPU;
      }
      case "cuda", "gpu" -> {
        return CUDA;
      }
      default -> {
        if (t.startsWith("cuda:")) {
          try {
            return cuda(Integer.parseInt(t.substring(5)));
          } catch (NumberFormatException e) {
            // below
          }
        }
        throw new IllegalArgumentException("--device is auto, cpu, cuda or cuda:N (N: a GPU index), not '" + text + "'");
      }
    }
  }

  /** Whether GPUs may be used. */
  public boolean wantsGpu() {
    return kind != Kind.CPU;
  }

  /** One GPU, not a choice among them. */
  public boolean isOneGpu() {
    return kind == Kind.CUDA && index >= 0;
  }

  /** The GPU a single clip opened with this device decodes on (0 for AUTO and CUDA), -1 for the CPU. */
  public int gpuForOneClip() {
    return kind == Kind.CPU ? -1 : Math.max(0, index);
  }

  @Override
  public String toString() {
    return switch (kind) {
      case AUTO -> "auto";
      case CPU -> "cpu";
      case CUDA -> index < 0 ? "cuda" : "cuda:" + index;
    };
  }
}
