package io.vidmill.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import com.code_intelligence.jazzer.mutation.annotation.WithSize;
import io.vidmill.synth.SyntheticClip;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Command lines built by the fuzzer: a bad value is a usage error (exit 2 with a message),
 * never a stack trace or a FATAL exit 3. {@code run} is parsed and its options checked, never
 * started; {@code probe}, {@code framemd5} and {@code frames} run, but on files of a temporary
 * folder whatever paths the fuzzer wrote; the other commands are parsed only.
 */
class CliFuzzTest {
  @TempDir static Path dir;
  private static List<Path> files;

  @BeforeAll
  static void files() throws Exception {
    Path clip = dir.resolve("clip.mp4");
    SyntheticClip.h264(32, 24, 25, 0.12, 0).write(clip);
    files = List.of(clip, Files.writeString(dir.resolve("text.mp4"), "not a video"), dir.resolve("missing.mp4"));
  }

  static Stream<Arguments> commandLine() {
    return Stream.of(
        List.of("run", "--input", "m.txt", "--out", "o", "--workers", "2", "--shard", "1/4", "--clip-timeout", "5"),
        List.of("run", "-i", "-", "-o", "o", "--max-bytes-in-flight", "64M", "--format", "jsonl", "--threads", "1",
            "--commit-interval", "0.5", "--part-rows", "10", "--retries", "0", "--progress", "log",
            "--log-interval", "1", "--timeout", "2", "--max-pixels", "1000", "--metrics-port", "0"),
        List.of("probe", "--count-frames", "--threads", "0", "a.mp4", "b.mkv"),
        List.of("framemd5", "--timeout", "1", "--allow-codec", "vvc", "x.mp4"),
        List.of("frames", "--format", "gray8", "--size", "16x16", "--fit", "crop", "--stats", "x.mp4"),
        List.of("report", "o", "--thumbnails", "3"),
        List.of("bench", "open", "--repeat", "2", "x.mp4"),
        List.of("demo", "--workers", "2"),
        List.of("--help")).map(a -> Arguments.of(a));
  }

  @MethodSource
  @FuzzTest(maxDuration = "10m")
  // values at and past the edges of every range, and the options that take them
  @DictionaryEntries({"-1", "0", "-0.5", "NaN", "Infinity", "1e309", "9223372036854775807", "auto", "1/0", "0/0",
      "--threads", "--timeout", "--max-pixels", "--clip-timeout", "--retries", "--commit-interval", "--part-rows",
      "--log-interval", "--workers", "--fetch-concurrency", "--max-bytes-in-flight", "--shard", "--shards",
      "--metrics-port", "--size", "--fit", "--format", "--progress", "--path-column", "--extensions"})
  void commandLine(@NotNull @WithSize(max = 24) List<@NotNull String> args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
    cmd.setExecutionStrategy(CliFuzzTest::executeSafely);
    int rc = cmd.execute(args.toArray(String[]::new));
    String errors = err.toString();
    assertThat(rc).as("exit status of %s: %s", args, errors).isIn(Main.EXIT_OK, Main.EXIT_CLIPS_FAILED, Main.EXIT_USAGE);
    assertThat(errors).as("stderr of %s", args).doesNotContain("FATAL").doesNotContain("Exception")
        .doesNotContain("\tat ");
    if (rc == Main.EXIT_USAGE) assertThat(errors).as("a usage error says what is wrong").isNotBlank();
  }

  /** Runs what is safe to run: run's option checks, the file commands on the temporary files. */
  private static int executeSafely(CommandLine.ParseResult parsed) {
    Integer help = CommandLine.executeHelpRequest(parsed);
    if (help != null) return help;
    CommandLine.ParseResult leaf = parsed;
    while (leaf.hasSubcommand()) leaf = leaf.subcommand();
    try {
      switch (leaf.commandSpec().userObject()) {
        case RunCommand run -> {
          run.options();
          return Main.EXIT_OK;
        }
        case ProbeCommand probe -> probe.files = probe.files.stream().map(CliFuzzTest::temporary).toList();
        case FrameMd5Command md5 -> md5.file = temporary(md5.file);
        case FramesCommand frames -> {
          frames.file = temporary(frames.file);
          frames.raw = frames.raw == null ? null : dir.resolve("raw.bin");
        }
        default -> {
          return Main.EXIT_OK; // parsed; not run (demo, bench, report, version: they write or take long)
        }
      }
    } catch (CommandLine.ParameterException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new CommandLine.ExecutionException(leaf.commandSpec().commandLine(), e.toString(), e);
    }
    return new CommandLine.RunLast().execute(parsed);
  }

  private static Path temporary(Path fuzzed) {
    return files.get(Math.floorMod(fuzzed.toString().hashCode(), files.size()));
  }
}
