package io.vidmill.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vidmill.dataset.ClipFrames;
import io.vidmill.dataset.FrameFormat;
import io.vidmill.dataset.FrameRecord;
import io.vidmill.dataset.Npy;
import io.vidmill.dataset.SpoolWriter;
import io.vidmill.journal.Journal;
import io.vidmill.shard.ClipHash;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spools and shards without a decoder: tar framing, rolling, and the commit protocol's recovery. */
class ShardWriterTest {
  @TempDir Path dir;

  private static MemorySegment bytes(Arena a, int n, int seed) {
    MemorySegment m = a.allocate(n);
    for (int i = 0; i < n; i++) m.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + seed));
    return m;
  }

  private ClipFrames clip(String key, int frames, int frameBytes) throws IOException {
    try (Arena a = Arena.ofConfined();
         SpoolWriter w = new SpoolWriter(dir.resolve("spool").resolve(key + ".tmp"), key, FrameFormat.JPEG, Instant.EPOCH)) {
      for (int i = 0; i < frames; i++) {
        w.add(new FrameRecord(i, i * 100L, i / 10.0, i == 0, 8, 8, null, null), bytes(a, frameBytes + i, i));
      }
      return w.finish(("{\"key\":\"" + key + "\"}").getBytes(StandardCharsets.UTF_8), new int[] {8, 8, 3});
    }
  }

  /** Every member of every shard in the folder: name -> size, in order; a name twice fails. */
  private static Map<String, Long> members(Path frames) throws IOException {
    Map<String, Long> all = new LinkedHashMap<>();
    List<Path> shards;
    try (Stream<Path> s = Files.list(frames)) {
      shards = s.filter(p -> p.toString().endsWith(".tar")).sorted().toList();
    }
    for (Path shard : shards) {
      try (InputStream in = Files.newInputStream(shard); TarArchiveInputStream t = new TarArchiveInputStream(in)) {
        for (TarArchiveEntry e; (e = t.getNextEntry()) != null; ) {
          assertThat(all.put(e.getName(), e.getSize())).as("%s twice", e.getName()).isNull();
        }
      }
    }
    return all;
  }

  @Test
  void spoolsAreTarMembersThatReadBack() throws IOException {
    ClipFrames c = clip("k-0123", 3, 700);
    assertEquals(0, c.spoolBytes() % 512);
    assertEquals(List.of("k-0123.000000.jpg", "k-0123.000001.jpg", "k-0123.000002.jpg"),
        c.frames().stream().map(FrameRecord::file).toList());
    try (InputStream in = Files.newInputStream(c.spool()); TarArchiveInputStream t = new TarArchiveInputStream(in)) {
      for (int i = 0; i < 3; i++) {
        TarArchiveEntry e = t.getNextEntry();
        assertEquals(String.format("k-0123.%06d.jpg", i), e.getName());
        assertEquals(700 + i, e.getSize());
        byte[] data = t.readAllBytes();
        for (int b = 0; b < data.length; b++) assertEquals((byte) (b * 31 + i), data[b]);
      }
      TarArchiveEntry json = t.getNextEntry();
      assertEquals("k-0123.json", json.getName());
      assertEquals("{\"key\":\"k-0123\"}", new String(t.readAllBytes(), StandardCharsets.UTF_8));
      assertEquals(0644, json.getMode() & 0777);
    }
  }

  @Test
  void anNpySpoolHoldsOneArrayOfAllFrames() throws IOException {
    ClipFrames c;
    try (Arena a = Arena.ofConfined();
         SpoolWriter w = new SpoolWriter(dir.resolve("n.tmp"), "n-1", FrameFormat.NPY, Instant.EPOCH)) {
      for (int i = 0; i < 4; i++) w.add(new FrameRecord(i, i, i, false, 5, 3, null, null), bytes(a, 5 * 3 * 3, i));
      assertThatThrownBy(() -> w.add(new FrameRecord(4, 4, 4, false, 6, 3, null, null), bytes(a, 6 * 3 * 3, 4)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("the clip's array 5x3x3");
      c = w.finish("{}".getBytes(StandardCharsets.UTF_8), new int[] {0, 0, 3});
    }
    try (InputStream in = Files.newInputStream(c.spool()); TarArchiveInputStream t = new TarArchiveInputStream(in)) {
      TarArchiveEntry e = t.getNextEntry();
      assertEquals("n-1.npy", e.getName());
      assertEquals(Npy.HEADER_BYTES + 4 * 45, e.getSize());
      byte[] npy = t.readAllBytes();
      assertThat(new String(npy, 0, Npy.HEADER_BYTES, StandardCharsets.US_ASCII)).contains("'shape': (4, 3, 5, 3)");
      assertEquals((byte) (7 * 31 + 2), npy[Npy.HEADER_BYTES + 2 * 45 + 7], "frame 2's eighth byte");
      assertEquals("n-1.json", t.getNextEntry().getName());
    }
    assertThat(c.frames()).allSatisfy(f -> assertEquals("n-1.npy", f.file()));
  }

  @Test
  void aDroppedSpoolIsDeleted() throws IOException {
    Path p = dir.resolve("gone.tmp");
    try (Arena a = Arena.ofConfined(); SpoolWriter w = new SpoolWriter(p, "g", FrameFormat.PNG, Instant.EPOCH)) {
      w.add(new FrameRecord(0, 0, 0, true, 1, 1, null, null), bytes(a, 10, 0));
      assertThat(p).exists();
    }
    assertThat(p).doesNotExist();
  }

  @Test
  void shardsRollCommitAndRecoverToWhatTheJournalSays() throws IOException {
    Path frames = dir.resolve("frames");
    Path journalFile = dir.resolve("journal");
    List<String> committedKeys = new ArrayList<>();
    try (Journal j = Journal.open(journalFile)) {
      ShardWriter w = ShardWriter.recover(frames, "frames-", 8 * 1024, j.state());
      for (int i = 0; i < 6; i++) {
        ClipFrames placed = w.append(clip("c" + i, 2, 1500));
        assertThat(placed.shard()).startsWith("frames-");
        assertThat(placed.spool()).doesNotExist();
        committedKeys.add("c" + i);
      }
      List<Journal.Written> files = w.prepareCommit(false);
      assertThat(files).extracting(Journal.Written::kind).contains(Journal.Written.Kind.SHARD)
          .endsWith(Journal.Written.Kind.OPEN_SHARD);
      j.commit("part-000000.parquet", 0, List.of(ClipHash.of("x")), files);
      w.committed();
      // a shard that rolls in the next commit, recorded, but the process dies before the rename
      for (int i = 6; i < 9; i++) {
        w.append(clip("c" + i, 2, 1500));
        committedKeys.add("c" + i);
      }
      j.commit("part-000001.parquet", 0, List.of(ClipHash.of("y")), w.prepareCommit(false));
      // then clips that never get their commit
      for (int i = 9; i < 14; i++) w.append(clip("c" + i, 2, 1500));
      w.close(); // kill -9: no rename, no commit
    }
    try (Stream<Path> s = Files.list(frames)) {
      assertThat(s.filter(p -> p.toString().endsWith(".tmp")).count()).isGreaterThanOrEqualTo(2);
    }
    try (Journal j = Journal.open(journalFile)) {
      ShardWriter w = ShardWriter.recover(frames, "frames-", 8 * 1024, j.state());
      Map<String, Long> m = members(frames);
      // the finished shards hold whole clips that were committed, each once; the open one is
      // back to its committed length (checked below, once it is finished)
      for (String name : m.keySet()) assertThat(committedKeys).contains(name.substring(0, name.indexOf('.')));
      // the run resumes: the lost clips again, then the end
      for (int i = 9; i < 14; i++) w.append(clip("c" + i, 2, 1500));
      j.commit("part-000002.parquet", 0, List.of(ClipHash.of("z")), w.prepareCommit(true));
      w.committed();
      w.close();
    }
    Map<String, Long> m = members(frames);
    for (int i = 0; i < 14; i++) {
      assertThat(m).containsKeys("c" + i + ".000000.jpg", "c" + i + ".000001.jpg", "c" + i + ".json");
    }
    assertEquals(14 * 3, m.size(), "every clip's members exactly once");
    try (Stream<Path> s = Files.list(frames)) {
      List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
      assertThat(names).allMatch(n -> n.matches("frames-\\d{6}\\.tar")).hasSizeGreaterThan(2);
      for (String n : names) assertThat(Files.size(frames.resolve(n)) % 512).isZero();
    }
  }

  @Test
  void aShardTheJournalNamesMustBeThere() throws IOException {
    Path frames = Files.createDirectories(dir.resolve("frames"));
    Path journalFile = dir.resolve("journal");
    try (Journal j = Journal.open(journalFile)) {
      ShardWriter w = ShardWriter.recover(frames, "frames-", 1 << 20, j.state());
      w.append(clip("a", 1, 100));
      j.commit("p", 0, List.of(ClipHash.of("a")), w.prepareCommit(true));
      w.committed();
    }
    Files.delete(frames.resolve("frames-000000.tar"));
    try (Journal j = Journal.open(journalFile)) {
      assertThatThrownBy(() -> ShardWriter.recover(frames, "frames-", 1 << 20, j.state()))
          .isInstanceOf(IOException.class).hasMessageContaining("frames-000000.tar").hasMessageContaining("lost");
    }
  }
}
