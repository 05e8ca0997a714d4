package io.vidmill.pipeline;

import io.vidmill.decode.OpenOptions;
import io.vidmill.decode.Status;
import io.vidmill.isolate.Worker;
import io.vidmill.report.ContactSheet;
import java.nio.file.Path;

/**
 * Where a decode thread of a run decodes its clips: in this process, or in a decoding process
 * of its own (crash isolation: a native crash on a hostile file costs that process, and the
 * clip a CRASHED row, not the run). The same {@link ClipTask} either way: only where the clip
 * is opened differs.
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

    InProcess(OpenOptions decode, ClipSpec spec, Path spoolDir, ContactSheet.Pictures pictures) {
      this.decode = decode;
      this.worker = new ClipTask.Worker(spec, spoolDir, pictures);
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
   * In a decoding process of its own ({@link Worker}: started before the first clip, replaced
   * when it dies). A clip whose process dies is tried once more in a fresh one: the first death
   * may have had another cause (the OOM killer, a signal from outside); a clip that kills two
   * is CRASHED and quarantined.
   */
  final class Isolated implements ClipDecoder {
    private final OpenOptions decode;
    private final ClipTask.Worker worker;
    private final long memoryLimit;
    private final Path crashDir;
    private final RunStats stats;
    private int deathsCounted;

    /**
     * @param memoryLimit the process's resident memory at which it is killed (bytes; 0 = none)
     * @param crashDir where a process that dies by a signal leaves its report
     */
    Isolated(OpenOptions decode, ClipSpec spec, Path spoolDir, ContactSheet.Pictures pictures, long memoryLimit,
             Path crashDir, RunStats stats) {
      this.decode = decode;
      this.worker = new ClipTask.Worker(spec, spoolDir, pictures);
      this.memoryLimit = memoryLimit;
      this.crashDir = crashDir;
      this.stats = stats;
    }

    @Override
    public void prepare() {
      try {
        worker.process = Worker.start(memoryLimit, crashDir);
      } catch (Worker.Unavailable e) {
        throw new Unavailable("no decoding process can run here (" + e.getMessage()
            + "); --isolation none decodes in this process", e);
      } catch (RuntimeException e) {
        throw new Unavailable(e.getMessage(), e);
      }
    }

    @Override
    public ClipResult decode(ClipTask.Work w, int threads) {
      for (int crashes = 1; ; crashes++) {
        ClipResult r = ClipTask.decode(w, worker, decode, threads);
        int deaths = worker.process.state().deaths();
        stats.workerDeaths.add(deaths - deathsCounted);
        deathsCounted = deaths;
        if (r.status() != Status.CRASHED) return r;
        if (crashes == 2) {
          return r.withError(r.error() + "; it killed " + crashes
              + " decoding processes and is quarantined (not tried again)");
        }
      }
    }

    @Override
    public void close() {
      worker.close();
    }
  }
}
