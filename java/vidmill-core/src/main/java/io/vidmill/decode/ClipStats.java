package io.vidmill.decode;

import static io.vidmill.nativelib.Layouts.CLIP_STATS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.vidmill.nativelib.Layouts;
import java.lang.foreign.MemorySegment;

/**
 * What decoding a clip has done so far: a copy of {@code vm_clip_stats}. Times in ns.
 *
 * @param frames frames returned
 * @param packets packets sent to the decoder
 * @param packetsRead video packets the demuxer returned, a sampling plan's pass included
 * @param packetsSkipped video packets never sent to the decoder (sampling)
 * @param framesDecoded frames the decoder output, returned or not
 * @param seeks jumps over packets that restarted the decoder at a key frame (sampling)
 * @param fileSeeks of those, the ones made by seeking in the file
 * @param planNanos time spent reading the packet table and planning (sampling)
 * @param samplePath how a sampled clip was decoded
 * @param fallbacks times a sampling prediction failed and the clip was decoded through
 * @param gpuNanos of outputNanos, spent in CUDA kernels and transfers
 * @param decoderReused the GPU decoder came from the per-GPU cache (no decoder was created)
 * @param restarts times the clip was decoded again on the CPU after the GPU
 */
public record ClipStats(int threads, long frames, long packets, long decodeErrors, long bytesRead,
                        long openNanos, long demuxNanos, long decodeNanos, long outputNanos,
                        long packetsRead, long packetsSkipped, long framesDecoded, long seeks,
                        long fileSeeks, long planNanos, Sampling.Path samplePath, int fallbacks,
                        long gpuNanos, boolean decoderReused, int restarts) {
  private static final long THREADS = Layouts.offset(CLIP_STATS, "threads");
  private static final long FRAMES = Layouts.offset(CLIP_STATS, "frames");
  private static final long PACKETS = Layouts.offset(CLIP_STATS, "packets");
  private static final long ERRORS = Layouts.offset(CLIP_STATS, "decode_errors");
  private static final long BYTES = Layouts.offset(CLIP_STATS, "bytes_read");
  private static final long OPEN = Layouts.offset(CLIP_STATS, "open_ns");
  private static final long DEMUX = Layouts.offset(CLIP_STATS, "demux_ns");
  private static final long DECODE = Layouts.offset(CLIP_STATS, "decode_ns");
  private static final long OUTPUT = Layouts.offset(CLIP_STATS, "output_ns");
  private static final long READ = Layouts.offset(CLIP_STATS, "packets_read");
  private static final long SKIPPED = Layouts.offset(CLIP_STATS, "packets_skipped");
  private static final long DECODED = Layouts.offset(CLIP_STATS, "frames_decoded");
  private static final long SEEKS = Layouts.offset(CLIP_STATS, "seeks");
  private static final long FILE_SEEKS = Layouts.offset(CLIP_STATS, "file_seeks");
  private static final long PLAN = Layouts.offset(CLIP_STATS, "plan_ns");
  private static final long PATH = Layouts.offset(CLIP_STATS, "sample_path");
  private static final long FALLBACKS = Layouts.offset(CLIP_STATS, "fallbacks");
  private static final long GPU = Layouts.offset(CLIP_STATS, "gpu_ns");
  private static final long REUSED = Layouts.offset(CLIP_STATS, "decoder_reused");
  private static final long RESTARTS = Layouts.offset(CLIP_STATS, "restarts");

  static ClipStats read(MemorySegment s) {
    return new ClipStats(s.get(JAVA_INT, THREADS), s.get(JAVA_LONG, FRAMES), s.get(JAVA_LONG, PACKETS),
        s.get(JAVA_LONG, ERRORS), s.get(JAVA_LONG, BYTES), s.get(JAVA_LONG, OPEN),
        s.get(JAVA_LONG, DEMUX), s.get(JAVA_LONG, DECODE), s.get(JAVA_LONG, OUTPUT),
        s.get(JAVA_LONG, READ), s.get(JAVA_LONG, SKIPPED), s.get(JAVA_LONG, DECODED), s.get(JAVA_LONG, SEEKS),
        s.get(JAVA_LONG, FILE_SEEKS), s.get(JAVA_LONG, PLAN), Sampling.Path.of(s.get(JAVA_INT, PATH)),
        s.get(JAVA_INT, FALLBACKS), s.get(JAVA_LONG, GPU), s.get(JAVA_INT, REUSED) != 0, s.get(JAVA_INT, RESTARTS));
  }
}
