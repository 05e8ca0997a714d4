package io.vidmill.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vidmill.shard.ClipHash;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {
  @TempDir Path dir;

  private static List<ClipHash> hashes(int from, int to) {
    List<ClipHash> l = new ArrayList<>();
    for (int i = from; i < to; i++) l.add(ClipHash.of("clip-" + i));
    return l;
  }

  @Test
  void commitsSurviveAndATornTailIsCutOff() throws IOException {
    Path f = dir.resolve("journal");
    try (Journal j = Journal.open(f)) {
      j.commit("part-000000.parquet", 100, hashes(0, 50));
      j.commit("part-000001.parquet", 250, hashes(50, 80));
    }
    long good = Files.size(f);
    // a crash in the middle of the third record
    try (Journal j = Journal.open(f)) {
      j.commit("part-000002.parquet", 400, hashes(80, 100));
    }
    byte[] bytes = Files.readAllBytes(f);
    for (long cut = good + 1; cut < bytes.length; cut += 37) {
      Files.write(f, Arrays.copyOf(bytes, (int) cut));
      try (Journal j = Journal.open(f)) {
        Journal.State s = j.state();
        assertEquals(80, s.done().size());
        assertEquals(List.of("part-000000.parquet", "part-000001.parquet"), s.parts());
        assertEquals(250, s.failuresLength());
        assertEquals(cut - good, s.tornBytes());
        assertThat(s.done().contains(ClipHash.of("clip-79"))).isTrue();
        assertThat(s.done().contains(ClipHash.of("clip-80"))).isFalse();
      }
      assertEquals(good, Files.size(f));
    }
  }

  @Test
  void aCorruptedRecordEndsTheJournalThere() throws IOException {
    Path f = dir.resolve("journal");
    try (Journal j = Journal.open(f)) {
      j.commit("a", 0, hashes(0, 10));
      j.commit("b", 0, hashes(10, 20));
      j.finish("{\"ok\":20}");
    }
    byte[] bytes = Files.readAllBytes(f);
    bytes[bytes.length - 200] ^= 0x40; // a bit flips inside the second record
    Files.write(f, bytes);
    try (Journal j = Journal.open(f)) {
      assertEquals(List.of("a"), j.state().parts());
      assertThat(j.state().finishedSummary()).isNull();
    }
  }

  @Test
  void finishedRunsSayTheirSummary() throws IOException {
    Path f = dir.resolve("journal");
    try (Journal j = Journal.open(f)) {
      j.commit("a", 0, hashes(0, 3));
      j.finish("{\"ok\":3}");
    }
    try (Journal j = Journal.open(f)) {
      assertEquals("{\"ok\":3}", j.state().finishedSummary());
    }
  }

  @Test
  void doneSetGrowsAndFindsEverything() {
    DoneSet s = new DoneSet(4);
    for (int i = 0; i < 100_000; i++) assertThat(s.add(ClipHash.of("k" + i))).isTrue();
    for (int i = 0; i < 100_000; i++) assertThat(s.add(ClipHash.of("k" + i))).isFalse();
    assertEquals(100_000, s.size());
    assertThat(s.contains(ClipHash.of("k99999"))).isTrue();
    assertThat(s.contains(ClipHash.of("nope"))).isFalse();
    assertThat(s.add(new ClipHash(0, 0))).isTrue();
    assertThat(s.contains(new ClipHash(0, 0))).isTrue();
  }

  @Test
  void commitsNameTheirDatasetFilesAndOldJournalsStillRead() throws IOException {
    Path f = dir.resolve("journal");
    try (Journal j = Journal.open(f)) {
      j.commit("part-000000.parquet", 10, hashes(0, 5)); // an old-style record
      j.commit("part-000001.parquet", 20, hashes(5, 9), List.of(
          new Journal.Written(Journal.Written.Kind.FRAME_TABLE_PART, "part-000001.parquet", 0),
          new Journal.Written(Journal.Written.Kind.OPEN_SHARD, "frames-000000.tar", 4096)));
      j.commit("part-000002.parquet", 30, hashes(9, 12), List.of(
          new Journal.Written(Journal.Written.Kind.SHARD, "frames-000000.tar", 9216),
          new Journal.Written(Journal.Written.Kind.OPEN_SHARD, "frames-000001.tar", 1536)));
    }
    try (Journal j = Journal.open(f)) {
      Journal.State s = j.state();
      assertEquals(12, s.done().size());
      assertEquals(List.of("part-000000.parquet", "part-000001.parquet", "part-000002.parquet"), s.parts());
      assertEquals(List.of("part-000001.parquet"), s.frameTableParts());
      assertEquals(java.util.Map.of("frames-000000.tar", 9216L), s.shards());
      assertEquals(new Journal.Written(Journal.Written.Kind.OPEN_SHARD, "frames-000001.tar", 1536), s.openShard());
      assertEquals(30, s.failuresLength());
      // the last shard finished in a record of its own, without a part or clips
      j.commit(null, 30, List.of(), List.of(new Journal.Written(Journal.Written.Kind.SHARD, "frames-000001.tar", 2560)));
    }
    try (Journal j = Journal.open(f)) {
      Journal.State s = j.state();
      assertEquals(3, s.parts().size(), "no part for the shard's record");
      assertEquals(12, s.done().size());
      assertEquals(java.util.List.of("frames-000000.tar", "frames-000001.tar"), List.copyOf(s.shards().keySet()));
      assertThat(s.openShard()).as("nothing left open").isNull();
    }
    // torn in the last record: the shard is open again, at its length before
    byte[] bytes = Files.readAllBytes(f);
    Files.write(f, Arrays.copyOf(bytes, bytes.length - 3));
    try (Journal j = Journal.open(f)) {
      assertEquals(1536, j.state().openShard().length());
      assertEquals(java.util.Map.of("frames-000000.tar", 9216L), j.state().shards());
    }
  }
}
