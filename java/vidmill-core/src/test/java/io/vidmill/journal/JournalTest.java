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
}
