package io.vidmill.nativelib;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * Every downcall into libvidmill, named as in {@code vidmill.h}. Each handle is resolved once,
 * lazily, in a holder class of its own; a missing symbol fails loudly with its name. Calls use
 * {@code invokeExact}. Callers own all memory they pass; see the header for who owns what.
 */
public final class Vidmill {
  private Vidmill() {}

  private static final Linker LINKER = Linker.nativeLinker();

  private static MethodHandle bind(SymbolLookup lookup, String name, FunctionDescriptor fd) {
    MemorySegment symbol = lookup.find(name)
        .orElseThrow(() -> new UnsatisfiedLinkError("libvidmill has no symbol " + name));
    return LINKER.downcallHandle(symbol, fd);
  }

  private static MethodHandle bind(String name, FunctionDescriptor fd) {
    return bind(NativeLibrary.lookup(), name, fd);
  }

  private static RuntimeException rethrow(Throwable t) {
    if (t instanceof RuntimeException r) return r;
    if (t instanceof Error e) throw e;
    return new IllegalStateException(t);
  }

  /** A C string the library owns (static or valid until the next call on a handle). */
  static String string(MemorySegment p) {
    return p.equals(MemorySegment.NULL) ? "" : p.reinterpret(Long.MAX_VALUE).getString(0);
  }

  // ---- bootstrap: used by NativeLibrary before the library is declared available ----------

  static int vm_abi_version(SymbolLookup lookup) throws Throwable {
    return (int) bind(lookup, "vm_abi_version", FunctionDescriptor.of(JAVA_INT)).invokeExact();
  }

  static String vm_version_string(SymbolLookup lookup) throws Throwable {
    return string((MemorySegment) bind(lookup, "vm_version_string", FunctionDescriptor.of(ADDRESS))
        .invokeExact());
  }

  /** Null when the FFmpeg libraries match, else the explanation. */
  static String vm_runtime_check(SymbolLookup lookup) throws Throwable {
    MethodHandle h = bind(lookup, "vm_runtime_check", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment detail = arena.allocate(512);
      int status = (int) h.invokeExact(detail, 512L);
      return status == 0 ? null : detail.getString(0);
    }
  }

  // ---- the API -------------------------------------------------------------------------

  private static final class vm_struct_size_h {
    static final MethodHandle H = bind("vm_struct_size", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  }

  public static int vm_struct_size(int structId) {
    try {
      return (int) vm_struct_size_h.H.invokeExact(structId);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_struct_offset_h {
    static final MethodHandle H =
        bind("vm_struct_offset", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS));
  }

  public static long vm_struct_offset(int structId, String field) {
    try (Arena arena = Arena.ofConfined()) {
      return (long) vm_struct_offset_h.H.invokeExact(structId, arena.allocateFrom(field));
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_status_name_h {
    static final MethodHandle H = bind("vm_status_name", FunctionDescriptor.of(ADDRESS, JAVA_INT));
  }

  public static String vm_status_name(int status) {
    try {
      return string((MemorySegment) vm_status_name_h.H.invokeExact(status));
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_set_max_alloc_h {
    static final MethodHandle H = bind("vm_set_max_alloc", FunctionDescriptor.ofVoid(JAVA_LONG));
  }

  public static void vm_set_max_alloc(long bytes) {
    try {
      vm_set_max_alloc_h.H.invokeExact(bytes);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_clip_open_h {
    static final MethodHandle H =
        bind("vm_clip_open", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
  }

  /** @param clipOut a pointer-sized segment that receives the vm_clip* */
  public static int vm_clip_open(MemorySegment source, MemorySegment options, MemorySegment clipOut) {
    try {
      return (int) vm_clip_open_h.H.invokeExact(source, options, clipOut);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_clip_close_h {
    static final MethodHandle H = bind("vm_clip_close", FunctionDescriptor.ofVoid(ADDRESS));
  }

  public static void vm_clip_close(MemorySegment clip) {
    try {
      vm_clip_close_h.H.invokeExact(clip);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_clip_last_error_h {
    static final MethodHandle H = bind("vm_clip_last_error", FunctionDescriptor.of(ADDRESS, ADDRESS));
  }

  public static String vm_clip_last_error(MemorySegment clip) {
    try {
      return string((MemorySegment) vm_clip_last_error_h.H.invokeExact(clip));
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_clip_info_get_h {
    static final MethodHandle H =
        bind("vm_clip_info_get", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
  }

  public static int vm_clip_info_get(MemorySegment clip, MemorySegment info) {
    try {
      return (int) vm_clip_info_get_h.H.invokeExact(clip, info);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_clip_stats_get_h {
    static final MethodHandle H =
        bind("vm_clip_stats_get", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
  }

  public static int vm_clip_stats_get(MemorySegment clip, MemorySegment stats) {
    try {
      return (int) vm_clip_stats_get_h.H.invokeExact(clip, stats);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_clip_next_h {
    static final MethodHandle H = bind("vm_clip_next", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
  }

  public static int vm_clip_next(MemorySegment clip, MemorySegment batch) {
    try {
      return (int) vm_clip_next_h.H.invokeExact(clip, batch);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_clip_set_output_h {
    static final MethodHandle H =
        bind("vm_clip_set_output", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
  }

  public static int vm_clip_set_output(MemorySegment clip, MemorySegment output) {
    try {
      return (int) vm_clip_set_output_h.H.invokeExact(clip, output);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_clip_set_sampling_h {
    static final MethodHandle H =
        bind("vm_clip_set_sampling", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
  }

  public static int vm_clip_set_sampling(MemorySegment clip, MemorySegment sampling) {
    try {
      return (int) vm_clip_set_sampling_h.H.invokeExact(clip, sampling);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_clip_aggregates_get_h {
    static final MethodHandle H =
        bind("vm_clip_aggregates_get", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
  }

  public static int vm_clip_aggregates_get(MemorySegment clip, MemorySegment aggregates) {
    try {
      return (int) vm_clip_aggregates_get_h.H.invokeExact(clip, aggregates);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_sampling_select_h {
    static final MethodHandle H = bind("vm_sampling_select",
        FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
  }

  public static long vm_sampling_select(MemorySegment sampling, MemorySegment info, MemorySegment pts,
                                        MemorySegment flags, long count, MemorySegment selected) {
    try {
      return (long) vm_sampling_select_h.H.invokeExact(sampling, info, pts, flags, count, selected);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_pix_fmt_name_h {
    static final MethodHandle H = bind("vm_pix_fmt_name", FunctionDescriptor.of(ADDRESS, JAVA_INT));
  }

  public static String vm_pix_fmt_name(int pixFmt) {
    try {
      return string((MemorySegment) vm_pix_fmt_name_h.H.invokeExact(pixFmt));
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_encoder_open_h {
    static final MethodHandle H = bind("vm_encoder_open", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
  }

  /** @param encoderOut a pointer-sized segment that receives the vm_encoder* */
  public static int vm_encoder_open(MemorySegment options, MemorySegment encoderOut) {
    try {
      return (int) vm_encoder_open_h.H.invokeExact(options, encoderOut);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_encoder_close_h {
    static final MethodHandle H = bind("vm_encoder_close", FunctionDescriptor.ofVoid(ADDRESS));
  }

  public static void vm_encoder_close(MemorySegment encoder) {
    try {
      vm_encoder_close_h.H.invokeExact(encoder);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_encoder_last_error_h {
    static final MethodHandle H = bind("vm_encoder_last_error", FunctionDescriptor.of(ADDRESS, ADDRESS));
  }

  public static String vm_encoder_last_error(MemorySegment encoder) {
    try {
      return string((MemorySegment) vm_encoder_last_error_h.H.invokeExact(encoder));
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_encoder_encode_h {
    static final MethodHandle H = bind("vm_encoder_encode", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS,
        JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS));
  }

  public static int vm_encoder_encode(MemorySegment encoder, MemorySegment pixels, long stride, int width, int height,
                                      int pixelFormat, MemorySegment out, long capacity, MemorySegment size) {
    try {
      return (int) vm_encoder_encode_h.H.invokeExact(encoder, pixels, stride, width, height, pixelFormat, out,
          capacity, size);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_synth_write_h {
    static final MethodHandle H =
        bind("vm_synth_write", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
  }

  public static int vm_synth_write(MemorySegment options, MemorySegment detail, long detailSize) {
    try {
      return (int) vm_synth_write_h.H.invokeExact(options, detail, detailSize);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  // ---- GPU decoding -------------------------------------------------------------------

  private static final class vm_fallback_name_h {
    static final MethodHandle H = bind("vm_fallback_name", FunctionDescriptor.of(ADDRESS, JAVA_INT));
  }

  public static String vm_fallback_name(int fallback) {
    try {
      return string((MemorySegment) vm_fallback_name_h.H.invokeExact(fallback));
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_cuda_device_count_h {
    static final MethodHandle H =
        bind("vm_cuda_device_count", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
  }

  public static int vm_cuda_device_count(MemorySegment detail, long detailSize) {
    try {
      return (int) vm_cuda_device_count_h.H.invokeExact(detail, detailSize);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_cuda_device_get_h {
    static final MethodHandle H =
        bind("vm_cuda_device_get", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
  }

  public static int vm_cuda_device_get(int index, MemorySegment device) {
    try {
      return (int) vm_cuda_device_get_h.H.invokeExact(index, device);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_cuda_probe_h {
    static final MethodHandle H =
        bind("vm_cuda_probe", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG));
  }

  public static int vm_cuda_probe(int index, MemorySegment detail, long detailSize) {
    try {
      return (int) vm_cuda_probe_h.H.invokeExact(index, detail, detailSize);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_cuda_utilization_get_h {
    static final MethodHandle H =
        bind("vm_cuda_utilization_get", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
  }

  public static int vm_cuda_utilization_get(int index, MemorySegment utilization) {
    try {
      return (int) vm_cuda_utilization_get_h.H.invokeExact(index, utilization);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }
  // ---- decoding processes (vm_worker) ------------------------------------------------------

  private static final class vm_worker_start_h {
    static final MethodHandle H =
        bind("vm_worker_start", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
  }

  /** @param workerOut a pointer-sized segment that receives the vm_worker* */
  public static int vm_worker_start(MemorySegment options, MemorySegment workerOut, MemorySegment detail,
                                    long detailSize) {
    try {
      return (int) vm_worker_start_h.H.invokeExact(options, workerOut, detail, detailSize);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_worker_close_h {
    static final MethodHandle H = bind("vm_worker_close", FunctionDescriptor.ofVoid(ADDRESS));
  }

  public static void vm_worker_close(MemorySegment worker) {
    try {
      vm_worker_close_h.H.invokeExact(worker);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_worker_state_get_h {
    static final MethodHandle H = bind("vm_worker_state_get", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
  }

  public static int vm_worker_state_get(MemorySegment worker, MemorySegment state) {
    try {
      return (int) vm_worker_state_get_h.H.invokeExact(worker, state);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static final class vm_clip_open_in_h {
    static final MethodHandle H =
        bind("vm_clip_open_in", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
  }

  /** @param clipOut a pointer-sized segment that receives the vm_clip* */
  public static int vm_clip_open_in(MemorySegment worker, MemorySegment source, MemorySegment options,
                                    MemorySegment clipOut) {
    try {
      return (int) vm_clip_open_in_h.H.invokeExact(worker, source, options, clipOut);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }
}
