package io.vidmill.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ShardTest {
  /** All shards together cover the manifest exactly once: union = manifest, pairwise disjoint. */
  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 7, 16, 100})
  void shardsCoverEveryKeyExactlyOnce(int n) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) keys.add("s3://bucket/videos/" + i + "/clip_" + (i * 7919) + ".mp4");
    Map<String, Integer> owner = new HashMap<>();
    int[] sizes = new int[n];
    for (int i = 0; i < n; i++) {
      Shard s = new Shard(i, n, "test");
      for (String k : keys) {
        if (s.contains(k)) {
          Integer previous = owner.put(k, i);
          assertThat(previous).as(k + " in shards " + previous + " and " + i).isNull();
          sizes[i]++;
        }
      }
    }
    assertEquals(Set.copyOf(keys), owner.keySet());
    for (int size : sizes) assertThat(size).isBetween(20_000 / n * 8 / 10, 20_000 / n * 12 / 10 + 5);
  }

  /** The hash is part of the contract between machines and versions: pinned to the value
   * Python's mmh3.hash64("foo") gives (MurmurHash3 x64 128, seed 0). */
  @org.junit.jupiter.api.Test
  void hashIsStable() {
    ClipHash h = ClipHash.of("s3://bucket/a.mp4");
    assertEquals(h, ClipHash.of("s3://bucket/a.mp4"));
    assertEquals(new ClipHash(-2129773440516405919L, 9128664383759220103L), ClipHash.of("foo"));
    assertThat(new HashSet<>(List.of(ClipHash.of("a"), ClipHash.of("b"), ClipHash.of("a ")))).hasSize(3);
  }

  @Test
  void parse() {
    assertEquals(new Shard(3, 16, "--shard 3/16"), Shard.parse("3/16"));
    assertThrows(IllegalArgumentException.class, () -> Shard.parse("16/16"));
    assertThrows(IllegalArgumentException.class, () -> Shard.parse("3"));
  }

  @Test
  void slurmArrays() {
    Shard s = Shard.fromEnvironment(Map.of("SLURM_ARRAY_TASK_ID", "5", "SLURM_ARRAY_TASK_COUNT", "8"), null).orElseThrow();
    assertEquals(5, s.index());
    assertEquals(8, s.count());
    assertThat(s.source()).startsWith("Slurm array");
    // --array=1-10: ids 1..10 become shards 0..9
    Shard t = Shard.fromEnvironment(Map.of("SLURM_ARRAY_TASK_ID", "10", "SLURM_ARRAY_TASK_MIN", "1",
        "SLURM_ARRAY_TASK_MAX", "10"), null).orElseThrow();
    assertEquals(new Shard(9, 10, t.source()), t);
  }

  @Test
  void kubernetesIndexedJobs() {
    Shard s = Shard.fromEnvironment(Map.of("JOB_COMPLETION_INDEX", "2"), 4).orElseThrow();
    assertEquals(2, s.index());
    assertEquals(4, s.count());
    assertThat(s.source()).contains("Kubernetes");
    assertEquals(6, Shard.fromEnvironment(Map.of("JOB_COMPLETION_INDEX", "2", "VIDMILL_SHARDS", "6"), null)
        .orElseThrow().count());
    assertThat(assertThrows(IllegalArgumentException.class,
        () -> Shard.fromEnvironment(Map.of("JOB_COMPLETION_INDEX", "2"), null)).getMessage()).contains("--shards");
    assertThat(Shard.fromEnvironment(Map.of(), null)).isEmpty();
  }
}
