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
 *     COMMIT       (1): utf part file, i64 failures-log length, i32 n, n x (i64 hi, i64 lo)
 *     FINISHED     (2): utf summary JSON
 *     COMMIT_FILES (3): as COMMIT (the part file may be "": none), then i32 m,
 *                       m x (u8 kind, utf name, i64 length): the other files of the commit
 * </pre>
 * A commit that writes only a part file is a COMMIT record, as before dataset outputs existed;
 * one that also writes dataset files (a frames-table part, tar shards) is a COMMIT_FILES
 * record naming them: the shards it finished with their final lengths, and the shard left
 * open with the length that is durable (see {@link Written.Kind}).
 */
public final class Journal implements AutoCloseable {
  private static final byte[] MAGIC = "VMJ1".getBytes(StandardCharsets.US_ASCII);
  private static final byte COMMIT = 1;
  private static final byte FINISHED = 2;
  private static final byte COMMIT_FILES = 3;
  private static final int MAX_RECORD = 1 << 30;

  /** A file a commit made durable, besides the part file. */
  public record Written(Kind kind, String name, long length) {
    public enum Kind {
      /** A part of OUT/frames_table/ ({@code length} unused). */
      FRAME_TABLE_PART(1),
      /** A tar shard finished in this commit: complete at {@code length} bytes, under its final name. */
      SHARD(2),
      /** The tar shard still being written: its first {@code length} bytes are durable. */
      OPEN_SHARD(3);

      final int code;

      Kind(int code) {
        this.code = code;
      }

      static Kind of(int code) throws IOException {
        for (Kind k : values()) if (k.code == code) return k;
        throw new IOException("unknown file kind " + code + " in a journal record");
      }
    }

    public Written {
      java.util.Objects.requireNonNull(kind, "kind");
      java.util.Objects.requireNonNull(name, "name");
    }
  }

  /**
   * What the journal said when it was opened (commits made since do not change {@code done}).
   *
   * @param frameTableParts the committed parts of OUT/frames_table/
   * @param shards the finished tar shards and their lengths, in the order they were finished
   * @param openShard the shard the last commit left open, or null
   */
  public record State(DoneSet done, List<String> parts, long failuresLength, String finishedSummary,
                      long tornBytes, List<String> frameTableParts, java.util.Map<String, Long> shards,
                      Written openShard) {}

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
        return new Journal(ch.position(MAGIC.length), new State(new DoneSet(), new ArrayList<>(), 0, null, 0,
            new ArrayList<>(), new java.util.LinkedHashMap<>(), null));
      }
      DoneSet done = new DoneSet();
      List<String> parts = new ArrayList<>();
      long failures = 0;
      String finished = null;
      List<String> tableParts = new ArrayList<>();
      java.util.Map<String, Long> shards = new java.util.LinkedHashMap<>();
      Written open = null;
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
          if (type == COMMIT || type == COMMIT_FILES) {
            String part = p.readUTF();
            if (!part.isEmpty()) parts.add(part);
            failures = p.readLong();
            int n = p.readInt();
            for (int i = 0; i < n; i++) done.add(new ClipHash(p.readLong(), p.readLong()));
            open = null; // each commit says which shard is open, if one is
            if (type == COMMIT_FILES) {
              int m = p.readInt();
              for (int i = 0; i < m; i++) {
                Written w = new Written(Written.Kind.of(p.readUnsignedByte()), p.readUTF(), p.readLong());
                switch (w.kind()) {
                  case FRAME_TABLE_PART -> tableParts.add(w.name());
                  case SHARD -> shards.put(w.name(), w.length());
                  case OPEN_SHARD -> open = w;
                }
              }
            }
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
      return new Journal(ch, new State(done, parts, failures, finished, torn, tableParts, shards, open));
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
    commit(part, failuresLength, clips, List.of());
  }

  /**
   * Records a commit that also made {@code files} durable (a frames-table part, tar shards);
   * {@code part} may be null when the commit wrote no part file (it only finishes a shard).
   */
  public void commit(String part, long failuresLength, Collection<ClipHash> clips, List<Written> files)
      throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + clips.size() * 16 + files.size() * 48);
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeByte(files.isEmpty() ? COMMIT : COMMIT_FILES);
    out.writeUTF(part == null ? "" : part);
    out.writeLong(failuresLength);
    out.writeInt(clips.size());
    for (ClipHash h : clips) {
      out.writeLong(h.hi());
      out.writeLong(h.lo());
    }
    if (!files.isEmpty()) {
      out.writeInt(files.size());
      for (Written w : files) {
        out.writeByte(w.kind().code);
        out.writeUTF(w.name());
        out.writeLong(w.length());
      }
    }
    append(bytes.toByteArray());
    if (part != null) state.parts().add(part);
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
