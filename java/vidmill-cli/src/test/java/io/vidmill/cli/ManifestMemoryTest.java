package io.vidmill.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import io.vidmill.shard.Shard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory does not grow with the manifest's length: a 1,000,000-line manifest (of which this
 * shard takes 10,000) runs in the same memory as a 10,000-line one, in a heap too small to
 * hold the manifest.
 */
class ManifestMemoryTest {
  @TempDir Path dir;

  private long peakRssOfRun(Path manifest, String shard, String name, long clips) throws Exception {
    Path log = dir.resolve(name + ".log");
    Process p = Subprocess.vidmill(log, List.of("-Xmx96m", "-XX:+UseSerialGC"),
        "run", "--input", manifest.toString(), "--out", dir.resolve(name).toString(), "--shard", shard,
        "--progress", "off", "--commit-interval", "2").start();
    long peak = 0;
    while (!p.waitFor(50, TimeUnit.MILLISECONDS)) peak = Math.max(peak, Subprocess.peakRss(p.pid()));
    assertEquals(1, p.exitValue(), Files.readString(log)); // every clip is missing: all fail, none crash
    assertThat(Files.readString(log))
        .contains(String.format("summary: 0 clips ok, %,d failed (NOT_FOUND=%d)", clips, clips));
    return peak;
  }

  @Test
  void aMillionLinesRunInTheMemoryOfTenThousand() throws Exception {
    Path big = dir.resolve("big.txt");
    Path small = dir.resolve("small.txt");
    Shard shard = new Shard(0, 100, "test");
    long mine = 0;
    try (BufferedWriter b = Files.newBufferedWriter(big); BufferedWriter s = Files.newBufferedWriter(small)) {
      for (int i = 0; i < 1_000_000; i++) {
        String line = "/nonexistent/videos/" + (i / 1000) + "/clip_" + i + ".mp4";
        b.write(line);
        b.newLine();
        if (shard.contains(line)) {
          s.write(line);
          s.newLine();
          mine++;
        }
      }
    }
    assertThat(mine).isBetween(9_000L, 11_000L);
    // the same clips either way: all of the small manifest, shard 0 of the big one
    long smallPeak = peakRssOfRun(small, "0/1", "small", mine);
    long bigPeak = peakRssOfRun(big, "0/100", "big", mine);
    System.out.printf("peak RSS: 1M-line manifest %d MB, 10k-line manifest %d MB%n", bigPeak >> 20, smallPeak >> 20);
    assertThat(bigPeak).as("peak RSS with 1M lines %d MB vs 10k lines %d MB", bigPeak >> 20, smallPeak >> 20)
        .isLessThan(smallPeak + (48L << 20));
  }
}
