package io.vidmill.sink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vidmill.dataset.ClipFrames;
import io.vidmill.dataset.FrameRecord;
import io.vidmill.decode.ClipInfo;
import io.vidmill.decode.ClipStats;
import io.vidmill.journal.Journal;
import io.vidmill.ops.ClipAggregates;
import io.vidmill.ops.FrameStats;
import io.vidmill.pipeline.ClipResult;
import io.vidmill.shard.ClipHash;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes results: per-clip rows as Parquet files under OUT/clips/, failures also as lines of
 * failures.jsonl, and a journal commit after both are durable.
 *
 * <p>Rows collect in an in-memory DuckDB table and leave it as one Parquet part file per
 * commit (ZSTD, DuckDB's row groups): written under a temporary name, fsync'ed, renamed into
 * place, the directory fsync'ed; then the failures of the same commit are appended to
 * failures.jsonl and fsync'ed; then the journal records the part, the log's new length and
 * the clips. With dataset outputs the same commit also writes the frames table's part
 * (OUT/frames_table/, named like the clips' part) and makes the tar shards durable, and its
 * record names them (see {@link ShardWriter}). A crash anywhere in between leaves work the
 * next run removes and redoes. DuckDB,
 * pandas/pyarrow and Spark read the folder as one table; the schema is the same in every part.
 */
public final class ResultSink implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The result columns, in table order, with their SQL types. */
  static final List<String[]> COLUMNS = List.of(
      new String[] {"key", "VARCHAR"}, new String[] {"uri", "VARCHAR"}, new String[] {"status", "VARCHAR"},
      new String[] {"error", "VARCHAR"}, new String[] {"container", "VARCHAR"}, new String[] {"codec", "VARCHAR"},
      new String[] {"profile", "VARCHAR"}, new String[] {"decoder", "VARCHAR"}, new String[] {"width", "INTEGER"},
      new String[] {"height", "INTEGER"}, new String[] {"pix_fmt", "VARCHAR"}, new String[] {"bit_depth", "INTEGER"},
      new String[] {"rotation", "INTEGER"}, new String[] {"mirror", "BOOLEAN"}, new String[] {"fps", "DOUBLE"},
      new String[] {"duration", "DOUBLE"}, new String[] {"declared_frames", "BIGINT"},
      new String[] {"frames_decoded", "BIGINT"}, new String[] {"decode_errors", "BIGINT"},
      new String[] {"bytes_read", "BIGINT"}, new String[] {"size_bytes", "BIGINT"},
      new String[] {"fetch_ms", "DOUBLE"}, new String[] {"open_ms", "DOUBLE"}, new String[] {"demux_ms", "DOUBLE"},
      new String[] {"decode_ms", "DOUBLE"}, new String[] {"output_ms", "DOUBLE"}, new String[] {"total_ms", "DOUBLE"},
      new String[] {"attempts", "INTEGER"}, new String[] {"backend", "VARCHAR"}, new String[] {"threads", "INTEGER"},
      new String[] {"finished_at", "TIMESTAMPTZ"}, new String[] {"backend_reason", "VARCHAR"},
      // sampling: what was selected, and what it saved
      new String[] {"frames_returned", "BIGINT"}, new String[] {"packets_skipped", "BIGINT"},
      new String[] {"seeks", "BIGINT"}, new String[] {"sample_path", "VARCHAR"},
      // the per-clip aggregates of the frame statistics (null without --stats)
      new String[] {"black_frames", "BIGINT"}, new String[] {"blank_frames", "BIGINT"},
      new String[] {"scene_cuts", "BIGINT"}, new String[] {"luma_mean", "DOUBLE"}, new String[] {"luma_min", "DOUBLE"},
      new String[] {"luma_max", "DOUBLE"}, new String[] {"sharpness_mean", "DOUBLE"},
      new String[] {"sharpness_min", "DOUBLE"}, new String[] {"sharpness_max", "DOUBLE"},
      new String[] {"motion_mean", "DOUBLE"}, new String[] {"motion_min", "DOUBLE"}, new String[] {"motion_max", "DOUBLE"},
      new String[] {"scene_score_max", "DOUBLE"},
      // where the clip's frames went (null without --frames, and for failed clips)
      new String[] {"encode_ms", "DOUBLE"}, new String[] {"sample_key", "VARCHAR"},
      new String[] {"frames_shard", "VARCHAR"}, new String[] {"frames_offset", "BIGINT"});

  /** The columns of OUT/frames_table/: a row per selected frame of every clip that succeeded. */
  static final List<String[]> FRAME_COLUMNS = List.of(
      new String[] {"key", "VARCHAR"}, new String[] {"sample_key", "VARCHAR"}, new String[] {"frame", "INTEGER"},
      new String[] {"pts", "BIGINT"}, new String[] {"time", "DOUBLE"}, new String[] {"key_frame", "BOOLEAN"},
      new String[] {"width", "INTEGER"}, new String[] {"height", "INTEGER"}, new String[] {"file", "VARCHAR"},
      new String[] {"shard", "VARCHAR"}, new String[] {"luma_mean", "DOUBLE"}, new String[] {"luma_std", "DOUBLE"},
      new String[] {"dark_fraction", "DOUBLE"}, new String[] {"black", "BOOLEAN"}, new String[] {"blank", "BOOLEAN"},
      new String[] {"sharpness", "DOUBLE"}, new String[] {"motion", "DOUBLE"}, new String[] {"scene_score", "DOUBLE"},
      new String[] {"scene_cut", "BOOLEAN"}, new String[] {"dhash", "BIGINT"});

  private final Path clipsDir;
  private final Path failuresFile;
  private final String partPrefix;
  private final Journal journal;
  private final List<String> passthrough;
  private final Path frameTableDir;  // null without a frames table
  private final ShardWriter shards;  // null without frames
  private Connection db;            // opened on first use: loading DuckDB must not delay decoding
  private DuckDBAppender appender;
  private DuckDBAppender frameAppender;
  private long pendingFrameRows;
  private long framesWritten;
  private final List<ClipHash> pendingClips = new ArrayList<>();
  private final StringBuilder pendingFailures = new StringBuilder();
  private int seq;
  private long writeNanos;

  /**
   * @param passthrough manifest columns that get a column of their own (others go to
   *     extra_columns as JSON); fixed for the whole run so that every part has one schema
   */
  public ResultSink(Path clipsDir, Path failuresFile, String partPrefix, Journal journal, List<String> passthrough)
      throws IOException {
    this(clipsDir, failuresFile, partPrefix, journal, passthrough, null, null);
  }

  /**
   * With dataset outputs: a frames table written to {@code frameTableDir} (parts named like the
   * clips' parts) and clips' frames appended to {@code shards}; either may be null.
   */
  public ResultSink(Path clipsDir, Path failuresFile, String partPrefix, Journal journal, List<String> passthrough,
                    Path frameTableDir, ShardWriter shards) throws IOException {
    this.frameTableDir = frameTableDir;
    this.shards = shards;
    if (frameTableDir != null) Files.createDirectories(frameTableDir);
    this.clipsDir = clipsDir;
    this.failuresFile = failuresFile;
    this.partPrefix = partPrefix;
    this.journal = journal;
    this.passthrough = List.copyOf(passthrough);
    this.seq = journal.state().parts().size();
    Files.createDirectories(clipsDir);
  }

  private Connection db() throws IOException {
    if (db != null) return db;
    try {
      db = DriverManager.getConnection("jdbc:duckdb:");
      try (Statement s = db.createStatement()) {
        // DuckDB shares the machine with the decoders: keep it small
        s.execute("SET threads = 1");
        s.execute("SET memory_limit = '256MB'");
        s.execute("SET preserve_insertion_order = true");
      }
      newPendingTables();
      return db;
    } catch (SQLException e) {
      throw new IOException("cannot start the Parquet writer (DuckDB): " + e.getMessage(), e);
    }
  }

  /** Loads DuckDB's native library (hundreds of milliseconds), e.g. in a background thread at start. */
  public static void warmUp() {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:")) {
      c.isValid(1);
    } catch (SQLException e) {
      // the real connection will report it
    }
  }

  /** Result columns, then passthrough columns (renamed input_X when they clash), then extra_columns. */
  public static List<String> columnNames(List<String> passthrough) {
    return columnTypes(passthrough).stream().map(c -> c[0]).toList();
  }

  /** Name and SQL type of every column of the result rows, for these passthrough columns. */
  public static List<String[]> columnTypes(List<String> passthrough) {
    List<String[]> types = new ArrayList<>();
    for (String[] c : COLUMNS) types.add(c.clone());
    for (String p : passthrough) types.add(new String[] {passthroughName(p), "VARCHAR"});
    types.add(new String[] {"extra_columns", "VARCHAR"});
    return types;
  }

  /** The result column a manifest column passes through as: its name, or input_NAME on a clash. */
  public static String passthroughName(String column) {
    for (String[] c : COLUMNS) {
      if (c[0].equalsIgnoreCase(column)) return "input_" + column;
    }
    return column.equalsIgnoreCase("extra_columns") ? "input_" + column : column;
  }

  /**
   * New, empty tables for the rows of the next commit, and their appenders. DELETE would not do:
   * an in-memory DuckDB keeps the storage of deleted rows, some hundred bytes for every row a run
   * ever wrote (a soak of 20,000 clips showed it; 100 million clips would hold tens of GB).
   */
  private void newPendingTables() throws SQLException {
    try (Statement s = db.createStatement()) {
      if (appender != null) {
        appender.close();
        s.execute("DROP TABLE pending");
      }
      if (frameAppender != null) {
        frameAppender.close();
        s.execute("DROP TABLE pending_frames");
      }
      s.execute(createTable("pending", columnTypes(passthrough)));
      if (frameTableDir != null) s.execute(createTable("pending_frames", FRAME_COLUMNS));
    }
    appender = db.unwrap(DuckDBConnection.class).createAppender("pending");
    if (frameTableDir != null) frameAppender = db.unwrap(DuckDBConnection.class).createAppender("pending_frames");
  }

  private static String createTable(String name, List<String[]> columns) {
    StringBuilder sql = new StringBuilder("CREATE TABLE " + name + " (");
    for (String[] c : columns) sql.append(quote(c[0])).append(' ').append(c[1]).append(", ");
    sql.setLength(sql.length() - 2);
    return sql.append(')').toString();
  }

  private static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  /** Rows waiting for the next commit. */
  public int pending() {
    return pendingClips.size();
  }

  /** Time spent writing results (Parquet, failures log, journal), ns. */
  public long writeNanos() {
    return writeNanos;
  }

  /**
   * One result row's values, in the order of {@link #columnTypes}: a String, Integer, Long,
   * Double, Boolean, OffsetDateTime (UTC) or null each. Everything that writes result rows
   * (this sink, the Spark integration) builds them here, so that they hold the same values.
   */
  public static List<Object> rowValues(ClipResult r, List<String> passthrough) throws IOException {
    ClipInfo i = r.info();
    boolean known = i.streamIndex() >= 0;
    double fps = i.avgFrameRate().known() ? i.avgFrameRate().toDouble()
        : i.guessedFrameRate().known() ? i.guessedFrameRate().toDouble() : Double.NaN;
    Map<String, String> cols = r.ref().columns();
    List<Object> row = new ArrayList<>(COLUMNS.size() + passthrough.size() + 1);
    row.add(r.ref().key());
    row.add(r.ref().uri());
    row.add(r.statusText());
    row.add(r.ok() ? null : text(r.error()));
    row.add(text(i.container()));
    row.add(text(i.codec()));
    row.add(text(i.profile()));
    row.add(text(i.decoder()));
    row.add(positive(i.width()));
    row.add(positive(i.height()));
    row.add(text(i.pixFmt()));
    row.add(positive(i.bitDepth()));
    row.add(known ? (Object) i.rotation() : null);
    row.add(known ? (Object) i.mirror() : null);
    row.add(Double.isNaN(fps) ? null : fps);
    row.add(Double.isNaN(i.durationSeconds()) ? null : i.durationSeconds());
    row.add(i.declaredFrames() > 0 ? (Object) i.declaredFrames() : null);
    row.add(r.framesDecoded());
    row.add(r.decodeErrors());
    row.add(r.bytesRead());
    row.add((known || !i.container().isEmpty()) && i.sizeBytes() >= 0 ? (Object) i.sizeBytes() : null);
    row.add(r.fetchNanos() / 1e6);
    row.add(r.openNanos() / 1e6);
    row.add(r.demuxNanos() / 1e6);
    row.add(r.decodeNanos() / 1e6);
    row.add(r.outputNanos() / 1e6);
    row.add(r.totalNanos() / 1e6);
    row.add(r.attempts());
    row.add(r.backend());
    row.add(r.threads());
    row.add(r.finishedAt().atOffset(ZoneOffset.UTC));
    // why a clip asked for a GPU decoded on the CPU (NO_GPU: ..., UNSUPPORTED: ...); null when it did not
    row.add(text(i.backendReason()));
    ClipStats st = r.stats();
    row.add(r.framesReturned());
    row.add(st == null ? 0L : st.packetsSkipped());
    row.add(st == null ? 0L : st.seeks());
    row.add(st == null ? null : st.samplePath().name().toLowerCase(java.util.Locale.ROOT));
    ClipAggregates a = r.aggregates();
    boolean moved = a != null && a.motionMean() >= 0; // two frames with statistics at least
    boolean any = a != null && a.frames() > 0;
    row.add(a == null ? null : a.blackFrames());
    row.add(a == null ? null : a.blankFrames());
    row.add(a == null ? null : a.sceneCuts());
    row.add(any ? a.lumaMean() : null);
    row.add(any ? a.lumaMin() : null);
    row.add(any ? a.lumaMax() : null);
    row.add(any ? a.sharpnessMean() : null);
    row.add(any ? a.sharpnessMin() : null);
    row.add(any ? a.sharpnessMax() : null);
    row.add(moved ? a.motionMean() : null);
    row.add(moved ? a.motionMin() : null);
    row.add(moved ? a.motionMax() : null);
    row.add(moved ? a.sceneScoreMax() : null);
    ClipFrames fr = r.frames();
    row.add(fr == null ? null : r.encodeNanos() / 1e6);
    row.add(fr == null ? null : fr.sampleKey());
    row.add(fr == null ? null : fr.shard());
    row.add(fr == null || fr.shard() == null ? null : (Object) fr.offset());
    for (String c : passthrough) row.add(cols.get(c));
    Set<String> extra = new LinkedHashSet<>(cols.keySet());
    passthrough.forEach(extra::remove);
    if (extra.isEmpty()) {
      row.add(null);
    } else {
      ObjectNode o = JSON.createObjectNode();
      for (String k : extra) o.put(k, cols.get(k));
      row.add(JSON.writeValueAsString(o));
    }
    return row;
  }

  /**
   * Adds a clip's result: its row, its failure line when it failed, its frames to the open
   * shard and its frame rows to the frames table. None of it is done before {@link #commit}.
   */
  public void add(ClipResult r) throws IOException {
    long t0 = System.nanoTime();
    ClipFrames fr = r.frames();
    if (fr != null && fr.spool() != null) {
      if (shards == null) throw new IllegalStateException("a clip with frames, and no shards to put them in");
      fr = shards.append(fr);
      r = r.withFrames(fr);
      framesWritten += fr.frames().size();
    }
    List<Object> row = rowValues(r, passthrough);
    Map<String, String> cols = r.ref().columns();
    db();
    try {
      append(appender, row);
      if (frameAppender != null && fr != null) {
        for (FrameRecord f : fr.frames()) append(frameAppender, frameRow(r.ref().key(), fr, f));
        pendingFrameRows += fr.frames().size();
      }
    } catch (SQLException e) {
      throw new IOException("cannot buffer a result row: " + e.getMessage(), e);
    }
    if (!r.ok()) {
      ObjectNode f = JSON.createObjectNode();
      f.put("key", r.ref().key());
      f.put("uri", r.ref().uri());
      f.put("status", r.statusText());
      f.put("error", r.error());
      f.put("attempts", r.attempts());
      f.put("frames_decoded", r.framesDecoded());
      ObjectNode fc = f.putObject("columns");
      cols.forEach(fc::put);
      pendingFailures.append(JSON.writeValueAsString(f)).append('\n');
    }
    pendingClips.add(r.hash());
    writeNanos += System.nanoTime() - t0;
  }

  private static void append(DuckDBAppender a, List<Object> row) throws SQLException {
    a.beginRow();
    for (Object v : row) {
      switch (v) {
        case null -> a.appendNull();
        case String x -> a.append(x);
        case Integer x -> a.append(x.intValue());
        case Long x -> a.append(x.longValue());
        case Double x -> a.append(x.doubleValue());
        case Boolean x -> a.append(x.booleanValue());
        case OffsetDateTime x -> a.append(x);
        default -> throw new IllegalStateException("no column type for " + v.getClass());
      }
    }
    a.endRow();
  }

  /** A row of the frames table, in the order of {@link #FRAME_COLUMNS}. */
  static List<Object> frameRow(String key, ClipFrames clip, FrameRecord f) {
    FrameStats s = f.stats();
    List<Object> row = new ArrayList<>(FRAME_COLUMNS.size());
    row.add(key);
    row.add(clip.sampleKey());
    row.add(f.index());
    row.add(f.pts() == Long.MIN_VALUE ? null : (Object) f.pts());
    row.add(Double.isNaN(f.time()) ? null : (Object) f.time());
    row.add(f.keyFrame());
    row.add(f.width());
    row.add(f.height());
    row.add(f.file());
    row.add(clip.shard());
    row.add(s == null ? null : (double) s.lumaMean());
    row.add(s == null ? null : (double) s.lumaStd());
    row.add(s == null ? null : (double) s.darkFraction());
    row.add(s == null ? null : s.black());
    row.add(s == null ? null : s.blank());
    row.add(s == null ? null : (double) s.sharpness());
    row.add(s == null || !s.hasPrevious() ? null : (double) s.motion());
    row.add(s == null || !s.hasPrevious() ? null : (double) s.sceneScore());
    row.add(s == null ? null : s.sceneCut());
    row.add(s == null ? null : s.dhash());
    return row;
  }

  /** Frame rows waiting for the next commit. */
  public long pendingFrameRows() {
    return pendingFrameRows;
  }

  /** Frames this sink put into shards. */
  public long framesWritten() {
    return framesWritten;
  }

  /** The shards, or null without frames. */
  public ShardWriter shards() {
    return shards;
  }

  private static String text(String v) {
    return v == null || v.isEmpty() ? null : v;
  }

  private static Integer positive(int v) {
    return v > 0 ? v : null;
  }

  /** Makes everything added so far durable and done. Returns the part file, or null if nothing was pending. */
  public String commit() throws IOException {
    return commit(false);
  }

  /**
   * Makes everything added so far durable and done; with {@code last} (the run is ending) the
   * open shard is finished too, in a record of its own when no clips are pending. Returns the
   * part file, or null if no rows were pending.
   */
  public String commit(boolean last) throws IOException {
    boolean shardToFinish = last && shards != null && shards.hasOpenShard();
    if (pendingClips.isEmpty() && !shardToFinish) return null;
    long t0 = System.nanoTime();
    String part = null;
    List<Journal.Written> files = new ArrayList<>();
    if (!pendingClips.isEmpty()) {
      part = String.format("%s%06d.parquet", partPrefix, seq);
      try {
        db();
        appender.flush();
        writePart("pending", clipsDir, part);
        if (frameAppender != null && pendingFrameRows > 0) {
          frameAppender.flush();
          writePart("pending_frames", frameTableDir, part);
          files.add(new Journal.Written(Journal.Written.Kind.FRAME_TABLE_PART, part, 0));
        }
        newPendingTables();
      } catch (SQLException e) {
        throw new IOException("cannot write " + part + ": " + e.getMessage(), e);
      }
    }
    if (shards != null) files.addAll(shards.prepareCommit(last));
    long failuresLength = appendFailures();
    journal.commit(part, failuresLength, pendingClips, files);
    if (shards != null) shards.committed();
    pendingClips.clear();
    pendingFrameRows = 0;
    if (part != null) seq++;
    writeNanos += System.nanoTime() - t0;
    return part;
  }

  /** A table's rows to dir/part: a temporary file, fsync'ed, renamed, the folder fsync'ed. */
  private void writePart(String table, Path dir, String part) throws SQLException, IOException {
    Path tmp = dir.resolve(part + ".tmp");
    try (Statement s = db().createStatement()) {
      s.execute("COPY " + table + " TO '" + tmp.toString().replace("'", "''")
          + "' (FORMAT PARQUET, COMPRESSION ZSTD, ROW_GROUP_SIZE 100000)");
      fsync(tmp);
      Files.move(tmp, dir.resolve(part), StandardCopyOption.ATOMIC_MOVE);
    } catch (SQLException | IOException e) {
      // (a full disk: the half-written part goes at once, not at the next run's recovery)
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException again) {
        e.addSuppressed(again);
      }
      throw e;
    }
    Journal.fsyncDirectory(dir);
  }

  /** Counts over every committed part of this run (or shard): what the output files hold. */
  public record Totals(long ok, long failed, java.util.Map<String, Long> failuresByCode, long frames) {}

  public Totals totals() throws IOException {
    String glob = clipsDir.resolve(partPrefix + "*.parquet").toString().replace("'", "''");
    long ok = 0;
    long failed = 0;
    long frames = 0;
    java.util.Map<String, Long> codes = new java.util.TreeMap<>();
    if (journal.state().parts().isEmpty()) return new Totals(0, 0, codes, 0);
    try (Statement s = db().createStatement();
         var rs = s.executeQuery("SELECT status, count(*), sum(frames_decoded) FROM read_parquet('" + glob
             + "') GROUP BY status")) {
      while (rs.next()) {
        long n = rs.getLong(2);
        frames += rs.getLong(3);
        if (rs.getString(1).equals("ok")) {
          ok += n;
        } else {
          failed += n;
          codes.put(rs.getString(1), n);
        }
      }
    } catch (SQLException e) {
      throw new IOException("cannot read back " + glob + ": " + e.getMessage(), e);
    }
    return new Totals(ok, failed, codes, frames);
  }

  private long appendFailures() throws IOException {
    try (FileChannel ch = FileChannel.open(failuresFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND)) {
      if (!pendingFailures.isEmpty()) {
        ByteBuffer buf = ByteBuffer.wrap(pendingFailures.toString().getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) ch.write(buf);
        ch.force(false);
        pendingFailures.setLength(0);
      }
      return ch.size();
    }
  }

  private static void fsync(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  @Override
  public void close() {
    if (shards != null) {
      try {
        shards.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    if (db == null) return;
    try {
      if (frameAppender != null) frameAppender.close();
      appender.close();
      db.close();
    } catch (SQLException e) {
      throw new UncheckedIOException(new IOException(e));
    }
  }
}
