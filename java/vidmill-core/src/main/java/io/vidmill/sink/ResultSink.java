package io.vidmill.sink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vidmill.decode.ClipInfo;
import io.vidmill.journal.Journal;
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
      new String[] {"finished_at", "TIMESTAMPTZ"}, new String[] {"backend_reason", "VARCHAR"});

  private final Path clipsDir;
  private final Path failuresFile;
  private final String partPrefix;
  private final Journal journal;
  private final List<String> passthrough;
  private Connection db;            // opened on first use: loading DuckDB must not delay decoding
  private DuckDBAppender appender;
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
        s.execute(createTable());
      }
      appender = db.unwrap(DuckDBConnection.class).createAppender("pending");
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

  private String createTable() {
    StringBuilder sql = new StringBuilder("CREATE TABLE pending (");
    for (String[] c : columnTypes(passthrough)) sql.append(quote(c[0])).append(' ').append(c[1]).append(", ");
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

  public void add(ClipResult r) throws IOException {
    long t0 = System.nanoTime();
    List<Object> row = rowValues(r, passthrough);
    Map<String, String> cols = r.ref().columns();
    db();
    try {
      appender.beginRow();
      for (Object v : row) {
        switch (v) {
          case null -> appender.appendNull();
          case String x -> appender.append(x);
          case Integer x -> appender.append(x.intValue());
          case Long x -> appender.append(x.longValue());
          case Double x -> appender.append(x.doubleValue());
          case Boolean x -> appender.append(x.booleanValue());
          case OffsetDateTime x -> appender.append(x);
          default -> throw new IllegalStateException("no column type for " + v.getClass());
        }
      }
      appender.endRow();
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

  private static String text(String v) {
    return v == null || v.isEmpty() ? null : v;
  }

  private static Integer positive(int v) {
    return v > 0 ? v : null;
  }

  /** Makes everything added so far durable and done. Returns the part file, or null if nothing was pending. */
  public String commit() throws IOException {
    if (pendingClips.isEmpty()) return null;
    long t0 = System.nanoTime();
    String part = String.format("%s%06d.parquet", partPrefix, seq);
    Path tmp = clipsDir.resolve(part + ".tmp");
    Path target = clipsDir.resolve(part);
    try (Statement s = db().createStatement()) {
      appender.flush();
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
    if (db == null) return;
    try {
      appender.close();
      db.close();
    } catch (SQLException e) {
      throw new UncheckedIOException(new IOException(e));
    }
  }
}
