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

/** Issue 6, concurrency: many connections on one store. */
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
