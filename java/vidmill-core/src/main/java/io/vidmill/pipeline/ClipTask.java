package io.vidmill.pipeline;

import io.vidmill.ClipException;
import io.vidmill.dataset.ClipFrames;
import io.vidmill.dataset.ClipJson;
import io.vidmill.dataset.FrameFormat;
import io.vidmill.dataset.FrameRecord;
import io.vidmill.dataset.SampleKey;
import io.vidmill.dataset.SpoolWriter;
import io.vidmill.decode.Clip;
import io.vidmill.decode.ClipInfo;
import io.vidmill.decode.ClipStats;
import io.vidmill.decode.DecodeResult;
import io.vidmill.decode.Frame;
import io.vidmill.decode.FrameBatch;
import io.vidmill.decode.OpenOptions;
import io.vidmill.decode.Rational;
import io.vidmill.decode.Status;
import io.vidmill.decode.Want;
import io.vidmill.fetch.FetchException;
import io.vidmill.fetch.Fetched;
import io.vidmill.fetch.Fetcher;
import io.vidmill.manifest.ClipRef;
import io.vidmill.ops.ClipAggregates;
import io.vidmill.ops.ImageEncoder;
import io.vidmill.ops.Output;
import io.vidmill.ops.PixelFormat;
import io.vidmill.ops.Resize;
import io.vidmill.report.ContactSheet;
import io.vidmill.shard.ClipHash;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * What happens to one clip between the manifest and the sink, the same in {@link Run} and
 * {@link Engine}: fetched (with retries for I/O errors), then decoded into a {@link ClipResult}
 * with what the run's {@link ClipSpec} asks for: the selected frames converted, their
 * statistics, their files spooled for the shards, a record each.
 */
final class ClipTask {
  private ClipTask() {}

  /** Handed from fetch to decode: the bytes, or why there are none. */
  record Work(ClipRef ref, ClipHash hash, Fetched fetched, FetchException failure, long fetchNanos,
              int attempts, long deadlineNanos) {}

  /** Tells a decode loop to stop. */
  static final Work END = new Work(null, null, null, null, 0, 0, 0);

  /**
   * Brings the clip's bytes in, retrying I/O errors up to {@code retries} times with jittered
   * exponential back-off inside the clip's time limit; a missing object, a denied read and
   * everything deterministic are final at once.
   */
  static Work fetch(ClipRef ref, ClipHash hash, Fetcher fetcher, Duration clipTimeout, int retries, RunStats stats) {
    long start = System.nanoTime();
    long deadline = start + clipTimeout.toNanos();
    int attempt = 0;
    while (true) {
      attempt++;
      try {
        Fetched f = fetcher.fetch(ref.uri(), deadline);
        stats.bytes.add(f.bytes());
        return new Work(ref, hash, f, null, System.nanoTime() - start, attempt, deadline);
      } catch (FetchException e) {
        long backoff = Math.min(8000, 250L << Math.min(attempt - 1, 5));
        backoff += ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
        if (!e.retryable() || attempt > retries || System.nanoTime() + backoff * 1_000_000 > deadline) {
          return new Work(ref, hash, null, e, System.nanoTime() - start, attempt, deadline);
        }
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return new Work(ref, hash, null, e, System.nanoTime() - start, attempt, deadline);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return interrupted(ref, hash, e, System.nanoTime() - start, attempt, deadline);
      }
    }
  }

  static Work interrupted(ClipRef ref, ClipHash hash, InterruptedException e, long nanos, int attempts, long deadline) {
    return new Work(ref, hash, null, new FetchException(Status.IO, "interrupted", false, e), nanos, attempts, deadline);
  }

  /**
   * What one decode thread keeps from clip to clip: its frame batch (asking for what the spec
   * needs), its image encoder, and the decoding process its clips open in (null: this one).
   * Confined to that thread.
   */
  static final class Worker implements AutoCloseable {
    final ClipSpec spec;
    final FrameBatch batch;
    final Path spoolDir;
    final ContactSheet.Pictures pictures;
    io.vidmill.isolate.Worker process;
    private FrameBatch single;      // a first frame alone (npy whose size follows the picture)
    private ImageEncoder encoder;
    private FrameBatch picture;     // the contact sheet's frame, converted
    private ImageEncoder pictureEncoder;

    /** @param spoolDir where clips' tar members wait for the sink; needed when frames are written */
    Worker(ClipSpec spec, Path spoolDir) {
      this(spec, spoolDir, null);
    }

    /**
     * @param pictures where the contact sheet's pictures go, made from the frames this worker
     *     decodes anyway (null: none are made)
     */
    Worker(ClipSpec spec, Path spoolDir, ContactSheet.Pictures pictures) {
      if (spec.frames() != FrameFormat.NONE && spoolDir == null)
        throw new IllegalArgumentException("frames are written: a spool folder is needed");
      this.spec = spec;
      this.spoolDir = spoolDir;
      this.pictures = pictures;
      // a batch without pixels is a few hundred bytes a frame: room for a short clip's frames
      // in one call (one round trip in a decoding process); with pixels the buffer bounds it
      this.batch = FrameBatch.allocate(spec.converts() ? 32 : 256, wants(spec));
    }

    private static Want[] wants(ClipSpec spec) {
      List<Want> w = new ArrayList<>();
      if (spec.converts()) w.add(Want.PIXELS); // converting means rendering the picture somewhere
      if (spec.stats()) w.add(Want.STATS);
      return w.toArray(Want[]::new);
    }

    FrameBatch single() {
      if (single == null) single = FrameBatch.allocate(1, wants(spec));
      return single;
    }

    ImageEncoder encoder() {
      if (encoder == null) {
        encoder = ImageEncoder.open(spec.frames() == FrameFormat.PNG ? ImageEncoder.Codec.PNG : ImageEncoder.Codec.JPEG,
            spec.quality());
      }
      return encoder;
    }

    FrameBatch picture() {
      if (picture == null) picture = FrameBatch.allocate(1, Want.PIXELS);
      return picture;
    }

    ImageEncoder pictureEncoder() {
      if (pictureEncoder == null) pictureEncoder = ImageEncoder.open(ImageEncoder.Codec.JPEG, ContactSheet.QUALITY);
      return pictureEncoder;
    }

    @Override
    public void close() {
      batch.close();
      if (single != null) single.close();
      if (encoder != null) encoder.close();
      if (picture != null) picture.close();
      if (pictureEncoder != null) pictureEncoder.close();
      if (process != null) process.close();
    }
  }

  /**
   * Decodes the fetched clip with {@code threads} decoder threads, within what is left of its
   * time limit, making what the worker's spec asks for.
   *
   * @throws UncheckedIOException when the dataset's files cannot be written (a full disk):
   *     the run's problem, not the clip's
   */
  static ClipResult decode(Work w, Worker k, OpenOptions decode, int threads) {
    ClipResult early = early(w, threads);
    if (early != null) return early;
    long start = System.nanoTime();
    // at least 1 ms: early() saw time left, and a zero timeout would mean none at all
    long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(w.deadlineNanos() - start));
    ClipSpec spec = k.spec;
    OpenOptions options = decode.withTimeout(Duration.ofMillis(left)).withThreads(threads);
    try (Clip clip = Clip.open(w.fetched().source(), options, spec.sampling(), k.process)) {
      if (spec.converts()) clip.setOutput(spec.output());
      if (!spec.keepsFrames()) {
        DecodeResult d = pictureWanted(w, k, clip) ? decodeWithPicture(w, k, clip) : clip.decodeAll(k.batch, f -> {});
        return result(w, d.status(), d.message(), clip.info(), d.stats(), System.nanoTime() - start, threads, 0,
            spec.stats() ? clip.aggregates() : null, null);
      }
      return keep(w, clip, k, start, threads);
    } catch (ClipException e) {
      return result(w, e.status(), e.detail(), e.info(), null, 0, System.nanoTime() - start, threads);
    } catch (IllegalArgumentException e) {
      // the library refused the sampling or the output for this clip
      return result(w, Status.INVALID_ARGUMENT, e.getMessage(), ClipInfo.UNKNOWN, null, 0,
          System.nanoTime() - start, threads);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the frames of " + w.ref().key() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Whether this clip's contact sheet picture is made here: the sample may want it, and the
   * decode is plain (every frame, nothing converted, so that setting the picture's output
   * changes no other result), on the CPU (a GPU would have to hand a frame over), with a frame
   * count the container foretells (the picture's frame is known before the end).
   */
  private static boolean pictureWanted(Work w, Worker k, Clip clip) {
    if (k.pictures == null || k.spec.converts() || k.spec.stats() || !k.spec.sampling().selectsEverything()) return false;
    ClipInfo info = clip.info();
    return !info.onGpu() && expectedFrames(info) > 0 && k.pictures.wants(w.ref().key());
  }

  /**
   * The frames the container says the clip has: its declared count, else its duration times
   * its average frame rate. A guess that decoding confirms or not ({@link #decodeWithPicture}).
   */
  static long expectedFrames(ClipInfo info) {
    if (info.declaredFrames() > 0) return info.declaredFrames();
    Rational r = info.avgFrameRate();
    if (info.durationMicros() <= 0 || !r.known() || r.num() <= 0) return 0;
    return Math.round(info.durationMicros() / 1e6 * r.toDouble());
  }

  /**
   * Decodes every frame as {@code clip.decodeAll} does, and renders the frame of the contact
   * sheet's picture (alone, in a batch of its own: the others are never converted) into a
   * JPEG. The picture counts only when the clip ends cleanly with the frame count it was
   * chosen by; otherwise the report decodes the right frame itself.
   */
  private static DecodeResult decodeWithPicture(Work w, Worker k, Clip clip) {
    long expected = expectedFrames(clip.info());
    long at = ContactSheet.pictureFrame(expected);
    clip.setOutput(ContactSheet.output(ContactSheet.WIDTH));
    long frames = 0;
    byte[] jpeg = null;
    Status s;
    do {
      FrameBatch b = frames == at ? k.picture() : k.batch;
      if (b == k.batch && frames < at) b.limit((int) Math.min(b.capacity(), at - frames));
      try {
        s = clip.next(b);
      } finally {
        if (b == k.batch) b.limit(b.capacity());
      }
      if (b == k.picture() && b.count() == 1) {
        jpeg = k.pictureEncoder().encode(b.frame(0)).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
      }
      frames += b.count();
    } while (s == Status.OK);
    // a clip that succeeded is in the sample's bookkeeping either way, with its picture or without
    if (s == Status.EOF) k.pictures.add(w.ref().key(), frames == expected ? jpeg : null);
    return new DecodeResult(s, s.isError() ? clip.errorMessage() : "", frames, clip.stats());
  }

  /** The result of a clip that needs no decoder: its fetch failed, or its time ran out meanwhile; else null. */
  static ClipResult early(Work w, int threads) {
    if (w.failure() != null) {
      return result(w, w.failure().status(), w.failure().getMessage(), ClipInfo.UNKNOWN, null, 0, 0, threads);
    }
    if (TimeUnit.NANOSECONDS.toMillis(w.deadlineNanos() - System.nanoTime()) <= 0) {
      return result(w, Status.TIMEOUT, "the clip's time limit passed while it was being fetched",
          ClipInfo.UNKNOWN, null, 0, 0, threads);
    }
    return null;
  }

  /** Decodes a clip whose frames are kept: encoded into its spool, and a record each. */
  private static ClipResult keep(Work w, Clip clip, Worker k, long start, int threads) throws IOException {
    ClipSpec spec = k.spec;
    String sampleKey = SampleKey.of(w.ref().key(), w.hash());
    ClipInfo first = clip.info();
    Rational tb = first.timeBase();
    long startPts = tb.known() && first.containerStartMicros() != Long.MIN_VALUE
        ? Math.round(first.containerStartMicros() * (double) tb.den() / (1e6 * tb.num())) : 0;
    List<FrameRecord> records = new ArrayList<>();
    long encodeNanos = 0;
    try (SpoolWriter spool = spec.frames() == FrameFormat.NONE ? null
        : new SpoolWriter(k.spoolDir.resolve(sampleKey + ".tmp"), sampleKey, spec.frames(), Instant.now())) {
      // an array needs one size per clip: where the output's size follows the picture, the
      // first frame's size is pinned for the rest (the same pixels while the picture keeps its
      // size; a stream that changes size mid-way is resized to it)
      boolean pin = spec.frames() == FrameFormat.NPY && !fixedSize(spec.output());
      FrameBatch b = pin ? k.single() : k.batch;
      Status s;
      do {
        s = clip.next(b);
        long t0 = System.nanoTime();
        for (int i = 0; i < b.count(); i++) {
          Frame f = b.frame(i);
          FrameRecord r = new FrameRecord(records.size(), f.pts(),
              f.pts() == Long.MIN_VALUE || !tb.known() ? Double.NaN : (f.pts() - startPts) * tb.toDouble(),
              f.keyFrame(), f.width(), f.height(), null, f.stats());
          if (spool != null) {
            r = spool.add(r, spec.frames() == FrameFormat.NPY ? f.pixels() : k.encoder().encode(f));
          }
          records.add(r);
        }
        encodeNanos += System.nanoTime() - t0;
        if (pin && b.count() > 0) {
          Frame f = b.frame(0);
          clip.setOutput(spec.output().withSize(f.width(), f.height(), Resize.FILL));
          b = k.batch;
          pin = false;
        }
      } while (s == Status.OK);
      ClipStats stats = clip.stats();
      ClipAggregates aggregates = spec.stats() ? clip.aggregates() : null;
      ClipInfo info = clip.info();
      String message = s.isError() ? clip.errorMessage() : "";
      ClipFrames frames = null;
      if (s == Status.EOF) { // a failed clip gives the dataset nothing: its row says why
        long t0 = System.nanoTime();
        if (spool != null) {
          byte[] json = ClipJson.clip(w.ref().key(), w.ref().uri(), sampleKey, w.ref().columns(), info,
              spec.toJson(), records, aggregates);
          frames = spool.finish(json, emptyShape(spec.output()));
        } else {
          frames = ClipFrames.recordsOnly(sampleKey, records);
        }
        encodeNanos += System.nanoTime() - t0;
      }
      return result(w, s, message, info, stats, System.nanoTime() - start, threads, encodeNanos, aggregates, frames);
    }
  }

  /** Modes whose output is exactly the box, whatever the picture. */
  private static boolean fixedSize(Output o) {
    return o.resize() == Resize.FILL || o.resize() == Resize.CENTER_CROP || o.resize() == Resize.PAD;
  }

  /** The shape of an array of no frames: the box where the size is fixed, else zeros. */
  private static int[] emptyShape(Output o) {
    int h = fixedSize(o) ? o.height() : 0;
    int wd = fixedSize(o) ? o.width() : 0;
    return o.format() == PixelFormat.GRAY8 ? new int[] {h, wd} : new int[] {h, wd, o.format().channels()};
  }

  /** The row of a decoded clip. */
  static ClipResult result(Work w, Status status, String error, ClipInfo info, ClipStats s, long decodeStageNanos,
                           int threads, long encodeNanos, ClipAggregates aggregates, ClipFrames frames) {
    return new ClipResult(w.ref(), w.hash(), status, error, info, s.framesDecoded(), s.decodeErrors(), s.bytesRead(),
        w.fetchNanos(), s.openNanos(), s.demuxNanos(), s.decodeNanos(), s.outputNanos(),
        w.fetchNanos() + decodeStageNanos, w.attempts(), info.backend(), s.threads(), Instant.now(), s.frames(), s,
        encodeNanos, aggregates, frames);
  }

  /** The row of a clip that never reached a decoder; {@code threads} stands in for the decoder's own. */
  static ClipResult result(Work w, Status status, String error, ClipInfo info, ClipStats s, long frames,
                           long decodeStageNanos, int threads) {
    return new ClipResult(w.ref(), w.hash(), status, error, info, frames, s == null ? 0 : s.decodeErrors(),
        s == null ? 0 : s.bytesRead(), w.fetchNanos(), s == null ? decodeStageNanos : s.openNanos(),
        s == null ? 0 : s.demuxNanos(), s == null ? 0 : s.decodeNanos(), s == null ? 0 : s.outputNanos(),
        w.fetchNanos() + decodeStageNanos, w.attempts(), info.backend(), s == null ? threads : s.threads(), Instant.now());
  }
}
