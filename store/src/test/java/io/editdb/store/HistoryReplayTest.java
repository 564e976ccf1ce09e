package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * VERIFY HISTORY's replay: the state the history implies must be the state the tables hold, and the
 * users the user chain implies must be the users table. Each case changes state behind the store's
 * back with its own (all-powerful) H2 connection, touching no history row, and must be reported
 * with a problem naming what disagrees.
 */
class HistoryReplayTest {
  private final long seed = Fixtures.seed();
  private final Random r = new Random(seed);

  /** Edits 1 (active) and 2 (rolled back at version 4); users ana (ADMIN) and ed (EDITOR). */
  private EditStore populated() {
    EditStore s = EditStore.open(Fixtures.mem());
    s.users().login("ana", "");
    s.users().create("ana", "ed", "pw", Role.EDITOR);
    s.createLayer(Fixtures.layer("l1").build(), "ana");
    s.insert(Fixtures.edit(r, "l1", 1).build(), "ed");
    long id = s.insert(Fixtures.edit(r, "l1", 1).build(), "ed");
    try (StoreSession ss = s.openSession("ed")) {
      ss.rollbackEdit(id, "bad");
      ss.commit();
    }
    return s;
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "retire edit 1 silently | UPDATE edits SET status = 'ROLLED_BACK', retired_version = 4"
            + " WHERE id = 1; UPDATE edit_spans SET to_version = 4 WHERE edit_id = 1 | edit 1",
        "resurrect edit 2 | UPDATE edits SET status = 'ACTIVE', retired_version = NULL,"
            + " retired_at = NULL WHERE id = 2; UPDATE edit_spans SET to_version = NULL"
            + " WHERE edit_id = 2 | edit 2",
        "only the span of edit 2 reopened | UPDATE edit_spans SET to_version = NULL"
            + " WHERE edit_id = 2 | edit 2",
        "a span deleted | DELETE FROM edit_spans WHERE edit_id = 1 | edit 1",
        "a version's actor rewritten | UPDATE versions SET actor = 'mallory' WHERE version = 2"
            + " | version 2",
        "a version's counts rewritten | UPDATE versions SET edits_added = 5 WHERE version = 2"
            + " | version 2",
        "a role raised | UPDATE users SET role = 'ADMIN' WHERE name = 'ed' | ed",
        "a password hash replaced | UPDATE users SET password_hash = 'none' WHERE name = 'ed'"
            + " | ed",
        "a user added | INSERT INTO users VALUES ('eve', 'ADMIN', 'none', CURRENT_TIMESTAMP,"
            + " 'x', NULL, NULL) | eve",
        "a user removed | DELETE FROM users WHERE name = 'ed' | users",
        "a user_history row removed | DELETE FROM user_history WHERE seq = 2 | user_history",
      })
  void stateChangedBehindTheStoresBackIsReported(String what, String sql, String named)
      throws SQLException {
    try (EditStore s = populated()) {
      HistoryCheck before = s.verifyHistory();
      assertTrue(before.ok(), before + " (seed " + seed + ")");
      assertEquals(4, before.checked());
      try (Connection c = s.readConnection();
          Statement st = c.createStatement()) {
        for (String part : sql.split(";")) {
          st.executeUpdate(part);
        }
      }
      HistoryCheck after = s.verifyHistory();
      assertFalse(after.ok(), what + " went unnoticed");
      assertTrue(after.problem().contains(named), what + ": " + after.problem());
    }
  }

  /** Every role's connection: H2 refuses base tables, files and settings (90096 / 90040). */
  @ParameterizedTest
  @EnumSource(Role.class)
  void aRoleConnectionHasOnlyItsGrants(Role role) throws SQLException {
    try (EditStore s = populated();
        Connection c = s.connectAs(role)) {
      try (Statement st = c.createStatement()) {
        // the views read what the tables hold
        var rs = st.executeQuery("SELECT COUNT(*) FROM edits");
        rs.next();
        assertEquals(2, rs.getInt(1));
        for (String attack :
            new String[] {
              "SELECT * FROM PUBLIC.edits",
              "UPDATE edits SET status = 'ACTIVE'",
              "DELETE FROM PUBLIC.edit_history",
              "SELECT FILE_READ('/etc/hostname', NULL)",
              "CALL CSVWRITE('/tmp/editdb-never.csv', 'SELECT 1')",
              "SET MODE MSSQLServer",
              "CREATE ALIAS X FOR 'java.lang.System.exit'",
              "SELECT password_hash FROM PUBLIC.users"
            }) {
          SQLException e = assertThrows(SQLException.class, () -> st.execute(attack), attack);
          assertTrue(
              e.getErrorCode() == 90096 || e.getErrorCode() == 90040,
              attack + " as " + role + ": " + e.getMessage());
        }
        // only administrators define ordinary tables; editors write their rows
        if (role == Role.ADMIN) {
          st.execute("CREATE TABLE APP.notes (id INT)");
        } else {
          assertThrows(SQLException.class, () -> st.execute("CREATE TABLE notes (id INT)"));
        }
      }
    }
  }
}
