package io.vidmill.sink;

import io.vidmill.dataset.ClipFrames;
import io.vidmill.journal.Journal;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The dataset's tar shards under OUT/frames/: {@code PREFIX000000.tar}, {@code PREFIX000001.tar},
 * ... (PREFIX is {@code frames-} or {@code frames-SHARD-}), each about {@code maxBytes}, filled
 * with whole clips (a clip's members are never split between shards).
 *
 * <p>Exactly once, with the journal as the record of truth. The shard being filled is
 * {@code NAME.tmp}; clips are appended to it as their results arrive. At a commit the open
 * shard is fsync'ed and shards that reached their size are ended (two zero records), fsync'ed
 * and closed; the journal's commit record then names each shard finished, with its length,
 * and the open one with the length that is durable; only after the record do the finished
 * shards get their final names (and the folder is fsync'ed). On resume ({@link #recover}) a
 * finished shard still under its temporary name is renamed, the open shard is cut back to its
 * recorded length (dropping clips whose commit never happened, which are done again) and
 * filled on, and every other shard file of this prefix is deleted. Readers that list
 * {@code *.tar} only ever see finished shards.
 */
public final class ShardWriter implements AutoCloseable {
  private static final byte[] END_OF_ARCHIVE = new byte[1024];

  private final Path dir;
  private final String prefix;
  private final Pattern names;
  private final long maxBytes;
  private final List<Journal.Written> finishedSinceCommit = new ArrayList<>();
  private int nextIndex;
  private String openName;
  private FileChannel open;
  private long openLength;
  private long shardsFinished;
  private long bytesAppended;

  private ShardWriter(Path dir, String prefix, long maxBytes, int nextIndex) {
    this.dir = dir;
    this.prefix = prefix;
    this.names = namePattern(prefix);
    this.maxBytes = maxBytes;
    this.nextIndex = nextIndex;
  }

  private static Pattern namePattern(String prefix) {
    return Pattern.compile(Pattern.quote(prefix) + "(\\d{6,})\\.tar(\\.tmp)?");
  }

  /**
   * Puts {@code dir} in the state the journal records (see the class comment) and returns a
   * writer that carries on from there.
   *
   * @throws IOException when a shard the journal names is missing or shorter than recorded
   *     (its clips' frames would be lost): the run stops rather than go on without them
   */
  public static ShardWriter recover(Path dir, String prefix, long maxBytes, Journal.State state) throws IOException {
    Files.createDirectories(dir);
    Pattern pattern = namePattern(prefix);
    Set<String> keep = new HashSet<>();
    int next = 0;
    for (Map.Entry<String, Long> e : state.shards().entrySet()) {
      Path done = dir.resolve(e.getKey());
      Path tmp = dir.resolve(e.getKey() + ".tmp");
      if (!Files.exists(done)) {
        // finished, recorded, but killed before its rename
        cutTo(tmp, e.getValue());
        Files.move(tmp, done, StandardCopyOption.ATOMIC_MOVE);
        Journal.fsyncDirectory(dir);
      }
      keep.add(e.getKey());
      next = Math.max(next, index(pattern, e.getKey()) + 1);
    }
    ShardWriter w = new ShardWriter(dir, prefix, maxBytes, next);
    Journal.Written o = state.openShard();
    if (o != null) {
      Path tmp = dir.resolve(o.name() + ".tmp");
      cutTo(tmp, o.length());
      w.openName = o.name();
      w.open = FileChannel.open(tmp, StandardOpenOption.WRITE);
      w.open.position(o.length());
      w.openLength = o.length();
      keep.add(o.name());
      w.nextIndex = Math.max(w.nextIndex, index(pattern, o.name()) + 1);
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        Matcher m = pattern.matcher(p.getFileName().toString());
        if (!m.matches()) continue;
        String name = p.getFileName().toString().replaceFirst("\\.tmp$", "");
        boolean isTmp = m.group(2) != null;
        // a finished shard is kept under its final name; the open one under its temporary name
        boolean wanted = state.shards().containsKey(name) ? !isTmp : o != null && name.equals(o.name()) && isTmp;
        if (!wanted) Files.delete(p);
      }
    }
    return w;
  }

  private static int index(Pattern pattern, String name) throws IOException {
    Matcher m = pattern.matcher(name);
    if (!m.matches()) throw new IOException("the journal names a shard '" + name + "' that is not of this run");
    return Integer.parseInt(m.group(1));
  }

  private static void cutTo(Path tmp, long length) throws IOException {
    if (!Files.exists(tmp) || Files.size(tmp) < length) {
      throw new IOException(tmp.getParent() + "/" + tmp.getFileName().toString().replaceFirst("\\.tmp$", "")
          + ", which the journal records with " + length + " bytes, is missing or shorter: the frames of the clips "
          + "committed in it are lost; restore it, or start the run again in a new --out");
    }
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      if (ch.size() > length) {
        ch.truncate(length);
        ch.force(true);
      }
    }
  }

  /**
   * Appends a clip's spooled members to the open shard (starting a new one when this clip
   * would take the open one past its size) and deletes the spool. Returns the clip placed.
   */
  public ClipFrames append(ClipFrames c) throws IOException {
    if (open != null && openLength > 0 && openLength + c.spoolBytes() + END_OF_ARCHIVE.length > maxBytes) roll();
    if (open == null) {
      openName = String.format(Locale.ROOT, "%s%06d.tar", prefix, nextIndex++);
      open = FileChannel.open(dir.resolve(openName + ".tmp"), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING);
      openLength = 0;
    }
    long offset = openLength;
    try (FileChannel in = FileChannel.open(c.spool(), StandardOpenOption.READ)) {
      long size = in.size();
      if (size != c.spoolBytes()) throw new IOException(c.spool() + " has " + size + " bytes, not " + c.spoolBytes());
      long done = 0;
      while (done < size) done += in.transferTo(done, size - done, open);
    }
    openLength += c.spoolBytes();
    bytesAppended += c.spoolBytes();
    c.discard();
    return c.placed(openName, offset);
  }

  /** Ends the open shard: the end-of-archive records, fsync; it is renamed after the next commit record. */
  private void roll() throws IOException {
    ByteBuffer end = ByteBuffer.wrap(END_OF_ARCHIVE);
    while (end.hasRemaining()) open.write(end);
    openLength += END_OF_ARCHIVE.length;
    open.force(true);
    open.close();
    finishedSinceCommit.add(new Journal.Written(Journal.Written.Kind.SHARD, openName, openLength));
    open = null;
    openName = null;
    openLength = 0;
  }

  /**
   * Makes every shard byte appended so far durable and returns what the commit record must
   * name: the shards finished since the last commit, and the open shard with its length.
   *
   * @param last the run is ending: the open shard is finished too
   */
  public List<Journal.Written> prepareCommit(boolean last) throws IOException {
    if (last && open != null) roll();
    List<Journal.Written> files = new ArrayList<>(finishedSinceCommit);
    if (open != null) {
      open.force(false);
      files.add(new Journal.Written(Journal.Written.Kind.OPEN_SHARD, openName, openLength));
    }
    return files;
  }

  /** Whether a commit has something to record even without new clips (a shard to finish). */
  public boolean hasOpenShard() {
    return open != null;
  }

  /** After the commit record is durable: the finished shards take their final names. */
  public void committed() throws IOException {
    if (finishedSinceCommit.isEmpty()) return;
    for (Journal.Written w : finishedSinceCommit) {
      Files.move(dir.resolve(w.name() + ".tmp"), dir.resolve(w.name()), StandardCopyOption.ATOMIC_MOVE);
      shardsFinished++;
    }
    Journal.fsyncDirectory(dir);
    finishedSinceCommit.clear();
  }

  /** Shards this writer finished (and renamed). */
  public long shardsFinished() {
    return shardsFinished;
  }

  /** Bytes of clips appended by this writer. */
  public long bytesAppended() {
    return bytesAppended;
  }

  /** Closes the open shard's file; what was not committed is cut off by the next {@link #recover}. */
  @Override
  public void close() throws IOException {
    if (open != null) open.close();
    open = null;
  }
}
