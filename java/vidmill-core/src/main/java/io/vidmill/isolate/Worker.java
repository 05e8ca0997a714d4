package io.vidmill.isolate;

import static io.vidmill.nativelib.Layouts.WORKER_OPTIONS;
import static io.vidmill.nativelib.Layouts.WORKER_STATE;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.vidmill.nativelib.Layouts;
import io.vidmill.nativelib.NativeLibrary;
import io.vidmill.nativelib.Vidmill;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A decoding process ({@code vm_worker}): a supervised child process, the small native
 * executable {@code vidmill-worker} running libvidmill, in which clips are opened with {@link
 * io.vidmill.decode.Clip#open(io.vidmill.decode.Source, io.vidmill.decode.OpenOptions,
 * io.vidmill.decode.Sampling, Worker)}. Such a clip is used like any other, with the same
 * frames and results; a native crash on a hostile file kills the child instead of this JVM,
 * and the clip's calls then return {@link io.vidmill.decode.Status#CRASHED} with the signal and
 * where it struck. The next clip starts a fresh child. The library also kills a child that
 * stops answering past its clip's time limit (TIMEOUT) or grows over its memory limit
 * (OUT_OF_MEMORY).
 *
 * <p>One thread at a time, one clip open at a time. A child starts in milliseconds and costs a
 * round trip over a socket per call: nothing like a JVM.
 */
public final class Worker implements AutoCloseable {
  /** Test-only: the children crash (SIGSEGV) on every clip whose name contains this (vidmill.h). */
  public static final String CRASH_ON_PROPERTY = "vidmill.test.crash-on";
  private static final String CRASH_ON_ENV = "VIDMILL_TEST_CRASH_ON";

  private static final long OPT_EXECUTABLE = Layouts.offset(WORKER_OPTIONS, "executable");
  private static final long OPT_PRELOAD = Layouts.offset(WORKER_OPTIONS, "preload");
  private static final long OPT_ENVIRONMENT = Layouts.offset(WORKER_OPTIONS, "environment");
  private static final long OPT_CRASH_DIR = Layouts.offset(WORKER_OPTIONS, "crash_dir");
  private static final long OPT_MEMORY_LIMIT = Layouts.offset(WORKER_OPTIONS, "memory_limit");
  private static final long ST_PID = Layouts.offset(WORKER_STATE, "pid");
  private static final long ST_STARTS = Layouts.offset(WORKER_STATE, "starts");
  private static final long ST_DEATHS = Layouts.offset(WORKER_STATE, "deaths");

  /** No decoding process can run here (the executable does not run, the libraries do not load). */
  public static final class Unavailable extends Exception {
    Unavailable(String why) {
      super(why);
    }
  }

  /** What the worker's children have been through. */
  public record State(int pid, int starts, int deaths) {}

  private final Arena arena;
  private final MemorySegment handle;
  private final MemorySegment state;

  private Worker(Arena arena, MemorySegment handle) {
    this.arena = arena;
    this.handle = handle;
    this.state = arena.allocate(WORKER_STATE);
    state.set(JAVA_INT, 0, (int) WORKER_STATE.byteSize());
  }

  /**
   * Starts a child and waits until it has loaded its libraries (milliseconds).
   *
   * @param memoryLimit resident bytes at which the child is killed (0 = none)
   * @param crashDir where a child that dies by a signal leaves its report (null = nowhere)
   * @throws Unavailable with the reason when no child can decode here
   */
  public static Worker start(long memoryLimit, Path crashDir) throws Unavailable {
    NativeLibrary.requireAvailable();
    Arena arena = Arena.ofShared();
    try {
      MemorySegment o = arena.allocate(WORKER_OPTIONS);
      o.set(JAVA_INT, 0, (int) WORKER_OPTIONS.byteSize());
      o.set(ADDRESS, OPT_EXECUTABLE, arena.allocateFrom(NativeLibrary.workerExecutable().toString()));
      o.set(ADDRESS, OPT_PRELOAD, strings(arena, NativeLibrary.ffmpegLibraries()));
      List<String> env = new ArrayList<>();
      // tests of the supervision make the child crash on a chosen clip
      String crashOn = System.getProperty(CRASH_ON_PROPERTY);
      if (crashOn != null) env.add(CRASH_ON_ENV + "=" + crashOn);
      o.set(ADDRESS, OPT_ENVIRONMENT, strings(arena, env));
      if (crashDir != null) o.set(ADDRESS, OPT_CRASH_DIR, arena.allocateFrom(crashDir.toString()));
      o.set(JAVA_LONG, OPT_MEMORY_LIMIT, Math.max(0, memoryLimit));
      MemorySegment out = arena.allocate(ADDRESS);
      MemorySegment detail = arena.allocate(1024);
      int rc = Vidmill.vm_worker_start(o, out, detail, detail.byteSize());
      if (rc != 0) throw new Unavailable(detail.getString(0));
      // from here on, closing the arena ends the child
      MemorySegment handle = out.get(ADDRESS, 0).reinterpret(arena, Vidmill::vm_worker_close);
      return new Worker(arena, handle);
    } catch (Unavailable | RuntimeException | Error e) {
      arena.close();
      throw e;
    }
  }

  /** A NULL-terminated array of C strings in {@code arena}. */
  private static MemorySegment strings(Arena arena, List<String> values) {
    MemorySegment array = arena.allocate(ADDRESS, values.size() + 1L);
    for (int i = 0; i < values.size(); i++) array.setAtIndex(ADDRESS, i, arena.allocateFrom(values.get(i)));
    array.setAtIndex(ADDRESS, values.size(), MemorySegment.NULL);
    return array;
  }

  /** The {@code vm_worker*}, for {@code vm_clip_open_in}. */
  public MemorySegment handle() {
    return handle;
  }

  /** The child now (pid 0 after a death, until the next clip), and the starts and deaths so far. */
  public State state() {
    Vidmill.vm_worker_state_get(handle, state);
    return new State(state.get(JAVA_INT, ST_PID), state.get(JAVA_INT, ST_STARTS), state.get(JAVA_INT, ST_DEATHS));
  }

  /** Ends the child. */
  @Override
  public void close() {
    if (arena.scope().isAlive()) arena.close();
  }
}
