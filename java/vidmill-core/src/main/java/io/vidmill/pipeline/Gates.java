package io.vidmill.pipeline;

import java.util.concurrent.Semaphore;

/** Concurrency limits that the tuner moves while a run goes on. */
final class Gates {
  private Gates() {}

  /** A semaphore whose number of permits can be set: fetch slots. */
  static final class Resizable extends Semaphore {
    private int permits;

    Resizable(int permits) {
      super(permits);
      this.permits = permits;
    }

    /** Holders keep their permits; a lower count takes effect as they release them. */
    synchronized void resize(int n) {
      if (n > permits) release(n - permits);
      else if (n < permits) reducePermits(permits - n);
      permits = n;
    }

    synchronized int size() {
      return permits;
    }

    /** Permits taken right now (may exceed size() for a moment after a reduction). */
    int inUse() {
      return size() - availablePermits();
    }
  }

  /**
   * Lets decoders 0..active-1 take work; the others park until the tuner opens the gate for
   * them. At the end of the run the count freezes: the active decoders take what is left and
   * one end-of-work marker each, the parked ones leave without touching the queue (they must
   * not start a decoding process for nothing).
   */
  static final class Workers {
    private int active;
    private boolean ending;

    Workers(int active) {
      this.active = active;
    }

    /** Ignored once the run ends: a late decision of the tuner must not change who takes the markers. */
    synchronized void setActive(int n) {
      if (ending) return;
      active = n;
      notifyAll();
    }

    synchronized int active() {
      return active;
    }

    /**
     * Blocks while decoder {@code index} is not among the active ones; true when it may take
     * work, false when the run is ending and it is not one of the decoders that drain it.
     */
    synchronized boolean await(int index) throws InterruptedException {
      while (index >= active && !ending) wait();
      return index < active;
    }

    /** Whether the run is ending. */
    synchronized boolean ending() {
      return ending;
    }

    /** The run is ending: returns how many decoders will take an end-of-work marker. */
    synchronized int end() {
      ending = true;
      notifyAll();
      return active;
    }
  }
}
