package io.vidmill.journal;

import io.vidmill.shard.ClipHash;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The run's record of what is done, written atomically and durably.
 *
 * <p>A clip counts as done only once a result file holding it is durable and a commit record
 * naming that file and the clip is durable after it. Records are appended and fsync'ed one at
 * a time, each framed as [length][CRC-32C][payload]; a record torn by a crash fails its check,
 * is cut off when the journal is opened, and its clips are simply done again. Result files that
 * no record names are from a commit that did not finish and are deleted by the caller.
 *
 * <pre>
 *   file    := "VMJ1" record*
 *   record  := u32 length, u32 crc32c(payload), payload
 *   payload := u8 type, ...
 *     COMMIT   (1): utf part file, i64 failures-log length, i32 n, n x (i64 hi, i64 lo)
 *     FINISHED (2): utf summary JSON
 * </pre>
 */
public final class Journal implements AutoCloseable {
  private static final byte[] MAGIC = "VMJ1".getBytes(StandardCharsets.US_ASCII);
  private static final byte COMMIT = 1;
  private static final byte FINISHED = 2;
  private static final int MAX_RECORD = 1 << 30;

  /** What the journal said when it was opened (commits made since do not change {@code done}). */
  public record State(DoneSet done, List<String> parts, long failuresLength, String finishedSummary,
                      long tornBytes) {}

  private final FileChannel channel;
  private final State state;

  private Journal(FileChannel channel, State state) {
    this.channel = channel;
    this.state = state;
  }

  /** Opens (or creates) the journal, reads it, and cuts off a torn tail. */
  public static Journal open(Path file) throws IOException {
    boolean fresh = !Files.exists(file);
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    try {
      if (fresh || ch.size() == 0) {
        ch.write(ByteBuffer.wrap(MAGIC), 0);
        ch.force(true);
        fsyncDirectory(file.getParent());
        return new Journal(ch.position(MAGIC.length), new State(new DoneSet(), new ArrayList<>(), 0, null, 0));
      }
      DoneSet done = new DoneSet();
      List<String> parts = new ArrayList<>();
      long failures = 0;
      String finished = null;
      long good;
      // a stream of its own: closing a channel's stream would close the channel
      try (InputStream raw = Files.newInputStream(file)) {
        DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(raw, 1 << 16));
        byte[] magic = new byte[4];
        in.readFully(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) throw new IOException(file + " is not a vidmill journal");
        good = MAGIC.length;
        CRC32C crc = new CRC32C();
        while (true) {
          int length;
          int expected;
          byte[] payload;
          try {
            length = in.readInt();
            expected = in.readInt();
            if (length <= 0 || length > MAX_RECORD) break;
            payload = new byte[length];
            in.readFully(payload);
          } catch (EOFException e) {
            break;
          }
          crc.reset();
          crc.update(payload);
          if ((int) crc.getValue() != expected) break;
          DataInputStream p = new DataInputStream(new java.io.ByteArrayInputStream(payload));
          byte type = p.readByte();
          if (type == COMMIT) {
            parts.add(p.readUTF());
            failures = p.readLong();
            int n = p.readInt();
            for (int i = 0; i < n; i++) done.add(new ClipHash(p.readLong(), p.readLong()));
          } else if (type == FINISHED) {
            finished = p.readUTF();
          } else {
            break;
          }
          good += 8L + length;
        }
      }
      long torn = ch.size() - good;
      if (torn > 0) {
        ch.truncate(good);
        ch.force(true);
      }
      ch.position(good);
      return new Journal(ch, new State(done, parts, failures, finished, torn));
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  public State state() {
    return state;
  }

  /**
   * Records a commit: after {@code part} (a durable result file) and the failures log up to
   * {@code failuresLength} bytes, these clips are done. Durable when this returns.
   */
  public void commit(String part, long failuresLength, Collection<ClipHash> clips) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + clips.size() * 16);
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeByte(COMMIT);
    out.writeUTF(part);
    out.writeLong(failuresLength);
    out.writeInt(clips.size());
    for (ClipHash h : clips) {
      out.writeLong(h.hi());
      out.writeLong(h.lo());
    }
    append(bytes.toByteArray());
    state.parts().add(part);
  }

  /** Marks the run complete; a later run with the same arguments is a no-op. */
  public void finish(String summaryJson) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeByte(FINISHED);
    out.writeUTF(summaryJson);
    append(bytes.toByteArray());
  }

  private void append(byte[] payload) throws IOException {
    CRC32C crc = new CRC32C();
    crc.update(payload);
    ByteBuffer buf = ByteBuffer.allocate(8 + payload.length);
    buf.putInt(payload.length).putInt((int) crc.getValue()).put(payload).flip();
    long start = channel.position();
    try {
      while (buf.hasRemaining()) channel.write(buf);
      channel.force(false);
    } catch (IOException e) {
      // a full disk cut the record short: take it back, so that nothing written after it could
      // follow a torn record (opening would cut there and lose it)
      try {
        channel.truncate(start);
        channel.position(start);
      } catch (IOException again) {
        e.addSuppressed(again);
      }
      throw e;
    }
  }

  /**
   * Writes {@code text} to {@code file} through a temporary file beside it and a rename: a
   * reader sees the old file or the new one, and a failed write (a full disk) leaves no
   * temporary file behind to take the space.
   */
  public static void writeAtomically(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
    try {
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
  }

  /** Makes a rename or a new file in {@code dir} durable. */
  public static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
