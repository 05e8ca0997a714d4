package io.vidmill.decode;

import io.vidmill.ops.FrameStats;
import java.lang.foreign.MemorySegment;
import java.util.HexFormat;

/**
 * One decoded frame: as the decoder output it (native pixel format, no rotation applied), or
 * converted as the clip's {@link io.vidmill.ops.Output} says (then size, pixel format, data size,
 * pixels and MD5 are those of the converted picture).
 *
 * @param pts presentation timestamp in the stream's time base, {@link Long#MIN_VALUE} if none
 * @param dts timestamp of the packet that produced the frame, {@link Long#MIN_VALUE} if none
 * @param duration in the stream's time base, 0 if unknown
 * @param dataSize bytes of the packed picture (planes back to back, rows unpadded)
 * @param pixFmt FFmpeg's pixel format name
 * @param md5 MD5 of the packed picture when asked for ({@link Want#MD5}), else null
 * @param pixels the packed picture when asked for ({@link Want#PIXELS}), else null; valid
 *     until the batch is filled again or closed
 * @param stats the frame statistics when asked for ({@link Want#STATS}), else null
 */
public record Frame(long pts, long dts, long duration, long dataSize, int width, int height,
                    String pixFmt, boolean keyFrame, boolean corrupt, byte[] md5,
                    MemorySegment pixels, FrameStats stats) {
  /** The MD5 as 32 lowercase hex digits, as ffmpeg's framemd5 prints it. */
  public String md5Hex() {
    return md5 == null ? "" : HexFormat.of().formatHex(md5);
  }
}
