package io.vidmill.pipeline;

import io.vidmill.decode.Status;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/** Counters of a run, updated by every stage, read by progress lines and the summary. */
public final class RunStats {
  public final long startNanos = System.nanoTime();
  public final LongAdder seen = new LongAdder();          // manifest entries read
  public final LongAdder otherShards = new LongAdder();   // belong to another shard
  public final LongAdder alreadyDone = new LongAdder();   // committed by an earlier attempt
  public final LongAdder duplicates = new LongAdder();    // the same key again in this run
  public final LongAdder ok = new LongAdder();
  public final LongAdder failed = new LongAdder();
  public final LongAdder frames = new LongAdder();          // decoded
  public final LongAdder framesReturned = new LongAdder();  // selected by the sampling
  public final LongAdder bytes = new LongAdder();          // fetched
  public final LongAdder retries = new LongAdder();
  public final LongAdder workerDeaths = new LongAdder();  // decoding processes that died or were killed
  public final LongAdder fetchNanos = new LongAdder();
  public final LongAdder openNanos = new LongAdder();
  public final LongAdder demuxNanos = new LongAdder();
  public final LongAdder decodeNanos = new LongAdder();
  public final LongAdder outputNanos = new LongAdder();
  public final LongAdder writeNanos = new LongAdder();
  public final LongAdder encodeNanos = new LongAdder();     // frames encoded and spooled for the dataset
  public final AtomicInteger fetching = new AtomicInteger();  // clips being fetched (or waiting for the decode queue)
  public final AtomicInteger decoding = new AtomicInteger();  // clips in the decoders' hands
  private final ConcurrentHashMap<Status, LongAdder> failures = new ConcurrentHashMap<>();
  private final List<Consumer<ClipResult>> listeners = new CopyOnWriteArrayList<>();

  /** Also hands every result to {@code listener} (live metrics), on the decode thread that made it: keep it cheap. */
  public void listen(Consumer<ClipResult> listener) {
    listeners.add(listener);
  }

  void record(ClipResult r) {
    // the listeners first, the clip counted last: whoever sees it counted (a metrics scrape)
    // sees everything the listeners made of it too
    for (Consumer<ClipResult> l : listeners) l.accept(r);
    frames.add(r.framesDecoded());
    framesReturned.add(r.framesReturned());
    encodeNanos.add(r.encodeNanos());
    fetchNanos.add(r.fetchNanos());
    openNanos.add(r.openNanos());
    demuxNanos.add(r.demuxNanos());
    decodeNanos.add(r.decodeNanos());
    outputNanos.add(r.outputNanos());
    if (r.attempts() > 1) retries.add(r.attempts() - 1);
    if (!r.ok()) failures.computeIfAbsent(r.status(), s -> new LongAdder()).increment();
    if (r.ok()) ok.increment(); else failed.increment();
  }

  public long done() {
    return ok.sum() + failed.sum();
  }

  public double seconds() {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  /** Failures by code, most frequent first in name order for ties. */
  public Map<String, Long> failuresByCode() {
    Map<String, Long> m = new TreeMap<>();
    failures.forEach((k, v) -> m.put(k.name(), v.sum()));
    return m;
  }
}
