package io.vidmill.isolate;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The parent's end of one decoding process: a JVM running {@link WorkerMain} that decodes one
 * clip at a time, so that a native crash on a hostile file (SIGSEGV, abort) takes that process
 * down and nothing else.
 *
 * <p>A clip's bytes travel through a memory-mapped file the two processes share (no copy
 * through a pipe); the job and its reply, small, through the child's stdin and stdout. The
 * file is unlinked as soon as both have mapped it, so a killed run leaves nothing behind. A
 * child that dies is noticed as the end of its stdout and described from its exit status and
 * the JVM's fatal-error report (the signal and the native frame that faulted); the next call
 * starts a fresh one. A call that passes its deadline, or a child whose resident memory grows
 * past the limit, is killed.
 */
public final class WorkerChannel implements AutoCloseable {
  static final int READY = 0x564d5752;   // "VMWR"
  static final int UNAVAILABLE = 0x564d5755; // "VMWU": the child cannot decode at all (then a message)
  static final int OP_JOB = 1;
  static final int OP_EXIT = 2;
  private static final long INITIAL_SHM = 16L << 20;
  /**
   * How often a busy child's resident memory is read. Not at the start of a call: the child has
   * not begun the clip, and most clips end before the first look.
   */
  private static final long MEMORY_POLL_MILLIS = 100;
  /** Test-only: the children crash (SIGSEGV) on every clip whose name contains this. */
  public static final String CRASH_ON_PROPERTY = "vidmill.test.crash-on";

  /** How the last call ended when it did not end with a reply. */
  public sealed interface Failure permits Died, TimedOut, OutOfMemory {
    String describe();
  }

  /** The child died: by a signal (SIGSEGV, SIGABRT...) or an exit status; what the JVM said of it. */
  public record Died(int exitStatus, String signal, String detail) implements Failure {
    public String describe() {
      String how = signal != null ? "killed by " + signal : "exited with status " + exitStatus;
      return "the decoding process was " + how + (detail.isEmpty() ? "" : " (" + detail + ")");
    }
  }

  public record TimedOut(long millis) implements Failure {
    public String describe() {
      return "the decoding process did not answer within " + millis + " ms and was killed";
    }
  }

  public record OutOfMemory(long rssBytes, long limitBytes) implements Failure {
    public String describe() {
      return String.format(Locale.ROOT, "the decoding process grew to %d MB, over its limit of %d MB, and was killed",
          rssBytes >> 20, limitBytes >> 20);
    }
  }

  /** Thrown by {@link #call} when the child did not reply. */
  public static final class WorkerFailed extends Exception {
    private final Failure failure;

    WorkerFailed(Failure failure) {
      super(failure.describe());
      this.failure = failure;
    }

    public Failure failure() {
      return failure;
    }
  }

  /** No decoding process can decode here (libvidmill or FFmpeg do not load): fatal for a run. */
  public static final class Unavailable extends IOException {
    Unavailable(String why) {
      super(why);
    }
  }

  /** Starts the child now (it loads its libraries meanwhile) rather than at the first call. */
  public synchronized void start() throws IOException {
    ensureStarted();
  }

  private static final ScheduledExecutorService WATCHDOG = watchdog();

  private static ScheduledExecutorService watchdog() {
    var w = new java.util.concurrent.ScheduledThreadPoolExecutor(1,
        Thread.ofPlatform().daemon().name("vidmill-worker-watchdog").factory());
    // every call's timer is cancelled at its reply: kept, they would pile up until their
    // deadlines (a clip limit of minutes, at a hundred clips a second)
    w.setRemoveOnCancelPolicy(true);
    return w;
  }

  private final List<String> command;
  private final Path crashDir;
  private final long memoryLimit;
  private Process process;
  private DataOutputStream toChild;
  private DataInputStream fromChild;
  private FileChannel shmChannel;
  private Arena shmArena;
  private MemorySegment shm;
  private int starts;

  /**
   * @param memoryLimit the child's resident memory at which it is killed (bytes; 0 = none)
   * @param crashDir where the child's JVM writes its fatal-error report (hs_err) when it dies
   */
  public WorkerChannel(long memoryLimit, Path crashDir) {
    this.memoryLimit = memoryLimit;
    this.crashDir = crashDir;
    this.command = childCommand(crashDir);
  }

  /** How many child processes this channel has started (1 + those that replaced a dead one). */
  public synchronized int starts() {
    return starts;
  }

  /**
   * Sends one job and waits for its reply. {@code data} (may be null) is copied into the shared
   * mapping first; the child sees it at offset 0 with its length.
   *
   * @throws WorkerFailed when the child died, passed the deadline or its memory limit; the
   *     channel starts a new child at the next call
   */
  public synchronized byte[] call(MemorySegment data, String path, byte[] job, long deadlineNanos)
      throws WorkerFailed, IOException {
    ensureStarted();
    long length = data == null ? -1 : data.byteSize();
    if (length > shm.byteSize()) grow(length);
    if (data != null) MemorySegment.copy(data, 0, shm, 0, length);
    AtomicReference<Failure> killedFor = new AtomicReference<>();
    Process p = process;
    long timeoutNanos = Math.max(1, deadlineNanos - System.nanoTime());
    ScheduledFuture<?> timer = WATCHDOG.schedule(() -> {
      if (killedFor.compareAndSet(null, new TimedOut(TimeUnit.NANOSECONDS.toMillis(timeoutNanos)))) p.destroyForcibly();
    }, timeoutNanos, TimeUnit.NANOSECONDS);
    ScheduledFuture<?> memory = memoryLimit <= 0 ? null : WATCHDOG.scheduleWithFixedDelay(() -> {
      long rss = residentBytes(p.pid());
      if (rss > memoryLimit && killedFor.compareAndSet(null, new OutOfMemory(rss, memoryLimit))) p.destroyForcibly();
    }, MEMORY_POLL_MILLIS, MEMORY_POLL_MILLIS, TimeUnit.MILLISECONDS);
    try {
      toChild.writeInt(OP_JOB);
      toChild.writeLong(length);
      toChild.writeLong(shm.byteSize());
      toChild.writeUTF(path == null ? "" : path);
      toChild.writeInt(job.length);
      toChild.write(job);
      toChild.flush();
      int n = fromChild.readInt();
      byte[] reply = new byte[n];
      fromChild.readFully(reply);
      return reply;
    } catch (IOException e) {
      Failure f = killedFor.get();
      Failure why = f != null ? f : died(p);
      discard();
      throw new WorkerFailed(why);
    } finally {
      timer.cancel(false);
      if (memory != null) memory.cancel(false);
    }
  }

  private void ensureStarted() throws IOException {
    if (process != null && process.isAlive()) return;
    discard();
    Launch l = takeSpare(command);
    adopt(l != null ? l : Launch.start(command));
  }

  /** A child started with its shared file mapped, not yet known to be ready. */
  private record Launch(List<String> command, Path file, FileChannel channel, Arena arena, MemorySegment shm,
                        Process process) {
    static Launch start(List<String> command) throws IOException {
      Path shmDir = Path.of(Files.isDirectory(Path.of("/dev/shm")) ? "/dev/shm" : System.getProperty("java.io.tmpdir"));
      if (!swept) {
        swept = true;
        sweepStale(shmDir);
      }
      Path file = Files.createTempFile(shmDir, "vidmill-worker-" + ProcessHandle.current().pid() + "-", ".shm");
      FileChannel ch = null;
      Arena arena = null;
      try {
        ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        arena = Arena.ofShared();
        MemorySegment shm = ch.map(FileChannel.MapMode.READ_WRITE, 0, INITIAL_SHM, arena);
        List<String> cmd = new ArrayList<>(command);
        cmd.add(file.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        // tests of this supervision make the child crash on a chosen clip (see vidmill.h)
        String crashOn = System.getProperty(CRASH_ON_PROPERTY);
        if (crashOn != null) pb.environment().put("VIDMILL_TEST_CRASH_ON", crashOn);
        return new Launch(command, file, ch, arena, shm, pb.start());
      } catch (IOException | RuntimeException e) {
        end(null, arena, ch);
        Files.deleteIfExists(file);
        throw e;
      }
    }

    void discard() {
      end(process, arena, channel);
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        // swept by the next run
      }
    }
  }

  private void adopt(Launch l) throws IOException {
    process = l.process();
    shmChannel = l.channel();
    shmArena = l.arena();
    shm = l.shm();
    starts++;
    try {
      toChild = new DataOutputStream(new BufferedOutputStream(process.getOutputStream(), 1 << 16));
      fromChild = new DataInputStream(new BufferedInputStream(process.getInputStream(), 1 << 16));
      int ready;
      try {
        ready = awaitHandshake(fromChild);
      } catch (EOFException e) {
        throw new IOException("the decoding process did not start: " + died(process).describe());
      }
      if (ready == UNAVAILABLE) throw new Unavailable(fromChild.readUTF());
    } finally {
      Files.deleteIfExists(l.file()); // both ends have it mapped (or the start failed)
    }
  }

  /** Most bytes a child may print before its handshake (the JVM's own start-up lines). */
  static final int MAX_PREAMBLE = 1 << 20;

  /**
   * Reads up to the child's handshake: four zero bytes, then READY or UNAVAILABLE, which text
   * never holds. Before it may come what the JVM printed to stdout before the child's main (a
   * -Xlog line, JFR's start, from VIDMILL_WORKER_JAVA_OPTS): passed on to stderr.
   */
  static int awaitHandshake(java.io.InputStream in) throws IOException {
    java.io.ByteArrayOutputStream preamble = new java.io.ByteArrayOutputStream();
    long last8 = -1; // the last eight bytes read; -1 (all ones) until eight have come
    int read = 0;
    while (true) {
      int b = in.read();
      if (b < 0) throw new EOFException();
      last8 = last8 << 8 | b;
      if (++read >= 8 && (last8 == READY || last8 == UNAVAILABLE)) {
        if (read > 8) {
          System.err.write(preamble.toByteArray(), 0, read - 8);
          System.err.flush();
        }
        return (int) last8;
      }
      if (read > MAX_PREAMBLE) throw new IOException("the decoding process wrote over 1 MB and no handshake");
      preamble.write(b);
    }
  }

  // Children started ahead, before the decoders that will use them exist: a JVM takes half a
  // second to start and load FFmpeg, which then overlaps the parent's own setup (journal,
  // manifest, Parquet writer) instead of following it.
  private static final java.util.concurrent.ConcurrentLinkedQueue<Launch> SPARES =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  /**
   * Starts {@code count} children now for channels made later with this {@code crashDir}; a
   * channel takes one instead of starting its own. Those never taken go at {@link #discardSpares}.
   */
  public static void startAhead(int count, Path crashDir) {
    List<String> command = childCommand(crashDir);
    for (int i = 0; i < count; i++) {
      try {
        SPARES.add(Launch.start(command));
      } catch (IOException e) {
        return; // the channels start their own, and say why if they cannot
      }
    }
  }

  /** Ends the children {@link #startAhead} started that no channel took. */
  public static void discardSpares() {
    for (Launch l; (l = SPARES.poll()) != null; ) l.discard();
  }

  private static Launch takeSpare(List<String> command) {
    for (Launch l : SPARES) {
      if (l.command().equals(command) && SPARES.remove(l)) {
        if (l.process().isAlive()) return l;
        l.discard();
      }
    }
    return null;
  }

  private static volatile boolean swept;

  /**
   * A run killed while a child was starting leaves its shared file behind (it is unlinked once
   * the child has mapped it): the first channel of a process removes those of dead processes.
   */
  static void sweepStale(Path dir) {
    try (var files = Files.newDirectoryStream(dir, "vidmill-worker-*.shm")) {
      for (Path f : files) {
        String[] parts = f.getFileName().toString().split("-");
        try {
          long pid = Long.parseLong(parts[2]);
          if (ProcessHandle.of(pid).isEmpty()) Files.deleteIfExists(f);
        } catch (RuntimeException | IOException e) {
          // not one of ours, or gone already
        }
      }
    } catch (IOException e) {
      // nothing to sweep
    }
  }

  private void grow(long needed) throws IOException {
    long size = Math.max(needed, shm.byteSize() * 2);
    shmArena.close();
    shmArena = Arena.ofShared();
    shm = shmChannel.map(FileChannel.MapMode.READ_WRITE, 0, size, shmArena);
  }

  private static final java.util.regex.Pattern REPORTED_SIGNAL =
      java.util.regex.Pattern.compile("#\\s+(SIG[A-Z]+) \\(0x[0-9a-f]+\\)");

  /** Why {@code p} ended, once it has: the signal and what its fatal-error report says. */
  private Died died(Process p) {
    int status;
    try {
      if (!p.waitFor(5, TimeUnit.SECONDS)) p.destroyForcibly();
      status = p.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      status = -1;
    }
    String detail = "";
    String signal = status > 128 ? signalName(status - 128) : null;
    Optional<String> report = fatalErrorReport(p.pid());
    if (report.isPresent()) {
      // the JVM caught the signal, wrote its report and aborted: the report names the real one
      String[] lines = report.get().split("\n");
      for (String l : lines) {
        var m = REPORTED_SIGNAL.matcher(l);
        if (m.find()) {
          signal = m.group(1);
          break;
        }
      }
      for (int i = 0; i < lines.length - 1; i++) {
        if (lines[i].startsWith("# Problematic frame:")) {
          detail = "at " + lines[i + 1].replaceFirst("^#\\s*", "").strip();
          break;
        }
      }
      detail = detail + (detail.isEmpty() ? "" : "; ") + "report: " + crashDir.resolve("hs_err_worker_" + p.pid() + ".log");
    }
    return new Died(status, signal, detail);
  }

  private Optional<String> fatalErrorReport(long pid) {
    Path f = crashDir.resolve("hs_err_worker_" + pid + ".log");
    try {
      return Files.isRegularFile(f) ? Optional.of(Files.readString(f)) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  static String signalName(int n) {
    return switch (n) {
      case 4 -> "SIGILL";
      case 6 -> "SIGABRT";
      case 7 -> "SIGBUS";
      case 8 -> "SIGFPE";
      case 9 -> "SIGKILL";
      case 11 -> "SIGSEGV";
      case 15 -> "SIGTERM";
      default -> "signal " + n;
    };
  }

  static long residentBytes(long pid) {
    try {
      String[] f = Files.readString(Path.of("/proc/" + pid + "/statm")).trim().split("\\s+");
      return Long.parseLong(f[1]) * 4096;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  private void discard() {
    end(process, shmArena, shmChannel);
    process = null;
    shmArena = null;
    shm = null;
    shmChannel = null;
  }

  /** Kills a child (giving it a moment to go) and unmaps and closes its shared file; any may be null. */
  private static void end(Process p, Arena arena, FileChannel ch) {
    if (p != null) {
      p.destroyForcibly();
      try {
        p.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (arena != null) arena.close();
    try {
      if (ch != null) ch.close();
    } catch (IOException e) {
      // nothing to save
    }
  }

  /**
   * This JVM again, on the same class path, with the settings that make it start fast (the AOT
   * cache or CDS archive, C1 only) and those the library reads (vidmill.* properties), with
   * {@link WorkerMain} as its main class.
   */
  /** JVM options for the decoding processes, after vidmill's own (docs/run.md). */
  public static final String JAVA_OPTIONS_ENV = "VIDMILL_WORKER_JAVA_OPTS";

  private static List<String> childCommand(Path crashDir) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("-XX:AOTCache=") || a.startsWith("-XX:SharedArchiveFile=") || a.startsWith("-XX:TieredStopAtLevel")
          || a.startsWith("-Xlog:aot") || a.startsWith("-Xlog:cds") || a.startsWith("--enable-native-access")
          || a.startsWith("-Dvidmill.") || a.startsWith("-Djava.io.tmpdir=")) {
        cmd.add(a);
      }
    }
    if (cmd.stream().noneMatch(a -> a.startsWith("--enable-native-access"))) cmd.add("--enable-native-access=ALL-UNNAMED");
    // a clip's work needs little heap (frames live in native memory); the report of a crash
    // goes where the run can point at it, and no core dump
    cmd.add("-Xmx256m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:ErrorFile=" + crashDir.resolve("hs_err_worker_%p.log"));
    cmd.add("-XX:-CreateCoredumpOnCrash");
    // the user's own settings for these JVMs come last, so that they win (a bigger -Xmx, say)
    String extra = System.getenv(JAVA_OPTIONS_ENV);
    if (extra != null && !extra.isBlank()) cmd.addAll(List.of(extra.strip().split("\\s+")));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(WorkerMain.class.getName());
    return List.copyOf(cmd);
  }

  @Override
  public synchronized void close() {
    if (process != null && process.isAlive()) {
      try {
        toChild.writeInt(OP_EXIT);
        toChild.flush();
        process.waitFor(2, TimeUnit.SECONDS);
      } catch (IOException e) {
        // it is going anyway
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    discard();
  }
}
