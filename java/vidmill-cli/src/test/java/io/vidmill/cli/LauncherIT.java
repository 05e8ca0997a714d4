package io.vidmill.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** bin/vidmill as a user runs it: a real process, after the build. */
class LauncherIT {
  record Result(int exit, String out, String err) {}

  static Result launch(String... args) throws IOException, InterruptedException {
    return launch(java.util.Map.of(), args);
  }

  static Result launch(java.util.Map<String, String> env, String... args) throws IOException, InterruptedException {
    Path launcher = Path.of(System.getProperty("vidmill.launcher", "../../bin/vidmill"));
    List<String> cmd = new ArrayList<>(List.of(launcher.toString()));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile("vidmill-out", ".txt");
    Path err = Files.createTempFile("vidmill-err", ".txt");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + cmd);
    }
    return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  @Test
  void demoDecodesTheSampleSetAndNamesTheBrokenClips() throws Exception {
    Result r = launch("demo");
    assertEquals(0, r.exit(), r.out() + r.err());
    assertThat(r.out()).contains("summary: 25 clips, 22 decoded, 3 failed (3 of them broken on purpose)")
        .contains("every clip ended as expected");
    assertThat(r.err().lines().toList()).hasSize(3)
        .anyMatch(l -> l.startsWith("ERROR TRUNCATED "))
        .anyMatch(l -> l.startsWith("ERROR NOT_A_VIDEO "))
        .anyMatch(l -> l.startsWith("ERROR EMPTY "));
  }

  @Test
  void aRunKilledWithSigkillLeavesNoDecodingProcessBehind(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    // the demo's clips under many keys: a run long enough to be killed in the middle
    StringBuilder manifest = new StringBuilder();
    List<Path> clips;
    try (var files = Files.list(Path.of("target/demo-clips"))) {
      clips = files.filter(f -> f.getFileName().toString().startsWith("h264")).sorted().toList();
    }
    assertThat(clips).isNotEmpty();
    for (int i = 0; i < 20_000; i++) {
      manifest.append("{\"key\": \"k").append(i).append("\", \"path\": \"")
          .append(clips.get(i % clips.size()).toAbsolutePath()).append("\"}\n");
    }
    Path list = Files.writeString(tmp.resolve("manifest.jsonl"), manifest);
    Path launcher = Path.of(System.getProperty("vidmill.launcher", "../../bin/vidmill"));
    Process p = new ProcessBuilder(launcher.toString(), "run", "--input", list.toString(), "--out",
        tmp.resolve("out").toString(), "--progress", "off", "--no-report", "--workers", "2")
        .redirectOutput(tmp.resolve("out.txt").toFile()).redirectError(tmp.resolve("err.txt").toFile()).start();
    List<ProcessHandle> workers = List.of();
    for (int i = 0; i < 600 && workers.size() < 2 && p.isAlive(); i++) {
      Thread.sleep(50);
      workers = p.descendants().filter(h -> h.info().command().orElse("").endsWith("/vidmill-worker")).toList();
    }
    assertThat(workers).as("the run's decoding processes: %s", Files.readString(tmp.resolve("err.txt"))).hasSize(2);
    p.destroyForcibly(); // SIGKILL: nothing of the run's own code runs after it
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    while (workers.stream().anyMatch(LauncherIT::running) && System.nanoTime() < deadline) Thread.sleep(20);
    assertThat(workers).as("orphaned decoding processes end within a second or so").noneMatch(LauncherIT::running);
  }

  /** Alive and not a zombie (a container's init may be slow to reap what it inherits). */
  private static boolean running(ProcessHandle h) {
    try {
      String stat = Files.readString(Path.of("/proc/" + h.pid() + "/stat"));
      return h.isAlive() && stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void framemd5AndProbeFromTheShell() throws Exception {
    Path media = Path.of(System.getProperty("vidmill.media.dir", "../../../shared/media"));
    assumeTrue(Files.isDirectory(media.resolve("valid")), "test media not found at " + media);
    Path clip = media.resolve("valid/torchcodec_h265_10bits.mp4");
    Result r = launch("framemd5", clip.toString());
    assertEquals(0, r.exit(), r.err());
    List<String> reference = Files.readAllLines(media.resolve("framemd5/torchcodec_h265_10bits.mp4.framemd5"))
        .stream().filter(l -> !l.startsWith("#")).toList();
    assertThat(r.out().lines().filter(l -> !l.startsWith("#")).toList()).containsExactlyElementsOf(reference);

    Path broken = media.resolve("invalid/mp4parse_bipbop_nonfragment_header.mp4");
    Result p = launch("probe", clip.toString(), broken.toString());
    assertEquals(1, p.exit());
    assertThat(p.out().lines().toList()).hasSize(2);
    assertThat(p.err().strip()).startsWith("ERROR TRUNCATED " + broken + ": ");
  }
}
