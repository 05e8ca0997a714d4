package io.vidmill.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vidmill.journal.Journal;
import io.vidmill.synth.SyntheticClip;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OUT fills up or stops being writable in the middle of a real run: the run stops with one
 * FATAL line that says what to do and exit status 3, the journal names only complete parts,
 * and once the cause is gone the same command resumes and every clip ends up exactly once.
 */
class OutputFailureTest {
  private static final int CLIPS = 3000;
  private static final int BROKEN_EVERY = 50;

  @TempDir Path dir;
  private Path manifest;
  private Path mounted;

  @BeforeEach
  void clips() throws IOException {
    Path media = Files.createDirectories(dir.resolve("media"));
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      Path p = media.resolve("c" + i + (i % 2 == 0 ? ".mp4" : ".mkv"));
      new SyntheticClip(48, 32, 25, 1, 3, 3, 0, i, i % 2 == 0 ? "libopenh264" : "mpeg4", "testsrc2", null).write(p);
      files.add(p);
    }
    Path broken = Files.writeString(media.resolve("broken.mp4"), "not a video");
    StringBuilder m = new StringBuilder();
    java.util.Random random = new java.util.Random(8);
    for (int i = 0; i < CLIPS; i++) {
      Path p = i % BROKEN_EVERY == 0 ? broken : files.get(i % files.size());
      // a column of incompressible text makes every part a few kilobytes
      m.append("{\"key\": \"clip-").append(i).append("\", \"path\": \"").append(p).append("\", \"note\": \"")
          .append(Long.toHexString(random.nextLong())).append(Long.toHexString(random.nextLong())).append("\"}\n");
    }
    manifest = Files.writeString(dir.resolve("manifest.jsonl"), m);
  }

  @AfterEach
  void unmount() throws Exception {
    if (mounted != null) new ProcessBuilder("umount", "-l", mounted.toString()).inheritIO().start().waitFor();
  }

  private String[] args(Path out) {
    return new String[] {"run", "--input", manifest.toString(), "--out", out.toString(), "--workers", "1",
        "--commit-interval", "0.1", "--progress", "log", "--log-interval", "0.5", "--no-report"};
  }

  @Test
  void aFullDiskStopsTheRunWhichResumesOnceThereIsSpace() throws Exception {
    mounted = Files.createDirectories(dir.resolve("small"));
    Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mounted.toString())
        .redirectErrorStream(true).start();
    String why = new String(mount.getInputStream().readAllBytes());
    boolean ok = mount.waitFor() == 0;
    if (!ok) mounted = null;
    assumeTrue(ok, "cannot mount a small tmpfs to fill (needs root or CAP_SYS_ADMIN): " + why.strip());
    // leave room for a few commits, not for the whole run
    long free = Files.getFileStore(mounted).getUsableSpace();
    Path filler = mounted.resolve("filler");
    Files.write(filler, new byte[(int) Math.max(0, free - (160 << 10))]);
    Path out = mounted.resolve("out");

    Path log = dir.resolve("full.log");
    Process p = Subprocess.vidmill(log, List.of(), args(out)).start();
    String fatal = stoppedMidway(p, log, out);
    assertThat(fatal).contains("No space left on device")
        .contains("OUT is full: free space, then run the same command again to resume");

    Files.delete(filler);
    // and room for the rest: at a commit every 0.1 s a slow (busy) machine writes hundreds of
    // small parts, more than the 1 MB the filler held
    Process grow = new ProcessBuilder("mount", "-o", "remount,size=64m", mounted.toString())
        .redirectErrorStream(true).start();
    String grew = new String(grow.getInputStream().readAllBytes());
    assertEquals(0, grow.waitFor(), "cannot grow the tmpfs: " + grew);
    resumeAndCheckExactlyOnce(out);
  }

  @Test
  void anUnwritableOutStopsTheRunWhichResumesOnceItIsWritable() throws Exception {
    Path out = dir.resolve("out");
    Path log = dir.resolve("unwritable.log");
    ProcessBuilder pb = Subprocess.vidmill(log, List.of(), args(out));
    if (isRoot()) {
      // root writes through permission bits: the run goes without the capabilities that let it
      assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "running as root and no setpriv to drop "
          + "CAP_DAC_OVERRIDE: an unwritable directory cannot be made for this process");
      pb.command().addAll(0, List.of("/usr/bin/setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"));
    }
    Process p = pb.start();
    Path journal = out.resolve("journal");
    while (p.isAlive() && (!Files.exists(journal) || Files.size(journal) <= 4)) Thread.sleep(10);
    setWritable(out, false); // the first commit is in: take the folder away mid-run
    p.waitFor(3, TimeUnit.MINUTES);
    setWritable(out, true);
    String fatal = stoppedMidway(p, log, out);
    assertThat(fatal).containsIgnoringCase("permission denied")
        .contains("OUT is not writable: fix that, then run the same command again to resume");

    resumeAndCheckExactlyOnce(out);
  }

  /** The run ended with exit status 3 and one FATAL line (returned), after some commits. */
  private static String stoppedMidway(Process p, Path log, Path out) throws Exception {
    assertThat(p.waitFor(3, TimeUnit.MINUTES)).isTrue();
    String output = Files.readString(log);
    assertEquals(Main.EXIT_FATAL, p.exitValue(), output);
    List<String> fatal = output.lines().filter(l -> l.startsWith("FATAL")).toList();
    assertThat(fatal).as(output).hasSize(1);
    int committed = assertJournalNamesCompleteParts(out);
    assertThat(committed).as("the run stopped midway: %s", output).isBetween(1, CLIPS - 1);
    return fatal.getFirst();
  }

  /** Every part the journal names is there and holds the clips it says; returns how many clips. */
  private static int assertJournalNamesCompleteParts(Path out) throws Exception {
    Journal.State state;
    try (Journal j = Journal.open(out.resolve("journal"))) {
      state = j.state();
    }
    assertThat(state.parts()).isNotEmpty();
    for (String part : state.parts()) assertThat(out.resolve("clips").resolve(part)).isRegularFile();
    try (Stream<Path> s = Files.list(out.resolve("clips"))) {
      assertThat(s.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList())
          .as("no half-written part left behind").isEmpty();
    }
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement st = db.createStatement()) {
      StringBuilder list = new StringBuilder();
      for (String part : state.parts()) {
        if (!list.isEmpty()) list.append(", ");
        list.append('\'').append(out.resolve("clips").resolve(part)).append('\'');
      }
      try (ResultSet rs = st.executeQuery("SELECT count(*) FROM read_parquet([" + list + "])")) {
        rs.next();
        assertEquals(state.done().size(), rs.getLong(1), "the journal's clips are the parts' rows");
      }
    }
    return state.done().size();
  }

  private void resumeAndCheckExactlyOnce(Path out) throws Exception {
    int committed = assertJournalNamesCompleteParts(out);
    Path log = dir.resolve("resume.log");
    Process p = Subprocess.vidmill(log, List.of(), args(out)).start();
    assertThat(p.waitFor(3, TimeUnit.MINUTES)).isTrue();
    String again = Files.readString(log);
    assertEquals(Main.EXIT_CLIPS_FAILED, p.exitValue(), again); // the broken clips
    assertThat(again).contains(String.format(java.util.Locale.ROOT, "resuming: %,d clips already done", committed));
    long broken = (CLIPS + BROKEN_EVERY - 1) / BROKEN_EVERY;
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement st = db.createStatement();
         ResultSet rs = st.executeQuery("SELECT count(*), count(DISTINCT key), count(*) FILTER (WHERE status <> 'ok') "
             + "FROM read_parquet('" + out.resolve("clips/*.parquet") + "')")) {
      rs.next();
      assertEquals(CLIPS, rs.getLong(1), "one row per clip");
      assertEquals(CLIPS, rs.getLong(2), "no clip twice");
      assertEquals(broken, rs.getLong(3));
    }
    List<String> failures = Files.readAllLines(out.resolve("failures.jsonl"));
    Set<String> keys = new HashSet<>();
    for (String f : failures) keys.add(f.replaceAll("^\\{\"key\":\"([^\"]*)\".*", "$1"));
    assertEquals(broken, failures.size(), "one failure line per failed clip");
    assertEquals(broken, keys.size());
  }

  private static boolean isRoot() throws IOException {
    return Files.readAllLines(Path.of("/proc/self/status")).stream()
        .anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[1].equals("0"));
  }

  /** chmod -R, while the run may be renaming files in there. */
  private static void setWritable(Path root, boolean writable) throws IOException {
    List<Path> all;
    try (Stream<Path> s = Files.walk(root)) {
      all = s.toList();
    } catch (java.io.UncheckedIOException e) { // a file went while walking: once more
      try (Stream<Path> s = Files.walk(root)) {
        all = s.toList();
      }
    }
    for (Path p : all) {
      boolean isDir = Files.isDirectory(p);
      String perms = writable ? (isDir ? "rwxr-xr-x" : "rw-r--r--") : (isDir ? "r-xr-xr-x" : "r--r--r--");
      try {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
      } catch (java.nio.file.NoSuchFileException gone) {
        // renamed meanwhile
      }
    }
  }
}
