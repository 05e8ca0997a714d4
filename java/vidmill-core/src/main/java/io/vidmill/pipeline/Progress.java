package io.vidmill.pipeline;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Live progress: one line rewritten in place on a terminal, plain periodic lines otherwise
 * (logs, CI, Slurm output files).
 */
public final class Progress implements AutoCloseable {
  public enum Mode { AUTO, TTY, LOG, OFF }

  private final Mode mode;
  private final Duration interval;
  private final PrintWriter out;
  private final RunStats stats;
  private final LongSupplier total;
  private final Thread thread;
  private volatile boolean running = true;

  public Progress(Mode mode, Duration logInterval, PrintWriter out, RunStats stats, LongSupplier total) {
    Mode m = mode;
    if (m == Mode.AUTO) m = System.console() != null && System.console().isTerminal() ? Mode.TTY : Mode.LOG;
    this.mode = m;
    this.interval = m == Mode.TTY ? Duration.ofMillis(500) : logInterval;
    this.out = out;
    this.stats = stats;
    this.total = total;
    this.thread = m == Mode.OFF ? null : Thread.ofPlatform().daemon().name("vidmill-progress").start(this::loop);
  }

  private void loop() {
    while (running) {
      try {
        Thread.sleep(interval);
      } catch (InterruptedException e) {
        return;
      }
      if (!running) return;
      print();
    }
  }

  private synchronized void print() {
    String line = line();
    if (mode == Mode.TTY) {
      out.print("\r" + line + "\u001b[K");
    } else {
      out.println("progress: " + line);
    }
    out.flush();
  }

  /** "1,234/5,000 clips (24.7%) | 56.2 clips/s | 3,370 frames/s | 12.3 MB/s | 3 failed | ETA 1m07s". */
  public String line() {
    long done = stats.done();
    long all = total.getAsLong();
    double s = Math.max(1e-3, stats.seconds());
    double clipsPerS = done / s;
    StringBuilder b = new StringBuilder();
    if (all > 0) {
      b.append(String.format(Locale.ROOT, "%,d/%,d clips (%.1f%%)", done, all, 100.0 * done / all));
    } else {
      b.append(String.format(Locale.ROOT, "%,d clips", done));
    }
    b.append(String.format(Locale.ROOT, " | %.1f clips/s | %,.0f frames/s | %.1f MB/s | %,d failed",
        clipsPerS, stats.frames.sum() / s, stats.bytes.sum() / s / 1e6, stats.failed.sum()));
    if (all > done && clipsPerS > 0) b.append(" | ETA ").append(duration((long) ((all - done) / clipsPerS)));
    return b.toString();
  }

  static String duration(long seconds) {
    if (seconds >= 3600) return String.format("%dh%02dm", seconds / 3600, seconds % 3600 / 60);
    if (seconds >= 60) return String.format("%dm%02ds", seconds / 60, seconds % 60);
    return seconds + "s";
  }

  @Override
  public void close() {
    running = false;
    if (thread != null) {
      thread.interrupt();
      try {
        thread.join(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (mode == Mode.TTY) {
        synchronized (this) {
          out.print("\r" + line() + "\u001b[K\n");
          out.flush();
        }
      }
    }
  }
}
