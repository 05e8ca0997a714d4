package io.vidmill.testing;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads a run's OUT/clips/*.parquet back with DuckDB, as a user would. */
public final class Results implements AutoCloseable {
  private final Connection db;
  private final String parts;

  public Results(Path out) throws SQLException {
    db = DriverManager.getConnection("jdbc:duckdb:");
    parts = out.resolve("clips").resolve("*.parquet").toString().replace("'", "''");
  }

  public List<Map<String, Object>> query(String sqlOverClips) throws SQLException {
    String sql = sqlOverClips.replace("CLIPS", "read_parquet('" + parts + "')");
    List<Map<String, Object>> rows = new ArrayList<>();
    try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        Map<String, Object> row = new HashMap<>();
        for (int i = 1; i <= n; i++) row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
        rows.add(row);
      }
    }
    return rows;
  }

  public long count(String sqlOverClips) throws SQLException {
    return ((Number) query(sqlOverClips).getFirst().values().iterator().next()).longValue();
  }

  /** key -> status of every row (a key appearing twice fails the caller's size check). */
  public Map<String, String> statusByKey() throws SQLException {
    Map<String, String> m = new HashMap<>();
    for (Map<String, Object> r : query("SELECT key, status FROM CLIPS")) m.put((String) r.get("key"), (String) r.get("status"));
    return m;
  }

  @Override
  public void close() throws SQLException {
    db.close();
  }
}
