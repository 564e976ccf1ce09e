package io.editdb.driver;

import static io.editdb.driver.TestDb.assertError;
import static io.editdb.driver.TestDb.assertRefused;
import static io.editdb.driver.TestDb.scalar;
import static io.editdb.driver.TestDb.scalarText;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.store.EditStore;
import io.editdb.store.StoreSession;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Users, roles and passwords through the JDBC user and password. */
class RolesTest {
  @TempDir Path dir;

  private static List<String> strings(Connection c, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  private String url;
  private Connection ana; // keeps the in-memory store open

  /** A store whose admin ana made editor ed and auditor audrey, with one edit (id 1). */
  @BeforeEach
  void storeWithUsers() throws SQLException {
    url = TestDb.memUrl("roles");
    ana = DriverManager.getConnection(url, "ana", "");
    try (Statement st = ana.createStatement()) {
      st.execute(TestDb.SMALL_LAYER);
      TestDb.insert(ana, "edit one", 0, 0);
      st.execute("CREATE USER ed PASSWORD 'ed-pw' ROLE EDITOR");
      st.execute("CREATE USER audrey PASSWORD 'audrey-pw' ROLE AUDITOR");
    }
  }

  @AfterEach
  void close() throws SQLException {
    ana.close();
  }

  @Test
  void theFirstUserOfANewStoreIsItsAdministratorAndOthersMustBeCreated() throws SQLException {
    String url = TestDb.memUrl("first");
    try (Connection first = DriverManager.getConnection(url, "root", "")) {
      assertEquals("ADMIN", scalarText(first, "SELECT role FROM users WHERE name = 'root'"));
      assertEquals(1, scalar(first, "SELECT COUNT(*) FROM users"));
      assertError(
          ErrorCode.INVALID_AUTHORIZATION, () -> DriverManager.getConnection(url, "mallory", ""));
      assertError(
          ErrorCode.INVALID_AUTHORIZATION, () -> DriverManager.getConnection(url, "root", "x"));
      assertEquals(1, scalar(first, "SELECT COUNT(*) FROM users")); // a refused login adds nobody
    }
  }

  @Test
  void aConnectionWithoutUserIsTheAnonymousAdministratorOfItsOwnStore() throws SQLException {
    String url = TestDb.memUrl("anon");
    try (Connection c = DriverManager.getConnection(url);
        Connection again = DriverManager.getConnection(url)) {
      assertEquals("anonymous", c.unwrap(StoreSession.class).actor());
      c.createStatement().execute(TestDb.SMALL_LAYER);
      assertEquals(1, scalar(again, "SELECT COUNT(*) FROM layers"));
    }
  }

  @Test
  void passwordsAreStoredAsSaltedSlowHashesNeverInClear() throws SQLException {
    {
      ana.createStatement().execute("CREATE USER twin PASSWORD 'ed-pw' ROLE EDITOR");
      // no SQL user sees a hash, administrators included: the users view has no such column
      assertThrows(
          SQLException.class,
          () -> scalarText(ana, "SELECT password_hash FROM users WHERE name = 'ed'"));
      // the store's own (trusted) connection does
      try (Connection raw = ana.unwrap(EditStore.class).readConnection()) {
        String ed = scalarText(raw, "SELECT password_hash FROM users WHERE name = 'ed'");
        String twin = scalarText(raw, "SELECT password_hash FROM users WHERE name = 'twin'");
        assertTrue(ed.startsWith("pbkdf2-sha256$600000$"), ed);
        assertFalse(ed.contains("ed-pw"));
        assertNotEquals(ed, twin); // same password, different salt
        assertEquals("none", scalarText(raw, "SELECT password_hash FROM users WHERE name = 'ana'"));
      }
    }
    assertError(ErrorCode.INVALID_AUTHORIZATION, () -> DriverManager.getConnection(url, "ed", ""));
    try (Connection ed = DriverManager.getConnection(url, "ed", "ed-pw")) {
      assertTrue(ed.isValid(1));
    }
  }

  /** Every write an auditor might try; each is refused with 42501 and changes nothing. */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "ROLLBACK EDIT 1",
        "RESTORE EDIT 1",
        "ROLLBACK EDITS WHERE layer = 'small'",
        "ROLLBACK TO VERSION 1",
        "CREATE LAYER other (MODEL 'm', MODULE 'x', D_IN 8, D_OUT 8, VISUAL_DIM 4, TEXT_DIM 3)",
        "CREATE USER eve ROLE ADMIN",
        "ALTER USER audrey ROLE ADMIN",
        "ALTER USER ed PASSWORD 'mine now'",
        "DROP USER ed",
        "CREATE TABLE notes (id INT)",
        "CREATE ALIAS EVIL AS 'String evil() { return \"x\"; }'",
        // the insert that returns its id is an insert (SELECT * of it is refused as a syntax error)
        "SELECT id FROM FINAL TABLE (INSERT INTO edits (layer) VALUES ('small'))",
        "INSERT INTO edits (layer) VALUES ('small') RETURNING id",
        "SELECT name, password_hash FROM users",
        "SELECT * FROM \"USERS\"",
        "SCRIPT TO 'dump.sql'",
        "CALL CSVWRITE('out.csv', 'SELECT * FROM edits')",
        "SELECT FILE_READ('/etc/passwd')",
        "SELECT * FROM edits FOR UPDATE",
        "SET EXCLUSIVE 1",
        "DELETE FROM edit_history",
        "SELECT 1; DELETE FROM edit_history",
      })
  void anAuditorMayNotWrite(String sql) throws SQLException {
    try (Connection audrey = DriverManager.getConnection(url, "audrey", "audrey-pw")) {
      TestDb.Snapshot before = TestDb.snapshot(ana);
      long users = scalar(ana, "SELECT COUNT(*) FROM users");
      // NOT_ALLOWED, or READ_ONLY_RELATION for a write to EditDB's relations: both 42501
      for (Executable run :
          List.<Executable>of(
              () -> audrey.createStatement().execute(sql),
              () -> audrey.prepareStatement(sql).execute())) {
        SQLException e = assertThrows(SQLException.class, run);
        assertEquals("42501", e.getSQLState(), e::toString);
      }
      assertEquals(before, TestDb.snapshot(ana));
      assertEquals(users, scalar(ana, "SELECT COUNT(*) FROM users"));
    }
  }

  @Test
  void anAuditorInsertsNothingEvenThroughAPreparedInsert() throws SQLException {
    try (Connection audrey = DriverManager.getConnection(url, "audrey", "audrey-pw");
        PreparedStatement ps = audrey.prepareStatement(TestDb.INSERT)) {
      TestDb.bindSmall(ps, "sneaky", 1, 1);
      assertRefused(ana, ErrorCode.NOT_ALLOWED, ps::executeUpdate);
      ps.addBatch();
      assertRefused(ana, ErrorCode.NOT_ALLOWED, ps::executeBatch);
      assertError(ErrorCode.NOT_ALLOWED, () -> audrey.unwrap(EditStore.class));
      assertError(ErrorCode.NOT_ALLOWED, () -> audrey.unwrap(StoreSession.class));
    }
  }

  @Test
  void anAuditorReadsRoutesAndVerifies() throws SQLException {
    try (Connection audrey = DriverManager.getConnection(url, "audrey", "audrey-pw")) {
      assertTrue(audrey.isReadOnly());
      assertEquals(1, scalar(audrey, "SELECT COUNT(*) FROM edits WHERE status = 'ACTIVE'"));
      assertEquals(1, scalar(audrey, "SELECT COUNT(*) FROM EDITS_AT(2)"));
      assertEquals(
          1,
          scalar(
              audrey, "SELECT edit_id FROM ROUTE('small', ARRAY[1.0, 0, 0, 0], ARRAY[1.0, 0, 0])"));
      assertEquals("true", scalarText(audrey, "VERIFY HISTORY").toLowerCase(java.util.Locale.ROOT));
      String paged =
          "SELECT h.seq FROM edit_history h JOIN versions v ON h.version = v.version"
              + " ORDER BY h.seq DESC OFFSET 0 ROWS FETCH NEXT 1 ROWS ONLY";
      assertEquals(scalar(ana, paged), scalar(audrey, paged));
    }
  }

  @Test
  void anEditorEditsButDoesNotAdminister() throws SQLException {
    try (Connection ed = DriverManager.getConnection(url, "ed", "ed-pw")) {
      assertFalse(ed.isReadOnly());
      long id = TestDb.insert(ed, "ed's edit", 1, 1);
      Statement st = ed.createStatement();
      st.execute("ROLLBACK EDIT " + id + " REASON 'wrong target'");
      st.execute("RESTORE EDIT " + id);
      assertEquals(
          List.of("ed", "ed", "ed"),
          strings(ana, "SELECT actor FROM edit_history WHERE edit_id = " + id + " ORDER BY seq"));
      for (String sql :
          List.of(
              "CREATE LAYER l2 (MODEL 'm', MODULE 'x', D_IN 8, D_OUT 8, VISUAL_DIM 4, TEXT_DIM 3)",
              "CREATE USER eve ROLE EDITOR",
              "ALTER USER ed ROLE ADMIN",
              "ALTER USER audrey PASSWORD 'x'",
              "SELECT * FROM users",
              "CREATE TABLE notes (id INT)",
              "SCRIPT")) {
        assertRefused(ana, ErrorCode.NOT_ALLOWED, () -> ed.createStatement().execute(sql));
      }
      assertRefused(
          ana,
          ErrorCode.READ_ONLY_RELATION,
          () -> ed.createStatement().execute("UPDATE edit_history SET actor = 'ana'"));
    }
  }

  @Test
  void nobodyChangesTheHistoryOrTheUsersTableWithPlainSql() throws SQLException {
    {
      for (String sql :
          List.of(
              "DELETE FROM edit_history",
              "UPDATE edit_history SET reason = 'nothing happened'",
              "TRUNCATE TABLE versions",
              "UPDATE users SET role = 'ADMIN' WHERE name = 'audrey'",
              "INSERT INTO users (name, role, password_hash, created_at, created_by)"
                  + " VALUES ('eve', 'ADMIN', 'none', CURRENT_TIMESTAMP, 'eve')",
              "DELETE FROM users")) {
        SQLException e =
            assertRefused(
                ana, ErrorCode.READ_ONLY_RELATION, () -> ana.createStatement().execute(sql));
        assertEquals("42501", e.getSQLState());
      }
      assertEquals(3, scalar(ana, "SELECT COUNT(*) FROM users"));
      assertEquals("AUDITOR", scalarText(ana, "SELECT role FROM users WHERE name = 'audrey'"));
    }
  }

  @Test
  void roleChangesAndDroppedUsersApplyToOpenConnections() throws SQLException {
    try (Connection ed = DriverManager.getConnection(url, "ed", "ed-pw")) {
      ana.createStatement().execute("ALTER USER ed ROLE AUDITOR");
      assertRefused(
          ana, ErrorCode.NOT_ALLOWED, () -> ed.createStatement().execute("ROLLBACK EDIT 1"));
      ana.createStatement().execute("ALTER USER ed SET ROLE EDITOR");
      ed.createStatement().execute("ROLLBACK EDIT 1");
      ana.createStatement().execute("DROP USER ed");
      assertError(ErrorCode.NOT_ALLOWED, () -> scalar(ed, "SELECT COUNT(*) FROM edits"));
      assertError(
          ErrorCode.INVALID_AUTHORIZATION, () -> DriverManager.getConnection(url, "ed", "ed-pw"));
      // the history keeps the dropped user's name
      assertEquals(
          "ed", scalarText(ana, "SELECT actor FROM edit_history WHERE action = 'ROLLBACK'"));
    }
  }

  @Test
  void theStoreKeepsAnAdministratorAndRefusesBadUserStatements() throws SQLException {
    {
      Statement st = ana.createStatement();
      assertError(ErrorCode.WRONG_STATE, () -> st.execute("DROP USER ana"));
      assertError(ErrorCode.WRONG_STATE, () -> st.execute("ALTER USER ana ROLE EDITOR"));
      assertError(ErrorCode.DUPLICATE_USER, () -> st.execute("CREATE USER ed ROLE AUDITOR"));
      assertError(ErrorCode.UNKNOWN_USER, () -> st.execute("DROP USER nobody"));
      assertError(ErrorCode.UNKNOWN_USER, () -> st.execute("ALTER USER nobody ROLE EDITOR"));
      assertError(ErrorCode.INVALID_VALUE, () -> st.execute("CREATE USER eve ROLE OWNER"));
      assertError(ErrorCode.SYNTAX_ERROR, () -> st.execute("CREATE USER eve PASSWORD 'x'"));
      assertError(ErrorCode.SYNTAX_ERROR, () -> st.execute("ALTER USER ed"));
      assertError(ErrorCode.INVALID_VALUE, () -> st.execute("CREATE USER ' eve' ROLE EDITOR"));
      assertError(
          ErrorCode.UNSUPPORTED_STATEMENT,
          () -> st.execute("SELECT 1; CREATE USER eve ROLE ADMIN"));
      assertEquals(3, scalar(ana, "SELECT COUNT(*) FROM users"));
      // a second administrator lets the first step down
      st.execute("ALTER USER ed ROLE ADMIN");
      st.execute("ALTER USER ana ROLE EDITOR");
      assertError(ErrorCode.NOT_ALLOWED, () -> st.execute("CREATE USER eve ROLE EDITOR"));
    }
  }

  @Test
  void usersAndPasswordsPersistAndEveryoneMayChangeTheirOwnPassword() throws SQLException {
    String url = "jdbc:editdb:" + dir.resolve("store");
    try (Connection ana = DriverManager.getConnection(url, "ana", "admin-pw");
        PreparedStatement ps = ana.prepareStatement("CREATE USER ? PASSWORD ? ROLE ?")) {
      ps.setString(1, "ed");
      ps.setString(2, "first");
      ps.setString(3, "editor");
      assertEquals(1, ps.executeUpdate());
    }
    // reopened from disk: no verified login is remembered, the hash itself is checked
    try (Connection ed = DriverManager.getConnection(url, "ed", "first")) {
      PreparedStatement ps = ed.prepareStatement("ALTER USER ed PASSWORD ?");
      ps.setString(1, "second");
      ps.executeUpdate();
      assertError(
          ErrorCode.INVALID_AUTHORIZATION, () -> DriverManager.getConnection(url, "ed", "first"));
    }
    try (Connection ed = DriverManager.getConnection(url, "ed", "second");
        Connection ana = DriverManager.getConnection(url, "ana", "admin-pw")) {
      assertTrue(ed.isValid(1));
      assertEquals("ed", scalarText(ana, "SELECT changed_by FROM users WHERE name = 'ed'"));
    }
  }
}
