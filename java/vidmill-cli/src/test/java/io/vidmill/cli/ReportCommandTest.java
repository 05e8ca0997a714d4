package io.vidmill.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** vidmill report: rebuilds the page from OUT alone, every shard of a multi-node run together. */
class ReportCommandTest {
  @TempDir Path dir;

  static JsonNode dataOf(Path html) throws IOException {
    String page = Files.readString(html);
    String open = "<script type=\"application/json\" id=\"vidmill-data\">";
    int from = page.indexOf(open) + open.length();
    return new ObjectMapper().readTree(page.substring(from, page.indexOf("</script>", from)));
  }

  @Test
  void twoShardsInOneOutMakeOneReport() throws Exception {
    List<Path> good = SampleClips.make(dir.resolve("in"));
    long all = good.size() + 2;
    Path out = dir.resolve("out");
    String[] run = {"run", "-i", dir.resolve("in").toString(), "-o", out.toString(), "--progress", "off",
        "--workers", "1", "--shard", "0/2"};
    RunCommandTest.Result first = RunCommandTest.run(run);
    assertThat(first.exit()).as(first.out() + first.err()).isIn(0, 1);
    // the first shard's own report: its clips, the other shard not started
    JsonNode half = dataOf(out.resolve("report.html"));
    assertEquals(1, half.path("shards").path("complete").asInt());
    assertEquals(2, half.path("shards").path("count").asInt());
    long inFirst = half.path("totals").path("clips").asLong();
    assertThat(inFirst).isPositive().isLessThan(all);
    assertThat(out.resolve("metrics-00000-of-00002.json")).exists();
    assertThat(out.resolve("timeline-00000-of-00002.jsonl")).exists();

    run[run.length - 1] = "1/2";
    RunCommandTest.Result second = RunCommandTest.run(run);
    assertThat(second.exit()).as(second.out() + second.err()).isIn(0, 1);
    assertThat(out.resolve("metrics-00001-of-00002.json")).exists();

    Files.delete(out.resolve("report.html"));
    Path elsewhere = dir.resolve("merged.html");
    RunCommandTest.Result r = RunCommandTest.run("report", out.toString(), "--output", elsewhere.toString());
    assertEquals(Main.EXIT_OK, r.exit(), r.out() + r.err());
    assertThat(r.out()).contains("report: " + elsewhere);
    JsonNode d = dataOf(elsewhere);
    assertEquals(all, d.path("totals").path("clips").asLong());
    assertEquals(2, d.path("totals").path("failed").asLong());
    assertEquals(2, d.path("shards").path("complete").asInt());
    long sum = 0;
    for (JsonNode s : d.path("shards").path("rows")) {
      assertThat(s.path("complete").asBoolean()).isTrue();
      sum += s.path("clips").asLong();
    }
    assertEquals(all, sum);
    assertEquals(inFirst, d.path("shards").path("rows").get(0).path("clips").asLong());
    // both shards' timelines, one attempt each
    assertEquals(2, d.path("timeline").path("shards").asInt());
    assertEquals(2, d.path("timeline").path("attempts").asInt());

    // a finished shard run again is a no-op, but puts back a missing report
    RunCommandTest.Result again = RunCommandTest.run(run);
    assertThat(again.out()).contains("already complete").contains("report: ");
    assertEquals(all, dataOf(out.resolve("report.html")).path("totals").path("clips").asLong());
  }

  @Test
  void aFolderWithoutARunIsFatal() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("nothing"));
    RunCommandTest.Result r = RunCommandTest.run("report", empty.toString());
    assertEquals(Main.EXIT_FATAL, r.exit());
    assertThat(r.err()).contains("FATAL").contains("no vidmill run");
  }

  @Test
  void noReportMeansNone() throws Exception {
    Path clip = dir.resolve("a.mp4");
    io.vidmill.synth.SyntheticClip.h264(64, 48, 25, 0.2, 1).write(clip);
    Path list = Files.writeString(dir.resolve("list.txt"), clip + "\n");
    RunCommandTest.Result r = RunCommandTest.run("run", "-i", list.toString(), "-o", dir.resolve("o").toString(),
        "--progress", "off", "--no-report");
    assertEquals(Main.EXIT_OK, r.exit(), r.out() + r.err());
    assertThat(dir.resolve("o/report.html")).doesNotExist();
    assertThat(dir.resolve("o/metrics.json")).exists();
  }
}
