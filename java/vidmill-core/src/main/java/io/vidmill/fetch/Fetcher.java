package io.vidmill.fetch;

import io.vidmill.decode.Status;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;

/**
 * Brings a clip's bytes in from where its URI says: s3:// (AWS SDK v2: endpoint, region and
 * credentials the usual way) and http(s):// (the JDK's HTTP client) into budgeted off-heap
 * memory; a local path or file:// into the kernel's page cache, read ahead for the decoder,
 * which reads the file itself. Thread-safe: one instance serves every fetch thread of a run.
 */
public final class Fetcher implements AutoCloseable {
  private final ByteBudget budget;
  private final BufferPool buffers;
  private final Duration timeout;
  private volatile S3Source s3;
  private volatile HttpSource http;

  public Fetcher(ByteBudget budget, Duration timeout) {
    this.budget = budget;
    this.buffers = new BufferPool(budget.capacity());
    this.timeout = timeout;
  }

  public ByteBudget budget() {
    return budget;
  }

  /**
   * One attempt, to be done by {@code deadlineNanos} (System.nanoTime); the caller retries
   * when the exception says so.
   */
  public Fetched fetch(String uri, long deadlineNanos) throws FetchException, InterruptedException {
    if (uri.startsWith("s3://")) return s3().fetch(uri, this, deadlineNanos);
    if (uri.startsWith("http://") || uri.startsWith("https://")) return http().fetch(uri, this, deadlineNanos);
    return local(Path.of(uri.startsWith("file://") ? java.net.URI.create(uri).getPath() : uri));
  }

  /**
   * A local file is decoded where it is: the kernel reads it ahead into its page cache (see
   * {@link ReadAhead}) and the decoder reads it from there. What stat can tell (missing, a
   * directory) fails here; the rest (unreadable, a FIFO, a device) is the decoder's verdict.
   */
  private Fetched local(Path path) throws FetchException {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(path, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw new FetchException(Status.NOT_FOUND, "No such file or directory", false, e);
    } catch (AccessDeniedException e) {
      throw new FetchException(Status.PERMISSION_DENIED, "Permission denied", false, e);
    } catch (IOException e) {
      throw new FetchException(Status.IO, String.valueOf(e.getMessage()), true, e);
    }
    if (a.isDirectory()) throw new FetchException(Status.IO, "is a directory, not a file", false, null);
    if (a.isRegularFile()) ReadAhead.start(path, a.size());
    return Fetched.onDisk(path, a.isRegularFile() ? a.size() : 0);
  }

  /**
   * Reads a stream of known length into budgeted off-heap memory. A stalled connection cannot
   * hold the clip past its deadline: a watchdog closes the stream then, failing the read.
   */
  Fetched readStream(InputStream in, long length, String name, long deadlineNanos)
      throws IOException, InterruptedException, FetchException {
    budget.acquire(length);
    BufferPool.Lease lease = buffers.take(length);
    var watchdog = closeAtDeadline(in, deadlineNanos);
    try {
      MemorySegment seg = lease.segment();
      byte[] chunk = new byte[1 << 16];
      long at = 0;
      int n;
      while (at < length && (n = in.read(chunk, 0, (int) Math.min(chunk.length, length - at))) > 0) {
        MemorySegment.copy(chunk, 0, seg, ValueLayout.JAVA_BYTE, at, n);
        at += n;
      }
      if (at < length) throw new IOException("connection closed after " + at + " of " + length + " bytes");
      return Fetched.inMemory(lease, seg, budget, length, name);
    } catch (IOException | RuntimeException e) {
      release(lease, length);
      if (System.nanoTime() >= deadlineNanos) {
        throw new FetchException(Status.TIMEOUT, "reading took longer than the clip's time limit", false, e);
      }
      throw e;
    } finally {
      watchdog.cancel(false);
    }
  }

  /** Closes {@code in} at the deadline, so that a blocked read fails instead of hanging. */
  static java.util.concurrent.ScheduledFuture<?> closeAtDeadline(InputStream in, long deadlineNanos) {
    return WATCHDOG.schedule(() -> {
      try {
        in.close();
      } catch (IOException e) {
        // the reader sees the stream fail
      }
    }, Math.max(0, deadlineNanos - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  private static final java.util.concurrent.ScheduledExecutorService WATCHDOG =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("vidmill-fetch-watchdog").factory());

  private void release(BufferPool.Lease lease, long charged) {
    lease.release();
    budget.release(charged);
  }

  Duration timeout() {
    return timeout;
  }

  private S3Source s3() {
    S3Source s = s3;
    if (s == null) {
      synchronized (this) {
        if (s3 == null) s3 = new S3Source(timeout);
        s = s3;
      }
    }
    return s;
  }

  private HttpSource http() {
    HttpSource h = http;
    if (h == null) {
      synchronized (this) {
        if (http == null) http = new HttpSource(timeout);
        h = http;
      }
    }
    return h;
  }

  @Override
  public void close() {
    if (s3 != null) s3.close();
    buffers.close();
  }
}
