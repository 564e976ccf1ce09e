package io.editdb.pgtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The promises tests elsewhere build on: committed rows survive {@link PgCluster#crash()}, {@link
 * PgCluster#restart()} keeps port and data, {@link PgCluster#terminateBackends(String)} kills
 * exactly the named connections, TCP logins need the password, and {@link PgCluster#close()} leaves
 * neither directory nor process. Skipped, saying how to install it, where PostgreSQL is missing.
 */
class PgClusterTest {
  private static PgCluster pg;

  @BeforeAll
  static void startCluster() {
    assumePostgres();
    pg = PgCluster.start();
  }

  @AfterAll
  static void closeCluster() {
    if (pg != null) {
      pg.close();
    }
  }

  static void assumePostgres() {
    assumeTrue(
        PgCluster.available(),
        "PostgreSQL is not installed, so the PgCluster tests are skipped; fix: "
            + PgCluster.INSTALL_HINT);
  }

  @Test
  void accessorsDescribeTheCluster() throws SQLException {
    assertEquals("127.0.0.1", pg.host());
    assertEquals("editdb_owner", pg.superuser());
    assertEquals("editdb", pg.database());
    assertTrue(pg.password().matches("[0-9a-f]{32}"), pg.password());
    assertEquals("jdbc:postgresql://127.0.0.1:" + pg.port() + "/x", pg.jdbcUrl("x"));
    try (Connection c = pg.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT current_database(), current_user, current_setting('fsync'),"
                    + " current_setting('synchronous_commit'), current_setting('full_page_writes'),"
                    + " current_setting('max_connections'), pg_encoding_to_char(encoding)"
                    + " FROM pg_database WHERE datname = current_database()")) {
      rs.next();
      assertEquals(
          List.of("editdb", "editdb_owner", "on", "on", "on", "200", "UTF8"),
          List.of(
              rs.getString(1),
              rs.getString(2),
              rs.getString(3),
              rs.getString(4),
              rs.getString(5),
              rs.getString(6),
              rs.getString(7)));
    }
  }

  @Test
  void committedRowsSurviveACrashAndUncommittedOnesDoNot() throws SQLException {
    String db = pg.createDatabase("crash");
    try (Connection c = pg.connect(db);
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE t (id int PRIMARY KEY, v text)");
      s.execute("INSERT INTO t VALUES (1, 'committed')");
    }
    Connection open = pg.connect(db);
    open.setAutoCommit(false);
    try (Statement s = open.createStatement()) {
      s.execute("INSERT INTO t VALUES (2, 'never committed')");
    }
    pg.crash();
    SQLException broken =
        assertThrows(
            SQLException.class,
            () -> {
              try (Statement s = open.createStatement()) {
                s.execute("SELECT 1");
              }
            });
    assertConnectionLost(broken);
    open.close();
    try (Connection c = pg.connect(db);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, v FROM t ORDER BY id")) {
      assertTrue(rs.next());
      assertEquals(1, rs.getInt(1));
      assertEquals("committed", rs.getString(2));
      assertFalse(rs.next(), "the uncommitted row is gone");
    }
  }

  @Test
  void restartKeepsPortAndDataAndBreaksOpenConnections() throws SQLException {
    String db = pg.createDatabase("restart");
    int port = pg.port();
    try (Connection c = pg.connect(db);
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE t (v text)");
      s.execute("INSERT INTO t VALUES ('kept')");
    }
    try (Connection before = pg.connect(db)) {
      pg.restart();
      assertEquals(port, pg.port());
      SQLException e =
          assertThrows(
              SQLException.class,
              () -> {
                try (Statement s = before.createStatement()) {
                  s.execute("SELECT 1");
                }
              });
      assertConnectionLost(e);
    }
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(db), pg.superuser(), pg.password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT v FROM t")) {
      assertTrue(rs.next());
      assertEquals("kept", rs.getString(1));
    }
  }

  @Test
  void terminateBackendsKillsOnlyTheNamedConnections() throws SQLException {
    try (Connection victim = named("victim-1");
        Connection bystander = named("bystander-1")) {
      assertEquals(1, pg.terminateBackends("victim-%"));
      SQLException e =
          assertThrows(
              SQLException.class,
              () -> {
                try (Statement s = victim.createStatement()) {
                  s.execute("SELECT 1");
                }
              });
      assertConnectionLost(e);
      try (Statement s = bystander.createStatement()) {
        s.execute("SELECT 1");
      }
      assertEquals(0, pg.terminateBackends("victim-%"), "nothing left to terminate");
    }
  }

  @Test
  void aWrongPasswordOverTcpIsRefusedAndPasswordsAreScram() throws SQLException {
    SQLException e =
        assertThrows(
            SQLException.class,
            () -> DriverManager.getConnection(pg.jdbcUrl("editdb"), pg.superuser(), "wrong"));
    assertEquals("28P01", e.getSQLState(), e.getMessage());
    try (Connection c = pg.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid"
                    + " WHERE rolname = current_user")) {
      rs.next();
      assertTrue(rs.getBoolean(1), "the superuser's password is stored as SCRAM");
    }
  }

  @Test
  void createDatabaseGivesNewNamesFromAnyPrefix() throws SQLException {
    String a = pg.createDatabase("My-Test");
    String b = pg.createDatabase("My-Test");
    String c = pg.createDatabase("9lives");
    assertNotEquals(a, b);
    assertTrue(a.startsWith("my_test_"), a);
    assertTrue(c.startsWith("db_9lives_"), c);
    for (String db : List.of(a, b, c)) {
      try (Connection conn = pg.connect(db)) {
        assertTrue(conn.isValid(5), db);
      }
    }
  }

  @Test
  void aFailedStartSaysWhatFailedAndShowsTheServerLog() throws Exception {
    pg.stop();
    try (ServerSocket squatter =
        new ServerSocket(pg.port(), 1, InetAddress.getByName("127.0.0.1"))) {
      IllegalStateException e = assertThrows(IllegalStateException.class, pg::restart);
      String m = e.getMessage();
      assertTrue(m.contains("pg_ctl start failed"), m);
      assertTrue(m.contains("server log"), m);
      assertTrue(m.contains("could not bind"), m);
      assertTrue(m.contains("fix:"), m);
    }
    pg.restart();
    try (Connection c = pg.connect()) {
      assertTrue(c.isValid(5));
    }
  }

  @Test
  void closeRemovesTheDirectoryAndEveryServerProcess() throws SQLException {
    PgCluster own = PgCluster.start();
    Path dir = own.dataDirectory().getParent();
    String name = dir.getFileName().toString();
    try (Connection c = own.connect()) {
      assertTrue(c.isValid(5));
    }
    assertFalse(serverProcesses(name).isEmpty(), "the server runs before close()");
    own.close();
    assertFalse(Files.exists(dir), dir + " is deleted");
    assertEquals(List.of(), serverProcesses(name));
    own.close(); // idempotent
    assertThrows(IllegalStateException.class, own::restart);
  }

  @Test
  void theSharedClusterIsOneAndSurvivesClose() throws SQLException {
    PgCluster shared = PgCluster.shared();
    shared.close(); // ignored: other test classes use it
    assertTrue(shared == PgCluster.shared());
    String db = shared.createDatabase("shared");
    try (Connection c = shared.connect(db)) {
      assertTrue(c.isValid(5));
    }
  }

  /** Command lines naming the cluster: the postmaster's (-D dir) and its children's titles. */
  private static List<String> serverProcesses(String clusterName) {
    return ProcessHandle.allProcesses()
        .filter(ProcessHandle::isAlive)
        .map(p -> p.info().commandLine().orElse(""))
        .filter(cmd -> cmd.contains(clusterName))
        .toList();
  }

  private static Connection named(String applicationName) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", pg.superuser());
    p.setProperty("password", pg.password());
    p.setProperty("ApplicationName", applicationName);
    return DriverManager.getConnection(pg.jdbcUrl(pg.database()), p);
  }

  private static void assertConnectionLost(SQLException e) {
    String state = String.valueOf(e.getSQLState());
    assertTrue(
        state.equals("57P01") || state.startsWith("08"),
        "SQLState 57P01 or 08xxx, not " + state + ": " + e.getMessage());
  }
}
