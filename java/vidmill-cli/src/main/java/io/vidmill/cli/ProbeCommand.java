package io.vidmill.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vidmill.ClipException;
import io.vidmill.decode.Clip;
import io.vidmill.decode.ClipInfo;
import io.vidmill.decode.DecodeResult;
import io.vidmill.decode.FrameBatch;
import io.vidmill.decode.Source;
import io.vidmill.decode.Status;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "probe",
    description = {
        "Prints one JSON object per file (JSON Lines): container, codec, profile, size, pixel",
        "format, bit depth, rotation and mirror, duration, frame rate, declared frame count,",
        "encryption, and the error when the file cannot be read (also as an ERROR line on stderr)."})
final class ProbeCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Spec CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "FILE", description = "Clips to describe.")
  List<Path> files;

  @Option(names = "--count-frames",
      description = "Also decode every frame: frames_decoded, decode_errors, and the errors only decoding finds.")
  boolean countFrames;

  @Mixin DecodeOptions decode;

  @Mixin DeviceOptions devices;

  @Override
  public Integer call() throws Exception {
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    if (!Main.requireNative(err) || (countFrames && !devices.usable(err))) return Main.EXIT_FATAL;
    int failed = 0;
    for (Path file : files) {
      ObjectNode row = JSON.createObjectNode();
      row.put("file", file.toString());
      String errorCode = null;
      String errorMessage = null;
      try (Clip clip = Clip.open(Source.of(file),
          decode.options().withFullProbe(true).withOpenDecoder(countFrames).withDevice(devices.device()))) {
        if (countFrames) {
          try (FrameBatch batch = FrameBatch.allocate(64)) {
            DecodeResult r = clip.decodeAll(batch, f -> {});
            row.put("frames_decoded", r.frames());
            row.put("decode_errors", r.stats().decodeErrors());
            if (!r.ok()) {
              errorCode = r.status().name();
              errorMessage = r.message();
            }
          }
        }
        ClipInfo info = clip.info();
        describe(row, info);
        if (countFrames) backend(row, info);
        if (errorCode == null && info.truncated()) {
          errorCode = Status.TRUNCATED.name();
          errorMessage = "the container declares more data than the file holds: decoding would stop early";
        }
      } catch (ClipException e) {
        describe(row, e.info());
        errorCode = e.status().name();
        errorMessage = e.detail();
      }
      if (errorCode != null) {
        failed++;
        ObjectNode error = row.putObject("error");
        error.put("code", errorCode);
        error.put("message", errorMessage);
        err.println(Main.errorLine(errorCode, file.toString(), errorMessage));
      } else {
        row.putNull("error");
      }
      out.println(JSON.writeValueAsString(row));
    }
    return failed == 0 ? Main.EXIT_OK : Main.EXIT_CLIPS_FAILED;
  }

  /** Where the frames were decoded (with --count-frames): "cpu" or "cuda:N", and why not on the GPU. */
  static void backend(ObjectNode row, ClipInfo i) {
    row.put("backend", i.backend());
    putText(row, "backend_reason", i.backendReason());
  }

  static void describe(ObjectNode row, ClipInfo i) {
    row.put("container", i.container());
    putText(row, "codec", i.codec());
    putText(row, "profile", i.profile());
    putText(row, "decoder", i.decoder());
    putPositive(row, "width", i.width());
    putPositive(row, "height", i.height());
    putText(row, "pix_fmt", i.pixFmt());
    putPositive(row, "bit_depth", i.bitDepth());
    row.put("rotation", i.rotation());
    row.put("mirror", i.mirror());
    if (i.durationMicros() >= 0) row.put("duration", i.durationSeconds()); else row.putNull("duration");
    if (i.avgFrameRate().known()) {
      row.put("avg_fps", i.avgFrameRate().toDouble());
      row.put("avg_frame_rate", i.avgFrameRate().toString());
    } else {
      row.putNull("avg_fps");
      row.putNull("avg_frame_rate");
    }
    if (i.declaredFrames() > 0) row.put("declared_frames", i.declaredFrames()); else row.putNull("declared_frames");
    row.put("encrypted", i.encrypted());
    row.put("truncated", i.truncated());
    if (i.sampleAspectRatio().known()) row.put("sar", i.sampleAspectRatio().toString()); else row.putNull("sar");
    if (i.timeBase().known()) row.put("time_base", i.timeBase().toString()); else row.putNull("time_base");
    putText(row, "color_range", i.colorRange());
    putText(row, "color_space", i.colorSpace());
    putText(row, "color_primaries", i.colorPrimaries());
    putText(row, "color_transfer", i.colorTransfer());
    if (i.sizeBytes() >= 0) row.put("size_bytes", i.sizeBytes()); else row.putNull("size_bytes");
    if (i.bitRate() > 0) row.put("bit_rate", i.bitRate()); else row.putNull("bit_rate");
  }

  private static void putText(ObjectNode row, String key, String value) {
    if (value == null || value.isEmpty()) row.putNull(key); else row.put(key, value);
  }

  private static void putPositive(ObjectNode row, String key, int value) {
    if (value > 0) row.put(key, value); else row.putNull(key);
  }
}
