package io.vidmill.cli;

import io.vidmill.decode.Sampling;
import java.math.BigDecimal;
import java.time.Duration;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Which frames of each clip a command returns: {@code --sample}, {@code --start}, {@code --end},
 * {@code --max-frames}. A mixin, so that every command that decodes spells them the same way.
 */
final class SamplingOptions {
  @Spec(Spec.Target.MIXEE) CommandSpec spec;

  @Option(names = "--sample", paramLabel = "RULE", defaultValue = "all",
      description = {"Which frames: all, every=N, fps=K (7.5, 30000/1001), uniform=N, keyframes "
          + "(default: ${DEFAULT-VALUE}). Frame-exact: the frames a full decode followed by the selection "
          + "gives; only what they need is decoded. See docs/sampling.md."})
  String sample;

  @Option(names = "--start", paramLabel = "TIME",
      description = "Only frames at or after this clip time: seconds (2.5) or [HH:]MM:SS[.frac].")
  String start;

  @Option(names = "--end", paramLabel = "TIME", description = "Only frames before this clip time.")
  String end;

  @Option(names = "--max-frames", paramLabel = "N",
      description = "At most N frames per clip (a cap: the clip still succeeds); 0 = no cap.")
  long maxFrames;

  /** The sampling these options ask for; a bad value is a usage error (exit 2). */
  Sampling sampling() {
    try {
      return Sampling.parse(sample)
          .withWindow(start == null ? null : time(start, "--start"), end == null ? null : time(end, "--end"))
          .withMaxFrames(maxFrames);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /** Seconds ("2.5", "-1") or ffmpeg's duration syntax ("01:02.5", "1:00:00"). */
  static Duration time(String text, String option) {
    String t = text.strip();
    try {
      boolean negative = t.startsWith("-");
      if (negative) t = t.substring(1);
      String[] parts = t.split(":", -1);
      if (parts.length > 3) throw new NumberFormatException();
      BigDecimal seconds = BigDecimal.ZERO;
      for (int i = 0; i < parts.length; i++) {
        BigDecimal v = new BigDecimal(parts[i]);
        if (v.signum() < 0 || (i < parts.length - 1 && v.scale() > 0)) throw new NumberFormatException();
        seconds = seconds.multiply(BigDecimal.valueOf(i == 0 ? 1 : 60)).add(v);
      }
      long nanos = seconds.movePointRight(9).setScale(0, java.math.RoundingMode.HALF_UP).longValueExact();
      return Duration.ofNanos(negative ? -nanos : nanos);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException(option + " " + text + ": not a time (seconds, or [HH:]MM:SS[.frac])");
    }
  }
}
