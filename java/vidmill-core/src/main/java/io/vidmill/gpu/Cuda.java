package io.vidmill.gpu;

import static io.vidmill.nativelib.Layouts.CUDA_DEVICE;
import static io.vidmill.nativelib.Layouts.CUDA_UTILIZATION;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.vidmill.decode.Device;
import io.vidmill.nativelib.Layouts;
import io.vidmill.nativelib.NativeLibrary;
import io.vidmill.nativelib.Vidmill;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The GPUs this process can decode on, found once from a real round trip through libvidmill
 * ({@code vm_cuda_probe}: FFmpeg's CUDA device on each GPU's primary context, a kernel's output
 * read back, NVDEC's caps asked), with the reason when there are none: no driver, no device,
 * a container without the NVIDIA runtime, a libvidmill built without CUDA. The CPU/GPU choice
 * of a run is made from this and said once ({@link #logChoice}).
 *
 * <p>The first call creates a CUDA context on every GPU (hundreds of MB, a few hundred ms
 * each): it is made only when a command may decode on a GPU.
 */
public final class Cuda {
  private Cuda() {}

  /**
   * One GPU that passed the probe.
   *
   * @param decoders NVDEC engines (from NVDEC's caps; -1 when the driver does not say, 0 for
   *     none: a GPU or MIG slice without a decoder engine decodes nothing, its clips go to the
   *     CPU)
   * @param note what does not work on it ("" when everything does): no decoder engine, or
   *     kernels that cannot run (frames are then downloaded for the CPU's operations)
   */
  public record Gpu(int index, String name, int computeMajor, int computeMinor, int multiprocessors,
                    int decoders, boolean mig, long memoryBytes, String pciBusId, String note) {
    /** Whether clips can decode on it. */
    public boolean decodes() {
      return decoders != 0;
    }

    /** "cuda:N", as the backend column says. */
    public String label() {
      return "cuda:" + index;
    }

    public String describe() {
      return String.format(Locale.ROOT, "%s %s (compute %d.%d, %s NVDEC, %d GB%s)%s", label(), name, computeMajor,
          computeMinor, decoders < 0 ? "unknown" : String.valueOf(decoders), memoryBytes >> 30, mig ? ", MIG" : "",
          note.isEmpty() ? "" : ": " + note);
    }
  }

  /** NVML's view of a GPU now; -1 where it says nothing (no NVML, MIG instances). */
  public record Utilization(int decoderPercent, int smPercent, int memoryPercent, long memoryUsedBytes,
                            long memoryTotalBytes) {
    public static final Utilization UNKNOWN = new Utilization(-1, -1, -1, -1, -1);
  }

  private record State(List<Gpu> gpus, Throwable cause) {}

  private static final class Holder {
    static final State STATE = probe();
  }

  private static final AtomicBoolean LOGGED = new AtomicBoolean();

  /** Whether at least one GPU decodes (NVDEC): clips asked to run on the GPU can. */
  public static boolean isAvailable() {
    return Holder.STATE.cause == null;
  }

  /** Why no GPU decodes, with what to do about it. */
  public static Optional<Throwable> unavailabilityCause() {
    return Optional.ofNullable(Holder.STATE.cause);
  }

  /** Every GPU that passed the probe, decoding or not. */
  public static List<Gpu> devices() {
    return Holder.STATE.gpus;
  }

  /** The GPUs that decode, in index order. */
  public static List<Gpu> decoderGpus() {
    return Holder.STATE.gpus.stream().filter(Gpu::decodes).toList();
  }

  /** NVML's utilization of GPU {@code index}, UNKNOWN when it cannot be had. */
  public static Utilization utilization(int index) {
    if (!NativeLibrary.isAvailable()) return Utilization.UNKNOWN;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment u = arena.allocate(CUDA_UTILIZATION);
      u.set(JAVA_INT, 0, (int) CUDA_UTILIZATION.byteSize());
      if (Vidmill.vm_cuda_utilization_get(index, u) != 0) return Utilization.UNKNOWN;
      return new Utilization(u.get(JAVA_INT, Layouts.offset(CUDA_UTILIZATION, "decoder_percent")),
          u.get(JAVA_INT, Layouts.offset(CUDA_UTILIZATION, "sm_percent")),
          u.get(JAVA_INT, Layouts.offset(CUDA_UTILIZATION, "memory_percent")),
          u.get(JAVA_LONG, Layouts.offset(CUDA_UTILIZATION, "memory_used_bytes")),
          u.get(JAVA_LONG, Layouts.offset(CUDA_UTILIZATION, "memory_total_bytes")));
    }
  }

  /** One line: the GPUs, or why there are none. */
  public static String describe() {
    State s = Holder.STATE;
    if (s.cause != null) return s.cause.getMessage();
    return "GPUs: " + s.gpus.stream().map(Gpu::describe).collect(Collectors.joining("; "));
  }

  /**
   * The line saying where clips asked to decode on {@code requested} will decode, given to
   * {@code out} once per process (later calls do nothing). Nothing for {@link Device#CPU}.
   */
  public static void logChoice(Device requested, Consumer<String> out) {
    if (!requested.wantsGpu() || !LOGGED.compareAndSet(false, true)) return;
    out.accept(choice(requested));
  }

  /** The line of {@link #logChoice}. */
  public static String choice(Device requested) {
    if (!requested.wantsGpu()) return "device: cpu";
    if (!isAvailable()) return "device " + requested + ": no GPU decodes, every clip decodes on the CPU (" + describe()
        + ")";
    List<Gpu> gpus = decoderGpus();
    if (requested.isOneGpu()) {
      Gpu g = gpus.stream().filter(x -> x.index() == requested.index()).findFirst().orElse(null);
      return g == null ? "device " + requested + ": no such decoding GPU (" + describe() + ")"
          : "device " + requested + ": " + g.describe() + "; clips NVDEC cannot decode go to the CPU";
    }
    return "device " + requested + ": " + gpus.size() + (gpus.size() == 1 ? " GPU" : " GPUs") + ", "
        + gpus.stream().map(Gpu::describe).collect(Collectors.joining("; "))
        + "; clips NVDEC cannot decode go to the CPU";
  }

  private static State probe() {
    // without the driver's device nodes there is no GPU to find: say so without loading
    // libvidmill and FFmpeg into a process that may never decode (the parent of decoding
    // processes); the NVIDIA container runtime mounts them, WSL2 has /dev/dxg
    if (DEVICE_NODES.stream().noneMatch(p -> java.nio.file.Files.exists(java.nio.file.Path.of(p)))) {
      return new State(List.of(), new IllegalStateException("no usable GPU: no NVIDIA driver here (none of "
          + String.join(", ", DEVICE_NODES) + ")" + advice()));
    }
    if (!NativeLibrary.isAvailable()) {
      return new State(List.of(), new IllegalStateException("no GPU: libvidmill did not load ("
          + NativeLibrary.unavailabilityCause().map(Throwable::getMessage).orElse("?") + ")"));
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment detail = arena.allocate(512);
      int n = Vidmill.vm_cuda_device_count(detail, 512);
      if (n <= 0) {
        return new State(List.of(), new IllegalStateException("no usable GPU: " + detail.getString(0) + advice()));
      }
      List<Gpu> gpus = new ArrayList<>();
      List<String> failed = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int status = Vidmill.vm_cuda_probe(i, detail, 512);
        String note = detail.getString(0);
        if (status != 0) {
          failed.add("cuda:" + i + ": " + note);
          continue;
        }
        MemorySegment d = arena.allocate(CUDA_DEVICE);
        d.set(JAVA_INT, 0, (int) CUDA_DEVICE.byteSize());
        if (Vidmill.vm_cuda_device_get(i, d) != 0) continue;
        gpus.add(new Gpu(i, Layouts.chars(d, CUDA_DEVICE, "name"),
            d.get(JAVA_INT, Layouts.offset(CUDA_DEVICE, "compute_major")),
            d.get(JAVA_INT, Layouts.offset(CUDA_DEVICE, "compute_minor")),
            d.get(JAVA_INT, Layouts.offset(CUDA_DEVICE, "multiprocessors")),
            d.get(JAVA_INT, Layouts.offset(CUDA_DEVICE, "decoders")),
            d.get(JAVA_INT, Layouts.offset(CUDA_DEVICE, "mig")) != 0,
            d.get(JAVA_LONG, Layouts.offset(CUDA_DEVICE, "memory_bytes")),
            Layouts.chars(d, CUDA_DEVICE, "pci_bus_id"), note));
      }
      if (gpus.stream().noneMatch(Gpu::decodes)) {
        List<String> why = new ArrayList<>(failed);
        gpus.forEach(g -> why.add(g.label() + ": " + g.note()));
        return new State(List.copyOf(gpus), new IllegalStateException("no GPU decodes: " + String.join("; ", why)
            + advice()));
      }
      return new State(List.copyOf(gpus), null);
    } catch (RuntimeException | Error e) {
      return new State(List.of(), new IllegalStateException("no GPU: asking libvidmill failed: " + e, e));
    }
  }

  private static final List<String> DEVICE_NODES = List.of("/dev/nvidiactl", "/dev/nvidia0", "/dev/dxg");

  private static String advice() {
    return ". For the GPU path: an NVIDIA driver R580 or newer; in a container the NVIDIA runtime (docker run --gpus "
        + "all) with NVIDIA_DRIVER_CAPABILITIES including video (libnvcuvid); --device cpu to stop looking";
  }
}
