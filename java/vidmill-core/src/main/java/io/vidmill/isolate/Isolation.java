package io.vidmill.isolate;

/**
 * Where a run decodes: in its own process, or in decoding processes it supervises (one per
 * decoder; a native crash then costs one clip, not the run).
 *
 * @param processes decode in child processes
 * @param memoryLimit resident memory at which a child is killed and its clip failed with
 *     OUT_OF_MEMORY (bytes; 0 = chosen from the memory the run may use)
 */
public record Isolation(boolean processes, long memoryLimit) {
  public static final Isolation NONE = new Isolation(false, 0);
  public static final Isolation PROCESSES = new Isolation(true, 0);

  public Isolation {
    if (memoryLimit < 0) throw new IllegalArgumentException("memory limit must be >= 0");
  }

  /** The limit for one child of {@code decoders}, out of {@code memory} the run may use. */
  public long memoryLimitFor(long memory, int decoders) {
    if (memoryLimit > 0) return memoryLimit;
    return Math.max(1L << 30, (long) (0.75 * memory / Math.max(1, decoders)));
  }
}
