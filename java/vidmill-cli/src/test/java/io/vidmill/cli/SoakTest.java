package io.vidmill.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vidmill.synth.SyntheticClip;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A long run must not leak: 20,000 clips through a real {@code vidmill run}, with its resident
 * memory, its native memory, open file descriptors and threads measured once it is warm (10%
 * done), halfway and near its end (90%), and the same of its two decoding processes (the
 * default {@code --isolation process}: they do the decoding, so a leak per clip is theirs; they
 * are native processes, whose RSS is all native memory). The run's heap is fixed and touched
 * from the start (-Xms = -Xmx, AlwaysPreTouch), so what RSS gains is native memory; Native Memory Tracking tells the
 * JVM's own part (code, metaspace, threads, compiler arenas) from the rest, the native
 * libraries' (FFmpeg, libvidmill, DuckDB), printed with the categories that moved. (The rest is
 * only an estimate: memory the JVM frees stays in glibc's heap and moves from one to the other.)
 *
 * <p>A leak of 2 KB per clip would add 32 MB of RSS between 10% and 90%: the bound is 40 MB, room
 * for allocator noise. {@code -Dvidmill.soak.clips=N} runs a longer soak.
 */
class SoakTest {
  private static final Pattern DONE = Pattern.compile("^progress: ([0-9,]+)");
  private static final long HEAP = 160L << 20;

  @TempDir Path dir;

  /**
   * @param jvm what the JVM itself has committed (Native Memory Tracking: heap, metaspace, code,
   *     threads, GC), 0 when jcmd could not tell; the rest of RSS is the native libraries' memory
   */
  record Sample(long done, long rss, long jvm, java.util.Map<String, Long> jvmParts, long fds, long threads,
                Workers workers) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%,d clips done: RSS %.1f MB (JVM %.1f MB, the rest %.1f MB), %d fds, %d threads;"
          + " %s", done, rss / 1e6, jvm / 1e6, (rss - jvm) / 1e6, fds, threads, workers);
    }
  }

  /**
   * The run's decoding processes together (they do the decoding, so a leak per clip shows in
   * them): how many, their RSS, descriptors and threads.
   */
  record Workers(int count, long rss, long fds, long threads) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%d decoding processes: RSS %.1f MB, %d fds, %d threads",
          count, rss / 1e6, fds, threads);
    }
  }

  @Test
  void twentyThousandClipsLeaveMemoryFileDescriptorsAndThreadsFlat() throws Exception {
    int clips = Integer.getInteger("vidmill.soak.clips", 20_000);
    // 40 distinct tiny clips (H.264 in MP4, MPEG-4 in Matroska, VP8 in WebM), each listed under
    // many keys: as many clips as the run takes, without as many files
    Path media = Files.createDirectories(dir.resolve("media"));
    String[][] kinds = {{"mp4", "libopenh264"}, {"mkv", "mpeg4"}, {"webm", "libvpx"}};
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String[] k = kinds[i % kinds.length];
      Path p = media.resolve("c" + i + "." + k[0]);
      new SyntheticClip(48 + 16 * (i % 3), 32 + 16 * (i % 2), 25, 1, 3 + i % 4, 3, 0, i, k[1], "testsrc2", null).write(p);
      files.add(p);
    }
    Files.writeString(media.resolve("broken.mp4"), "not a video"); // failures go through their own path
    files.add(media.resolve("broken.mp4"));
    StringBuilder manifest = new StringBuilder();
    for (int i = 0; i < clips; i++) {
      manifest.append("{\"key\": \"clip-").append(i).append("\", \"path\": \"").append(files.get(i % files.size()))
          .append("\"}\n");
    }
    Path list = Files.writeString(dir.resolve("manifest.jsonl"), manifest);
    Path out = dir.resolve("out");
    Path log = dir.resolve("log.txt");
    ProcessBuilder pb = Subprocess.vidmill(log, List.of("-Xms" + (HEAP >> 20) + "m", "-Xmx" + (HEAP >> 20) + "m",
            "-XX:+AlwaysPreTouch", "-XX:TieredStopAtLevel=1", "-XX:NativeMemoryTracking=summary"),
        // fixed settings: the tuner's moves (more fetches in flight on a busy machine) are not leaks
        "run", "--input", list.toString(), "--out", out.toString(), "--workers", "2", "--fetch-concurrency", "8",
        "--max-bytes-in-flight", "64M", "--commit-interval", "1",
        "--progress", "log", "--log-interval", "0.1", "--no-report");
    // the allocator settings bin/vidmill runs with
    pb.environment().put("MALLOC_TRIM_THRESHOLD_", "268435456");
    pb.environment().put("MALLOC_MMAP_THRESHOLD_", "33554432");
    Process p = pb.start();
    long[] at = {clips / 10, clips / 2, clips * 9L / 10};
    Sample[] samples = new Sample[at.length];
    while (p.isAlive()) {
      long done = lastDone(log);
      for (int i = 0; i < at.length; i++) {
        if (samples[i] == null && done >= at[i]) samples[i] = sample(p.pid(), done);
      }
      Thread.sleep(50);
    }
    Sample start = samples[0];
    Sample end = samples[2];
    assertThat(p.waitFor(10, TimeUnit.MINUTES)).isTrue();
    String output = Files.readString(log);
    assertEquals(Main.EXIT_CLIPS_FAILED, p.exitValue(), output);
    int failures = clips / files.size(); // the broken file is every 41st entry
    assertThat(start).as("sampled at 10%%: %s", output).isNotNull();
    assertThat(end).as("sampled at 90%%: %s", output).isNotNull();
    System.out.printf(Locale.ROOT, "soak of %,d clips (%s):%n  10%%  %s%n  50%%  %s%n  90%%  %s%n"
            + "  JVM categories that moved from 10%% to 90%%:%s%n", clips,
        output.lines().filter(l -> l.startsWith("summary:")).findFirst().orElse("").strip(), start, samples[1], end,
        jvmGrowth(start, end));
    assertThat(output).contains(String.format(Locale.ROOT, "summary: %,d clips ok, %,d failed (NOT_A_VIDEO=%d)",
        clips - failures, failures, failures));
    // the heap is resident from the start: what RSS gains is native memory, the JVM's and the libraries'
    assertThat(end.rss() - start.rss()).as("RSS growth from %s to %s", start, end).isLessThan(40L << 20);
    assertThat(end.fds() - start.fds()).as("file descriptors from %s to %s", start, end).isLessThanOrEqualTo(4);
    assertThat(end.threads() - start.threads()).as("threads from %s to %s", start, end).isLessThanOrEqualTo(4);
    // the decoding processes: the same two all along, their memory flat
    Workers w0 = start.workers();
    Workers w1 = end.workers();
    assertThat(w0.count()).as("decoding processes at 10%%: %s", start).isEqualTo(2);
    assertThat(w1.count()).as("decoding processes at 90%%: %s", end).isEqualTo(2);
    // native processes without a heap: some 20 MB each, flat; 8 MB over the 80% of the clips between
    // the samples is a leak of 1 KB per clip
    assertThat(w1.rss() - w0.rss()).as("decoding processes' RSS from %s to %s", w0, w1).isLessThan(8L << 20);
    assertThat(w1.fds() - w0.fds()).as("decoding processes' descriptors from %s to %s", w0, w1).isLessThanOrEqualTo(4);
    assertThat(w1.threads() - w0.threads()).as("decoding processes' threads from %s to %s", w0, w1)
        .isLessThanOrEqualTo(4);
  }

  /** The decoding processes below {@code pid}, summed. */
  private static Workers workers(long pid) throws IOException {
    int count = 0;
    long rss = 0;
    long fds = 0;
    long threads = 0;
    for (ProcessHandle h : ProcessHandle.of(pid).map(p -> p.descendants().toList()).orElse(List.of())) {
      long[] st = status(h.pid());
      if (st == null) continue;
      count++;
      rss += st[0];
      threads += st[1];
      try (Stream<Path> s = Files.list(Path.of("/proc/" + h.pid() + "/fd"))) {
        fds += s.count();
      }
    }
    return new Workers(count, rss, fds, threads);
  }

  /** VmRSS in bytes and Threads of a process; null once it is gone. */
  private static long[] status(long pid) {
    try {
      long rss = 0;
      long threads = 0;
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) rss = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        if (line.startsWith("Threads:")) threads = Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
      return new long[] {rss, threads};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static long lastDone(Path log) throws IOException {
    if (!Files.exists(log)) return 0;
    long done = 0;
    for (String line : Files.readAllLines(log)) {
      Matcher m = DONE.matcher(line);
      if (m.find()) done = Long.parseLong(m.group(1).replace(",", ""));
    }
    return done;
  }

  /** The process's resident memory, open descriptors, threads and JVM-tracked memory now; null once it is gone. */
  private static Sample sample(long pid, long done) {
    try {
      long[] st = status(pid);
      if (st == null) return null;
      long fds;
      try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
        fds = s.count();
      }
      java.util.Map<String, Long> parts = jvmCommitted(pid);
      return new Sample(done, st[0], parts.getOrDefault("Total", 0L), parts, fds, st[1], workers(pid));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static final Pattern NMT_LINE =
      Pattern.compile("^[-\\s]*([A-Za-z][A-Za-z ]*?)(?::\\s*|\\s*\\()reserved=\\d+KB, committed=(\\d+)KB");

  /** What the JVM has committed, in total and by Native Memory Tracking's categories (empty when jcmd fails). */
  private static java.util.Map<String, Long> jvmCommitted(long pid) {
    java.util.Map<String, Long> parts = new java.util.LinkedHashMap<>();
    try {
      Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
          String.valueOf(pid), "VM.native_memory", "summary").redirectErrorStream(true).start();
      String text = new String(jcmd.getInputStream().readAllBytes());
      jcmd.waitFor(30, TimeUnit.SECONDS);
      for (String line : text.lines().toList()) {
        Matcher m = NMT_LINE.matcher(line);
        if (m.find() && !m.group(1).equals("mmap")) parts.putIfAbsent(m.group(1).strip(), Long.parseLong(m.group(2)) * 1024);
      }
    } catch (IOException e) {
      // no figures
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return parts;
  }

  /** The JVM's categories that grew by more than a megabyte from a to b. */
  private static String jvmGrowth(Sample a, Sample b) {
    StringBuilder g = new StringBuilder();
    b.jvmParts().forEach((k, v) -> {
      long d = v - a.jvmParts().getOrDefault(k, 0L);
      if (!k.equals("Total") && Math.abs(d) >= 1 << 20) g.append(String.format(Locale.ROOT, " %s %+.1f MB", k, d / 1e6));
    });
    return g.isEmpty() ? " none" : g.toString();
  }

}
