package io.vidmill.fetch;

import io.vidmill.decode.Source;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * A clip's bytes, ready to decode: in a pooled off-heap buffer (given back, and released from
 * the budget, on close), or, for a local file, its path (read ahead into the page cache).
 */
public final class Fetched implements AutoCloseable {
  private final BufferPool.Lease lease;
  private final MemorySegment data;
  private final Path path;
  private final ByteBudget budget;
  private final long charged;
  private final String name;
  private final long size;
  private boolean closed;

  private Fetched(BufferPool.Lease lease, MemorySegment data, Path path, ByteBudget budget, long charged, String name,
                  long size) {
    this.lease = lease;
    this.data = data;
    this.path = path;
    this.budget = budget;
    this.charged = charged;
    this.name = name;
    this.size = size;
  }

  /** Bytes in {@code data}, a slice of a pooled buffer, charged to {@code budget}. */
  static Fetched inMemory(BufferPool.Lease lease, MemorySegment data, ByteBudget budget, long charged, String name) {
    return new Fetched(lease, data, null, budget, charged, name, data.byteSize());
  }

  /** A local file of {@code size} bytes (0 when it is not a regular file), decoded in place. */
  static Fetched onDisk(Path path, long size) {
    return new Fetched(null, null, path, null, 0, path.toString(), size);
  }

  public Source source() {
    return data != null ? Source.of(data, name) : Source.of(path);
  }

  /** Bytes of the clip: held in memory, or the local file's size. */
  public long bytes() {
    return size;
  }

  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    if (lease != null) lease.release();
    if (budget != null) budget.release(charged);
  }
}
