package io.vidmill.dataset;

import io.vidmill.ops.FrameStats;

/**
 * One selected frame of a clip, as the clip's {@code .json} and the frames table describe it.
 *
 * @param index its position among the clip's selected frames (the NNNNNN of its file name, the
 *     row of the clip's array)
 * @param pts presentation timestamp in the stream's time base ({@link Long#MIN_VALUE} if none)
 * @param time clip time in seconds (pts minus the container's start; NaN without a pts)
 * @param keyFrame the decoder marked it a key frame
 * @param file its tar member (KEY.NNNNNN.jpg, or KEY.npy for all of them), null when no frames are written
 * @param stats its statistics, null without {@code --stats}
 */
public record FrameRecord(int index, long pts, double time, boolean keyFrame, int width, int height, String file,
                          FrameStats stats) {}
