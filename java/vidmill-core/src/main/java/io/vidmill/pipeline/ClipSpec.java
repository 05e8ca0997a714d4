package io.vidmill.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vidmill.dataset.FrameFormat;
import io.vidmill.decode.Sampling;
import io.vidmill.ops.ImageEncoder;
import io.vidmill.ops.Output;
import io.vidmill.ops.PixelFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * What to make of each clip besides its result row, the same for every clip of a run (and for
 * every stream of an {@link Engine}): which frames ({@code --sample} and its window and cap),
 * how they come out ({@code --size}, {@code --format}, ...), whether they get statistics, and
 * what is written of them ({@code --frames}, {@code --frames-table}). {@link #DEFAULT} is a
 * plain run: every frame decoded in its native format and nothing kept, as fast as decoding
 * alone.
 *
 * @param sampling which frames each clip returns
 * @param output how they come out; {@link Output#NATIVE} for as decoded (then nothing can be written)
 * @param stats per-frame statistics (and their per-clip aggregates in the results)
 * @param frames what is written of the frames to the tar shards under OUT/frames/
 * @param quality JPEG quality, 1..100 on libjpeg's scale
 * @param frameTable a row per selected frame in OUT/frames_table/
 */
public record ClipSpec(Sampling sampling, Output output, boolean stats, FrameFormat frames, int quality,
                       boolean frameTable) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static final ClipSpec DEFAULT =
      new ClipSpec(Sampling.ALL, Output.NATIVE, false, FrameFormat.NONE, ImageEncoder.DEFAULT_QUALITY, false);

  public ClipSpec {
    Objects.requireNonNull(sampling, "sampling");
    Objects.requireNonNull(output, "output");
    Objects.requireNonNull(frames, "frames");
    if (frames != FrameFormat.NONE && output.format() == PixelFormat.NATIVE)
      throw new IllegalArgumentException("--frames " + frames + " needs converted frames: rgb24, bgr24 or gray8");
    if (quality < 1 || quality > 100) throw new IllegalArgumentException("JPEG quality " + quality + " is not within 1..100");
  }

  public ClipSpec withSampling(Sampling s) {
    return new ClipSpec(s, output, stats, frames, quality, frameTable);
  }

  public ClipSpec withOutput(Output o) {
    return new ClipSpec(sampling, o, stats, frames, quality, frameTable);
  }

  public ClipSpec withStats(boolean b) {
    return new ClipSpec(sampling, output, b, frames, quality, frameTable);
  }

  public ClipSpec withFrames(FrameFormat f, int jpegQuality) {
    return new ClipSpec(sampling, output, stats, f, jpegQuality, frameTable);
  }

  public ClipSpec withFrameTable(boolean b) {
    return new ClipSpec(sampling, output, stats, frames, quality, b);
  }

  /** Frames are converted (and so copied into the batch). */
  public boolean converts() {
    return output.format() != PixelFormat.NATIVE;
  }

  /** Something is kept of each frame: files in the shards, or rows of the frames table. */
  public boolean keepsFrames() {
    return frames != FrameFormat.NONE || frameTable;
  }

  /**
   * What makes two runs the same: a run resumed with other outputs would leave a dataset half
   * of one kind and half of another, so OUT records this and a resume must match it.
   */
  public ObjectNode toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("sample", sampling.toString());
    ObjectNode out = o.putObject("output");
    out.put("format", output.format().name().toLowerCase(Locale.ROOT));
    out.put("width", output.width());
    out.put("height", output.height());
    out.put("resize", output.resize().name().toLowerCase(Locale.ROOT));
    out.put("filter", output.filter().name().toLowerCase(Locale.ROOT));
    out.put("rotate", output.applyOrientation());
    o.put("stats", stats);
    o.put("frames", frames.toString());
    if (frames == FrameFormat.JPEG) o.put("quality", quality);
    o.put("frames_table", frameTable);
    return o;
  }
}
