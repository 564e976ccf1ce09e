package io.editdb.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 6, concurrency: many connections on one store, and their races. */
class ConcurrencySoakTest {
  @TempDir Path dir;

  /**
   * Each open connection holds one pooled H2 connection, so poolSize connections fill the pool;
   * each of them must still be able to commit, roll back to a version and verify the history
   * (none of which may wait for a pooled connection that no one will give back).
   */
  @Test
  void aFullPoolStillServesEveryOpenConnection() {
    String url = "jdbc:editdb:" + dir.resolve("small-pool");
    Properties p = new Properties();
    p.setProperty("user", "ana");
    p.setProperty("password", "");
    p.setProperty(EditDbDriver.POOL_SIZE, "2");
    assertTimeoutPreemptively(
        Duration.ofSeconds(20),
        () -> {
          try (Connection a = DriverManager.getConnection(url, p);
              Connection b = DriverManager.getConnection(url, p)) {
            a.createStatement().execute(TestDb.SMALL_LAYER);
            long id = TestDb.insert(b, "full pool", 0, 0);
            try (Statement st = b.createStatement()) {
              assertEquals(1, st.executeUpdate("ROLLBACK TO VERSION 1"));
            }
            assertEquals(0, TestDb.scalar(a, "SELECT COUNT(*) FROM EDITS_AT(3)"), "edit " + id);
            assertVerifies(a);
          }
        });
  }

  /**
   * ROLLBACK EDITS WHERE names no edit: if another transaction rolls back one of the edits it
   * matches while it waits for the writer slot, it rolls back the others instead of failing with
   * WRONG_STATE about an edit the user never named.
   */
  @Test
  void rollbackEditsWhereWaitingForTheWriterSlotRollsBackWhatIsStillActive() throws Exception {
    String url = TestDb.memUrl("where-race");
    try (Connection a = TestDb.connect(url);
        Connection b = TestDb.connect(url)) {
      a.createStatement().execute(TestDb.SMALL_LAYER);
      long first = TestDb.insert(a, "first", 0, 0);
      long second = TestDb.insert(a, "second", 1, 1);
      a.setAutoCommit(false);
      a.createStatement().executeUpdate("ROLLBACK EDIT " + first); // a holds the writer slot
      long[] rolledBack = {-1};
      SQLException[] failure = {null};
      Thread where =
          new Thread(
              () -> {
                try (Statement st = b.createStatement()) {
                  rolledBack[0] = st.executeUpdate("ROLLBACK EDITS WHERE layer = 'small'");
                } catch (SQLException e) {
                  failure[0] = e;
                }
              },
              "rollback-edits-where");
      where.start();
      // Until b waits for the writer slot, having seen both edits active.
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (where.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      a.commit();
      where.join(10_000);
      if (failure[0] != null) {
        throw failure[0];
      }
      assertEquals(1, rolledBack[0]);
      assertEquals(
          0, TestDb.scalar(a, "SELECT COUNT(*) FROM edits WHERE status = 'ACTIVE'"),
          "edit " + second);
    }
  }

  private static void assertVerifies(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("VERIFY HISTORY")) {
      rs.next();
      boolean ok = rs.getBoolean("OK");
      String problem = rs.getString("PROBLEM") + " at seq " + rs.getString("FIRST_BAD_SEQ");
      assertTrue(ok, () -> "VERIFY HISTORY: " + problem);
    }
  }
}
