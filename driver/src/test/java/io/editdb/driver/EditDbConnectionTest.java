package io.editdb.driver;

import static io.editdb.driver.TestDb.assertError;
import static io.editdb.driver.TestDb.assertRefused;
import static io.editdb.driver.TestDb.scalar;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.query.Router;
import io.editdb.store.EditStore;
import io.editdb.store.StoreSession;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Savepoint;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** Transactions as versions, connection state, unwrap, and the JDBC behaviour tools rely on. */
class EditDbConnectionTest {

  @Test
  void autoCommitIsOnAndEachStatementIsAVersion() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("auto")) {
      assertTrue(c.getAutoCommit());
      TestDb.insert(c, "a", 0, 0);
      TestDb.insert(c, "b", 1, 1);
      assertEquals(3, scalar(c, "SELECT MAX(version) FROM versions"));
      assertEquals(3, c.unwrap(EditStore.class).latestVersion());
    }
  }

  @Test
  void aTransactionBecomesOneVersionAtCommit() throws SQLException {
    String url = TestDb.memUrl("commit");
    try (Connection c = TestDb.connect(url);
        Connection other = TestDb.connect(url)) {
      c.createStatement().execute(TestDb.SMALL_LAYER);
      c.setAutoCommit(false);
      long a = TestDb.insert(c, "a", 0, 0);
      TestDb.insert(c, "b", 1, 1);
      Statement st = c.createStatement();
      st.execute("ROLLBACK EDIT " + a + " REASON 'changed my mind'");
      // not visible, not versioned, not routable before commit
      assertEquals(0, scalar(other, "SELECT COUNT(*) FROM edits"));
      assertEquals(1, other.unwrap(EditStore.class).latestVersion());
      c.commit();
      assertEquals(2, scalar(other, "SELECT MAX(version) FROM versions"));
      try (ResultSet rs =
          other
              .createStatement()
              .executeQuery(
                  "SELECT edits_added,"
                      + " edits_retired, actor FROM versions WHERE version = 2")) {
        rs.next();
        assertEquals(2, rs.getInt(1));
        assertEquals(1, rs.getInt(2));
        assertEquals("ana", rs.getString(3));
      }
      assertEquals(1, scalar(other, "SELECT COUNT(*) FROM edits WHERE status = 'ACTIVE'"));
      assertEquals(2, c.unwrap(Router.class).store().latestVersion());
    }
  }

  @Test
  void rollbackLeavesNothing() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("rollback-tx")) {
      TestDb.Snapshot before = TestDb.snapshot(c);
      c.setAutoCommit(false);
      TestDb.insert(c, "a", 0, 0);
      c.createStatement()
          .execute(
              "CREATE LAYER second (MODEL 'm', MODULE 'x', D_IN 8,"
                  + " D_OUT 8, VISUAL_DIM 0, TEXT_DIM 3)");
      c.rollback();
      assertEquals(before, TestDb.snapshot(c));
      assertTrue(c.unwrap(EditStore.class).findLayer("second").isEmpty());
      // ids and the hash chain continue as if nothing happened
      c.setAutoCommit(true);
      assertEquals(1, TestDb.insert(c, "b", 0, 0));
      try (ResultSet rs = c.createStatement().executeQuery("VERIFY HISTORY")) {
        rs.next();
        assertTrue(rs.getBoolean(1));
      }
    }
  }

  @Test
  void sqlCommitAndRollbackKeepTheirMeaning() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("sql-tx");
        Statement st = c.createStatement()) {
      st.execute("BEGIN");
      assertFalse(c.getAutoCommit());
      TestDb.insert(c, "a", 0, 0);
      st.execute("ROLLBACK");
      assertTrue(c.getAutoCommit()); // BEGIN lasts one transaction
      assertEquals(0, scalar(c, "SELECT COUNT(*) FROM edits"));
      st.execute("SET AUTOCOMMIT FALSE");
      TestDb.insert(c, "a", 0, 0);
      TestDb.insert(c, "b", 1, 1);
      st.execute("COMMIT");
      assertFalse(c.getAutoCommit());
      assertEquals(2, scalar(c, "SELECT MAX(version) FROM versions"));
      TestDb.insert(c, "c", 2, 2);
      c.setAutoCommit(true); // JDBC: commits the open transaction
      assertEquals(3, scalar(c, "SELECT MAX(version) FROM versions"));
    }
  }

  @Test
  void aRefusedStatementInsideATransactionChangesNothingAndTheRestStays() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("refused-tx");
        Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      TestDb.insert(c, "a", 0, 0);
      long pendingEdits = scalar(c, "SELECT COUNT(*) FROM edits");
      assertRefused(c, ErrorCode.UNKNOWN_EDIT, () -> st.execute("ROLLBACK EDIT 99"));
      assertRefused(c, ErrorCode.READ_ONLY_RELATION, () -> st.execute("DELETE FROM edits"));
      assertRefused(c, ErrorCode.SYNTAX_ERROR, () -> st.execute("ROLLBACK EDIT x"));
      assertEquals(pendingEdits, scalar(c, "SELECT COUNT(*) FROM edits"));
      c.commit();
      assertEquals(1, scalar(c, "SELECT COUNT(*) FROM edits"));
      assertEquals(2, scalar(c, "SELECT MAX(version) FROM versions"));
    }
  }

  @Test
  void plainSqlJoinsTheTransaction() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("plain-tx");
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE APP.notes (id INT PRIMARY KEY, note VARCHAR(100))");
      c.setAutoCommit(false);
      st.execute("INSERT INTO notes VALUES (1, 'first')");
      TestDb.insert(c, "a", 0, 0);
      c.rollback();
      assertEquals(0, scalar(c, "SELECT COUNT(*) FROM notes"));
      st.execute("INSERT INTO notes VALUES (1, 'first')");
      TestDb.insert(c, "a", 0, 0);
      c.commit();
      assertEquals(1, scalar(c, "SELECT COUNT(*) FROM notes"));
      assertEquals(1, scalar(c, "SELECT COUNT(*) FROM edits"));
    }
  }

  @Test
  void savepointsWorkUntilEditDbWritesArePending() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("savepoint");
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE APP.notes (id INT)");
      c.setAutoCommit(false);
      Savepoint sp = c.setSavepoint();
      st.execute("INSERT INTO notes VALUES (1)");
      c.rollback(sp);
      assertEquals(0, scalar(c, "SELECT COUNT(*) FROM notes"));
      Savepoint sp2 = c.setSavepoint("s2");
      st.execute("SAVEPOINT s3");
      TestDb.insert(c, "a", 0, 0);
      assertError(ErrorCode.UNSUPPORTED_STATEMENT, () -> c.rollback(sp2));
      assertError(ErrorCode.UNSUPPORTED_STATEMENT, () -> st.execute("ROLLBACK TO SAVEPOINT s3"));
      c.commit();
      assertEquals(1, scalar(c, "SELECT COUNT(*) FROM edits"));
    }
  }

  @Test
  void closingRollsBackAnOpenTransaction() throws SQLException {
    String url = TestDb.memUrl("close-tx");
    try (Connection keep = TestDb.connect(url)) {
      keep.createStatement().execute(TestDb.SMALL_LAYER);
      Connection c = TestDb.connect(url);
      c.setAutoCommit(false);
      TestDb.insert(c, "a", 0, 0);
      c.close();
      assertEquals(0, scalar(keep, "SELECT COUNT(*) FROM edits"));
      assertEquals(1, TestDb.insert(keep, "b", 0, 0)); // and the writer slot was released
    }
  }

  @Test
  void isValidChecksForReal() throws SQLException {
    Connection c = TestDb.withSmallLayer("valid");
    assertTrue(c.isValid(1));
    assertTrue(c.isValid(0));
    assertError(ErrorCode.INVALID_VALUE, () -> c.isValid(-1));
    c.unwrap(EditStore.class).close(); // the store gone under the connection
    assertFalse(c.isValid(1));
    c.close();
    assertFalse(c.isValid(1));
    assertTrue(c.isClosed());
  }

  @Test
  void aClosedConnectionSaysSo() throws SQLException {
    Connection c = TestDb.withSmallLayer("closed");
    c.close();
    c.close(); // twice is fine
    assertError(ErrorCode.CONNECTION_CLOSED, c::createStatement);
    assertError(ErrorCode.CONNECTION_CLOSED, () -> c.prepareStatement("SELECT 1"));
    assertError(ErrorCode.CONNECTION_CLOSED, c::commit);
    assertError(ErrorCode.CONNECTION_CLOSED, () -> c.setAutoCommit(false));
  }

  @Test
  void unwrapGivesTheInProcessObjects() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("unwrap")) {
      EditStore store = c.unwrap(EditStore.class);
      Router router = c.unwrap(Router.class);
      StoreSession session = c.unwrap(StoreSession.class);
      assertSame(store, router.store());
      assertSame(store, session.store());
      assertEquals("ana", session.actor());
      assertTrue(c.isWrapperFor(EditStore.class));
      assertTrue(c.isWrapperFor(Connection.class));
      assertSame(c, c.unwrap(Connection.class));
      assertFalse(c.isWrapperFor(String.class));
      assertError(ErrorCode.INVALID_VALUE, () -> c.unwrap(String.class));
    }
  }

  @Test
  void unsupportedMethodsNameThemselves() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("unsupported")) {
      SQLFeatureNotSupportedException e =
          assertThrows(SQLFeatureNotSupportedException.class, () -> c.prepareCall("CALL 1"));
      assertTrue(e.getMessage().contains("prepareCall"), e.getMessage());
      assertEquals(ErrorCode.FEATURE_NOT_SUPPORTED.sqlState(), e.getSQLState());
      e =
          assertThrows(
              SQLFeatureNotSupportedException.class, () -> c.createStruct("X", new Object[0]));
      assertTrue(e.getMessage().contains("createStruct"), e.getMessage());
      e =
          assertThrows(
              SQLFeatureNotSupportedException.class, () -> c.createStatement().setCursorName("x"));
      assertTrue(e.getMessage().contains("setCursorName"), e.getMessage());
    }
  }

  @Test
  void resultSetsAreReadOnlyWithAWarning() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("readonly")) {
      TestDb.insert(c, "a", 0, 0);
      Statement st =
          c.createStatement(ResultSet.TYPE_SCROLL_INSENSITIVE, ResultSet.CONCUR_UPDATABLE);
      assertEquals(ResultSet.CONCUR_READ_ONLY, st.getResultSetConcurrency());
      assertNotNull(c.getWarnings());
      try (ResultSet rs = st.executeQuery("SELECT * FROM edits")) {
        assertEquals(ResultSet.CONCUR_READ_ONLY, rs.getConcurrency());
        rs.next();
        assertThrows(
            SQLException.class,
            () -> {
              rs.updateString("prompt", "changed");
              rs.updateRow();
            });
      }
      assertEquals("a", TestDb.scalarText(c, "SELECT prompt FROM edits"));
      c.clearWarnings();
      assertEquals(null, c.getWarnings());
    }
  }

  @Test
  void settingsGoToH2() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("settings")) {
      // auto-commit: each statement one snapshot (EditDbConnection.userAutoCommit)
      assertEquals(Connection.TRANSACTION_REPEATABLE_READ, c.getTransactionIsolation());
      c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
      assertEquals(Connection.TRANSACTION_SERIALIZABLE, c.getTransactionIsolation());
      assertEquals("EDITDB", c.getSchema()); // EditDB's views; tables are APP.name
      assertNotNull(c.getCatalog());
      c.setReadOnly(false);
      assertFalse(c.isReadOnly());
      assertEquals("SELECT 1", c.nativeSQL("SELECT 1"));
      assertEquals(0, c.getNetworkTimeout());
      assertNotNull(c.createClob());
      assertNotNull(c.createBlob());
    }
  }
}
