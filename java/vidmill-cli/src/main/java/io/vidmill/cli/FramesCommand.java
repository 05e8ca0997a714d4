package io.vidmill.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vidmill.ClipException;
import io.vidmill.decode.Clip;
import io.vidmill.decode.DecodeResult;
import io.vidmill.decode.Frame;
import io.vidmill.decode.FrameBatch;
import io.vidmill.decode.Rational;
import io.vidmill.decode.Source;
import io.vidmill.decode.Want;
import io.vidmill.dataset.ClipJson;
import io.vidmill.ops.ClipAggregates;
import io.vidmill.ops.FrameStats;
import io.vidmill.ops.Output;
import io.vidmill.ops.PixelFormat;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "frames",
    description = {
        "Decodes a clip through the frame operations and prints one JSON object per frame (JSON",
        "Lines): pts, time, size and pixel format of the output, its MD5, and with --stats the",
        "frame statistics; then one line with the clip's aggregates. --raw writes the pixels."})
final class FramesCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Spec CommandSpec spec;

  @Parameters(index = "0", description = "The clip.")
  Path file;

  @Option(names = "--format", paramLabel = "FMT", description = "rgb24, bgr24, gray8 or native (default: rgb24).")
  String format = "rgb24";

  @Mixin OutputOptions outputs;

  @Option(names = "--stats", description = "Frame statistics: luma, black/blank, sharpness, motion, scene cut, dHash.")
  boolean stats;

  @Option(names = "--raw", paramLabel = "OUT", description = "Write every frame's packed pixels to OUT, one after another.")
  Path raw;

  @Mixin DecodeOptions decode;

  @Mixin DeviceOptions devices;

  @Override
  public Integer call() throws IOException {
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    Output output;
    try {
      output = outputs.output(PixelFormat.parse(format));
    } catch (IllegalArgumentException e) {
      err.println("vidmill frames: " + e.getMessage());
      return Main.EXIT_USAGE;
    }
    if (!Main.requireNative(err) || !devices.usable(err)) return Main.EXIT_FATAL;
    List<Want> wants = new ArrayList<>(List.of(Want.MD5));
    if (stats) wants.add(Want.STATS);
    if (raw != null) wants.add(Want.PIXELS);
    try (Clip clip = Clip.open(Source.of(file), decode.options().withDevice(devices.device()));
         FrameBatch batch = FrameBatch.allocate(16, wants.toArray(Want[]::new));
         OutputStream pixels = raw == null ? OutputStream.nullOutputStream() : Files.newOutputStream(raw)) {
      clip.setOutput(output);
      Rational tb = clip.info().timeBase();
      long[] index = {0};
      DecodeResult result = clip.decodeAll(batch, f -> {
        out.println(line(index[0]++, f, tb));
        if (f.pixels() != null) write(pixels, f);
      });
      if (stats) out.println(JSON.writeValueAsString(aggregates(clip.aggregates())));
      out.flush();
      if (!result.ok()) {
        err.println(Main.errorLine(result.status().name(), file.toString(), result.message()));
        return Main.EXIT_CLIPS_FAILED;
      }
      return Main.EXIT_OK;
    } catch (ClipException e) {
      err.println(Main.errorLine(e.status().name(), file.toString(), e.detail()));
      return Main.EXIT_CLIPS_FAILED;
    } catch (IllegalArgumentException e) {
      err.println("vidmill frames: " + e.getMessage());
      return Main.EXIT_USAGE;
    }
  }

  private static void write(OutputStream o, Frame f) {
    try {
      o.write(f.pixels().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String line(long index, Frame f, Rational tb) {
    ObjectNode row = JSON.createObjectNode();
    row.put("index", index);
    if (f.pts() != Long.MIN_VALUE) {
      row.put("pts", f.pts());
      if (tb.known()) row.put("time", f.pts() * tb.toDouble());
    } else {
      row.putNull("pts");
    }
    row.put("key", f.keyFrame());
    row.put("width", f.width());
    row.put("height", f.height());
    row.put("pix_fmt", f.pixFmt());
    row.put("size", f.dataSize());
    row.put("md5", f.md5Hex());
    FrameStats s = f.stats();
    if (s != null) ClipJson.putStats(row, s);
    try {
      return JSON.writeValueAsString(row);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ObjectNode aggregates(ClipAggregates a) {
    ObjectNode row = JSON.createObjectNode();
    row.set("aggregates", ClipJson.aggregates(a));
    return row;
  }
}
