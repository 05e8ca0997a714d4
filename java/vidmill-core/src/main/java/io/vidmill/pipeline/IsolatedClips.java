package io.vidmill.pipeline;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vidmill.decode.ClipInfo;
import io.vidmill.decode.OpenOptions;
import io.vidmill.decode.Source;
import io.vidmill.decode.Status;
import io.vidmill.isolate.WorkerChannel;
import io.vidmill.manifest.ClipRef;
import io.vidmill.shard.ClipHash;
import io.vidmill.synth.SyntheticClip;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The per-clip work of {@link ClipTask}, done in a decoding process: the job sent there, the
 * result sent back (JSON: small, and the same records on both sides), and the child's side of
 * it. See {@link io.vidmill.isolate.WorkerChannel} for the processes themselves.
 */
public final class IsolatedClips {
  private IsolatedClips() {}

  static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
      .registerModule(asText(asText(new SimpleModule("java.time"), Instant.class, Instant::parse),
          Duration.class, Duration::parse));

  /** Values written as their ISO-8601 text (toString) and read back with {@code parse}. */
  private static <T> SimpleModule asText(SimpleModule m, Class<T> type, java.util.function.Function<String, T> parse) {
    return m.addSerializer(type, new JsonSerializer<T>() {
      @Override
      public void serialize(T v, JsonGenerator g, SerializerProvider p) throws IOException {
        g.writeString(v.toString());
      }
    }).addDeserializer(type, new JsonDeserializer<T>() {
      @Override
      public T deserialize(JsonParser p, DeserializationContext c) throws IOException {
        return parse.apply(p.getValueAsString());
      }
    });
  }

  /**
   * What every job of one decoder carries alike: its decode options (its device among them), the
   * run's spec and spool folder. Made once per decoder, not per clip.
   */
  static ObjectNode settings(OpenOptions decode, ClipSpec spec, Path spoolDir) {
    ObjectNode s = JSON.createObjectNode();
    s.set("decode", JSON.valueToTree(decode));
    s.set("spec", JSON.valueToTree(spec));
    if (spoolDir != null) s.put("spool", spoolDir.toString());
    return s;
  }

  /** The job for {@code w}: what the child needs to decode it as this process would. */
  static byte[] job(ClipTask.Work w, ObjectNode settings, int threads) {
    return job(w.ref(), w.hash(), w.fetched().source().name(), w.fetchNanos(), w.attempts(),
        Math.max(1, TimeUnit.NANOSECONDS.toMillis(w.deadlineNanos() - System.nanoTime())), threads, settings);
  }

  private static byte[] job(ClipRef ref, ClipHash hash, String name, long fetchNanos, int attempts, long leftMillis,
                            int threads, ObjectNode settings) {
    ObjectNode j = JSON.createObjectNode();
    j.put("key", ref.key());
    j.put("uri", ref.uri());
    j.set("columns", JSON.valueToTree(ref.columns() == null ? Map.of() : ref.columns()));
    j.put("hash_hi", hash.hi());
    j.put("hash_lo", hash.lo());
    j.put("name", name);
    j.put("fetch_nanos", fetchNanos);
    j.put("attempts", attempts);
    j.put("left_millis", leftMillis);
    j.put("threads", threads);
    j.setAll(settings);
    try {
      return JSON.writeValueAsBytes(j);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // Cold, the first clip of a process costs some half a second more than the next: Jackson
  // introspects the records of the job and the result (in both processes), and the child makes
  // its first native calls. The warm-ups pay that while the manifest is read and the first
  // clips are fetched, instead of holding up the first clip, which matters to runs of a few
  // dozen clips (every shard of a run starts cold).

  /**
   * The child's warm-up: a made-up clip of a few frames, synthesised and decoded as a job.
   *
   * @return whether that clip decoded (only time is at stake when it did not)
   */
  public static boolean warmUpChild() {
    Path dir = null;
    try {
      dir = java.nio.file.Files.createTempDirectory("vidmill-warm-up-");
      Path clip = dir.resolve("warm-up.mp4");
      // FFmpeg's own MPEG-4 encoder: it starts in a fraction of OpenH264's time
      new SyntheticClip(32, 32, 30, 1, 2, 30, 0, 0, "mpeg4", "testsrc2", null).write(clip);
      ClipRef ref = new ClipRef("warm-up", clip.toString(), Map.of("warm", "up"));
      ObjectNode settings = settings(OpenOptions.DEFAULTS, ClipSpec.DEFAULT.withStats(true), null);
      byte[] reply = handle(job(ref, new ClipHash(0, 0), clip.toString(), 0, 1, 10_000, 1, settings), null,
          clip.toString());
      return result(reply).ok();
    } catch (IOException | RuntimeException e) {
      return false; // the first clip warms up instead
    } finally {
      try {
        if (dir != null) Run.deleteTree(dir);
      } catch (IOException e) {
        // a temporary folder left behind
      }
    }
  }

  private static final java.util.concurrent.atomic.AtomicBoolean PARENT_WARM =
      new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * The parent's warm-up, once per process, beside the children's start: a job and a result,
   * made up, written and read as for a clip.
   */
  static void warmUpParentSoon(ObjectNode settings) {
    if (!PARENT_WARM.compareAndSet(false, true)) return;
    Thread.ofPlatform().daemon().name("vidmill-warm-up").start(() -> {
      ClipTask.Work w = new ClipTask.Work(new ClipRef("warm-up", "warm-up", Map.of("warm", "up")),
          new ClipHash(0, 0), null, null, 0, 1, System.nanoTime());
      try {
        job(w.ref(), w.hash(), "warm-up", 0, 1, 1, 1, settings);
        result(JSON.writeValueAsBytes(ClipTask.result(w, Status.INTERNAL, "warm-up", ClipInfo.UNKNOWN, null, 0, 0, 1)));
      } catch (IOException | RuntimeException e) {
        // as above
      }
    });
  }

  /**
   * The clip's result from the reply.
   *
   * @throws UncheckedIOException when the process could not write the clip's frames (a full
   *     disk): the run's problem, as in this process
   */
  static ClipResult result(byte[] reply) {
    JsonNode r;
    try {
      r = JSON.readTree(reply);
    } catch (IOException e) {
      throw new UncheckedIOException("a decoding process sent a reply that does not parse", e);
    }
    if (r.has(FATAL_IO)) throw new UncheckedIOException(new IOException(r.get(FATAL_IO).asText()));
    try {
      return JSON.treeToValue(r, ClipResult.class);
    } catch (IOException e) {
      throw new UncheckedIOException("a decoding process sent a reply that does not parse", e);
    }
  }

  /** The reply's field for an I/O error of the run (OUT cannot be written), not of the clip. */
  private static final String FATAL_IO = "fatal_io";

  // a decoding process decodes one clip at a time, for one decoder of one run: the settings of
  // its jobs stay the same, and so do the options and the worker made from them
  private static List<JsonNode> settingsSeen;
  private static OpenOptions decode;
  private static ClipTask.Worker worker;

  /** The child's side: decodes the job's clip from {@code data} (or the file at {@code path}). */
  public static byte[] handle(byte[] job, MemorySegment data, String path) throws IOException {
    JsonNode j = JSON.readTree(job);
    Map<String, String> columns = new HashMap<>();
    j.path("columns").properties().forEach(e -> columns.put(e.getKey(), e.getValue().asText()));
    ClipRef ref = new ClipRef(j.path("key").asText(), j.path("uri").asText(), columns);
    ClipHash hash = new ClipHash(j.path("hash_hi").asLong(), j.path("hash_lo").asLong());
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(j.path("left_millis").asLong());
    ClipTask.Work w = new ClipTask.Work(ref, hash, null, null, j.path("fetch_nanos").asLong(),
        j.path("attempts").asInt(), deadline);
    Source source = data != null ? Source.of(data, j.path("name").asText()) : Source.of(Path.of(path));
    List<JsonNode> settings = List.of(j.path("decode"), j.path("spec"), j.path("spool"));
    if (worker == null || !settings.equals(settingsSeen)) {
      if (worker != null) worker.close();
      worker = null;
      decode = JSON.treeToValue(j.path("decode"), OpenOptions.class);
      worker = new ClipTask.Worker(JSON.treeToValue(j.path("spec"), ClipSpec.class),
          j.hasNonNull("spool") ? Path.of(j.path("spool").asText()) : null);
      settingsSeen = settings;
    }
    ClipResult r;
    try {
      r = ClipTask.decode(w, source, worker, decode, j.path("threads").asInt());
    } catch (UncheckedIOException e) {
      return JSON.writeValueAsBytes(JSON.createObjectNode().put(FATAL_IO, String.valueOf(e.getMessage())));
    } catch (RuntimeException | Error e) {
      r = ClipTask.result(w, Status.INTERNAL, String.valueOf(e), ClipInfo.UNKNOWN, null, 0, 0, 0);
    }
    return JSON.writeValueAsBytes(r);
  }

  /** The result of a clip whose decoding process did not answer: CRASHED, TIMEOUT or OUT_OF_MEMORY. */
  static ClipResult failed(ClipTask.Work w, WorkerChannel.Failure f, int crashes, int threads) {
    Status s = switch (f) {
      case WorkerChannel.Died d -> Status.CRASHED;
      case WorkerChannel.TimedOut t -> Status.TIMEOUT;
      case WorkerChannel.OutOfMemory m -> Status.OUT_OF_MEMORY;
    };
    String message = f.describe();
    if (s == Status.CRASHED) {
      message += crashes > 1 ? "; it killed " + crashes + " decoding processes and is quarantined (not tried again)"
          : "";
    }
    return ClipTask.result(w, s, message, ClipInfo.UNKNOWN, null, 0, 0, threads);
  }
}
