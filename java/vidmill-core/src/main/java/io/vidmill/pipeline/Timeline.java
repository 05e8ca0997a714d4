package io.vidmill.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The run over time: every second one JSON line appended to OUT/timeline[-SHARD].jsonl with
 * this attempt's counters so far (clips, ok, failed, frames, bytes fetched, stage seconds) and
 * what the pipeline looks like now (queue depths, the tuner's settings). {@code vidmill report}
 * turns the lines into charts.
 *
 * <p>The file is a log beside the results, not part of them: the journal never reads it, so a
 * kill at any moment can cost at most a torn last line, which readers skip. Lines go to the
 * page cache as they are made (no fsync: a lost second of timeline after a power cut is not
 * worth a disk flush a second); the last one is forced at the end. Every attempt starts its
 * counters at zero and names itself ({@code attempt}: its start, epoch ms), so the samples of a
 * resumed run tell the attempts apart.
 */
final class Timeline implements AutoCloseable {
  static final int VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final FileChannel file;
  private final String shard;
  private final RunStats stats;
  private final Supplier<Map<String, Number>> settings;
  private final Supplier<Map<String, Number>> queues;
  private final long attempt = System.currentTimeMillis();
  private final Thread thread;
  private volatile boolean running = true;
  private IOException failure; // the first write error: the timeline stops, the run goes on

  private Timeline(FileChannel file, String shard, RunStats stats, Supplier<Map<String, Number>> settings,
                   Supplier<Map<String, Number>> queues, Duration interval) {
    this.file = file;
    this.shard = shard;
    this.stats = stats;
    this.settings = settings;
    this.queues = queues;
    sample();
    this.thread = Thread.ofPlatform().daemon().name("vidmill-timeline").start(() -> loop(interval));
  }

  /** Starts sampling into {@code path} (appending); a timeline that cannot be written is left out, never fatal. */
  static Timeline start(Path path, String shard, RunStats stats, Supplier<Map<String, Number>> settings,
                        Supplier<Map<String, Number>> queues) {
    return start(path, shard, stats, settings, queues, Duration.ofSeconds(1));
  }

  static Timeline start(Path path, String shard, RunStats stats, Supplier<Map<String, Number>> settings,
                        Supplier<Map<String, Number>> queues, Duration interval) {
    try {
      boolean torn = endsTorn(path);
      FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.APPEND);
      // a killed attempt may have left half a line: end it, so that it stays one unreadable line of its own
      if (torn) ch.write(ByteBuffer.wrap(new byte[] {'\n'}));
      return new Timeline(ch, shard, stats, settings, queues, interval);
    } catch (IOException e) {
      return null; // try-with-resources accepts null
    }
  }

  private static boolean endsTorn(Path path) throws IOException {
    if (!Files.exists(path)) return false;
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      if (ch.size() == 0) return false;
      ByteBuffer last = ByteBuffer.allocate(1);
      ch.read(last, ch.size() - 1);
      return last.get(0) != '\n';
    }
  }

  private void loop(Duration interval) {
    while (running) {
      try {
        Thread.sleep(interval);
      } catch (InterruptedException e) {
        return;
      }
      if (running) sample();
    }
  }

  /** One line: counters are this attempt's totals so far, so a lost line loses no counts. */
  private synchronized void sample() {
    if (failure != null) return;
    ObjectNode s = JSON.createObjectNode();
    s.put("v", VERSION);
    s.put("t", System.currentTimeMillis() / 1000.0);
    s.put("shard", shard);
    s.put("attempt", attempt);
    s.put("elapsed", Math.round(stats.seconds() * 1000) / 1000.0);
    s.put("clips", stats.done());
    s.put("ok", stats.ok.sum());
    s.put("failed", stats.failed.sum());
    s.put("frames", stats.frames.sum());
    s.put("bytes_fetched", stats.bytes.sum());
    s.put("retries", stats.retries.sum());
    ObjectNode st = s.putObject("stage_s");
    st.put("fetch", stats.fetchNanos.sum() / 1e9);
    st.put("open", stats.openNanos.sum() / 1e9);
    st.put("demux", stats.demuxNanos.sum() / 1e9);
    st.put("decode", stats.decodeNanos.sum() / 1e9);
    st.put("output", stats.outputNanos.sum() / 1e9);
    put(s.putObject("queues"), queues);
    put(s.putObject("settings"), settings);
    try {
      byte[] line = (JSON.writeValueAsString(s) + "\n").getBytes(StandardCharsets.UTF_8);
      ByteBuffer buf = ByteBuffer.wrap(line);
      while (buf.hasRemaining()) file.write(buf);
    } catch (IOException e) {
      failure = e;
    }
  }

  private static void put(ObjectNode into, Supplier<Map<String, Number>> values) {
    Map<String, Number> m;
    try {
      m = values.get();
    } catch (RuntimeException e) {
      return; // a tuner's view that fails must not stop the sampling
    }
    m.forEach((k, v) -> {
      if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) into.put(k, v.longValue());
      else if (v != null) into.put(k, v.doubleValue());
    });
  }

  /** A last sample (the run's final counts), forced to disk. */
  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    sample();
    try (file) {
      if (failure == null) file.force(false);
    } catch (IOException e) {
      // the results are what counts; a timeline that cannot be flushed is only shorter
    }
  }
}
