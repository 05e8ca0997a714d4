package io.vidmill.pipeline;

import io.vidmill.decode.OpenOptions;
import io.vidmill.isolate.WorkerChannel;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Where a decode thread of a run decodes its clips: in this process, or in a decoding process
 * of its own (crash isolation: a native crash on a hostile file costs that process, and the
 * clip a CRASHED row, not the run).
 */
sealed interface ClipDecoder extends AutoCloseable permits ClipDecoder.InProcess, ClipDecoder.Isolated {
  ClipResult decode(ClipTask.Work w, int threads);

  /**
   * Gets ready before the first clip (a decoding process starts and loads its libraries).
   *
   * @throws Unavailable when nothing can be decoded here: fatal for the run
   */
  void prepare();

  /** Nothing can be decoded here (the native libraries do not load, in this process or a child). */
  final class Unavailable extends RuntimeException {
    Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  @Override
  void close();

  /** In this JVM, with this thread's frame batch and encoder. */
  final class InProcess implements ClipDecoder {
    private final OpenOptions decode;
    private final ClipTask.Worker worker;

    InProcess(OpenOptions decode, ClipSpec spec, Path spoolDir) {
      this.decode = decode;
      this.worker = new ClipTask.Worker(spec, spoolDir);
    }

    @Override
    public void prepare() {
      try {
        io.vidmill.nativelib.NativeLibrary.requireAvailable();
      } catch (RuntimeException e) {
        throw new Unavailable(e.getMessage(), e);
      }
    }

    @Override
    public ClipResult decode(ClipTask.Work w, int threads) {
      return ClipTask.decode(w, worker, decode, threads);
    }

    @Override
    public void close() {
      worker.close();
    }
  }

  /**
   * In a child process (started at the first clip, replaced when it dies). A clip whose
   * process dies is tried once more in a fresh one: the first death may have had another cause
   * (the OOM killer, a signal from outside); a clip that kills two is CRASHED and quarantined.
   */
  final class Isolated implements ClipDecoder {
    /** Extra time the parent gives a child past the clip's own limit, which the child enforces first. */
    static final long GRACE_NANOS = 5_000_000_000L;

    private final com.fasterxml.jackson.databind.node.ObjectNode settings;
    private final WorkerChannel channel;
    private final RunStats stats;

    /** @param spoolDir where the process spools the clips' tar members for this process's sink */
    Isolated(OpenOptions decode, ClipSpec spec, Path spoolDir, long memoryLimit, Path crashDir, RunStats stats) {
      this.settings = IsolatedClips.settings(decode, spec, spoolDir);
      IsolatedClips.warmUpParentSoon(settings);
      this.channel = new WorkerChannel(memoryLimit, crashDir);
      this.stats = stats;
    }

    @Override
    public void prepare() {
      try {
        channel.start();
      } catch (WorkerChannel.Unavailable e) {
        throw new Unavailable(e.getMessage(), e);
      } catch (IOException e) {
        // the first clip tries again, and fails on its own if the process still cannot start
      }
    }

    @Override
    public ClipResult decode(ClipTask.Work w, int threads) {
      ClipResult early = ClipTask.early(w, threads);
      if (early != null) return early;
      var source = w.fetched().source();
      var data = source instanceof io.vidmill.decode.Source.Memory m ? m.data() : null;
      String path = data == null ? ((io.vidmill.decode.Source.File) source).path().toString() : null;
      int crashes = 0;
      while (true) {
        byte[] job = IsolatedClips.job(w, settings, threads);
        try {
          return IsolatedClips.result(channel.call(data, path, job, w.deadlineNanos() + GRACE_NANOS));
        } catch (WorkerChannel.WorkerFailed e) {
          stats.workerDeaths.increment();
          if (e.failure() instanceof WorkerChannel.Died && ++crashes < 2) continue;
          return IsolatedClips.failed(w, e.failure(), crashes, threads);
        } catch (WorkerChannel.Unavailable e) {
          throw new Unavailable(e.getMessage(), e);
        } catch (IOException e) {
          return ClipTask.result(w, io.vidmill.decode.Status.INTERNAL, "cannot start a decoding process: "
              + e.getMessage(), io.vidmill.decode.ClipInfo.UNKNOWN, null, 0, 0, threads);
        }
      }
    }

    @Override
    public void close() {
      channel.close();
    }
  }
}
