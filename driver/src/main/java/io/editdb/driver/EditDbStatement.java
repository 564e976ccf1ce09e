package io.editdb.driver;

import io.editdb.driver.Command.Parsed;
import io.editdb.driver.CommandExecutor.Outcome;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.h2.tools.SimpleResultSet;

/**
 * A statement: EditDB's own statements run against the store, standard SQL runs on an H2 statement
 * created when first needed. Result sets decode vector blobs (see {@link VectorResultSets}); {@link
 * #getGeneratedKeys()} gives the ids of inserted edits.
 */
class EditDbStatement implements Statement {
  /** How a statement was executed: JDBC refuses some statements for some methods. */
  enum Mode {
    ANY,
    QUERY,
    UPDATE
  }

  final EditDbConnection conn;
  final int type;
  final int concurrency;
  final int holdability;
  private Statement h2;
  private ResultSet current;
  private long updateCount = -1;
  private ResultSet delegatedKeys;
  private final List<Long> generatedIds = new ArrayList<>();
  private final List<String> batch = new ArrayList<>();
  private boolean closed;
  private boolean closeOnCompletion;
  private boolean replacing;
  private boolean poolable;
  private long maxRows;
  private int fetchSize;
  private int queryTimeout;
  private int maxFieldSize;
  private int fetchDirection = ResultSet.FETCH_FORWARD;

  EditDbStatement(EditDbConnection conn, int type, int concurrency, int holdability) {
    this.conn = conn;
    this.type = type;
    this.concurrency = concurrency;
    this.holdability = holdability;
  }

  // ---- the execution core, shared with prepared statements ----

  /** Runs standard SQL on H2 and returns whether it produced rows. */
  interface H2Run {
    boolean run() throws SQLException;
  }

  /**
   * Runs one parsed statement: EditDB's through the connection, standard SQL through {@code h2Run}
   * on {@code h2Statement}. Returns true if it produced rows.
   */
  final boolean runParsed(
      Parsed p, Object[] params, Mode mode, Statement h2Statement, H2Run h2Run, boolean keys)
      throws SQLException {
    clearResults();
    if (p.command() instanceof Command.Delegate d) {
      conn.beforeDelegate(d);
      boolean rows = h2Run.run(); // its failures are converted by the entry point (Errors.entry)
      if (rows) {
        current = VectorResultSets.wrap(h2Statement.getResultSet(), this, conn.h2());
      } else {
        updateCount = h2Statement.getLargeUpdateCount();
        if (keys) {
          delegatedKeys = h2Statement.getGeneratedKeys();
        }
      }
      return rows;
    }
    if (mode == Mode.QUERY && !p.command().returnsRows()) {
      throw ErrorCode.WRONG_EXECUTE_METHOD.exception(
          "executeQuery needs a statement that"
              + " returns rows; use execute or executeUpdate for EditDB's write statements (or"
              + " add RETURNING id to INSERT INTO edits)");
    }
    if (mode == Mode.UPDATE && p.command().returnsRows()) {
      throw ErrorCode.WRONG_EXECUTE_METHOD.exception(
          "executeUpdate needs a statement that"
              + " returns no rows; use executeQuery or execute for VERIFY HISTORY and for"
              + " INSERT INTO edits ... RETURNING id");
    }
    Outcome o = conn.execute(p.command(), params);
    for (long id : o.generatedIds()) {
      generatedIds.add(id);
    }
    if (o.rows() != null) {
      current = VectorResultSets.wrap(o.rows(), this, conn.h2());
      return true;
    }
    updateCount = o.updateCount();
    return false;
  }

  final void clearResults() throws SQLException {
    checkOpen();
    if (current != null) {
      ResultSet previous = current;
      current = null;
      replacing = true; // closing the previous result to run again must not close the statement
      try {
        previous.close();
      } finally {
        replacing = false;
      }
    }
    updateCount = -1;
    delegatedKeys = null;
    generatedIds.clear();
  }

  /** closeOnCompletion: a closed result closes the statement. */
  final void resultClosed() throws SQLException {
    if (closeOnCompletion && !closed && !replacing) {
      close();
    }
  }

  /** Ids of the edits the last execution inserted (a batch gathers them row by row). */
  final List<Long> ids() {
    return generatedIds;
  }

  final long lastUpdateCount() {
    return updateCount;
  }

  /** The H2 statement for standard SQL, created with this statement's settings. */
  private Statement h2() throws SQLException {
    if (h2 == null) {
      h2 = conn.h2().createStatement(type, concurrency, holdability);
      applySettings(h2);
    }
    return h2;
  }

  final void applySettings(Statement s) throws SQLException {
    if (maxRows <= Integer.MAX_VALUE) {
      s.setMaxRows((int) maxRows); // PostgreSQL's driver has no setLargeMaxRows
    } else {
      s.setLargeMaxRows(maxRows);
    }
    s.setFetchSize(fetchSize);
    s.setQueryTimeout(queryTimeout);
    s.setMaxFieldSize(maxFieldSize);
    s.setPoolable(poolable);
  }

  /** The H2 statement settings go to, if any yet (a prepared statement's is its own). */
  Statement h2OrNull() {
    return h2;
  }

  final void checkOpen() throws SQLException {
    conn.checkOpen();
    if (closed) {
      throw ErrorCode.OBJECT_CLOSED.exception("the statement is closed; create a new one");
    }
  }

  /** Turns a failure inside a batch into the BatchUpdateException JDBC asks for. */
  final BatchUpdateException batchFailure(Exception failure, long[] doneSoFar) throws SQLException {
    SQLException e = Errors.of(failure); // the batch's one conversion
    // With auto-commit on the batch was one transaction and was rolled back: nothing is done.
    long[] counts = conn.getAutoCommit() ? new long[0] : doneSoFar;
    return new BatchUpdateException(e.getMessage(), e.getSQLState(), e.getErrorCode(), counts, e);
  }

  static int toInt(long n) {
    return n > Integer.MAX_VALUE ? Statement.SUCCESS_NO_INFO : (int) n;
  }

  static int[] toInts(long[] n) {
    int[] out = new int[n.length];
    for (int i = 0; i < n.length; i++) {
      out[i] = toInt(n[i]);
    }
    return out;
  }

  // ---- Statement: execution ----

  private boolean run(String sql, Mode mode, boolean keys) throws SQLException {
    return Errors.entry(() -> runUnconverted(sql, mode, keys));
  }

  private boolean runUnconverted(String sql, Mode mode, boolean keys) throws SQLException {
    checkOpen();
    Parsed p = conn.parse(sql);
    Statement s = p.command() instanceof Command.Delegate ? h2() : null;
    // A plain statement binds nothing: a ? in it is a parameter never set, not a NULL.
    Object[] params = new Object[p.paramCount()];
    Arrays.fill(params, Values.UNSET);
    return runParsed(
        p,
        params,
        mode,
        s,
        () ->
            switch (mode) {
              case QUERY -> {
                s.executeQuery(sql);
                yield true;
              }
              case UPDATE -> {
                if (keys) {
                  s.executeLargeUpdate(sql, RETURN_GENERATED_KEYS);
                } else {
                  s.executeLargeUpdate(sql);
                }
                yield false;
              }
              case ANY -> keys ? s.execute(sql, RETURN_GENERATED_KEYS) : s.execute(sql);
            },
        keys);
  }

  @Override
  public ResultSet executeQuery(String sql) throws SQLException {
    run(sql, Mode.QUERY, false);
    return current;
  }

  @Override
  public int executeUpdate(String sql) throws SQLException {
    return toInt(executeLargeUpdate(sql));
  }

  @Override
  public long executeLargeUpdate(String sql) throws SQLException {
    run(sql, Mode.UPDATE, false);
    return Math.max(updateCount, 0);
  }

  @Override
  public int executeUpdate(String sql, int autoGeneratedKeys) throws SQLException {
    return toInt(executeLargeUpdate(sql, autoGeneratedKeys));
  }

  @Override
  public long executeLargeUpdate(String sql, int autoGeneratedKeys) throws SQLException {
    run(sql, Mode.UPDATE, autoGeneratedKeys == RETURN_GENERATED_KEYS);
    return Math.max(updateCount, 0);
  }

  @Override
  public int executeUpdate(String sql, int[] columnIndexes) throws SQLException {
    return executeUpdate(sql, RETURN_GENERATED_KEYS);
  }

  @Override
  public long executeLargeUpdate(String sql, int[] columnIndexes) throws SQLException {
    return executeLargeUpdate(sql, RETURN_GENERATED_KEYS);
  }

  @Override
  public int executeUpdate(String sql, String[] columnNames) throws SQLException {
    return executeUpdate(sql, RETURN_GENERATED_KEYS);
  }

  @Override
  public long executeLargeUpdate(String sql, String[] columnNames) throws SQLException {
    return executeLargeUpdate(sql, RETURN_GENERATED_KEYS);
  }

  @Override
  public boolean execute(String sql) throws SQLException {
    return run(sql, Mode.ANY, false);
  }

  @Override
  public boolean execute(String sql, int autoGeneratedKeys) throws SQLException {
    return run(sql, Mode.ANY, autoGeneratedKeys == RETURN_GENERATED_KEYS);
  }

  @Override
  public boolean execute(String sql, int[] columnIndexes) throws SQLException {
    return run(sql, Mode.ANY, true);
  }

  @Override
  public boolean execute(String sql, String[] columnNames) throws SQLException {
    return run(sql, Mode.ANY, true);
  }

  @Override
  public ResultSet getResultSet() throws SQLException {
    checkOpen();
    return current;
  }

  @Override
  public int getUpdateCount() throws SQLException {
    return toInt(getLargeUpdateCount());
  }

  @Override
  public long getLargeUpdateCount() throws SQLException {
    checkOpen();
    return current != null ? -1 : updateCount;
  }

  @Override
  public boolean getMoreResults() throws SQLException {
    return getMoreResults(CLOSE_CURRENT_RESULT);
  }

  @Override
  public boolean getMoreResults(int current) throws SQLException {
    checkOpen();
    if (this.current != null && current != KEEP_CURRENT_RESULT) {
      this.current.close();
    }
    this.current = null;
    updateCount = -1;
    return false;
  }

  /** The ids of the edits the last execution inserted; an empty result when there are none. */
  @Override
  public ResultSet getGeneratedKeys() throws SQLException {
    checkOpen();
    if (delegatedKeys != null) {
      return VectorResultSets.wrap(delegatedKeys, this, conn.h2());
    }
    SimpleResultSet rs = new SimpleResultSet();
    rs.addColumn("ID", Types.BIGINT, 19, 0);
    for (long id : generatedIds) {
      rs.addRow(id);
    }
    return VectorResultSets.wrap(rs, this, conn.h2());
  }

  // ---- batches ----

  @Override
  public void addBatch(String sql) throws SQLException {
    checkOpen();
    batch.add(sql);
  }

  @Override
  public void clearBatch() throws SQLException {
    checkOpen();
    batch.clear();
  }

  @Override
  public int[] executeBatch() throws SQLException {
    return toInts(executeLargeBatch());
  }

  @Override
  public long[] executeLargeBatch() throws SQLException {
    checkOpen();
    List<String> work = List.copyOf(batch);
    batch.clear();
    List<Long> ids = new ArrayList<>();
    long[] counts = new long[work.size()];
    int[] done = {0};
    try {
      conn.batch(
          () -> {
            for (String sql : work) {
              if (run(sql, Mode.UPDATE, false)) {
                throw ErrorCode.WRONG_EXECUTE_METHOD.exception(
                    "a batch cannot hold a statement" + " that returns rows: " + sql);
              }
              ids.addAll(generatedIds);
              counts[done[0]++] = Math.max(updateCount, 0);
            }
            return null;
          });
    } catch (SQLException | RuntimeException e) {
      throw batchFailure(e, Arrays.copyOf(counts, done[0]));
    }
    generatedIds.clear();
    generatedIds.addAll(ids);
    return counts;
  }

  // ---- settings ----

  @Override
  public void close() throws SQLException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (current != null) {
        current.close();
      }
    } finally {
      if (h2 != null) {
        h2.close();
      }
    }
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  @Override
  public Connection getConnection() throws SQLException {
    checkOpen();
    return conn;
  }

  @Override
  public int getMaxFieldSize() throws SQLException {
    checkOpen();
    return maxFieldSize;
  }

  @Override
  public void setMaxFieldSize(int max) throws SQLException {
    checkOpen();
    maxFieldSize = max;
    if (h2OrNull() != null) {
      h2OrNull().setMaxFieldSize(max);
    }
  }

  @Override
  public int getMaxRows() throws SQLException {
    return (int) Math.min(Integer.MAX_VALUE, getLargeMaxRows());
  }

  @Override
  public void setMaxRows(int max) throws SQLException {
    setLargeMaxRows(max);
  }

  @Override
  public long getLargeMaxRows() throws SQLException {
    checkOpen();
    return maxRows;
  }

  @Override
  public void setLargeMaxRows(long max) throws SQLException {
    checkOpen();
    if (max < 0) {
      throw ErrorCode.INVALID_VALUE.exception("max rows must be 0 (no limit) or more; max=" + max);
    }
    maxRows = max;
    if (h2OrNull() != null) {
      h2OrNull().setLargeMaxRows(max);
    }
  }

  @Override
  public void setEscapeProcessing(boolean enable) throws SQLException {
    checkOpen();
  }

  @Override
  public int getQueryTimeout() throws SQLException {
    checkOpen();
    return queryTimeout;
  }

  @Override
  public void setQueryTimeout(int seconds) throws SQLException {
    checkOpen();
    if (seconds < 0) {
      throw ErrorCode.INVALID_VALUE.exception(
          "query timeout must be 0 (none) or more seconds;" + " seconds=" + seconds);
    }
    queryTimeout = seconds;
    if (h2OrNull() != null) {
      h2OrNull().setQueryTimeout(seconds);
    }
  }

  @Override
  public void cancel() throws SQLException {
    checkOpen();
    if (h2OrNull() != null) {
      h2OrNull().cancel();
    }
  }

  @Override
  public SQLWarning getWarnings() throws SQLException {
    checkOpen();
    return h2OrNull() == null ? null : h2OrNull().getWarnings();
  }

  @Override
  public void clearWarnings() throws SQLException {
    checkOpen();
    if (h2OrNull() != null) {
      h2OrNull().clearWarnings();
    }
  }

  @Override
  public void setCursorName(String name) throws SQLException {
    throw Errors.unsupported("setCursorName");
  }

  @Override
  public void setFetchDirection(int direction) throws SQLException {
    checkOpen();
    fetchDirection = direction;
  }

  @Override
  public int getFetchDirection() throws SQLException {
    checkOpen();
    return fetchDirection;
  }

  @Override
  public void setFetchSize(int rows) throws SQLException {
    checkOpen();
    if (rows < 0) {
      throw ErrorCode.INVALID_VALUE.exception("fetch size must be 0 or more; rows=" + rows);
    }
    fetchSize = rows;
    if (h2OrNull() != null) {
      h2OrNull().setFetchSize(rows);
    }
  }

  @Override
  public int getFetchSize() throws SQLException {
    checkOpen();
    return fetchSize;
  }

  @Override
  public int getResultSetConcurrency() throws SQLException {
    checkOpen();
    return concurrency;
  }

  @Override
  public int getResultSetType() throws SQLException {
    checkOpen();
    return type;
  }

  @Override
  public int getResultSetHoldability() throws SQLException {
    checkOpen();
    return holdability;
  }

  @Override
  public void setPoolable(boolean poolable) throws SQLException {
    checkOpen();
    this.poolable = poolable;
  }

  @Override
  public boolean isPoolable() throws SQLException {
    checkOpen();
    return poolable;
  }

  @Override
  public void closeOnCompletion() throws SQLException {
    checkOpen();
    closeOnCompletion = true;
  }

  @Override
  public boolean isCloseOnCompletion() throws SQLException {
    checkOpen();
    return closeOnCompletion;
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    throw ErrorCode.INVALID_VALUE.exception(
        "an EditDB statement unwraps only to "
            + getClass().getInterfaces()[0].getSimpleName()
            + ", not "
            + iface.getName());
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return iface.isInstance(this);
  }
}
