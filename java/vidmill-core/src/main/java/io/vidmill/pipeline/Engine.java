package io.vidmill.pipeline;

import io.vidmill.decode.ClipInfo;
import io.vidmill.decode.Device;
import io.vidmill.decode.OpenOptions;
import io.vidmill.decode.Status;
import io.vidmill.fetch.ByteBudget;
import io.vidmill.fetch.Fetched;
import io.vidmill.fetch.Fetcher;
import io.vidmill.gpu.Cuda;
import io.vidmill.manifest.ClipRef;
import io.vidmill.nativelib.NativeLibrary;
import io.vidmill.shard.ClipHash;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The fetch and decode stages of {@code vidmill run} as a library: clip references in, one
 * {@link ClipResult} per clip out, with no journal, sink or sharding. This is what embeds
 * vidmill in another engine (the Spark integration runs one per executor).
 *
 * <p>One engine per process serves any number of {@linkplain #process streams} at once: they
 * share the native library, the fetcher (HTTP and S3 clients, the cap on bytes in flight, the
 * buffer pool, the fetch concurrency) and a pool of {@code workers} decode threads; each stream
 * decodes up to its own parallelism of clips at once, one native decoder each. Results come
 * out in the order clips finish, each carrying its key. A clip that cannot be read is a result
 * with its error code, never an exception; only a process that cannot decode at all (the native
 * library did not load) throws.
 */
public final class Engine implements AutoCloseable {
  /**
   * @param workers decode threads of the whole engine (the most clips decoding at once, summed
   *     over streams): the process's cores
   * @param fetchConcurrency clips being fetched at once, summed over streams
   * @param maxBytesInFlight cap on fetched bytes held in memory
   * @param clipTimeout wall-clock limit per clip, fetch and decode together
   * @param retries extra attempts after an I/O error (never after a decode error)
   * @param decode decoder options; the timeout is replaced by what is left of clipTimeout
   * @param spec what to make of each clip (sampling, conversion, statistics; frames too)
   * @param spoolDir where clips' tar members are written when the spec writes frames: each
   *     result's {@link io.vidmill.dataset.ClipFrames#spool()}, the caller's to take (and
   *     {@link io.vidmill.dataset.ClipFrames#discard()}); null otherwise
   */
  public record Options(int workers, int fetchConcurrency, long maxBytesInFlight, Duration clipTimeout,
                        int retries, OpenOptions decode, ClipSpec spec, java.nio.file.Path spoolDir) {
    public Options {
      if (workers < 1 || fetchConcurrency < 1) throw new IllegalArgumentException("workers and fetch concurrency must be >= 1");
      if (maxBytesInFlight < 1) throw new IllegalArgumentException("max bytes in flight must be >= 1");
      if (retries < 0) throw new IllegalArgumentException("retries must be >= 0");
      Objects.requireNonNull(clipTimeout, "clipTimeout");
      Objects.requireNonNull(decode, "decode");
      Objects.requireNonNull(spec, "spec");
      if (spec.frames() != io.vidmill.dataset.FrameFormat.NONE && spoolDir == null)
        throw new IllegalArgumentException("a spec that writes frames needs a spool folder");
    }

    /** Every frame decoded, nothing kept but the results. */
    public Options(int workers, int fetchConcurrency, long maxBytesInFlight, Duration clipTimeout, int retries,
                   OpenOptions decode) {
      this(workers, fetchConcurrency, maxBytesInFlight, clipTimeout, retries, decode, ClipSpec.DEFAULT, null);
    }

    public Options withSpec(ClipSpec s, java.nio.file.Path spool) {
      return new Options(workers, fetchConcurrency, maxBytesInFlight, clipTimeout, retries, decode, s, spool);
    }

    /** vidmill run's defaults for {@code workers} decode threads: one decoder thread per clip, GPUs where they decode. */
    public static Options defaults(int workers) {
      return new Options(workers, Math.max(8, 2 * workers), 512L << 20, Duration.ofSeconds(300), 3,
          OpenOptions.DEFAULTS.withThreads(1).withDevice(Device.AUTO));
    }
  }

  private static final ClipTask.Work END = ClipTask.END;

  private final Options o;
  private final Fetcher fetcher;
  private final Semaphore fetchSlots;
  private final ExecutorService decoders;
  private final ExecutorService fetchers;
  private final RunStats stats = new RunStats();
  private final AtomicBoolean closed = new AtomicBoolean();

  public Engine(Options options) {
    this.o = Objects.requireNonNull(options, "options");
    this.fetcher = new Fetcher(new ByteBudget(o.maxBytesInFlight()), o.clipTimeout());
    this.fetchSlots = new Semaphore(o.fetchConcurrency());
    AtomicInteger n = new AtomicInteger();
    this.decoders = Executors.newFixedThreadPool(o.workers(),
        r -> Thread.ofPlatform().daemon().name("vidmill-decode-" + n.getAndIncrement()).unstarted(r));
    this.fetchers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("vidmill-fetch-", 0).factory());
  }

  public Options options() {
    return o;
  }

  /** Counters over every stream of this engine (clips, frames, bytes, time per stage). */
  public RunStats stats() {
    return stats;
  }

  /** Fetched bytes held in memory now, over all streams (0 once every stream is done or closed). */
  public long bytesInFlight() {
    return fetcher.budget().used();
  }

  /**
   * Fetches and decodes every clip of {@code refs}, at most {@code parallelism} of them
   * decoding at once (capped by the engine's workers). {@code refs} is only ever read by the
   * thread that calls the returned iterator, as the results are taken: input that needs its
   * own thread (Spark's partition iterators do) stays there. Close the stream when done with
   * it early; a stream read to its end closes itself.
   */
  public Stream process(Iterator<ClipRef> refs, int parallelism) {
    return process(refs, parallelism, List.of());
  }

  /**
   * As {@link #process(Iterator, int)}, with the GPUs the scheduler gave this caller (e.g. a
   * Spark task's GPU addresses, CUDA device indices): with a decode device that may use GPUs
   * ({@link Device#AUTO}, {@link Device#CUDA}), the stream's decoders are spread over them;
   * without a hint over every GPU that decodes. Clips a GPU cannot take decode on the CPU.
   */
  public Stream process(Iterator<ClipRef> refs, int parallelism, List<String> devices) {
    if (closed.get()) throw new IllegalStateException("the engine is closed");
    return new Stream(refs, Math.max(1, Math.min(parallelism, o.workers())), List.copyOf(devices));
  }

  /** One caller's clips: an iterator over their results, in the order they finish. */
  public final class Stream implements Iterator<ClipResult>, AutoCloseable {
    private final Iterator<ClipRef> refs;
    private final int parallelism;
    private final List<String> devices;
    private final int maxInFlight;
    private final BlockingQueue<ClipTask.Work> decodeQueue = new LinkedBlockingQueue<>();
    private final BlockingQueue<ClipResult> results = new LinkedBlockingQueue<>();
    private final AtomicInteger untaken = new AtomicInteger();
    private final AtomicReference<Throwable> fatal = new AtomicReference<>();
    // the decode loops end on an END each, queued after the last hand-over (or at cancel)
    private final Object handOver = new Object();
    private int fetching;             // guarded by handOver
    private boolean endsQueued;       // guarded by handOver
    private volatile boolean inputDone;
    private volatile boolean cancelled;
    private boolean started;
    private long submitted;
    private long returned;
    private ClipResult next;

    private Stream(Iterator<ClipRef> refs, int parallelism, List<String> devices) {
      this.refs = Objects.requireNonNull(refs, "refs");
      this.parallelism = parallelism;
      this.devices = devices;
      // enough fetched ahead that a decoder never waits for storage, as in vidmill run: fetches
      // in progress plus a queue of two clips per decoder
      this.maxInFlight = Math.max(8, 2 * parallelism) + 3 * parallelism;
    }

    /** Clips of this stream decoding at once. */
    public int parallelism() {
      return parallelism;
    }

    /** The accelerators this stream was given (a hint; see {@link Engine#process(Iterator, int, List)}). */
    public List<String> devices() {
      return devices;
    }

    @Override
    public boolean hasNext() {
      if (next != null) return true;
      if (cancelled && submitted == returned) return false;
      if (!started) start();
      while (!inputDone && submitted - returned < maxInFlight && fatal.get() == null) {
        if (refs.hasNext()) {
          submit(refs.next());
        } else {
          synchronized (handOver) {
            inputDone = true;
            queueEndsIfDone();
          }
        }
      }
      if (submitted == returned) {
        close();
        return false;
      }
      try {
        while ((next = results.poll(100, TimeUnit.MILLISECONDS)) == null) {
          if (fatal.get() != null) break;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
        throw new IllegalStateException("interrupted while waiting for clip results", e);
      }
      Throwable f = fatal.get();
      if (next == null && f != null) {
        close();
        throw new IllegalStateException("vidmill cannot decode in this process: " + f.getMessage(), f);
      }
      returned++;
      return true;
    }

    @Override
    public ClipResult next() {
      if (!hasNext()) throw new NoSuchElementException();
      ClipResult r = next;
      next = null;
      return r;
    }

    private void start() {
      started = true;
      for (int i = 0; i < parallelism; i++) {
        OpenOptions decode = o.decode().withDevice(deviceFor(i));
        decoders.execute(() -> decodeLoop(decode));
      }
    }

    /** The device of the stream's decoder {@code slot}: the hinted GPUs (or all) in turn. */
    private Device deviceFor(int slot) {
      Device d = o.decode().device();
      if (!d.wantsGpu() || d.isOneGpu()) return d;
      List<Integer> gpus = new java.util.ArrayList<>();
      for (String h : devices) {
        try {
          gpus.add(Integer.parseInt(h.strip()));
        } catch (NumberFormatException e) {
          // not a CUDA index: ignored
        }
      }
      if (gpus.isEmpty()) gpus = Cuda.decoderGpus().stream().map(Cuda.Gpu::index).toList();
      return gpus.isEmpty() ? d : Device.cuda(gpus.get(slot % gpus.size()));
    }

    private void submit(ClipRef ref) {
      submitted++;
      untaken.incrementAndGet();
      synchronized (handOver) {
        fetching++;
      }
      ClipHash hash = ClipHash.of(ref.key());
      fetchers.execute(() -> {
        ClipTask.Work w;
        try {
          fetchSlots.acquire();
          try {
            w = ClipTask.fetch(ref, hash, fetcher, o.clipTimeout(), o.retries(), stats);
          } finally {
            fetchSlots.release();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          w = ClipTask.interrupted(ref, hash, e, 0, 1, 0);
        }
        synchronized (handOver) {
          fetching--;
          if (!cancelled) {
            decodeQueue.add(w);
            queueEndsIfDone();
            return;
          }
        }
        if (w.fetched() != null) w.fetched().close(); // nobody will decode it
      });
    }

    /** Holds handOver. */
    private void queueEndsIfDone() {
      if (started && !endsQueued && (cancelled || inputDone && fetching == 0)) {
        endsQueued = true;
        for (int i = 0; i < parallelism; i++) decodeQueue.add(END);
      }
    }

    private void decodeLoop(OpenOptions decode) {
      try {
        // libvidmill may still be loading: fetches get going meanwhile, the decoders wait here
        NativeLibrary.requireAvailable();
      } catch (RuntimeException e) {
        fatal.compareAndSet(null, e);
        return;
      }
      try (ClipTask.Worker worker = new ClipTask.Worker(o.spec(), o.spoolDir())) {
        while (true) {
          ClipTask.Work w = decodeQueue.take();
          if (w == END) return;
          boolean last = untaken.decrementAndGet() == 0 && inputDone;
          ClipResult r;
          try {
            // the end of the stream: no clip will follow this one onto a core that falls idle,
            // so FFmpeg's frame threads may use it (same frames; the tail finishes sooner)
            int threads = decode.threads() == 1 && parallelism > 1 && last ? Math.min(parallelism, 8)
                : decode.threads();
            r = cancelled ? null : ClipTask.decode(w, worker, decode, threads);
          } catch (java.io.UncheckedIOException e) {
            throw e; // the frames cannot be written: this stream cannot go on
          } catch (RuntimeException | Error e) {
            // a bug, not the clip's fault: recorded against the clip, and the others go on
            r = ClipTask.result(w, Status.INTERNAL, String.valueOf(e), ClipInfo.UNKNOWN, null, 0, 0, 0);
          } finally {
            if (w.fetched() != null) w.fetched().close();
          }
          if (r != null) {
            stats.record(r);
            results.add(r);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException | Error e) {
        fatal.compareAndSet(null, e); // e.g. a frame batch could not be allocated
      }
    }

    /**
     * Ends the stream, early or not: no more input is read, clips not yet decoded are dropped
     * and their memory given back; the decode threads go back to the engine.
     */
    @Override
    public void close() {
      synchronized (handOver) {
        if (cancelled) return;
        cancelled = true;
        inputDone = true;
        queueEndsIfDone();
      }
      returned = submitted; // what is still in flight is dropped
      results.clear();
    }
  }

  /** Stops the decode threads after the clips they hold; streams still open get no more results. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) return;
    decoders.shutdownNow();
    fetchers.shutdownNow();
    try {
      decoders.awaitTermination(o.clipTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    fetcher.close();
  }
}
