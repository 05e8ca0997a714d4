package io.vidmill.cli;

import io.vidmill.decode.Device;
import io.vidmill.gpu.Cuda;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code --device}: where clips decode (the commands that decode). */
final class DeviceOptions {
  static final class Converter implements CommandLine.ITypeConverter<Device> {
    @Override
    public Device convert(String value) {
      try {
        return Device.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  @Option(names = "--device", paramLabel = "auto|cpu|cuda|cuda:N", converter = Converter.class,
      description = "Where clips decode: auto (default: every GPU of the machine through NVDEC, one group of decoders "
          + "per GPU, and the CPU for clips a GPU cannot decode or when there is no GPU), cpu, cuda (every GPU; no GPU "
          + "is an error), cuda:N (GPU N). Each clip's backend and the reason for a CPU fallback are reported.")
  Device device;

  /** The device asked for; auto when none was. */
  Device device() {
    return device == null ? Device.AUTO : device;
  }

  /**
   * For {@code cuda} and {@code cuda:N}: false (after a FATAL line saying why and what to do)
   * when that GPU does not decode. A device asked for explicitly is described once, on err.
   */
  boolean usable(PrintWriter err) {
    Device d = device();
    if (d.kind() == Device.Kind.CUDA) {
      boolean ok = d.isOneGpu() ? Cuda.decoderGpus().stream().anyMatch(g -> g.index() == d.index()) : Cuda.isAvailable();
      if (!ok) {
        err.println("FATAL --device " + d + ": " + (Cuda.isAvailable() ? "GPU " + d.index() + " does not decode ("
            + Cuda.describe() + ")" : Cuda.describe()) + " (--device auto decodes on the CPU when there is no GPU)");
        return false;
      }
    }
    if (device != null) Cuda.logChoice(d, err::println);
    return true;
  }
}
