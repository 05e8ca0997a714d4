package io.vidmill.dataset;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipEncodingHelper;

/**
 * Writes one clip's tar members into a spool file while it decodes: {@code KEY.NNNNNN.jpg|png}
 * per frame, or one {@code KEY.npy} for all of them, then {@code KEY.json}. Each member is a
 * ustar header (made by commons-compress: checksums, octal fields, base-256 sizes past 8 GiB)
 * and its bytes padded to 512; there is no end-of-archive marker, so spools concatenate into
 * a shard, which the shard writer ends. The pixels go from native memory to the file without a
 * copy on the Java heap.
 *
 * <p>For npy the tar and npy headers are written last, into room left at the start, once the
 * number of frames is known. Used by one thread; not reusable.
 */
public final class SpoolWriter implements AutoCloseable {
  private static final int BLOCK = 512;
  private static final byte[] ZEROS = new byte[BLOCK];

  private final Path file;
  private final FileChannel channel;
  private final String key;
  private final FrameFormat format;
  private final long modTime;
  private final ByteBuffer header = ByteBuffer.allocate(BLOCK);
  private final List<FrameRecord> frames = new ArrayList<>();
  private long position;
  private boolean done;
  // npy: the shape every frame must have, fixed by the first
  private int npyWidth = -1;
  private int npyHeight = -1;
  private int npyChannels = -1;

  /** A new spool at {@code file} for the clip named {@code sampleKey}; members dated {@code time}. */
  public SpoolWriter(Path file, String sampleKey, FrameFormat format, Instant time) throws IOException {
    if (format == FrameFormat.NONE) throw new IllegalArgumentException("no frames to spool");
    this.file = file;
    this.key = sampleKey;
    this.format = format;
    this.modTime = time.getEpochSecond();
    Files.createDirectories(file.getParent());
    this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE);
    if (format == FrameFormat.NPY) {
      position = BLOCK + Npy.HEADER_BYTES; // the headers go here at the end
      channel.position(position);
    }
  }

  /** The member name of frame {@code index}: KEY.NNNNNN.jpg (at least six digits). */
  public String memberName(int index) {
    return format == FrameFormat.NPY ? key + ".npy" : String.format(Locale.ROOT, "%s.%06d.%s", key, index,
        format.extension());
  }

  /** The clip's metadata member. */
  public String jsonName() {
    return key + ".json";
  }

  /** Frames added so far. */
  public int frames() {
    return frames.size();
  }

  /**
   * Adds a frame: {@code bytes} is its image file (jpeg/png) or its packed pixels (npy, which
   * must have the shape of the clip's first frame). The record's file name is set here.
   */
  public FrameRecord add(FrameRecord r, MemorySegment bytes) throws IOException {
    FrameRecord named = new FrameRecord(r.index(), r.pts(), r.time(), r.keyFrame(), r.width(), r.height(),
        memberName(r.index()), r.stats());
    if (format == FrameFormat.NPY) {
      int channels = (int) (bytes.byteSize() / Math.max(1L, (long) r.width() * r.height()));
      if (npyWidth < 0) {
        npyWidth = r.width();
        npyHeight = r.height();
        npyChannels = channels;
      } else if (r.width() != npyWidth || r.height() != npyHeight || channels != npyChannels) {
        throw new IllegalArgumentException("frame " + r.index() + " is " + r.width() + "x" + r.height() + "x" + channels
            + ", the clip's array " + npyWidth + "x" + npyHeight + "x" + npyChannels);
      }
      write(bytes.asByteBuffer());
    } else {
      member(named.file(), bytes.byteSize());
      write(bytes.asByteBuffer());
      pad(bytes.byteSize());
    }
    frames.add(named);
    return named;
  }

  /**
   * Ends the spool with the clip's {@code .json}. For npy without frames the array's shape is
   * 0 x {@code emptyShape} (height, width[, channels]: the output's size where it is fixed,
   * zeros where not). Returns the spool, ready for a shard.
   */
  public ClipFrames finish(byte[] json, int[] emptyShape) throws IOException {
    if (format == FrameFormat.NPY) {
      long[] shape;
      if (npyWidth >= 0) {
        shape = npyChannels == 1 ? new long[] {frames.size(), npyHeight, npyWidth}
            : new long[] {frames.size(), npyHeight, npyWidth, npyChannels};
      } else {
        shape = new long[emptyShape.length + 1];
        for (int i = 0; i < emptyShape.length; i++) shape[i + 1] = emptyShape[i];
      }
      long dataBytes = position - BLOCK - Npy.HEADER_BYTES;
      pad(dataBytes + Npy.HEADER_BYTES);
      long end = position;
      channel.position(0);
      position = 0;
      member(key + ".npy", Npy.HEADER_BYTES + dataBytes);
      write(ByteBuffer.wrap(Npy.header(shape)));
      channel.position(end);
      position = end;
    }
    member(jsonName(), json.length);
    write(ByteBuffer.wrap(json));
    pad(json.length);
    channel.force(false); // the copy into a shard reads it back soon; the shard's own fsync makes it durable
    done = true;
    channel.close();
    return new ClipFrames(key, file, position, frames, null, -1);
  }

  private void member(String name, long size) throws IOException {
    if (name.getBytes(StandardCharsets.UTF_8).length > 100) throw new IllegalStateException("tar name too long: " + name);
    TarArchiveEntry e = new TarArchiveEntry(name);
    e.setSize(size);
    e.setMode(0100644);
    e.setModTime(java.nio.file.attribute.FileTime.fromMillis(modTime * 1000));
    e.setUserId(0);
    e.setGroupId(0);
    e.setUserName("");
    e.setGroupName("");
    byte[] h = new byte[BLOCK];
    e.writeEntryHeader(h, ZipEncodingHelper.getZipEncoding(StandardCharsets.UTF_8.name()), true);
    header.clear();
    header.put(h).flip();
    write(header);
  }

  private void pad(long size) throws IOException {
    int rest = (int) ((BLOCK - size % BLOCK) % BLOCK);
    if (rest > 0) write(ByteBuffer.wrap(ZEROS, 0, rest));
  }

  private void write(ByteBuffer b) throws IOException {
    position += b.remaining();
    while (b.hasRemaining()) channel.write(b);
  }

  /** Without finish: the clip is dropped (it failed); its spool goes. */
  @Override
  public void close() throws IOException {
    if (done) return;
    done = true;
    channel.close();
    Files.deleteIfExists(file);
  }
}
