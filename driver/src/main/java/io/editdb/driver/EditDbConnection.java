package io.editdb.driver;

import io.editdb.driver.CommandExecutor.Outcome;
import io.editdb.query.Router;
import io.editdb.store.EditStore;
import io.editdb.store.Role;
import io.editdb.store.StoreException;
import io.editdb.store.StoreSession;
import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.NClob;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Struct;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Executor;

/**
 * A connection to an EditDB store: EditDB's own statements go to one {@link StoreSession}; standard
 * SQL runs on a second H2 connection logged in as the H2 user of the user's role ({@link
 * EditStore#connectAs}), so H2's own grants, not this driver, decide what that SQL may touch. With
 * auto-commit on (the default) each EditDB statement is its own version; with it off, everything up
 * to {@link #commit()} becomes one version, and {@link #rollback()} leaves nothing. Like any JDBC
 * connection, use it from one thread at a time.
 */
final class EditDbConnection implements Connection {
  private final String url;
  private final StoreRegistry.Handle handle;
  private final StoreSession session;
  private final boolean sqlGuard;
  // The user's restricted H2 connection and the role it was opened for; swapped when the role
  // changes, so a demoted user keeps no right of the old role.
  private Connection sql;
  private Role sqlRole;
  private final CommandExecutor executor;
  private boolean closed;
  private boolean autoCommit = true;
  // BEGIN turned auto-commit off until the transaction ends.
  private boolean autoCommitAfterTransaction;
  // Inside executeBatch with auto-commit on: the whole batch is one transaction.
  private boolean inBatch;
  private SQLWarning warnings;

  private EditDbConnection(
      String url,
      StoreRegistry.Handle handle,
      StoreSession session,
      Connection sql,
      Role role,
      boolean sqlGuard) {
    this.url = url;
    this.handle = handle;
    this.session = session;
    this.sql = sql;
    this.sqlRole = role;
    this.sqlGuard = sqlGuard;
    this.executor = new CommandExecutor(session, this::h2, handle.functions());
  }

  /**
   * Logs the user in and opens a connection on a store handle; releases the handle if that fails.
   * The first user of a store without users becomes its administrator.
   */
  static EditDbConnection open(
      String url, String user, String password, StoreRegistry.Handle handle, boolean sqlGuard)
      throws SQLException {
    StoreSession session = null;
    Connection sql = null;
    try {
      Role role = handle.store().users().login(user, password);
      session = handle.store().openSession(user);
      session.sql().setAutoCommit(true);
      sql = handle.store().connectAs(role);
      return new EditDbConnection(url, handle, session, sql, role, sqlGuard);
    } catch (SQLException | RuntimeException e) {
      if (sql != null) {
        sql.close();
      }
      if (session != null) {
        session.close();
      }
      StoreRegistry.INSTANCE.release(handle);
      throw Errors.of(e); // the connection's one conversion: a refusal, H2's, or a bug
    }
  }

  String url() {
    return url;
  }

  /** The connection's user: the actor of its history rows and the default author. */
  String user() {
    return session.actor();
  }

  /**
   * The user's role now: an administrator's change applies from the next statement, and a dropped
   * user can run nothing more.
   */
  Role role() throws SQLException {
    Optional<Role> r = handle.store().users().role(session.actor());
    if (r.isEmpty()) {
      throw ErrorCode.NOT_ALLOWED.exception(
          "user " + session.actor() + " was dropped while connected; close this connection");
    }
    if (r.get() != sqlRole) {
      switchRole(r.get());
    }
    return r.get();
  }

  /**
   * Reopens the SQL connection as the new role's H2 user. An open transaction cannot move to
   * another H2 connection, so it is rolled back and the statement refused: nothing of it may run
   * with the rights of a role the user no longer has.
   */
  private void switchRole(Role now) throws SQLException {
    boolean inTransaction = !autoCommit || session.inWriteTransaction();
    Role was = sqlRole;
    if (inTransaction) {
      session.rollback();
      sql.rollback();
    }
    Connection next;
    try {
      next = handle.store().connectAs(now);
    } catch (StoreException e) {
      throw Errors.of(e);
    }
    next.setTransactionIsolation(
        autoCommit
            ? Connection.TRANSACTION_REPEATABLE_READ
            : Connection.TRANSACTION_READ_COMMITTED);
    next.setAutoCommit(autoCommit);
    Connection old = sql;
    sql = next;
    sqlRole = now;
    old.close();
    if (inTransaction) {
      throw ErrorCode.NOT_ALLOWED.exception(
          "the role of "
              + session.actor()
              + " changed from "
              + was
              + " to "
              + now
              + " while a transaction was open; it was rolled back. Run it again");
    }
  }

  /** False when the connection was opened with sqlGuard=false (the pre-check is off). */
  boolean sqlGuard() {
    return sqlGuard;
  }

  /** The user's restricted H2 connection standard SQL runs on (only the role's rights). */
  Connection h2() {
    return sql;
  }

  void checkOpen() throws SQLException {
    if (closed) {
      throw ErrorCode.CONNECTION_CLOSED.exception("the connection is closed; open a new one");
    }
  }

  // ---- running statements ----

  /**
   * Runs an EditDB statement (or transaction control) and, with auto-commit on, commits it as its
   * own version. A refused statement changes nothing (the store guarantees it, also inside a
   * transaction).
   */
  Outcome execute(Command c, Object[] params) throws SQLException {
    checkOpen();
    switch (c) {
      case Command.Commit x -> {
        commit();
        return Outcome.count(0);
      }
      case Command.Rollback x -> {
        rollback();
        return Outcome.count(0);
      }
      case Command.Begin x -> {
        if (autoCommit) {
          setAutoCommit(false);
          autoCommitAfterTransaction = true;
        }
        return Outcome.count(0);
      }
      case Command.SetAutoCommit s -> {
        setAutoCommit(s.on());
        return Outcome.count(0);
      }
      default -> {
        // an EditDB statement
      }
    }
    Role role = role();
    Rights.check(role, session.actor(), c);
    if (sqlGuard && c instanceof Command.RollbackEdits r) {
      // the condition is standard SQL: the same friendly pre-check
      Rights.checkDelegate(role, session.actor(), r.condition());
    }
    if (sqlGuard && c instanceof Command.TableFunctions t) {
      Rights.checkDelegate(role, session.actor(), t.sql());
    }
    // A failure is converted once, by the statement's entry point (Errors.entry).
    Outcome o = executor.run(c, params);
    if (autoCommit && !inBatch) {
      session.commit();
    }
    return o;
  }

  /**
   * Parses a statement. On a store whose truth is PostgreSQL, standard SQL that calls EditDB's
   * table functions is the driver's to run ({@link PgTableFunctions}), since PostgreSQL cannot.
   */
  Command.Parsed parse(String sql) throws SQLException {
    Command.Parsed p = DialectParser.parse(sql, sqlGuard);
    if (!(p.command() instanceof Command.Delegate) || !handle.store().config().shared()) {
      return p;
    }
    List<SqlLexer.Token> tokens = SqlLexer.lex(sql);
    if (!PgTableFunctions.mentions(tokens)) {
      return p;
    }
    int params = 0;
    for (SqlLexer.Token t : tokens) {
      params += t.kind() == SqlLexer.Kind.PARAM ? 1 : 0;
    }
    return new Command.Parsed(new Command.TableFunctions(sql), params);
  }

  /** A value bound to this connection's standard SQL, as the store's database takes it. */
  Object bindable(Object v) {
    return Values.forDatabase(v, handle.store().config());
  }

  /** Checks standard SQL before H2 runs it. */
  void beforeDelegate(Command.Delegate d) throws SQLException {
    checkOpen();
    Role role = role();
    if (sqlGuard) {
      Rights.checkDelegate(role, session.actor(), d.sql());
    }
    if (d.savepointRollback() && session.inWriteTransaction()) {
      throw savepointRefused();
    }
  }

  private static SQLException savepointRefused() {
    return ErrorCode.UNSUPPORTED_STATEMENT.exception(
        "rolling back to a savepoint after EditDB"
            + " statements (INSERT INTO edits, ROLLBACK EDIT, ...) is not supported: the store can"
            + " only discard a whole transaction. Roll back the transaction instead");
  }

  /** Work of one batch. */
  interface BatchWork<T> {
    T run() throws SQLException;
  }

  /**
   * Runs a batch. With auto-commit on, the batch is one transaction (one version, all or nothing)
   * rather than a version per statement; with it off, it joins the open transaction.
   */
  <T> T batch(BatchWork<T> work) throws SQLException {
    checkOpen();
    if (!autoCommit || inBatch) {
      return work.run();
    }
    inBatch = true;
    boolean ok = false;
    try {
      userAutoCommit(false);
      T result = work.run();
      session.commit();
      sql.commit();
      ok = true;
      return result; // a failure is converted by the executeBatch that called this
    } finally {
      inBatch = false;
      try {
        if (!ok) {
          session.rollback();
          sql.rollback();
        }
      } catch (RuntimeException e) {
        // the batch's own failure is the one to report
      } finally {
        userAutoCommit(true);
      }
    }
  }

  // ---- transactions ----

  @Override
  public boolean getAutoCommit() throws SQLException {
    checkOpen();
    return autoCommit;
  }

  @Override
  public void setAutoCommit(boolean on) throws SQLException {
    checkOpen();
    autoCommitAfterTransaction = false;
    if (on == autoCommit) {
      return;
    }
    if (on) {
      commit(); // JDBC: switching auto-commit on commits the open transaction
    }
    userAutoCommit(on);
    autoCommit = on;
  }

  @Override
  public void commit() throws SQLException {
    checkOpen();
    try {
      session.commit();
    } catch (RuntimeException e) {
      throw Errors.of(e);
    }
    // The edits are one version now; the user's own tables commit right after (two H2
    // connections: a failure between the two keeps the version and loses the table rows).
    if (!sql.getAutoCommit()) {
      sql.commit();
    }
    endTransaction();
  }

  @Override
  public void rollback() throws SQLException {
    checkOpen();
    try {
      session.rollback();
    } catch (RuntimeException e) {
      throw Errors.of(e);
    } finally {
      if (!sql.getAutoCommit()) {
        sql.rollback();
      }
    }
    endTransaction();
  }

  /**
   * Auto-commit of the user's SQL connection, with its isolation: in auto-commit mode each
   * statement reads one snapshot (REPEATABLE READ; under READ COMMITTED one query over several of
   * EditDB's views could see half of a commit, as H2 snapshots only the tables a statement names);
   * an explicit transaction reads committed data as it comes (READ COMMITTED, H2's default), so it
   * sees other connections' commits. Switched only where no transaction is open.
   */
  private void userAutoCommit(boolean on) throws SQLException {
    sql.setTransactionIsolation(
        on ? Connection.TRANSACTION_REPEATABLE_READ : Connection.TRANSACTION_READ_COMMITTED);
    sql.setAutoCommit(on);
  }

  private void endTransaction() throws SQLException {
    if (autoCommitAfterTransaction) {
      autoCommitAfterTransaction = false;
      userAutoCommit(true);
      autoCommit = true;
    }
  }

  @Override
  public Savepoint setSavepoint() throws SQLException {
    checkOpen();
    return sql.setSavepoint();
  }

  @Override
  public Savepoint setSavepoint(String name) throws SQLException {
    checkOpen();
    return sql.setSavepoint(name);
  }

  @Override
  public void rollback(Savepoint savepoint) throws SQLException {
    checkOpen();
    if (session.inWriteTransaction()) {
      throw savepointRefused();
    }
    sql.rollback(savepoint);
  }

  @Override
  public void releaseSavepoint(Savepoint savepoint) throws SQLException {
    checkOpen();
    sql.releaseSavepoint(savepoint);
  }

  @Override
  public int getTransactionIsolation() throws SQLException {
    checkOpen();
    return sql.getTransactionIsolation();
  }

  @Override
  public void setTransactionIsolation(int level) throws SQLException {
    checkOpen();
    sql.setTransactionIsolation(level);
  }

  // ---- statements ----

  @Override
  public Statement createStatement() throws SQLException {
    return createStatement(ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY);
  }

  @Override
  public Statement createStatement(int type, int concurrency) throws SQLException {
    return createStatement(type, concurrency, holdability());
  }

  @Override
  public Statement createStatement(int type, int concurrency, int holdability) throws SQLException {
    checkOpen();
    return new EditDbStatement(this, type, readOnly(concurrency), holdability);
  }

  @Override
  public PreparedStatement prepareStatement(String sqlText) throws SQLException {
    return prepare(
        sqlText, ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY, holdability(), false);
  }

  @Override
  public PreparedStatement prepareStatement(String sqlText, int type, int concurrency)
      throws SQLException {
    return prepare(sqlText, type, concurrency, holdability(), false);
  }

  @Override
  public PreparedStatement prepareStatement(
      String sqlText, int type, int concurrency, int holdability) throws SQLException {
    return prepare(sqlText, type, concurrency, holdability, false);
  }

  @Override
  public PreparedStatement prepareStatement(String sqlText, int autoGeneratedKeys)
      throws SQLException {
    return prepare(
        sqlText,
        ResultSet.TYPE_FORWARD_ONLY,
        ResultSet.CONCUR_READ_ONLY,
        holdability(),
        autoGeneratedKeys == Statement.RETURN_GENERATED_KEYS);
  }

  @Override
  public PreparedStatement prepareStatement(String sqlText, int[] columnIndexes)
      throws SQLException {
    return prepare(
        sqlText, ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY, holdability(), true);
  }

  @Override
  public PreparedStatement prepareStatement(String sqlText, String[] columnNames)
      throws SQLException {
    return prepare(
        sqlText, ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY, holdability(), true);
  }

  private int holdability() throws SQLException {
    checkOpen();
    return sql.getHoldability();
  }

  private PreparedStatement prepare(
      String sqlText, int type, int concurrency, int holdability, boolean keys)
      throws SQLException {
    checkOpen();
    return EditDbPreparedStatement.prepare(
        this, sqlText, type, readOnly(concurrency), holdability, keys);
  }

  /**
   * Updatable result sets would write EditDB's relations past its checks, so every result set is
   * read-only; JDBC asks for a warning when a requested concurrency is changed.
   */
  private int readOnly(int concurrency) {
    if (concurrency != ResultSet.CONCUR_READ_ONLY) {
      addWarning(
          new SQLWarning(
              "EditDB result sets are read-only; CONCUR_READ_ONLY is used"
                  + " instead of the requested concurrency (change data with SQL statements)"));
    }
    return ResultSet.CONCUR_READ_ONLY;
  }

  private void addWarning(SQLWarning w) {
    if (warnings == null) {
      warnings = w;
    } else {
      warnings.setNextWarning(w);
    }
  }

  @Override
  public CallableStatement prepareCall(String sqlText) throws SQLException {
    throw Errors.unsupported("prepareCall");
  }

  @Override
  public CallableStatement prepareCall(String sqlText, int type, int concurrency)
      throws SQLException {
    throw Errors.unsupported("prepareCall");
  }

  @Override
  public CallableStatement prepareCall(String sqlText, int type, int concurrency, int holdability)
      throws SQLException {
    throw Errors.unsupported("prepareCall");
  }

  @Override
  public String nativeSQL(String sqlText) throws SQLException {
    checkOpen();
    return sqlText;
  }

  // ---- life cycle ----

  @Override
  public void close() throws SQLException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      session.close(); // rolls back an open transaction
    } finally {
      try {
        sql.close();
      } finally {
        StoreRegistry.INSTANCE.release(handle);
      }
    }
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  /** A real check: the store is open and its H2 connection answers within the timeout. */
  @Override
  public boolean isValid(int timeoutSeconds) throws SQLException {
    if (timeoutSeconds < 0) {
      throw ErrorCode.INVALID_VALUE.exception(
          "timeout must be 0 or more seconds; timeout=" + timeoutSeconds);
    }
    if (closed || handle.store().isClosed()) {
      return false;
    }
    try (Statement st = sql.createStatement()) {
      st.setQueryTimeout(timeoutSeconds);
      try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM versions")) {
        return rs.next();
      }
    } catch (SQLException e) {
      return false;
    }
  }

  @Override
  public void abort(Executor executor) throws SQLException {
    close();
  }

  // ---- metadata and settings (H2's) ----

  @Override
  public DatabaseMetaData getMetaData() throws SQLException {
    checkOpen();
    return MetaData.wrap(sql.getMetaData(), this);
  }

  @Override
  public void setReadOnly(boolean readOnly) throws SQLException {
    checkOpen();
    sql.setReadOnly(readOnly);
  }

  @Override
  public boolean isReadOnly() throws SQLException {
    checkOpen();
    return !role().mayEdit() || sql.isReadOnly();
  }

  @Override
  public void setCatalog(String catalog) throws SQLException {
    checkOpen();
    sql.setCatalog(catalog);
  }

  @Override
  public String getCatalog() throws SQLException {
    checkOpen();
    return sql.getCatalog();
  }

  @Override
  public void setSchema(String schema) throws SQLException {
    checkOpen();
    sql.setSchema(schema);
  }

  @Override
  public String getSchema() throws SQLException {
    checkOpen();
    return sql.getSchema();
  }

  @Override
  public SQLWarning getWarnings() throws SQLException {
    checkOpen();
    SQLWarning h2 = sql.getWarnings();
    if (warnings == null) {
      return h2;
    }
    if (h2 != null && warnings.getNextWarning() == null) {
      warnings.setNextWarning(h2);
    }
    return warnings;
  }

  @Override
  public void clearWarnings() throws SQLException {
    checkOpen();
    warnings = null;
    sql.clearWarnings();
  }

  @Override
  public Map<String, Class<?>> getTypeMap() throws SQLException {
    checkOpen();
    return sql.getTypeMap();
  }

  @Override
  public void setTypeMap(Map<String, Class<?>> map) throws SQLException {
    checkOpen();
    sql.setTypeMap(map);
  }

  @Override
  public void setHoldability(int holdability) throws SQLException {
    checkOpen();
    sql.setHoldability(holdability);
  }

  @Override
  public int getHoldability() throws SQLException {
    checkOpen();
    return sql.getHoldability();
  }

  @Override
  public Clob createClob() throws SQLException {
    checkOpen();
    return sql.createClob();
  }

  @Override
  public Blob createBlob() throws SQLException {
    checkOpen();
    return sql.createBlob();
  }

  @Override
  public NClob createNClob() throws SQLException {
    checkOpen();
    return sql.createNClob();
  }

  @Override
  public SQLXML createSQLXML() throws SQLException {
    checkOpen();
    return sql.createSQLXML();
  }

  /** {@code createArrayOf("REAL", floats)} makes a key or weights for {@code setArray}. */
  @Override
  public Array createArrayOf(String typeName, Object[] elements) throws SQLException {
    checkOpen();
    return sql.createArrayOf(typeName, elements);
  }

  @Override
  public Struct createStruct(String typeName, Object[] attributes) throws SQLException {
    throw Errors.unsupported("createStruct");
  }

  @Override
  public void setClientInfo(String name, String value) throws SQLClientInfoException {
    sql.setClientInfo(name, value);
  }

  @Override
  public void setClientInfo(Properties properties) throws SQLClientInfoException {
    sql.setClientInfo(properties);
  }

  @Override
  public String getClientInfo(String name) throws SQLException {
    checkOpen();
    return sql.getClientInfo(name);
  }

  @Override
  public Properties getClientInfo() throws SQLException {
    checkOpen();
    return sql.getClientInfo();
  }

  @Override
  public void setNetworkTimeout(Executor executor, int milliseconds) throws SQLException {
    checkOpen(); // embedded: there is no network to time out
  }

  @Override
  public int getNetworkTimeout() throws SQLException {
    checkOpen();
    return 0;
  }

  // ---- unwrap ----

  /**
   * The in-process objects behind the connection, for administrators only: {@link EditStore}
   * (serving code shares the store SQL manages), {@link Router} and {@link StoreSession} are
   * trusted code that can reach everything (a router hands out its store). Others route with SQL
   * ({@code ROUTE}). Never an H2 object.
   */
  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    checkOpen();
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    if (iface == EditStore.class || iface == StoreSession.class || iface == Router.class) {
      Rights.checkUnwrap(role(), session.actor(), iface);
    }
    if (iface == EditStore.class) {
      return iface.cast(handle.store());
    }
    if (iface == Router.class) {
      return iface.cast(handle.router());
    }
    if (iface == StoreSession.class) {
      return iface.cast(session);
    }
    throw ErrorCode.INVALID_VALUE.exception(
        "an EditDB connection unwraps to EditStore, Router,"
            + " StoreSession or Connection, not "
            + iface.getName());
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return iface.isInstance(this)
        || iface == EditStore.class
        || iface == Router.class
        || iface == StoreSession.class;
  }

  @Override
  public String toString() {
    return "EditDbConnection{url="
        + url
        + ", user="
        + user()
        + ", autoCommit="
        + autoCommit
        + ", closed="
        + closed
        + "}";
  }
}
