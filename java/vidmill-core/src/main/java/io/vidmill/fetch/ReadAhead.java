package io.vidmill.fetch;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * The fetch of a local file: the kernel is asked to read it into its page cache now
 * ({@code posix_fadvise(POSIX_FADV_WILLNEED)}, which returns at once and reads in the
 * background), so that the disk works on upcoming clips while earlier ones decode; the decoder
 * then reads the file itself, from memory. Reading it into a buffer of our own instead would
 * copy every byte once more (twice with a decoding process) for nothing: the page cache is the
 * buffer. A hint only: where libc's functions cannot be called it does nothing.
 */
final class ReadAhead {
  private ReadAhead() {}

  private static final int O_RDONLY_CLOEXEC = 0x80000; // O_RDONLY | O_CLOEXEC (Linux)
  private static final int POSIX_FADV_WILLNEED = 3;
  /** At most this much of a file is read ahead: a film of gigabytes is read as it decodes. */
  static final long MAX_BYTES = 64L << 20;

  private static final MethodHandle OPEN;
  private static final MethodHandle FADVISE;
  private static final MethodHandle CLOSE;

  static {
    MethodHandle open = null;
    MethodHandle fadvise = null;
    MethodHandle close = null;
    try {
      Linker linker = Linker.nativeLinker();
      var libc = linker.defaultLookup();
      open = linker.downcallHandle(libc.find("open").orElseThrow(),
          FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
      fadvise = linker.downcallHandle(libc.find("posix_fadvise").orElseThrow(),
          FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
      close = linker.downcallHandle(libc.find("close").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    } catch (RuntimeException e) {
      open = null; // not Linux's libc: no hints
    }
    OPEN = open;
    FADVISE = fadvise;
    CLOSE = close;
  }

  /** Starts reading the first {@link #MAX_BYTES} of the file into the page cache. */
  static void start(Path file, long size) {
    if (OPEN == null || size <= 0) return;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment name = arena.allocateFrom(file.toString());
      int fd = (int) OPEN.invokeExact(name, O_RDONLY_CLOEXEC, 0);
      if (fd < 0) return; // the decoder opens it and says why it cannot
      try {
        int ignored = (int) FADVISE.invokeExact(fd, 0L, Math.min(size, MAX_BYTES), POSIX_FADV_WILLNEED);
      } finally {
        int ignored = (int) CLOSE.invokeExact(fd);
      }
    } catch (Throwable t) {
      // a hint: the decoder reads the file either way
    }
  }
}
