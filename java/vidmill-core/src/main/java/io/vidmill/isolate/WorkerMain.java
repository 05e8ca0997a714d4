package io.vidmill.isolate;

import io.vidmill.nativelib.NativeLibrary;
import io.vidmill.pipeline.IsolatedClips;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A decoding process (see {@link WorkerChannel}): maps the file it shares with its parent,
 * says it is ready, then decodes one clip per job until told to stop or its input ends. Its
 * stdout is the channel: everything else is sent to stderr.
 */
public final class WorkerMain {
  private WorkerMain() {}

  /** A stream on the pipe fd 1 is, opened anew, with fd 1 itself then pointed at stderr. */
  static java.io.OutputStream privateStdout() throws java.io.IOException {
    FileOutputStream channel = new FileOutputStream("/proc/self/fd/1");
    try {
      Linker linker = Linker.nativeLinker();
      MethodHandle dup2 = linker.downcallHandle(linker.defaultLookup().find("dup2").orElseThrow(),
          FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
      if ((int) dup2.invokeExact(2, 1) < 0) throw new java.io.IOException("dup2(2, 1) failed");
      return channel;
    } catch (java.io.IOException | RuntimeException | Error e) {
      channel.close();
      throw e;
    } catch (Throwable t) {
      channel.close();
      throw new java.io.IOException(t);
    }
  }

  public static void main(String[] args) throws Exception {
    // The JVM writes its own messages to fd 1 (unified logging's default output, -verbose, JFR),
    // and so may native code: the channel gets a private copy of the pipe, and fd 1 becomes
    // stderr, so that only the channel's bytes reach the parent
    DataOutputStream out = new DataOutputStream(new BufferedOutputStream(privateStdout(), 1 << 16));
    System.setOut(System.err);
    DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(FileDescriptor.in), 1 << 16));
    try (FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      Arena arena = Arena.ofShared();
      MemorySegment shm = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size(), arena);
      // the libraries load before the first clip arrives, while the parent is still starting
      try {
        NativeLibrary.requireAvailable();
      } catch (RuntimeException e) {
        out.writeInt(0);
        out.writeInt(WorkerChannel.UNAVAILABLE);
        out.writeUTF(String.valueOf(e.getMessage()));
        out.flush();
        System.exit(3);
      }
      out.writeInt(0); // the handshake: see WorkerChannel.awaitHandshake
      out.writeInt(WorkerChannel.READY);
      out.flush();
      // the parent goes on meanwhile; its first job waits in the pipe until this is done
      IsolatedClips.warmUpChild();
      while (true) {
        int op;
        try {
          op = in.readInt();
        } catch (EOFException e) {
          return; // the parent is gone
        }
        if (op != WorkerChannel.OP_JOB) return;
        long length = in.readLong();
        long shmSize = in.readLong();
        String path = in.readUTF();
        byte[] job = new byte[in.readInt()];
        in.readFully(job);
        if (shmSize > shm.byteSize()) { // the parent grew the file for a bigger clip
          arena.close();
          arena = Arena.ofShared();
          shm = ch.map(FileChannel.MapMode.READ_WRITE, 0, shmSize, arena);
        }
        long t0 = System.nanoTime();
        byte[] reply = IsolatedClips.handle(job, length >= 0 ? shm.asSlice(0, length) : null,
            path.isEmpty() ? null : path);
        if (System.getenv("VIDMILL_DEBUG_WORKER") != null) System.err.printf("worker: job %.2f ms%n", (System.nanoTime() - t0) / 1e6);
        out.writeInt(reply.length);
        out.write(reply);
        out.flush();
      }
    }
  }
}
