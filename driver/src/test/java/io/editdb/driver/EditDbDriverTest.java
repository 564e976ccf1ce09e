package io.editdb.driver;

import static io.editdb.driver.TestDb.assertError;
import static io.editdb.driver.TestDb.scalar;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.store.EditStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EditDbDriverTest {
  @TempDir Path dir;

  @Test
  void theServiceLoaderRegistersTheDriver() throws SQLException {
    assertTrue(
        ServiceLoader.load(Driver.class).stream().anyMatch(p -> p.type() == EditDbDriver.class));
    Driver d = DriverManager.getDriver("jdbc:editdb:mem:x");
    assertInstanceOf(EditDbDriver.class, d);
    assertEquals(0, d.getMajorVersion());
    assertEquals(1, d.getMinorVersion());
    assertFalse(d.jdbcCompliant());
  }

  @Test
  void urlsThatAreNotEditDbsGetNull() throws SQLException {
    EditDbDriver d = new EditDbDriver();
    assertNull(d.connect("jdbc:h2:mem:x", new Properties()));
    assertFalse(d.acceptsURL("jdbc:h2:mem:x"));
    assertFalse(d.acceptsURL(null));
    assertTrue(d.acceptsURL("jdbc:editdb:mem:x"));
    assertTrue(d.acceptsURL("JDBC:EDITDB:/tmp/x"));
  }

  @Test
  void badUrlsAndPropertiesAreRefused() {
    assertError(ErrorCode.INVALID_URL, () -> DriverManager.getConnection("jdbc:editdb:"));
    assertError(ErrorCode.INVALID_URL, () -> DriverManager.getConnection("jdbc:editdb:mem:"));
    assertError(
        ErrorCode.INVALID_URL, () -> DriverManager.getConnection("jdbc:editdb:mem:bad name"));
    Properties p = new Properties();
    p.setProperty("poolSize", "1");
    assertError(
        ErrorCode.INVALID_VALUE, () -> DriverManager.getConnection(TestDb.memUrl("pool"), p));
    p.setProperty("poolSize", "many");
    assertError(
        ErrorCode.INVALID_VALUE, () -> DriverManager.getConnection(TestDb.memUrl("pool"), p));
  }

  @Test
  void badPostgresUrlsAreRefusedWithTheFixAndMakeNothing() {
    Path index = dir.resolve("pg-index");
    String base = "jdbc:editdb:postgresql://127.0.0.1:1/edits";
    Properties owner = new Properties();
    owner.setProperty(EditDbDriver.PG_USER, "owner");
    String[][] cases = {
      {base, "names no index directory"},
      {base + "?index=", "names no index directory"},
      {base + "?index=" + index + "&sslmode=off", "'sslmode', which EditDB does not know"},
    };
    for (String[] c : cases) {
      SQLException e =
          assertThrows(SQLException.class, () -> DriverManager.getConnection(c[0], owner));
      assertEquals(ErrorCode.INVALID_URL.sqlState(), e.getSQLState(), c[0]);
      assertEquals(ErrorCode.INVALID_URL.code(), e.getErrorCode(), c[0]);
      assertTrue(e.getMessage().contains(c[1]), e.getMessage());
    }
    SQLException noOwner =
        assertThrows(
            SQLException.class,
            () -> DriverManager.getConnection(base + "?index=" + index, new Properties()));
    assertEquals(ErrorCode.INVALID_URL.code(), noOwner.getErrorCode());
    assertTrue(noOwner.getMessage().contains("set the property pgUser"), noOwner.getMessage());
    assertFalse(Files.exists(index), "a refused URL creates no index directory");
  }

  @Test
  void propertyInfoListsUserPasswordAndPoolSize() {
    DriverPropertyInfo[] info = new EditDbDriver().getPropertyInfo("jdbc:editdb:mem:x", null);
    assertEquals(
        List.of("user", "password", "poolSize"), List.of(info[0].name, info[1].name, info[2].name));
  }

  @Test
  void createFalseRefusesADirectoryWithoutAStoreAndMakesNothing() throws SQLException {
    Path typo = dir.resolve("edtis"); // a mistyped path
    Properties p = new Properties();
    p.setProperty("user", "ana");
    p.setProperty("create", "false");
    SQLException e =
        assertThrows(
            SQLException.class, () -> DriverManager.getConnection("jdbc:editdb:" + typo, p));
    assertEquals(ErrorCode.INVALID_URL.sqlState(), e.getSQLState());
    assertTrue(e.getMessage().contains("no EditDB store in " + typo), e.getMessage());
    assertFalse(Files.exists(typo), "nothing was created");
    p.setProperty("create", "maybe");
    assertError(
        ErrorCode.INVALID_VALUE, () -> DriverManager.getConnection("jdbc:editdb:" + typo, p));
    assertFalse(Files.exists(typo));
    // the default makes the store; create=false then opens it
    try (Connection c = DriverManager.getConnection("jdbc:editdb:" + typo, "ana", "")) {
      c.createStatement().execute(TestDb.SMALL_LAYER);
    }
    p.setProperty("create", "false");
    try (Connection c = DriverManager.getConnection("jdbc:editdb:" + typo, p);
        ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM layers")) {
      rs.next();
      assertEquals(1, rs.getInt(1));
    }
  }

  @Test
  void connectionsToOneDirectoryShareOneStore() throws SQLException {
    String url = "jdbc:editdb:" + dir.resolve("shared");
    try (Connection a = DriverManager.getConnection(url, "ana", "")) {
      a.createStatement().execute("CREATE USER bob ROLE EDITOR");
    }
    try (Connection a = DriverManager.getConnection(url, "ana", "");
        Connection b =
            DriverManager.getConnection(
                "jdbc:editdb:file:" + dir.resolve("x/../shared"), "bob", "")) {
      // bob is an editor: the store object is an administrator's (trusted code)
      assertThrows(SQLException.class, () -> b.unwrap(EditStore.class));
      a.createStatement().execute(TestDb.SMALL_LAYER);
      TestDb.insert(a, "from ana", 0, 0);
      assertEquals(1, scalar(b, "SELECT COUNT(*) FROM edits")); // committed: visible at once
      b.createStatement().execute("ROLLBACK EDIT 1 REASON 'bob disagrees'");
      assertEquals(
          "bob",
          TestDb.scalarText(a, "SELECT actor FROM edit_history WHERE action =" + " 'ROLLBACK'"));
      assertEquals(
          2, StoreRegistry.INSTANCE.connections(a.unwrap(EditStore.class).config().location()));
    }
    // the store closed with its last connection and reopens with its data
    try (Connection c = DriverManager.getConnection(url, "ana", "")) {
      assertEquals(1, scalar(c, "SELECT COUNT(*) FROM edits"));
      assertEquals(3, c.unwrap(EditStore.class).latestVersion());
    }
  }

  @Test
  void anInMemoryStoreIsGoneWithItsLastConnection() throws SQLException {
    String url = TestDb.memUrl("gone");
    EditStore first;
    try (Connection c = TestDb.connect(url)) {
      c.createStatement().execute(TestDb.SMALL_LAYER);
      first = c.unwrap(EditStore.class);
    }
    assertTrue(first.isClosed());
    try (Connection c = TestDb.connect(url)) {
      assertNotSame(first, c.unwrap(EditStore.class));
      assertEquals(0, scalar(c, "SELECT COUNT(*) FROM layers"));
    }
  }

  @Test
  void anotherProcessGetsAClearErrorWhileTheStoreIsOpen() throws Exception {
    Path store = dir.resolve("locked");
    try (Connection c = DriverManager.getConnection("jdbc:editdb:" + store, "ana", "")) {
      c.createStatement().execute(TestDb.SMALL_LAYER);
      String out = runOtherProcess(store);
      assertEquals(
          "REFUSED " + ErrorCode.STORE_IN_USE.sqlState() + " " + ErrorCode.STORE_IN_USE.code(),
          out);
      assertTrue(c.isValid(1)); // and the owner's store is intact
      assertEquals(1, scalar(c, "SELECT COUNT(*) FROM layers"));
    }
    assertEquals("OPENED", runOtherProcess(store)); // free once closed
  }

  private String runOtherProcess(Path store) throws IOException, InterruptedException {
    String javaBin = ProcessHandle.current().info().command().orElse("java");
    // The store waits HikariCP's connection timeout (30 s, twice) before it reports a locked
    // database; a short timeout keeps this test fast without changing what it checks.
    Path hikari = dir.resolve("hikari.properties");
    Files.writeString(hikari, "connectionTimeout=1000\n");
    Process p =
        new ProcessBuilder(
                javaBin,
                "-Dhikaricp.configurationFile=" + hikari,
                "-cp",
                System.getProperty("java.class.path"),
                OtherProcess.class.getName(),
                store.toString())
            .redirectErrorStream(false)
            .start();
    p.getErrorStream().transferTo(java.io.OutputStream.nullOutputStream());
    String last = null;
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.startsWith("OPENED") || line.startsWith("REFUSED")) {
          last = line;
        }
      }
    }
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    return last;
  }
}
