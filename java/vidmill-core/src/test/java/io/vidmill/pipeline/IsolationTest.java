package io.vidmill.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vidmill.isolate.Isolation;
import io.vidmill.isolate.Worker;
import io.vidmill.manifest.Manifest;
import io.vidmill.shard.Shard;
import io.vidmill.testing.Results;
import io.vidmill.testing.TinyClips;
import io.vidmill.tune.TuneOptions;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decoding in supervised child processes: a native crash (the library's test-only switch makes
 * it SIGSEGV on a chosen clip) costs that clip a CRASHED row and nothing else; results are the
 * same as decoding in-process; a child over its memory limit is killed.
 */
class IsolationTest {
  @TempDir static Path dir;
  static List<Path> clips;

  @BeforeAll
  static void corpus() throws Exception {
    clips = TinyClips.make(dir.resolve("clips"), 24);
    Files.copy(clips.get(5), dir.resolve("clips").resolve("crash-here.mp4"));
  }

  @AfterEach
  void noCrashes() {
    System.clearProperty(Worker.CRASH_ON_PROPERTY);
  }

  static RunOptions options(Path out, Isolation isolation) {
    return new RunOptions(dir.resolve("clips").toString(), Manifest.Format.AUTO, null, Manifest.DEFAULT_EXTENSIONS,
        out, Shard.ALL, TuneOptions.fixed(2, 1, 8, 64L << 20), Duration.ofSeconds(60), 0,
        io.vidmill.decode.OpenOptions.DEFAULTS.withThreads(1), Duration.ofMillis(500), 1000, Progress.Mode.OFF,
        Duration.ofSeconds(10), false).withIsolation(isolation);
  }

  static Run.Summary run(RunOptions o) throws Exception {
    return new Run(o, new PrintWriter(new StringWriter()), new ByteArrayInputStream(new byte[0])).execute();
  }

  static Map<String, List<Object>> rows(Path out) throws Exception {
    Map<String, List<Object>> m = new HashMap<>();
    try (Results r = new Results(out)) {
      for (var row : r.query("SELECT key, status, error, frames_decoded, codec, width, height FROM CLIPS")) {
        m.put((String) row.get("key"), List.of(row.get("status"), String.valueOf(row.get("error")),
            row.get("frames_decoded"), String.valueOf(row.get("codec")), String.valueOf(row.get("width"))));
      }
    }
    return m;
  }

  @Test
  void aClipThatCrashesItsDecoderIsCrashedAndQuarantinedAndTheRunGoesOn() throws Exception {
    System.setProperty(Worker.CRASH_ON_PROPERTY, "crash-here");
    Path out = dir.resolve("out-crash");
    Run run = new Run(options(out, Isolation.PROCESSES), new PrintWriter(new StringWriter()),
        new ByteArrayInputStream(new byte[0]));
    Run.Summary s = run.execute();
    assertEquals(24, s.ok());
    assertEquals(1, s.failed());
    assertEquals(Map.of("CRASHED", 1L), s.failuresByCode());
    assertEquals(2, run.stats().workerDeaths.sum(), "tried once more in a fresh process, then quarantined");
    Map<String, List<Object>> rows = rows(out);
    assertEquals(25, rows.size());
    List<Object> crashed = rows.get("crash-here.mp4");
    assertEquals("CRASHED", crashed.get(0));
    assertThat((String) crashed.get(1)).contains("killed by SIGSEGV").contains("quarantined")
        .containsPattern("report: .*/crashes/vidmill-worker-[0-9]+\\.crash");
    // each dying process's report is kept where the message says: the signal, the clip, where it struck
    try (var reports = Files.list(out.resolve("crashes"))) {
      List<Path> r = reports.filter(p -> p.getFileName().toString().matches("vidmill-worker-[0-9]+\\.crash")).toList();
      assertThat(r).hasSize(2);
      for (Path p : r) assertThat(Files.readString(p)).contains("SIGSEGV").contains("crash-here.mp4").contains("# Backtrace:");
    }
    assertThat(ProcessHandle.current().children().filter(ProcessHandle::isAlive)).isEmpty();
  }

  @Test
  void decodingProcessesGiveTheSameRowsAsThisProcess() throws Exception {
    Path inProcess = dir.resolve("out-inprocess");
    Path isolated = dir.resolve("out-isolated");
    run(options(inProcess, Isolation.NONE));
    run(options(isolated, Isolation.PROCESSES));
    Map<String, List<Object>> a = rows(inProcess);
    assertEquals(25, a.size());
    assertEquals(a, rows(isolated));
    assertThat(isolated.resolve("crashes")).doesNotExist(); // removed again: nothing died
    // the decoding processes end with the run
    assertThat(ProcessHandle.current().children().filter(ProcessHandle::isAlive)).isEmpty();
  }

  @Test
  void aDecodingProcessOverItsMemoryLimitIsKilledAndItsClipFails() throws Exception {
    Path out = dir.resolve("out-memory");
    // a process with FFmpeg loaded is bigger than 1 MB: every child is over the limit as soon as it works
    Run.Summary s = run(options(out, new Isolation(true, 1L << 20)));
    assertEquals(0, s.ok());
    assertThat(s.failuresByCode()).containsOnlyKeys("OUT_OF_MEMORY");
    String error = (String) rows(out).values().iterator().next().get(1);
    assertThat(error).contains("over its limit of 1 MB");
  }
}
