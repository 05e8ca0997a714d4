package io.vidmill.fetch;

/**
 * Caps the bytes of fetched clips held in memory at once. A clip bigger than the whole budget
 * still goes through, alone, once everything else has been released.
 */
public final class ByteBudget {
  private final long capacity;
  private long used;

  public ByteBudget(long capacity) {
    if (capacity <= 0) throw new IllegalArgumentException("capacity must be > 0");
    this.capacity = capacity;
  }

  public long capacity() {
    return capacity;
  }

  public synchronized long used() {
    return used;
  }

  /** Blocks until {@code bytes} fit (or the budget is empty, for an oversized clip). */
  public synchronized void acquire(long bytes) throws InterruptedException {
    while (used > 0 && used + bytes > capacity) wait();
    used += bytes;
  }

  public synchronized void release(long bytes) {
    used -= bytes;
    if (used < 0) throw new IllegalStateException("released more than acquired");
    notifyAll();
  }
}
