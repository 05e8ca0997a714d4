package io.vidmill.sink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vidmill.decode.ClipInfo;
import io.vidmill.journal.Journal;
import io.vidmill.pipeline.ClipResult;
import io.vidmill.shard.ClipHash;
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
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
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
 * the clips. A crash anywhere in between leaves work the next run removes and redoes. DuckDB,
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
      new String[] {"finished_at", "TIMESTAMPTZ"});

  private final Path clipsDir;
  private final Path failuresFile;
  private final String partPrefix;
  private final Journal journal;
  private final List<String> passthrough;
  private final Connection db;
  private final PreparedStatement insert;
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
    this.clipsDir = clipsDir;
    this.failuresFile = failuresFile;
    this.partPrefix = partPrefix;
    this.journal = journal;
    this.passthrough = List.copyOf(passthrough);
    this.seq = journal.state().parts().size();
    Files.createDirectories(clipsDir);
    try {
      db = DriverManager.getConnection("jdbc:duckdb:");
      try (Statement s = db.createStatement()) {
        // DuckDB shares the machine with the decoders: keep it small
        s.execute("SET threads = 1");
        s.execute("SET memory_limit = '256MB'");
        s.execute("SET preserve_insertion_order = true");
        s.execute(createTable());
      }
      insert = db.prepareStatement(insertSql());
    } catch (SQLException e) {
      throw new IOException("cannot start the Parquet writer (DuckDB): " + e.getMessage(), e);
    }
  }

  /** Result columns, then passthrough columns (renamed input_X when they clash), then extra_columns. */
  public static List<String> columnNames(List<String> passthrough) {
    List<String> names = new ArrayList<>();
    for (String[] c : COLUMNS) names.add(c[0]);
    for (String p : passthrough) names.add(passthroughName(p));
    names.add("extra_columns");
    return names;
  }

  static String passthroughName(String column) {
    for (String[] c : COLUMNS) {
      if (c[0].equalsIgnoreCase(column)) return "input_" + column;
    }
    return column.equalsIgnoreCase("extra_columns") ? "input_" + column : column;
  }

  private String createTable() {
    StringBuilder sql = new StringBuilder("CREATE TABLE pending (");
    for (String[] c : COLUMNS) sql.append(quote(c[0])).append(' ').append(c[1]).append(", ");
    for (String p : passthrough) sql.append(quote(passthroughName(p))).append(" VARCHAR, ");
    sql.append("extra_columns VARCHAR)");
    return sql.toString();
  }

  private String insertSql() {
    int n = COLUMNS.size() + passthrough.size() + 1;
    return "INSERT INTO pending VALUES (" + "?, ".repeat(n - 1) + "?)";
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

  public void add(ClipResult r) throws IOException {
    long t0 = System.nanoTime();
    try {
      ClipInfo i = r.info();
      boolean known = i.streamIndex() >= 0 || !i.container().isEmpty();
      int p = 1;
      insert.setString(p++, r.ref().key());
      insert.setString(p++, r.ref().uri());
      insert.setString(p++, r.statusText());
      setText(insert, p++, r.ok() ? null : r.error());
      setText(insert, p++, i.container());
      setText(insert, p++, i.codec());
      setText(insert, p++, i.profile());
      setText(insert, p++, i.decoder());
      setInt(insert, p++, i.width());
      setInt(insert, p++, i.height());
      setText(insert, p++, i.pixFmt());
      setInt(insert, p++, i.bitDepth());
      if (i.streamIndex() >= 0) insert.setInt(p++, i.rotation()); else insert.setNull(p++, Types.INTEGER);
      if (i.streamIndex() >= 0) insert.setBoolean(p++, i.mirror()); else insert.setNull(p++, Types.BOOLEAN);
      double fps = i.avgFrameRate().known() ? i.avgFrameRate().toDouble()
          : i.guessedFrameRate().known() ? i.guessedFrameRate().toDouble() : Double.NaN;
      setDouble(insert, p++, fps);
      setDouble(insert, p++, i.durationSeconds());
      if (i.declaredFrames() > 0) insert.setLong(p++, i.declaredFrames()); else insert.setNull(p++, Types.BIGINT);
      insert.setLong(p++, r.framesDecoded());
      insert.setLong(p++, r.decodeErrors());
      insert.setLong(p++, r.bytesRead());
      if (known && i.sizeBytes() >= 0) insert.setLong(p++, i.sizeBytes()); else insert.setNull(p++, Types.BIGINT);
      insert.setDouble(p++, r.fetchNanos() / 1e6);
      insert.setDouble(p++, r.openNanos() / 1e6);
      insert.setDouble(p++, r.demuxNanos() / 1e6);
      insert.setDouble(p++, r.decodeNanos() / 1e6);
      insert.setDouble(p++, r.outputNanos() / 1e6);
      insert.setDouble(p++, r.totalNanos() / 1e6);
      insert.setInt(p++, r.attempts());
      insert.setString(p++, r.backend());
      insert.setInt(p++, r.threads());
      insert.setTimestamp(p++, Timestamp.from(r.finishedAt()));
      Map<String, String> cols = r.ref().columns();
      for (String c : passthrough) setText(insert, p++, cols.get(c));
      Set<String> extra = new LinkedHashSet<>(cols.keySet());
      passthrough.forEach(extra::remove);
      if (extra.isEmpty()) {
        insert.setNull(p, Types.VARCHAR);
      } else {
        ObjectNode o = JSON.createObjectNode();
        for (String k : extra) o.put(k, cols.get(k));
        insert.setString(p, JSON.writeValueAsString(o));
      }
      insert.addBatch();
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
      ObjectNode cols = f.putObject("columns");
      r.ref().columns().forEach(cols::put);
      pendingFailures.append(JSON.writeValueAsString(f)).append('\n');
    }
    pendingClips.add(r.hash());
    writeNanos += System.nanoTime() - t0;
  }

  /** Makes everything added so far durable and done. Returns the part file, or null if nothing was pending. */
  public String commit() throws IOException {
    if (pendingClips.isEmpty()) return null;
    long t0 = System.nanoTime();
    String part = String.format("%s%06d.parquet", partPrefix, seq);
    Path tmp = clipsDir.resolve(part + ".tmp");
    Path target = clipsDir.resolve(part);
    try (Statement s = db.createStatement()) {
      insert.executeBatch();
      s.execute("COPY pending TO '" + tmp.toString().replace("'", "''")
          + "' (FORMAT PARQUET, COMPRESSION ZSTD, ROW_GROUP_SIZE 100000)");
      s.execute("DELETE FROM pending");
    } catch (SQLException e) {
      throw new IOException("cannot write " + tmp + ": " + e.getMessage(), e);
    }
    fsync(tmp);
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    Journal.fsyncDirectory(clipsDir);
    long failuresLength = appendFailures();
    journal.commit(part, failuresLength, pendingClips);
    pendingClips.clear();
    seq++;
    writeNanos += System.nanoTime() - t0;
    return part;
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
    try (Statement s = db.createStatement();
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

  private static void setText(PreparedStatement s, int i, String v) throws SQLException {
    if (v == null || v.isEmpty()) s.setNull(i, Types.VARCHAR); else s.setString(i, v);
  }

  private static void setInt(PreparedStatement s, int i, int v) throws SQLException {
    if (v > 0) s.setInt(i, v); else s.setNull(i, Types.INTEGER);
  }

  private static void setDouble(PreparedStatement s, int i, double v) throws SQLException {
    if (Double.isNaN(v)) s.setNull(i, Types.DOUBLE); else s.setDouble(i, v);
  }

  @Override
  public void close() {
    try {
      insert.close();
      db.close();
    } catch (SQLException e) {
      throw new UncheckedIOException(new IOException(e));
    }
  }
}
