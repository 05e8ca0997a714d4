package io.vidmill.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OUT/timeline.jsonl: samples appended while a run goes; a torn line from a kill stays a line of its own. */
class TimelineTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  @Test
  void samplesCountersQueuesAndSettingsAndEndsWithTheFinalCounts() throws Exception {
    Path file = dir.resolve("timeline.jsonl");
    RunStats stats = new RunStats();
    try (Timeline t = Timeline.start(file, "0/1", stats, () -> Map.of("workers", 3, "decoder_threads", 1),
        () -> Map.of("decode_queue", 5), Duration.ofMillis(20))) {
      stats.ok.add(7);
      stats.frames.add(70);
      stats.bytes.add(7000);
      Thread.sleep(100);
      stats.failed.add(1);
    }
    List<JsonNode> lines = read(file);
    assertThat(lines.size()).isGreaterThanOrEqualTo(3); // the first, some while running, the last
    JsonNode first = lines.getFirst();
    JsonNode last = lines.getLast();
    assertEquals(0, first.path("clips").asLong());
    assertEquals(8, last.path("clips").asLong());
    assertEquals(1, last.path("failed").asLong());
    assertEquals(70, last.path("frames").asLong());
    assertEquals(7000, last.path("bytes_fetched").asLong());
    assertEquals(3, last.path("settings").path("workers").asInt());
    assertEquals(5, last.path("queues").path("decode_queue").asInt());
    assertEquals("0/1", last.path("shard").asText());
    assertEquals(first.path("attempt").asLong(), last.path("attempt").asLong());
    for (int i = 1; i < lines.size(); i++) {
      assertThat(lines.get(i).path("t").asDouble()).isGreaterThanOrEqualTo(lines.get(i - 1).path("t").asDouble());
    }
  }

  @Test
  void aTornLastLineStaysAloneAndTheNextAttemptAppends() throws Exception {
    Path file = dir.resolve("timeline.jsonl");
    Files.writeString(file, "{\"v\":1,\"t\":1.0,\"clips\":3}\n{\"v\":1,\"t\":2.0,\"cl");
    RunStats stats = new RunStats();
    try (Timeline t = Timeline.start(file, "0/1", stats, Map::of, Map::of, Duration.ofSeconds(10))) {
      stats.ok.add(2);
    }
    List<String> lines = Files.readAllLines(file);
    assertEquals("{\"v\":1,\"t\":2.0,\"cl", lines.get(1));
    assertThat(lines).hasSize(4);
    assertEquals(2, JSON.readTree(lines.get(3)).path("clips").asLong());
  }

  @Test
  void aTimelineThatCannotBeWrittenIsLeftOut() {
    Path notADir = dir.resolve("missing/dir/timeline.jsonl");
    assertThat(Timeline.start(notADir, "0/1", new RunStats(), Map::of, Map::of)).isNull();
  }

  private static List<JsonNode> read(Path file) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String l : Files.readAllLines(file)) out.add(JSON.readTree(l));
    return out;
  }
}
