package io.vidmill.cli;

import io.vidmill.ClipException;
import io.vidmill.decode.Clip;
import io.vidmill.decode.DecodeResult;
import io.vidmill.decode.FrameBatch;
import io.vidmill.decode.FrameMd5Format;
import io.vidmill.decode.OpenOptions;
import io.vidmill.decode.Sampling;
import io.vidmill.decode.Source;
import io.vidmill.decode.Want;
import io.vidmill.nativelib.NativeLibrary;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "framemd5",
    description = {
        "Prints one MD5 line per decoded frame, like",
        "  ffmpeg -nostdin -v error -noautorotate -i FILE -map 0:v:0 -fps_mode passthrough -f framemd5 -",
        "(lines starting with # may differ): compare vidmill with ffmpeg on your own files.",
        "With --sample, --start, --end or --max-frames only the selected frames' lines are printed:",
        "the lines of ffmpeg's full framemd5 that the rule selects (docs/sampling.md).",
        "Frames decoded before an error are printed, then the ERROR line goes to stderr."})
final class FrameMd5Command implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", description = "The clip.")
  Path file;

  @Mixin DecodeOptions decode;

  @Mixin SamplingOptions sampling;

  @Mixin DeviceOptions devices;

  @Override
  public Integer call() {
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    Sampling selection = sampling.sampling();
    if (!Main.requireNative(err) || !devices.usable(err)) return Main.EXIT_FATAL;
    // full stream analysis: ffmpeg's output time base comes from its frame rate guess
    OpenOptions options = decode.options().withFullProbe(true).withDevice(devices.device());
    try (Clip clip = Clip.open(Source.of(file), options, selection);
         FrameBatch batch = FrameBatch.allocate(32, Want.MD5)) {
      FrameMd5Format format = new FrameMd5Format(clip.info());
      format.header(NativeLibrary.version()).forEach(out::println);
      DecodeResult result = clip.decodeAll(batch, f -> out.println(format.line(f)));
      out.flush();
      if (!result.ok()) {
        err.println(Main.errorLine(result.status().name(), file.toString(), result.message()));
        return Main.EXIT_CLIPS_FAILED;
      }
      return Main.EXIT_OK;
    } catch (ClipException e) {
      err.println(Main.errorLine(e.status().name(), file.toString(), e.detail()));
      return Main.EXIT_CLIPS_FAILED;
    }
  }
}
