package io.vidmill.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProgressTest {
  @Test
  void lineSaysDoneTotalRatesFailuresAndEta() throws Exception {
    RunStats stats = new RunStats();
    stats.ok.add(900);
    stats.failed.add(100);
    stats.frames.add(60_000);
    StringWriter out = new StringWriter();
    try (Progress p = new Progress(Progress.Mode.LOG, Duration.ofMillis(20), new PrintWriter(out), stats, () -> 4000)) {
      String line = p.line();
      assertThat(line).startsWith("1,000/4,000 clips (25.0%) | ").contains(" clips/s | ").contains(" frames/s | ")
          .contains(" MB/s | 100 failed | ETA ");
      Thread.sleep(200);
    }
    assertThat(out.toString().lines()).allMatch(l -> l.startsWith("progress: ")).hasSizeGreaterThan(2);
  }

  @Test
  void unknownTotalHasNoEta() {
    RunStats stats = new RunStats();
    stats.ok.add(3);
    try (Progress p = new Progress(Progress.Mode.OFF, Duration.ofSeconds(1), new PrintWriter(new StringWriter()), stats, () -> -1)) {
      assertThat(p.line()).startsWith("3 clips | ").doesNotContain("ETA");
    }
  }

  @Test
  void durations() {
    assertEquals("42s", Progress.duration(42));
    assertEquals("3m07s", Progress.duration(187));
    assertEquals("2h05m", Progress.duration(7500));
  }
}
