package io.editdb.driver;

import io.editdb.driver.Command.Parsed;
import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.BatchUpdateException;
import java.sql.Blob;
import java.sql.Clob;
import java.sql.Date;
import java.sql.NClob;
import java.sql.ParameterMetaData;
import java.sql.PreparedStatement;
import java.sql.Ref;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.RowId;
import java.sql.SQLException;
import java.sql.SQLXML;
import java.sql.Statement;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Calendar;
import java.util.List;

/**
 * A prepared statement. Standard SQL is prepared by H2 and its parameters go straight to it ({@code
 * float[]} and {@code double[]} become SQL arrays). EditDB's statements are parsed once; their
 * parameters are kept here and converted when the statement runs.
 *
 * <pre>{@code
 * try (PreparedStatement ps = conn.prepareStatement("INSERT INTO edits (layer, prompt, target,"
 *     + " visual_key, text_key, expert_a, expert_b, rank) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
 *     Statement.RETURN_GENERATED_KEYS)) {
 *   ps.setString(1, "l21");
 *   ...
 *   ps.setObject(4, visualKey); // float[]
 *   ps.addBatch();
 *   ps.executeBatch(); // one version with auto-commit on
 * }
 * }</pre>
 */
final class EditDbPreparedStatement extends EditDbStatement implements PreparedStatement {
  private final Parsed parsed;
  private final PreparedStatement h2; // standard SQL only
  private final Object[] params; // EditDB statements only
  private final List<Object[]> batchRows = new ArrayList<>();
  private final boolean keys;

  private EditDbPreparedStatement(
      EditDbConnection conn,
      Parsed parsed,
      PreparedStatement h2,
      int type,
      int concurrency,
      int holdability,
      boolean keys) {
    super(conn, type, concurrency, holdability);
    this.parsed = parsed;
    this.h2 = h2;
    this.keys = keys;
    this.params = new Object[h2 == null ? parsed.paramCount() : 0];
    Arrays.fill(params, Values.UNSET);
  }

  static EditDbPreparedStatement prepare(
      EditDbConnection conn, String sql, int type, int concurrency, int holdability, boolean keys)
      throws SQLException {
    return Errors.entry(() -> prepareUnconverted(conn, sql, type, concurrency, holdability, keys));
  }

  private static EditDbPreparedStatement prepareUnconverted(
      EditDbConnection conn, String sql, int type, int concurrency, int holdability, boolean keys)
      throws SQLException {
    Parsed p = conn.parse(sql);
    PreparedStatement h2 = null;
    if (p.command() instanceof Command.Delegate d) {
      conn.beforeDelegate(d);
      h2 =
          keys
              ? conn.h2().prepareStatement(sql, RETURN_GENERATED_KEYS)
              : conn.h2().prepareStatement(sql, type, concurrency, holdability);
    }
    return new EditDbPreparedStatement(conn, p, h2, type, concurrency, holdability, keys);
  }

  @Override
  Statement h2OrNull() {
    return h2;
  }

  // ---- execution ----

  private boolean run(Mode mode) throws SQLException {
    return Errors.entry(() -> runUnconverted(mode));
  }

  private boolean runUnconverted(Mode mode) throws SQLException {
    checkOpen();
    return runParsed(
        parsed,
        params,
        mode,
        h2,
        () ->
            switch (mode) {
              case QUERY -> {
                h2.executeQuery();
                yield true;
              }
              case UPDATE -> {
                h2.executeLargeUpdate();
                yield false;
              }
              case ANY -> h2.execute();
            },
        keys);
  }

  @Override
  public ResultSet executeQuery() throws SQLException {
    run(Mode.QUERY);
    return getResultSet();
  }

  @Override
  public int executeUpdate() throws SQLException {
    return toInt(executeLargeUpdate());
  }

  @Override
  public long executeLargeUpdate() throws SQLException {
    run(Mode.UPDATE);
    return Math.max(lastUpdateCount(), 0);
  }

  @Override
  public boolean execute() throws SQLException {
    return run(Mode.ANY);
  }

  @Override
  public void addBatch() throws SQLException {
    checkOpen();
    if (h2 != null) {
      h2.addBatch();
    } else {
      batchRows.add(params.clone());
    }
  }

  @Override
  public void clearBatch() throws SQLException {
    checkOpen();
    if (h2 != null) {
      h2.clearBatch();
    }
    batchRows.clear();
  }

  @Override
  public long[] executeLargeBatch() throws SQLException {
    checkOpen();
    clearResults();
    if (h2 != null) {
      conn.beforeDelegate((Command.Delegate) parsed.command());
      try {
        return conn.batch(h2::executeLargeBatch);
      } catch (BatchUpdateException e) {
        throw batchFailure(e, e.getLargeUpdateCounts());
      } catch (SQLException | RuntimeException e) {
        throw batchFailure(e, new long[0]);
      }
    }
    List<Object[]> rows = List.copyOf(batchRows);
    batchRows.clear();
    long[] counts = new long[rows.size()];
    List<Long> ids = new ArrayList<>();
    int[] done = {0};
    try {
      conn.batch(
          () -> {
            for (Object[] row : rows) {
              runParsed(parsed, row, Mode.UPDATE, null, null, keys);
              ids.addAll(ids());
              counts[done[0]++] = Math.max(lastUpdateCount(), 0);
            }
            return null;
          });
    } catch (SQLException | RuntimeException e) {
      throw batchFailure(e, Arrays.copyOf(counts, done[0]));
    }
    ids().clear();
    ids().addAll(ids);
    return counts;
  }

  @Override
  public int[] executeBatch() throws SQLException {
    return toInts(executeLargeBatch());
  }

  // JDBC: the Statement methods that take SQL text are refused on a prepared statement.

  private static SQLException textNotAllowed() {
    return ErrorCode.WRONG_EXECUTE_METHOD.exception(
        "a PreparedStatement runs the SQL it was"
            + " prepared with; call execute(), executeQuery() or executeUpdate() without SQL text,"
            + " or use a Statement");
  }

  @Override
  public ResultSet executeQuery(String sql) throws SQLException {
    throw textNotAllowed();
  }

  @Override
  public boolean execute(String sql) throws SQLException {
    throw textNotAllowed();
  }

  @Override
  public boolean execute(String sql, int autoGeneratedKeys) throws SQLException {
    throw textNotAllowed();
  }

  @Override
  public boolean execute(String sql, int[] columnIndexes) throws SQLException {
    throw textNotAllowed();
  }

  @Override
  public boolean execute(String sql, String[] columnNames) throws SQLException {
    throw textNotAllowed();
  }

  @Override
  public long executeLargeUpdate(String sql) throws SQLException {
    throw textNotAllowed();
  }

  @Override
  public long executeLargeUpdate(String sql, int autoGeneratedKeys) throws SQLException {
    throw textNotAllowed();
  }

  @Override
  public void addBatch(String sql) throws SQLException {
    throw textNotAllowed();
  }

  @Override
  public void close() throws SQLException {
    try {
      super.close();
    } finally {
      if (h2 != null) {
        h2.close();
      }
    }
  }

  // ---- metadata ----

  @Override
  public ResultSetMetaData getMetaData() throws SQLException {
    checkOpen();
    if (h2 != null) {
      return h2.getMetaData();
    }
    return parsed.command().returnsRows()
        ? CommandExecutor.resultColumns(parsed.command()).getMetaData()
        : null;
  }

  @Override
  public ParameterMetaData getParameterMetaData() throws SQLException {
    checkOpen();
    if (h2 != null) {
      return h2.getParameterMetaData();
    }
    return new DialectParameters(params.length);
  }

  // ---- parameters ----

  /** A setter on H2's prepared statement. */
  private interface H2Setter {
    void set() throws SQLException;
  }

  private void set(int index, Object value, H2Setter h2Setter) throws SQLException {
    checkOpen();
    if (h2 != null) {
      try {
        h2Setter.set();
      } catch (SQLException e) {
        throw Errors.translate(e);
      }
      return;
    }
    if (index < 1 || index > params.length) {
      throw ErrorCode.INVALID_VALUE.exception(
          "parameter index "
              + index
              + " is out of range;"
              + " the statement has "
              + params.length
              + " parameters (numbered from 1)");
    }
    params[index - 1] = value;
  }

  @Override
  public void clearParameters() throws SQLException {
    checkOpen();
    if (h2 != null) {
      h2.clearParameters();
    }
    Arrays.fill(params, Values.UNSET);
  }

  @Override
  public void setNull(int i, int sqlType) throws SQLException {
    set(i, null, () -> h2.setNull(i, sqlType));
  }

  @Override
  public void setNull(int i, int sqlType, String typeName) throws SQLException {
    set(i, null, () -> h2.setNull(i, sqlType, typeName));
  }

  @Override
  public void setBoolean(int i, boolean x) throws SQLException {
    set(i, x, () -> h2.setBoolean(i, x));
  }

  @Override
  public void setByte(int i, byte x) throws SQLException {
    set(i, x, () -> h2.setByte(i, x));
  }

  @Override
  public void setShort(int i, short x) throws SQLException {
    set(i, x, () -> h2.setShort(i, x));
  }

  @Override
  public void setInt(int i, int x) throws SQLException {
    set(i, x, () -> h2.setInt(i, x));
  }

  @Override
  public void setLong(int i, long x) throws SQLException {
    set(i, x, () -> h2.setLong(i, x));
  }

  @Override
  public void setFloat(int i, float x) throws SQLException {
    set(i, x, () -> h2.setFloat(i, x));
  }

  @Override
  public void setDouble(int i, double x) throws SQLException {
    set(i, x, () -> h2.setDouble(i, x));
  }

  @Override
  public void setBigDecimal(int i, BigDecimal x) throws SQLException {
    set(i, x, () -> h2.setBigDecimal(i, x));
  }

  @Override
  public void setString(int i, String x) throws SQLException {
    set(i, x, () -> h2.setString(i, x));
  }

  @Override
  public void setNString(int i, String x) throws SQLException {
    set(i, x, () -> h2.setNString(i, x));
  }

  @Override
  public void setBytes(int i, byte[] x) throws SQLException {
    set(i, x, () -> h2.setBytes(i, x));
  }

  @Override
  public void setDate(int i, Date x) throws SQLException {
    set(i, x, () -> h2.setDate(i, x));
  }

  @Override
  public void setDate(int i, Date x, Calendar cal) throws SQLException {
    set(i, x, () -> h2.setDate(i, x, cal));
  }

  @Override
  public void setTime(int i, Time x) throws SQLException {
    set(i, x, () -> h2.setTime(i, x));
  }

  @Override
  public void setTime(int i, Time x, Calendar cal) throws SQLException {
    set(i, x, () -> h2.setTime(i, x, cal));
  }

  @Override
  public void setTimestamp(int i, Timestamp x) throws SQLException {
    set(i, x, () -> h2.setTimestamp(i, x));
  }

  @Override
  public void setTimestamp(int i, Timestamp x, Calendar cal) throws SQLException {
    set(i, x, () -> h2.setTimestamp(i, x, cal));
  }

  /** Keys and weights: {@code float[]} (or double[], Float[], a VectorCodec blob, ...). */
  @Override
  public void setObject(int i, Object x) throws SQLException {
    set(i, x, () -> h2.setObject(i, conn.bindable(x)));
  }

  @Override
  public void setObject(int i, Object x, int targetSqlType) throws SQLException {
    set(i, x, () -> h2.setObject(i, conn.bindable(x), targetSqlType));
  }

  @Override
  public void setObject(int i, Object x, int targetSqlType, int scaleOrLength) throws SQLException {
    set(i, x, () -> h2.setObject(i, conn.bindable(x), targetSqlType, scaleOrLength));
  }

  /** Keys and weights as an SQL array, e.g. {@code conn.createArrayOf("REAL", floats)}. */
  @Override
  public void setArray(int i, Array x) throws SQLException {
    set(i, x, () -> h2.setArray(i, x));
  }

  @Override
  public void setBlob(int i, Blob x) throws SQLException {
    if (h2 != null) {
      set(i, null, () -> h2.setBlob(i, x));
    } else {
      set(i, x == null ? null : x.getBytes(1, (int) x.length()), null);
    }
  }

  @Override
  public void setBlob(int i, InputStream x, long length) throws SQLException {
    if (h2 != null) {
      set(i, null, () -> h2.setBlob(i, x, length));
    } else {
      set(i, x == null ? null : Values.readAll(x, "parameter " + i), null);
    }
  }

  @Override
  public void setBlob(int i, InputStream x) throws SQLException {
    setBlob(i, x, -1L);
  }

  @Override
  public void setClob(int i, Clob x) throws SQLException {
    if (h2 != null) {
      set(i, null, () -> h2.setClob(i, x));
    } else {
      set(i, Values.text(x, "parameter " + i), null);
    }
  }

  @Override
  public void setClob(int i, Reader x, long length) throws SQLException {
    setCharacterStream(i, x, length);
  }

  @Override
  public void setClob(int i, Reader x) throws SQLException {
    setCharacterStream(i, x, -1L);
  }

  @Override
  public void setNClob(int i, NClob x) throws SQLException {
    setClob(i, x);
  }

  @Override
  public void setNClob(int i, Reader x, long length) throws SQLException {
    setCharacterStream(i, x, length);
  }

  @Override
  public void setNClob(int i, Reader x) throws SQLException {
    setCharacterStream(i, x, -1L);
  }

  @Override
  public void setCharacterStream(int i, Reader x, long length) throws SQLException {
    if (h2 != null) {
      set(i, null, () -> h2.setCharacterStream(i, x, length));
    } else {
      set(i, x == null ? null : Values.readAll(x, "parameter " + i), null);
    }
  }

  @Override
  public void setCharacterStream(int i, Reader x, int length) throws SQLException {
    setCharacterStream(i, x, (long) length);
  }

  @Override
  public void setCharacterStream(int i, Reader x) throws SQLException {
    setCharacterStream(i, x, -1L);
  }

  @Override
  public void setNCharacterStream(int i, Reader x, long length) throws SQLException {
    setCharacterStream(i, x, length);
  }

  @Override
  public void setNCharacterStream(int i, Reader x) throws SQLException {
    setCharacterStream(i, x, -1L);
  }

  @Override
  public void setBinaryStream(int i, InputStream x, long length) throws SQLException {
    if (h2 != null) {
      set(i, null, () -> h2.setBinaryStream(i, x, length));
    } else {
      set(i, x == null ? null : Values.readAll(x, "parameter " + i), null);
    }
  }

  @Override
  public void setBinaryStream(int i, InputStream x, int length) throws SQLException {
    setBinaryStream(i, x, (long) length);
  }

  @Override
  public void setBinaryStream(int i, InputStream x) throws SQLException {
    setBinaryStream(i, x, -1L);
  }

  @Override
  public void setAsciiStream(int i, InputStream x, long length) throws SQLException {
    if (h2 != null) {
      set(i, null, () -> h2.setAsciiStream(i, x, length));
    } else {
      set(
          i,
          x == null
              ? null
              : new String(Values.readAll(x, "parameter " + i), StandardCharsets.US_ASCII),
          null);
    }
  }

  @Override
  public void setAsciiStream(int i, InputStream x, int length) throws SQLException {
    setAsciiStream(i, x, (long) length);
  }

  @Override
  public void setAsciiStream(int i, InputStream x) throws SQLException {
    setAsciiStream(i, x, -1L);
  }

  @Override
  @Deprecated
  public void setUnicodeStream(int i, InputStream x, int length) throws SQLException {
    throw Errors.unsupported("setUnicodeStream");
  }

  @Override
  public void setRef(int i, Ref x) throws SQLException {
    throw Errors.unsupported("setRef");
  }

  @Override
  public void setURL(int i, URL x) throws SQLException {
    throw Errors.unsupported("setURL");
  }

  @Override
  public void setRowId(int i, RowId x) throws SQLException {
    throw Errors.unsupported("setRowId");
  }

  @Override
  public void setSQLXML(int i, SQLXML x) throws SQLException {
    throw Errors.unsupported("setSQLXML");
  }
}
