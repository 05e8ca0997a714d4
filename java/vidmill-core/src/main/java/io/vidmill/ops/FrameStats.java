package io.vidmill.ops;

import java.util.HexFormat;

/**
 * Statistics of one frame, computed natively on its whole picture (whatever the output size):
 * definitions and thresholds are in vidmill.h ("Frame statistics") and docs/frames.md.
 *
 * @param lumaMean mean luma, full-range levels 0..255
 * @param lumaStd standard deviation of the luma
 * @param darkFraction fraction of pixels at or below 10% of full scale
 * @param sharpness variance of the Laplacian of the luma (0 for a flat picture)
 * @param motion mean absolute luma difference to the previous frame with statistics; -1 for
 *     the first
 * @param sceneScore 0..1, luma histogram distance to that frame; -1 for the first
 * @param dhash 64-bit difference hash of the picture as output
 * @param black 98% of the pixels are dark
 * @param blank the luma is uniform (stddev at most 3), at any level
 * @param sceneCut sceneScore reached the scene-cut threshold
 */
public record FrameStats(float lumaMean, float lumaStd, float darkFraction, float sharpness, float motion,
                         float sceneScore, long dhash, boolean black, boolean blank, boolean sceneCut) {
  /** Whether there was a previous frame to measure motion and the scene score against. */
  public boolean hasPrevious() {
    return motion >= 0;
  }

  /** The dHash as 16 hex digits (imagehash's string form). */
  public String dhashHex() {
    return HexFormat.of().toHexDigits(dhash);
  }

  /** Bits in which two hashes differ: a few for the same picture re-encoded. */
  public static int hammingDistance(long a, long b) {
    return Long.bitCount(a ^ b);
  }
}
