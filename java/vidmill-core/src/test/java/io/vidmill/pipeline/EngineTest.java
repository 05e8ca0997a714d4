package io.vidmill.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vidmill.decode.OpenOptions;
import io.vidmill.manifest.ClipRef;
import io.vidmill.manifest.Manifest;
import io.vidmill.shard.Shard;
import io.vidmill.testing.Results;
import io.vidmill.testing.TestMedia;
import io.vidmill.testing.TinyClips;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The library engine: the same results as vidmill run, streams side by side, early close. */
class EngineTest {
  @TempDir static Path dir;
  static List<ClipRef> refs = new ArrayList<>();
  static Path manifest;
  static Engine engine;

  @BeforeAll
  static void clips() throws Exception {
    StringBuilder lines = new StringBuilder();
    for (Path p : TinyClips.make(dir.resolve("clips"), 60)) lines.append(p).append('\n');
    lines.append(dir.resolve("missing.mp4")).append('\n');
    Files.writeString(dir.resolve("empty.mp4"), "");
    lines.append(dir.resolve("empty.mp4")).append('\n');
    if (TestMedia.present()) {
      for (String f : List.of("invalid/androidx_sample_audio_only.mp4", "invalid/mp4parse_bipbop_nonfragment_header.mp4",
          "invalid/androidx_sample_with_invalid_nalu.mp4", "valid/androidx_bbb_176x144_mpeg4.mp4")) {
        lines.append(TestMedia.dir().resolve(f)).append('\n');
      }
    }
    manifest = Files.writeString(dir.resolve("clips.txt"), lines.toString());
    try (Manifest m = Manifest.open(manifest.toString(), Manifest.Format.AUTO, null, Manifest.DEFAULT_EXTENSIONS,
        new ByteArrayInputStream(new byte[0]))) {
      m.forEachRemaining(refs::add);
    }
    engine = new Engine(new Engine.Options(2, 8, 8 << 20, Duration.ofSeconds(60), 1,
        OpenOptions.DEFAULTS.withThreads(1)));
  }

  @AfterAll
  static void close() {
    engine.close();
  }

  /**
   * What identifies and describes a result (not its timings). Of the decode errors only whether
   * there were any: the last clip of a stream gets FFmpeg's frame threads, and a damaged
   * stream's error count depends on how many frames were in flight when it failed.
   */
  static String describe(ClipResult r) {
    return String.join("|", r.statusText(), String.valueOf(r.framesDecoded()), r.info().codec(),
        r.info().width() + "x" + r.info().height(), r.info().container(), String.valueOf(r.decodeErrors() > 0));
  }

  static Map<String, String> drain(Engine.Stream s) {
    Map<String, String> byKey = new HashMap<>();
    s.forEachRemaining(r -> assertThat(byKey.put(r.ref().key(), describe(r))).as(r.ref().key()).isNull());
    return byKey;
  }

  @Test
  void givesTheResultsOfVidmillRun() throws Exception {
    Path out = dir.resolve("run");
    RunOptions o = new RunOptions(manifest.toString(), Manifest.Format.AUTO, null, Manifest.DEFAULT_EXTENSIONS, out,
        Shard.ALL, io.vidmill.tune.TuneOptions.fixed(2, 1, 8, 8L << 20), Duration.ofSeconds(60), 1,
        OpenOptions.DEFAULTS.withThreads(1),
        Duration.ofSeconds(30), 1000, Progress.Mode.OFF, Duration.ofSeconds(10), false);
    new Run(o, new PrintWriter(new StringWriter()), new ByteArrayInputStream(new byte[0])).execute();
    Map<String, String> fromRun = new HashMap<>();
    try (Results r = new Results(out)) {
      for (var row : r.query("SELECT key, status, frames_decoded, codec, width, height, container, decode_errors FROM CLIPS")) {
        fromRun.put((String) row.get("key"), String.join("|", (String) row.get("status"),
            String.valueOf(row.get("frames_decoded")), row.get("codec") == null ? "" : (String) row.get("codec"),
            (row.get("width") == null ? 0 : row.get("width")) + "x" + (row.get("height") == null ? 0 : row.get("height")),
            row.get("container") == null ? "" : (String) row.get("container"),
            String.valueOf((Long) row.get("decode_errors") > 0)));
      }
    }
    Map<String, String> fromEngine = drain(engine.process(refs.iterator(), 2));
    assertEquals(refs.size(), fromEngine.size());
    assertEquals(fromRun, fromEngine);
    assertThat(fromEngine.get(dir.resolve("missing.mp4").toString())).startsWith("NOT_FOUND|0|");
    assertThat(fromEngine.get(dir.resolve("empty.mp4").toString())).startsWith("EMPTY|0|");
    assertThat(fromEngine.values().stream().filter(v -> v.startsWith("ok|"))).hasSizeGreaterThanOrEqualTo(60);
    assertEquals(0, engine.bytesInFlight());
  }

  @Test
  void streamsSideBySideShareOneEngine() throws Exception {
    List<ClipRef> a = refs.subList(0, 30);
    List<ClipRef> b = refs.subList(30, refs.size());
    try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
      Future<Map<String, String>> fa = pool.submit(() -> drain(engine.process(a.iterator(), 1)));
      Future<Map<String, String>> fb = pool.submit(() -> drain(engine.process(b.iterator(), 1)));
      assertEquals(a.stream().map(ClipRef::key).sorted().toList(), fa.get().keySet().stream().sorted().toList());
      assertEquals(b.stream().map(ClipRef::key).sorted().toList(), fb.get().keySet().stream().sorted().toList());
    }
    assertEquals(0, engine.bytesInFlight());
  }

  @Test
  void closingEarlyGivesTheMemoryBackAndStopsReadingInput() throws Exception {
    int[] read = {0};
    var counting = new java.util.Iterator<ClipRef>() {
      final java.util.Iterator<ClipRef> it = refs.iterator();

      public boolean hasNext() {
        return it.hasNext();
      }

      public ClipRef next() {
        read[0]++;
        return it.next();
      }
    };
    Engine.Stream s = engine.process(counting, 2);
    for (int i = 0; i < 3; i++) assertThat(s.next().ref().key()).isNotEmpty();
    s.close();
    assertThat(s.hasNext()).isFalse();
    assertThat(read[0]).isLessThan(refs.size());
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (engine.bytesInFlight() > 0 && System.nanoTime() < deadline) Thread.sleep(20);
    assertEquals(0, engine.bytesInFlight());
    // the engine serves the next stream as before
    assertEquals(refs.size(), drain(engine.process(refs.iterator(), 2)).size());
  }

  /** What a run's spec asks for happens in an engine too: sampling, conversion, statistics, frames spooled. */
  @Test
  void anEngineMakesWhatItsSpecAsks() throws Exception {
    Path spool = dir.resolve("engine-spool");
    ClipSpec spec = ClipSpec.DEFAULT.withSampling(io.vidmill.decode.Sampling.parse("uniform=2"))
        .withOutput(io.vidmill.ops.Output.of(io.vidmill.ops.PixelFormat.RGB24).withSize(16, 16, io.vidmill.ops.Resize.FILL))
        .withStats(true).withFrames(io.vidmill.dataset.FrameFormat.PNG, 95);
    try (Engine e = new Engine(engine.options().withSpec(spec, spool))) {
      List<ClipRef> tiny = refs.subList(0, 6);
      int n = 0;
      for (var it = e.process(tiny.iterator(), 2); it.hasNext(); ) {
        ClipResult r = it.next();
        n++;
        assertThat(r.ok()).as(r.ref().key()).isTrue();
        assertEquals(2, r.framesReturned());
        assertThat(r.framesDecoded()).isGreaterThanOrEqualTo(2);
        assertEquals(2, r.aggregates().frames());
        assertThat(r.frames().spool()).exists().hasFileName(r.frames().sampleKey() + ".tmp");
        assertThat(r.frames().frames()).extracting(io.vidmill.dataset.FrameRecord::file)
            .containsExactly(r.frames().sampleKey() + ".000000.png", r.frames().sampleKey() + ".000001.png");
        assertThat(r.frames().frames()).allSatisfy(f -> assertThat(f.stats()).isNotNull());
        r.frames().discard();
        assertThat(r.frames().spool()).doesNotExist();
      }
      assertEquals(6, n);
    }
  }
}
