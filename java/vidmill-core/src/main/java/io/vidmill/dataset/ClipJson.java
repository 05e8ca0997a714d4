package io.vidmill.dataset;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vidmill.decode.ClipInfo;
import io.vidmill.decode.Rational;
import io.vidmill.ops.ClipAggregates;
import io.vidmill.ops.FrameStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * The JSON of frame statistics and clip aggregates, and the {@code KEY.json} member of a
 * clip: the same field names wherever vidmill writes them ({@code vidmill frames}, the shards,
 * docs/outputs.md).
 */
public final class ClipJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ClipJson() {}

  /** The statistics of a frame, as fields of {@code o}; motion and scene score null for the first. */
  public static void putStats(ObjectNode o, FrameStats s) {
    o.put("luma_mean", s.lumaMean());
    o.put("luma_std", s.lumaStd());
    o.put("dark_fraction", s.darkFraction());
    o.put("black", s.black());
    o.put("blank", s.blank());
    o.put("sharpness", s.sharpness());
    if (s.hasPrevious()) {
      o.put("motion", s.motion());
      o.put("scene_score", s.sceneScore());
    } else {
      o.putNull("motion");
      o.putNull("scene_score");
    }
    o.put("scene_cut", s.sceneCut());
    o.put("dhash", s.dhashHex());
  }

  /** A clip's aggregates; the motion fields only once two frames had statistics. */
  public static ObjectNode aggregates(ClipAggregates a) {
    ObjectNode agg = JSON.createObjectNode();
    agg.put("frames", a.frames());
    agg.put("black_frames", a.blackFrames());
    agg.put("blank_frames", a.blankFrames());
    agg.put("scene_cuts", a.sceneCuts());
    agg.put("luma_mean", a.lumaMean());
    agg.put("luma_min", a.lumaMin());
    agg.put("luma_max", a.lumaMax());
    agg.put("sharpness_mean", a.sharpnessMean());
    agg.put("sharpness_min", a.sharpnessMin());
    agg.put("sharpness_max", a.sharpnessMax());
    if (a.motionMean() >= 0) {
      agg.put("motion_mean", a.motionMean());
      agg.put("motion_min", a.motionMin());
      agg.put("motion_max", a.motionMax());
      agg.put("scene_score_max", a.sceneScoreMax());
    }
    return agg;
  }

  /** A frame of the clip's json: index, member, timestamps, size, statistics. */
  public static ObjectNode frame(FrameRecord r) {
    ObjectNode o = JSON.createObjectNode();
    o.put("index", r.index());
    if (r.file() != null) o.put("file", r.file());
    if (r.pts() != Long.MIN_VALUE) o.put("pts", r.pts()); else o.putNull("pts");
    if (!Double.isNaN(r.time())) o.put("time", r.time()); else o.putNull("time");
    o.put("key_frame", r.keyFrame());
    o.put("width", r.width());
    o.put("height", r.height());
    if (r.stats() != null) putStats(o, r.stats());
    return o;
  }

  /**
   * The clip's {@code KEY.json}: who it is (the real key, its URI, the manifest's columns), what
   * it is, how its frames were chosen and made, and each frame.
   *
   * @param outputs what the run makes of every clip (the same object as in run.json)
   */
  public static byte[] clip(String key, String uri, String sampleKey, Map<String, String> columns, ClipInfo info,
                            ObjectNode outputs, List<FrameRecord> frames, ClipAggregates aggregates) {
    ObjectNode o = JSON.createObjectNode();
    o.put("key", key);
    o.put("uri", uri);
    o.put("sample_key", sampleKey);
    ObjectNode c = o.putObject("clip");
    c.put("container", info.container());
    c.put("codec", info.codec());
    c.put("width", info.width());
    c.put("height", info.height());
    c.put("pix_fmt", info.pixFmt());
    c.put("rotation", info.rotation());
    c.put("mirror", info.mirror());
    Rational fps = info.avgFrameRate().known() ? info.avgFrameRate() : info.guessedFrameRate();
    if (fps.known()) c.put("fps", fps.toDouble()); else c.putNull("fps");
    if (!Double.isNaN(info.durationSeconds())) c.put("duration", info.durationSeconds()); else c.putNull("duration");
    if (info.timeBase().known()) c.put("time_base", info.timeBase().num() + "/" + info.timeBase().den());
    o.set("outputs", outputs);
    ArrayNode fs = o.putArray("frames");
    for (FrameRecord r : frames) fs.add(frame(r));
    if (aggregates != null) o.set("aggregates", aggregates(aggregates));
    ObjectNode cols = o.putObject("columns");
    columns.forEach(cols::put);
    try {
      return JSON.writeValueAsBytes(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
