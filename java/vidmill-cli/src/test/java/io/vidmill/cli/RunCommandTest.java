package io.vidmill.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vidmill.synth.SyntheticClip;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** vidmill run's command line: options, messages, exit codes. */
class RunCommandTest {
  @TempDir Path dir;

  record Result(int exit, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Result(exit, out.toString(), err.toString());
  }

  @Test
  void aDirectoryWithABrokenClipFinishesWithExitOneAndLogLines() throws Exception {
    Path clips = Files.createDirectories(dir.resolve("in"));
    for (int i = 0; i < 6; i++) {
      SyntheticClip.h264(96, 64, 25, 0.4, i).withEncoder("mpeg4").write(clips.resolve("c" + i + ".mkv"));
    }
    Files.writeString(clips.resolve("notes.mp4"), "not a video");
    Files.writeString(clips.resolve("readme.txt"), "not picked: wrong extension");
    Path out = dir.resolve("out");
    Result r = run("run", "-i", clips.toString(), "-o", out.toString(), "--progress", "log", "--log-interval", "0.05",
        "--workers", "2", "--profile");
    assertEquals(Main.EXIT_CLIPS_FAILED, r.exit(), r.out() + r.err());
    assertThat(r.out()).contains("tuning: auto, starting with 2 decoders x 1 thread").contains("(--workers 2)").contains("shard 0/1 (no sharding)")
        .contains("summary: 6 clips ok, 1 failed (NOT_A_VIDEO=1)").contains("profile (summed over all workers")
        .contains("decode ").contains("tuning: kept 2 decoders x 1 thread");
    assertThat(Files.readAllLines(out.resolve("failures.jsonl"))).singleElement().asString().contains("notes.mp4");
    assertThat(out.resolve("summary.json")).exists();

    Result again = run("run", "-i", clips.toString(), "-o", out.toString());
    assertEquals(Main.EXIT_CLIPS_FAILED, again.exit());
    assertThat(again.out()).contains("already complete").contains("6 clips ok, 1 failed; nothing to do");
  }

  @Test
  void allGoodIsExitZero() throws Exception {
    Path clip = dir.resolve("a.mp4");
    SyntheticClip.h264(64, 48, 25, 0.2, 1).write(clip);
    Path list = Files.writeString(dir.resolve("list.txt"), clip + "\n");
    Result r = run("run", "-i", list.toString(), "-o", dir.resolve("out").toString(), "--progress", "off");
    assertEquals(Main.EXIT_OK, r.exit(), r.out() + r.err());
    assertThat(r.out()).contains("summary: 1 clips ok, 0 failed");
  }

  @Test
  void badOptionsAreExitTwo() {
    String out = dir.resolve("o").toString();
    assertEquals(Main.EXIT_USAGE, run("run", "-i", "x", "-o", out, "--shard", "5/3").exit());
    assertEquals(Main.EXIT_USAGE, run("run", "-i", "x", "-o", out, "--workers", "many").exit());
    assertEquals(Main.EXIT_USAGE, run("run", "-i", "x", "-o", out, "--format", "xml").exit());
    assertEquals(Main.EXIT_USAGE, run("run", "-o", out).exit());
  }

  @Test
  void anUnreadableManifestIsFatal() {
    Result r = run("run", "-i", dir.resolve("missing.txt").toString(), "-o", dir.resolve("o").toString());
    assertEquals(Main.EXIT_FATAL, r.exit());
    assertThat(r.err()).contains("FATAL").contains("missing.txt");
  }

  /**
   * --device: auto on a machine without a usable GPU decodes on the CPU and every row says why;
   * cuda there is fatal (exit 3) with what to do; a bad value is a usage error. On a GPU host
   * the first two are skipped (GpuDecodeTest and bench/gpu/run.sh check that machine).
   */
  @Test
  void deviceAutoWithoutAGpuRunsOnTheCpuAndSaysSoWhileCudaIsFatal() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeFalse(io.vidmill.gpu.Cuda.isAvailable(), "a GPU decodes here");
    Path clips = Files.createDirectories(dir.resolve("in"));
    SyntheticClip.h264(64, 48, 25, 0.2, 1).write(clips.resolve("a.mp4"));
    SyntheticClip.h264(64, 48, 25, 0.2, 2).withEncoder("mpeg4").write(clips.resolve("b.mkv"));
    Path out = dir.resolve("out");
    Result r = run("run", "-i", clips.toString(), "-o", out.toString(), "--progress", "off", "--no-report");
    assertEquals(Main.EXIT_OK, r.exit(), r.out() + r.err());
    assertThat(r.out()).contains("device auto: no GPU decodes, every clip decodes on the CPU");
    try (var c = java.sql.DriverManager.getConnection("jdbc:duckdb:");
         var rs = c.createStatement().executeQuery("SELECT backend, backend_reason FROM '" + out.resolve("clips")
             + "/*.parquet'")) {
      int rows = 0;
      while (rs.next()) {
        rows++;
        assertEquals("cpu", rs.getString(1));
        assertThat(rs.getString(2)).startsWith("NO_GPU: ");
      }
      assertEquals(2, rows);
    }
    Result cpu = run("run", "-i", clips.toString(), "-o", dir.resolve("cpu").toString(), "--progress", "off",
        "--no-report", "--device", "cpu");
    assertEquals(Main.EXIT_OK, cpu.exit(), cpu.out() + cpu.err());
    try (var c = java.sql.DriverManager.getConnection("jdbc:duckdb:");
         var rs = c.createStatement().executeQuery("SELECT count(*) FROM '" + dir.resolve("cpu").resolve("clips")
             + "/*.parquet' WHERE backend = 'cpu' AND backend_reason IS NULL")) {
      rs.next();
      assertEquals(2, rs.getInt(1), "--device cpu: nothing to explain");
    }

    Result cuda = run("run", "-i", clips.toString(), "-o", dir.resolve("cuda").toString(), "--device", "cuda");
    assertEquals(Main.EXIT_FATAL, cuda.exit(), cuda.out() + cuda.err());
    assertThat(cuda.err()).contains("FATAL --device cuda: ").contains("--device auto decodes on the CPU");
    Result one = run("framemd5", "--device", "cuda:1", clips.resolve("a.mp4").toString());
    assertEquals(Main.EXIT_FATAL, one.exit());
    assertThat(one.err()).contains("FATAL --device cuda:1");
  }

  @Test
  void aBadDeviceIsAUsageError() {
    Result r = run("run", "-i", "x", "-o", dir.resolve("o").toString(), "--device", "tpu");
    assertEquals(Main.EXIT_USAGE, r.exit());
    assertThat(r.err()).contains("--device is auto, cpu, cuda or cuda:N");
  }
}
