package io.vidmill.journal;

import io.vidmill.shard.ClipHash;

/**
 * The clips a run has committed, as 128-bit key hashes in an open-addressing table: 16 bytes
 * per clip (about 35 with the table's slack), so a shard of ten million clips fits in 350 MB.
 * Not thread-safe; the sink thread owns it.
 */
public final class DoneSet {
  private long[] slots; // pairs (hi, lo); (0, 0) marks an empty slot
  private int size;
  private int mask;

  public DoneSet() {
    this(1 << 12);
  }

  public DoneSet(int expected) {
    int cap = Integer.highestOneBit(Math.max(16, (int) Math.min(1 << 29, expected * 2L)) - 1) << 1;
    slots = new long[cap * 2];
    mask = cap - 1;
  }

  public int size() {
    return size;
  }

  /** Adds the hash; returns false when it was already there. */
  public boolean add(ClipHash h) {
    long hi = h.hi();
    long lo = h.lo();
    if (hi == 0 && lo == 0) lo = 1; // keep (0, 0) free as the empty marker
    if ((size + 1) * 3L > (mask + 1L) * 2) grow();
    return insert(slots, mask, hi, lo);
  }

  public boolean contains(ClipHash h) {
    long hi = h.hi();
    long lo = h.lo();
    if (hi == 0 && lo == 0) lo = 1;
    for (int i = (int) mix(hi, lo) & mask; ; i = (i + 1) & mask) {
      long shi = slots[2 * i];
      long slo = slots[2 * i + 1];
      if (shi == 0 && slo == 0) return false;
      if (shi == hi && slo == lo) return true;
    }
  }

  private boolean insert(long[] table, int m, long hi, long lo) {
    for (int i = (int) mix(hi, lo) & m; ; i = (i + 1) & m) {
      long shi = table[2 * i];
      long slo = table[2 * i + 1];
      if (shi == 0 && slo == 0) {
        table[2 * i] = hi;
        table[2 * i + 1] = lo;
        if (table == slots) size++;
        return true;
      }
      if (shi == hi && slo == lo) return false;
    }
  }

  private void grow() {
    long[] old = slots;
    int cap = (mask + 1) * 2;
    long[] bigger = new long[cap * 2];
    int m = cap - 1;
    for (int i = 0; i < old.length; i += 2) {
      if (old[i] != 0 || old[i + 1] != 0) insert(bigger, m, old[i], old[i + 1]);
    }
    slots = bigger;
    mask = m;
  }

  private static long mix(long hi, long lo) {
    long x = hi ^ (lo * 0x9E3779B97F4A7C15L);
    return x ^ (x >>> 29);
  }
}
