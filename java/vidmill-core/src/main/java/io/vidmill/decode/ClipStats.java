package io.vidmill.decode;

import static io.vidmill.nativelib.Layouts.CLIP_STATS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.vidmill.nativelib.Layouts;
import java.lang.foreign.MemorySegment;

/** What decoding a clip has done so far: a copy of {@code vm_clip_stats}. Times in ns. */
public record ClipStats(int threads, long frames, long packets, long decodeErrors, long bytesRead,
                        long openNanos, long demuxNanos, long decodeNanos, long outputNanos) {
  private static final long THREADS = Layouts.offset(CLIP_STATS, "threads");
  private static final long FRAMES = Layouts.offset(CLIP_STATS, "frames");
  private static final long PACKETS = Layouts.offset(CLIP_STATS, "packets");
  private static final long ERRORS = Layouts.offset(CLIP_STATS, "decode_errors");
  private static final long BYTES = Layouts.offset(CLIP_STATS, "bytes_read");
  private static final long OPEN = Layouts.offset(CLIP_STATS, "open_ns");
  private static final long DEMUX = Layouts.offset(CLIP_STATS, "demux_ns");
  private static final long DECODE = Layouts.offset(CLIP_STATS, "decode_ns");
  private static final long OUTPUT = Layouts.offset(CLIP_STATS, "output_ns");

  static ClipStats read(MemorySegment s) {
    return new ClipStats(s.get(JAVA_INT, THREADS), s.get(JAVA_LONG, FRAMES), s.get(JAVA_LONG, PACKETS),
        s.get(JAVA_LONG, ERRORS), s.get(JAVA_LONG, BYTES), s.get(JAVA_LONG, OPEN),
        s.get(JAVA_LONG, DEMUX), s.get(JAVA_LONG, DECODE), s.get(JAVA_LONG, OUTPUT));
  }
}
