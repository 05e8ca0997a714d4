package io.vidmill.nativelib;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * The C structs of {@code native/include/vidmill.h}, field for field. A test compares every
 * size and offset with what the library reports ({@code vm_struct_size}, {@code
 * vm_struct_offset}), so a change on one side cannot go unnoticed.
 */
public final class Layouts {
  private Layouts() {}

  /** {@code vm_struct_id} values. */
  public static final int VM_STRUCT_SOURCE = 1;
  public static final int VM_STRUCT_OPEN_OPTIONS = 2;
  public static final int VM_STRUCT_CLIP_INFO = 3;
  public static final int VM_STRUCT_CLIP_STATS = 4;
  public static final int VM_STRUCT_FRAME = 5;
  public static final int VM_STRUCT_BATCH = 6;
  public static final int VM_STRUCT_SYNTH_OPTIONS = 7;
  public static final int VM_STRUCT_OUTPUT = 8;
  public static final int VM_STRUCT_CLIP_AGGREGATES = 9;
  public static final int VM_STRUCT_IMAGE = 10;
  public static final int VM_STRUCT_SAMPLING = 11;
  public static final int VM_STRUCT_ENCODER_OPTIONS = 12;
  public static final int VM_STRUCT_CUDA_DEVICE = 13;
  public static final int VM_STRUCT_CUDA_UTILIZATION = 14;
  public static final int VM_STRUCT_DECODER_CAPS = 15;
  public static final int VM_STRUCT_WORKER_OPTIONS = 16;
  public static final int VM_STRUCT_WORKER_STATE = 17;

  public static final int VM_NAME_SIZE = 48;
  public static final int VM_REASON_SIZE = 200;

  private static MemoryLayout chars(int n, String name) {
    return MemoryLayout.sequenceLayout(n, JAVA_BYTE).withName(name);
  }

  public static final StructLayout SOURCE = MemoryLayout.structLayout(
      JAVA_INT.withName("struct_size"),
      JAVA_INT.withName("reserved0"),
      ADDRESS.withName("path"),
      ADDRESS.withName("data"),
      JAVA_LONG.withName("size"),
      ADDRESS.withName("name")).withName("vm_source");

  public static final StructLayout OPEN_OPTIONS = MemoryLayout.structLayout(
      JAVA_INT.withName("struct_size"),
      JAVA_INT.withName("flags"),
      JAVA_INT.withName("threads"),
      JAVA_INT.withName("reserved0"),
      JAVA_LONG.withName("max_pixels"),
      JAVA_LONG.withName("max_frames"),
      JAVA_LONG.withName("timeout_ms"),
      ADDRESS.withName("denied_codecs"),
      JAVA_INT.withName("device"),
      JAVA_INT.withName("device_index")).withName("vm_open_options");

  public static final StructLayout CLIP_INFO = MemoryLayout.structLayout(
      JAVA_INT.withName("struct_size"),
      JAVA_INT.withName("stream_index"),
      JAVA_INT.withName("width"),
      JAVA_INT.withName("height"),
      JAVA_INT.withName("pix_fmt"),
      JAVA_INT.withName("bit_depth"),
      JAVA_INT.withName("rotation"),
      JAVA_INT.withName("mirror"),
      JAVA_INT.withName("encrypted"),
      JAVA_INT.withName("sar_num"),
      JAVA_INT.withName("sar_den"),
      JAVA_INT.withName("time_base_num"),
      JAVA_INT.withName("time_base_den"),
      JAVA_INT.withName("avg_frame_rate_num"),
      JAVA_INT.withName("avg_frame_rate_den"),
      JAVA_INT.withName("guessed_frame_rate_num"),
      JAVA_INT.withName("guessed_frame_rate_den"),
      JAVA_INT.withName("truncated"),
      JAVA_LONG.withName("start_time"),
      JAVA_LONG.withName("container_start_us"),
      JAVA_LONG.withName("duration_us"),
      JAVA_LONG.withName("declared_frames"),
      JAVA_LONG.withName("size_bytes"),
      JAVA_LONG.withName("bit_rate"),
      chars(VM_NAME_SIZE, "container"),
      chars(VM_NAME_SIZE, "codec"),
      chars(VM_NAME_SIZE, "profile"),
      chars(VM_NAME_SIZE, "pix_fmt_name"),
      chars(16, "color_range"),
      chars(16, "color_space"),
      chars(16, "color_primaries"),
      chars(16, "color_transfer"),
      chars(VM_NAME_SIZE, "decoder"),
      JAVA_INT.withName("backend"),
      JAVA_INT.withName("backend_device"),
      JAVA_INT.withName("backend_fallback"),
      JAVA_INT.withName("reserved1"),
      chars(VM_REASON_SIZE, "backend_reason")).withName("vm_clip_info");

  public static final StructLayout CLIP_STATS = MemoryLayout.structLayout(
      JAVA_INT.withName("struct_size"),
      JAVA_INT.withName("threads"),
      JAVA_LONG.withName("frames"),
      JAVA_LONG.withName("packets"),
      JAVA_LONG.withName("decode_errors"),
      JAVA_LONG.withName("bytes_read"),
      JAVA_LONG.withName("open_ns"),
      JAVA_LONG.withName("demux_ns"),
      JAVA_LONG.withName("decode_ns"),
      JAVA_LONG.withName("output_ns"),
      JAVA_LONG.withName("packets_read"),
      JAVA_LONG.withName("packets_skipped"),
      JAVA_LONG.withName("frames_decoded"),
      JAVA_LONG.withName("seeks"),
      JAVA_LONG.withName("file_seeks"),
      JAVA_LONG.withName("plan_ns"),
      JAVA_INT.withName("sample_path"),
      JAVA_INT.withName("fallbacks"),
      JAVA_LONG.withName("gpu_ns"),
      JAVA_INT.withName("decoder_reused"),
      JAVA_INT.withName("restarts")).withName("vm_clip_stats");

  public static final StructLayout SAMPLING = MemoryLayout.structLayout(
      JAVA_INT.withName("struct_size"),
      JAVA_INT.withName("mode"),
      JAVA_INT.withName("flags"),
      JAVA_INT.withName("rate_num"),
      JAVA_INT.withName("rate_den"),
      JAVA_INT.withName("reserved0"),
      JAVA_LONG.withName("n"),
      JAVA_LONG.withName("start_us"),
      JAVA_LONG.withName("end_us"),
      JAVA_LONG.withName("max_frames"),
      JAVA_LONG.withName("buffer_bytes")).withName("vm_sampling");

  public static final StructLayout FRAME = MemoryLayout.structLayout(
      JAVA_LONG.withName("pts"),
      JAVA_LONG.withName("dts"),
      JAVA_LONG.withName("duration"),
      JAVA_LONG.withName("data_offset"),
      JAVA_LONG.withName("data_size"),
      JAVA_INT.withName("width"),
      JAVA_INT.withName("height"),
      JAVA_INT.withName("pix_fmt"),
      JAVA_INT.withName("flags"),
      chars(16, "md5"),
      JAVA_FLOAT.withName("luma_mean"),
      JAVA_FLOAT.withName("luma_std"),
      JAVA_FLOAT.withName("dark_fraction"),
      JAVA_FLOAT.withName("sharpness"),
      JAVA_FLOAT.withName("motion"),
      JAVA_FLOAT.withName("scene_score"),
      JAVA_LONG.withName("dhash")).withName("vm_frame");

  public static final StructLayout BATCH = MemoryLayout.structLayout(
      JAVA_INT.withName("struct_size"),
      JAVA_INT.withName("want"),
      ADDRESS.withName("frames"),
      JAVA_INT.withName("capacity"),
      JAVA_INT.withName("count"),
      ADDRESS.withName("data"),
      JAVA_LONG.withName("data_capacity"),
      JAVA_LONG.withName("data_used"),
      JAVA_LONG.withName("data_needed")).withName("vm_batch");

  public static final StructLayout SYNTH_OPTIONS = MemoryLayout.structLayout(
      JAVA_INT.withName("struct_size"),
      JAVA_INT.withName("width"),
      JAVA_INT.withName("height"),
      JAVA_INT.withName("fps_num"),
      JAVA_INT.withName("fps_den"),
      JAVA_INT.withName("frames"),
      JAVA_INT.withName("gop"),
      JAVA_INT.withName("bit_rate_kbps"),
      JAVA_INT.withName("seed"),
      JAVA_INT.withName("reserved0"),
      ADDRESS.withName("path"),
      ADDRESS.withName("encoder"),
      ADDRESS.withName("pattern"),
      ADDRESS.withName("pix_fmt")).withName("vm_synth_options");

  public static final StructLayout OUTPUT = MemoryLayout.structLayout(
      JAVA_INT.withName("struct_size"),
      JAVA_INT.withName("pixel_format"),
      JAVA_INT.withName("width"),
      JAVA_INT.withName("height"),
      JAVA_INT.withName("resize"),
      JAVA_INT.withName("filter"),
      JAVA_INT.withName("flags"),
      JAVA_FLOAT.withName("scene_threshold")).withName("vm_output");

  public static final StructLayout CLIP_AGGREGATES = MemoryLayout.structLayout(
      JAVA_INT.withName("struct_size"),
      JAVA_INT.withName("reserved0"),
      JAVA_LONG.withName("frames"),
      JAVA_LONG.withName("black_frames"),
      JAVA_LONG.withName("blank_frames"),
      JAVA_LONG.withName("scene_cuts"),
      JAVA_DOUBLE.withName("luma_mean"),
      JAVA_DOUBLE.withName("luma_min"),
      JAVA_DOUBLE.withName("luma_max"),
      JAVA_DOUBLE.withName("sharpness_mean"),
      JAVA_DOUBLE.withName("sharpness_min"),
      JAVA_DOUBLE.withName("sharpness_max"),
      JAVA_DOUBLE.withName("motion_mean"),
      JAVA_DOUBLE.withName("motion_min"),
      JAVA_DOUBLE.withName("motion_max"),
      JAVA_DOUBLE.withName("scene_score_max")).withName("vm_clip_aggregates");

  /** Not used from Java (vm_image_process is for C tools); kept so the layout test covers it. */
  public static final StructLayout IMAGE = MemoryLayout.structLayout(
      JAVA_INT.withName("struct_size"),
      JAVA_INT.withName("pix_fmt"),
      JAVA_INT.withName("width"),
      JAVA_INT.withName("height"),
      JAVA_INT.withName("matrix"),
      JAVA_INT.withName("color_range"),
      JAVA_INT.withName("chroma_location"),
      JAVA_INT.withName("orientation"),
      JAVA_INT.withName("sar_num"),
      JAVA_INT.withName("sar_den"),
      JAVA_INT.withName("reserved0"),
      JAVA_INT.withName("reserved1"),
      MemoryLayout.sequenceLayout(4, ADDRESS).withName("planes"),
      MemoryLayout.sequenceLayout(4, JAVA_LONG).withName("strides")).withName("vm_image");

  public static final StructLayout ENCODER_OPTIONS = MemoryLayout.structLayout(
      JAVA_INT.withName("struct_size"),
      JAVA_INT.withName("codec"),
      JAVA_INT.withName("quality"),
      JAVA_INT.withName("reserved0")).withName("vm_encoder_options");

  public static final StructLayout CUDA_DEVICE = MemoryLayout.structLayout(
      JAVA_INT.withName("struct_size"),
      JAVA_INT.withName("index"),
      JAVA_INT.withName("compute_major"),
      JAVA_INT.withName("compute_minor"),
      JAVA_INT.withName("multiprocessors"),
      JAVA_INT.withName("decoders"),
      JAVA_INT.withName("mig"),
      JAVA_INT.withName("reserved0"),
      JAVA_LONG.withName("memory_bytes"),
      chars(96, "name"),
      chars(32, "pci_bus_id")).withName("vm_cuda_device");

  public static final StructLayout CUDA_UTILIZATION = MemoryLayout.structLayout(
      JAVA_INT.withName("struct_size"),
      JAVA_INT.withName("decoder_percent"),
      JAVA_INT.withName("sm_percent"),
      JAVA_INT.withName("memory_percent"),
      JAVA_LONG.withName("memory_used_bytes"),
      JAVA_LONG.withName("memory_total_bytes")).withName("vm_cuda_utilization");

  /** Not used from Java (vm_cuda_decoder_caps is for vmtool); kept so the layout test covers it. */
  public static final StructLayout DECODER_CAPS = MemoryLayout.structLayout(
      JAVA_INT.withName("struct_size"),
      JAVA_INT.withName("supported"),
      JAVA_INT.withName("decoders"),
      JAVA_INT.withName("min_width"),
      JAVA_INT.withName("min_height"),
      JAVA_INT.withName("max_width"),
      JAVA_INT.withName("max_height"),
      JAVA_INT.withName("reserved0"),
      JAVA_LONG.withName("max_macroblocks")).withName("vm_decoder_caps");

  public static final StructLayout WORKER_OPTIONS = MemoryLayout.structLayout(
      JAVA_INT.withName("struct_size"),
      JAVA_INT.withName("grace_ms"),
      ADDRESS.withName("executable"),
      ADDRESS.withName("preload"),
      ADDRESS.withName("environment"),
      ADDRESS.withName("crash_dir"),
      JAVA_LONG.withName("memory_limit")).withName("vm_worker_options");

  public static final StructLayout WORKER_STATE = MemoryLayout.structLayout(
      JAVA_INT.withName("struct_size"),
      JAVA_INT.withName("pid"),
      JAVA_INT.withName("starts"),
      JAVA_INT.withName("deaths")).withName("vm_worker_state");

  /** Byte offset of a named field: resolved once into a constant by callers. */
  public static long offset(StructLayout layout, String field) {
    return layout.byteOffset(PathElement.groupElement(field));
  }

  /** A NUL-terminated string stored in a fixed char array of a struct. */
  public static String chars(MemorySegment struct, StructLayout layout, String field) {
    return chars(layout, field).read(struct);
  }

  /** A char array field, located once: reading it on a hot path resolves no layout path. */
  public record Chars(long offset, long size) {
    public String read(MemorySegment struct) {
      return struct.asSlice(offset, size).getString(0);
    }
  }

  public static Chars chars(StructLayout layout, String field) {
    return new Chars(offset(layout, field), layout.select(PathElement.groupElement(field)).byteSize());
  }
}
