package io.vidmill.ops;

import static io.vidmill.nativelib.Layouts.CLIP_AGGREGATES;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.vidmill.nativelib.Layouts;
import java.lang.foreign.MemorySegment;

/**
 * Per-clip aggregates of the frame statistics so far ({@code vm_clip_aggregates}): what a
 * results table holds to filter clips. Means, minima and maxima are over the frames with
 * statistics; the motion fields (and sceneScoreMax) are -1 until two frames had statistics.
 */
public record ClipAggregates(long frames, long blackFrames, long blankFrames, long sceneCuts, double lumaMean,
                             double lumaMin, double lumaMax, double sharpnessMean, double sharpnessMin,
                             double sharpnessMax, double motionMean, double motionMin, double motionMax,
                             double sceneScoreMax) {
  private static final String[] DOUBLES = {"luma_mean", "luma_min", "luma_max", "sharpness_mean",
      "sharpness_min", "sharpness_max", "motion_mean", "motion_min", "motion_max", "scene_score_max"};
  private static final long[] DOUBLE_OFFSETS = new long[DOUBLES.length];

  static {
    for (int i = 0; i < DOUBLES.length; i++) DOUBLE_OFFSETS[i] = Layouts.offset(CLIP_AGGREGATES, DOUBLES[i]);
  }

  private static final long FRAMES = Layouts.offset(CLIP_AGGREGATES, "frames");
  private static final long BLACK = Layouts.offset(CLIP_AGGREGATES, "black_frames");
  private static final long BLANK = Layouts.offset(CLIP_AGGREGATES, "blank_frames");
  private static final long CUTS = Layouts.offset(CLIP_AGGREGATES, "scene_cuts");

  /** Reads a filled vm_clip_aggregates struct. */
  public static ClipAggregates read(MemorySegment s) {
    double[] d = new double[DOUBLES.length];
    for (int i = 0; i < d.length; i++) d[i] = s.get(JAVA_DOUBLE, DOUBLE_OFFSETS[i]);
    return new ClipAggregates(s.get(JAVA_LONG, FRAMES), s.get(JAVA_LONG, BLACK), s.get(JAVA_LONG, BLANK),
        s.get(JAVA_LONG, CUTS), d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9]);
  }
}
