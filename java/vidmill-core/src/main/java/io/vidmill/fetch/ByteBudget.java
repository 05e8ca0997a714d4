package io.vidmill.fetch;

/**
 * Caps the bytes of fetched clips held in memory at once. A clip bigger than the whole budget
 * still goes through, alone, once everything else has been released. The cap can move during
 * a run (the tuner raises it for slow storage, lowers it under memory pressure); the time
 * fetches spend waiting for room is counted, which is how the tuner sees that the cap binds.
 */
public final class ByteBudget {
  private long capacity;
  private long used;
  private long waitNanos;

  public ByteBudget(long capacity) {
    if (capacity <= 0) throw new IllegalArgumentException("capacity must be > 0");
    this.capacity = capacity;
  }

  public synchronized long capacity() {
    return capacity;
  }

  /** A new cap; lowering it makes new fetches wait until enough is released. */
  public synchronized void setCapacity(long bytes) {
    if (bytes <= 0) throw new IllegalArgumentException("capacity must be > 0");
    capacity = bytes;
    notifyAll();
  }

  public synchronized long used() {
    return used;
  }

  /** Nanoseconds fetches have waited for room so far, summed over fetches. */
  public synchronized long waitNanos() {
    return waitNanos;
  }

  /** Blocks until {@code bytes} fit (or the budget is empty, for an oversized clip). */
  public synchronized void acquire(long bytes) throws InterruptedException {
    if (used > 0 && used + bytes > capacity) {
      long start = System.nanoTime();
      try {
        while (used > 0 && used + bytes > capacity) wait();
      } finally {
        waitNanos += System.nanoTime() - start;
      }
    }
    used += bytes;
  }

  public synchronized void release(long bytes) {
    used -= bytes;
    if (used < 0) throw new IllegalStateException("released more than acquired");
    notifyAll();
  }
}
