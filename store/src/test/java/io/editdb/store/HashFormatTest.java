package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The history chains name the format of each row's hash (schema version 9): rows written before are
 * format 1 and verify unchanged, new rows are written as format 1, and a row naming a format this
 * code does not know fails VERIFY HISTORY with that said, never passes unchecked.
 */
class HashFormatTest {
  @TempDir Path dir;

  @Test
  void newRowsOfBothChainsCarryFormatOne() throws Exception {
    writeStore(dir);
    try (EditStore s = EditStore.open(StoreConfig.directory(dir));
        Connection c = s.readConnection();
        Statement st = c.createStatement()) {
      for (String table : new String[] {"edit_history", "user_history"}) {
        try (ResultSet rs =
            st.executeQuery("SELECT COUNT(*), MIN(hash_format), MAX(hash_format) FROM " + table)) {
          rs.next();
          assertTrue(rs.getLong(1) >= 2, table + " has rows");
          assertEquals(HistoryChain.FORMAT, rs.getInt(2), table);
          assertEquals(HistoryChain.FORMAT, rs.getInt(3), table);
        }
      }
      assertEquals(1, HistoryChain.FORMAT, "format 1 is the hashing of schema versions 1 to 8");
    }
  }

  @Test
  void aStoreWrittenBeforeTheFormatColumnVerifiesUnchangedAfterUpgrade() throws Exception {
    writeStore(dir);
    List<String> before = hashes(dir);
    asBeforeVersion9(dir);
    try (Connection c = raw(dir);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT COUNT(*) FROM INFORMATION_SCHEMA.COLUMNS WHERE COLUMN_NAME ="
                    + " 'HASH_FORMAT'")) {
      rs.next();
      assertEquals(0, rs.getInt(1), "the simulated old store has no hash_format");
    }
    assertUpgradedAndVerifies(dir, before);
    // A process killed during V9 re-runs it whole: run it again over the upgraded schema.
    try (Connection c = raw(dir);
        Statement st = c.createStatement()) {
      st.execute("DELETE FROM \"editdb_schema_history\" WHERE \"version\" = '9'");
    }
    assertUpgradedAndVerifies(dir, before);
    // and a store killed half way: one column added, the views dropped
    try (Connection c = raw(dir);
        Statement st = c.createStatement()) {
      st.execute("DELETE FROM \"editdb_schema_history\" WHERE \"version\" = '9'");
      st.execute("DROP VIEW EDITDB.edit_history");
      st.execute("DROP VIEW EDITDB.user_history");
      st.execute("ALTER TABLE user_history DROP COLUMN hash_format");
    }
    assertUpgradedAndVerifies(dir, before);
    // the upgraded store goes on writing format 1 rows that verify after the old ones
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      try (StoreSession w = s.openSession("t")) {
        w.insert(Fixtures.edit(new Random(5), "a", 2).build());
        w.commit();
      }
      s.users().create("ana", "ed", "", Role.EDITOR);
      HistoryCheck check = s.verifyHistory();
      assertTrue(check.ok(), check.toString());
      assertEquals(before.stream().filter(h -> h.startsWith("e")).count() + 1, check.checked());
    }
  }

  @Test
  void anEditHistoryRowOfAnUnknownFormatFailsNamingRowAndFormat() throws Exception {
    writeStore(dir);
    for (int format : new int[] {2, 0, -1}) {
      behindTheStoresBack("UPDATE edit_history SET hash_format = " + format + " WHERE seq = 2");
      try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
        HistoryCheck check = s.verifyHistory();
        assertFalse(check.ok(), "format " + format + " passed: " + check);
        assertEquals(2L, check.firstBadSeq(), check.toString());
        assertTrue(check.problem().contains("hash_format " + format + " "), check.problem());
        assertTrue(check.problem().contains("written by a newer EditDB"), check.problem());
      }
    }
    behindTheStoresBack("UPDATE edit_history SET hash_format = 1 WHERE seq = 2");
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      assertTrue(s.verifyHistory().ok(), "only the number was wrong: format 1 verifies again");
    }
  }

  @Test
  void aUserHistoryRowOfAnUnknownFormatFailsNamingRowAndFormat() throws Exception {
    writeStore(dir);
    behindTheStoresBack("UPDATE user_history SET hash_format = 2 WHERE seq = 2");
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      HistoryCheck check = s.verifyHistory();
      assertFalse(check.ok(), check.toString());
      assertTrue(check.problem().startsWith("user_history seq 2: "), check.problem());
      assertTrue(check.problem().contains("hash_format 2 "), check.problem());
      assertTrue(check.problem().contains("written by a newer EditDB"), check.problem());
    }
  }

  @Test
  void aTamperedRowDoesNotVerifyWhateverFormatItNames() throws Exception {
    writeStore(dir);
    behindTheStoresBack("UPDATE edit_history SET actor = 'mallory' WHERE seq = 2");
    for (int format : new int[] {1, 2}) {
      behindTheStoresBack("UPDATE edit_history SET hash_format = " + format + " WHERE seq = 2");
      try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
        HistoryCheck check = s.verifyHistory();
        assertFalse(check.ok(), "format " + format + ": " + check);
        assertEquals(2L, check.firstBadSeq());
      }
    }
  }

  @Test
  void aHashOfAFormatThisCodeDoesNotKnowIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> HistoryChain.rowHash(2, "p", 1, 2, 1L, "a", "INSERT", "t", null, null, "c"));
    assertTrue(e.getMessage().contains("hash_format 2 "), e.getMessage());
    assertTrue(HistoryChain.knows(1));
    assertFalse(HistoryChain.knows(2));
  }

  /** The column is as protected as the rest of the chains: no role writes it, any way round. */
  @Test
  void noRoleWritesTheFormat() throws Exception {
    writeStore(dir);
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      for (Role role : Role.values()) {
        try (Connection c = s.connectAs(role);
            Statement st = c.createStatement()) {
          for (String attack :
              new String[] {
                "UPDATE edit_history SET hash_format = 2",
                "UPDATE PUBLIC.edit_history SET hash_format = 2",
                "UPDATE user_history SET hash_format = 2",
                "UPDATE PUBLIC.user_history SET hash_format = 2",
                "MERGE INTO PUBLIC.edit_history t USING (SELECT 1 s) ON t.seq = s"
                    + " WHEN MATCHED THEN UPDATE SET hash_format = 2"
              }) {
            assertThrows(SQLException.class, () -> st.execute(attack), role + ": " + attack);
          }
          try (ResultSet rs = st.executeQuery("SELECT MAX(hash_format) FROM edit_history")) {
            rs.next();
            assertEquals(1, rs.getInt(1), role + " reads the format of edit_history");
          }
          if (role == Role.ADMIN) {
            try (ResultSet rs = st.executeQuery("SELECT MAX(hash_format) FROM user_history")) {
              rs.next();
              assertEquals(1, rs.getInt(1), "administrators read user_history's format");
            }
          } else {
            assertThrows(
                SQLException.class, () -> st.executeQuery("SELECT * FROM user_history"), "" + role);
          }
        }
      }
      assertTrue(s.verifyHistory().ok());
    }
  }

  /** A layer, two versions of edits and a second user: both chains have several rows. */
  private static void writeStore(Path dir) {
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      s.users().login("ana", "");
      s.createLayer(Fixtures.layer("a").build(), "t");
      for (int i = 0; i < 2; i++) {
        try (StoreSession w = s.openSession("t")) {
          w.insert(Fixtures.edit(new Random(3 + i), "a", 2).build());
          w.commit();
        }
      }
      s.users().create("ana", "au", "", Role.AUDITOR);
      assertTrue(s.verifyHistory().ok());
    }
  }

  /**
   * The store as schema version 8 left it: no hash_format, the views as V4 made them, V9 not
   * recorded.
   */
  private static void asBeforeVersion9(Path dir) throws SQLException {
    try (Connection c = raw(dir);
        Statement st = c.createStatement()) {
      undoVersion9(st);
    }
  }

  /** Takes V9 back on a raw connection (also for {@link SchemaHistoryTest}'s older stores). */
  static void undoVersion9(Statement st) throws SQLException {
    st.execute("DELETE FROM \"editdb_schema_history\" WHERE \"version\" = '9'");
    st.execute("DROP VIEW EDITDB.edit_history");
    st.execute("DROP VIEW EDITDB.user_history");
    st.execute("ALTER TABLE edit_history DROP COLUMN hash_format");
    st.execute("ALTER TABLE user_history DROP COLUMN hash_format");
    st.execute("CREATE VIEW EDITDB.edit_history AS SELECT * FROM PUBLIC.edit_history");
    st.execute(
        "CREATE VIEW EDITDB.user_history AS SELECT seq, action, name, role, actor, at,"
            + " prev_hash, hash FROM PUBLIC.user_history");
    for (String role : new String[] {"EDITDB_AUDITOR", "EDITDB_EDITOR", "EDITDB_ADMIN"}) {
      st.execute("GRANT SELECT ON EDITDB.edit_history TO " + role);
    }
    st.execute("GRANT SELECT ON EDITDB.user_history TO EDITDB_ADMIN");
  }

  private static void assertUpgradedAndVerifies(Path dir, List<String> before) throws SQLException {
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      HistoryCheck check = s.verifyHistory();
      assertTrue(check.ok(), check.toString());
      assertEquals(before.stream().filter(h -> h.startsWith("e")).count(), check.checked());
      try (Connection c = s.readConnection();
          Statement st = c.createStatement()) {
        for (String table : new String[] {"edit_history", "user_history"}) {
          try (ResultSet rs =
              st.executeQuery("SELECT COUNT(*) FROM " + table + " WHERE hash_format <> 1")) {
            rs.next();
            assertEquals(0, rs.getInt(1), "every old row of " + table + " is format 1");
          }
        }
      }
      try (Connection c = s.connectAs(Role.ADMIN);
          Statement st = c.createStatement()) {
        for (String table : new String[] {"edit_history", "user_history"}) {
          try (ResultSet rs = st.executeQuery("SELECT hash_format FROM " + table)) {
            assertTrue(rs.next(), "the view of " + table + " shows the column");
          }
        }
      }
      try (Connection c = s.connectAs(Role.AUDITOR);
          Statement st = c.createStatement()) {
        st.executeQuery("SELECT hash_format FROM edit_history").close();
        assertThrows(SQLException.class, () -> st.executeQuery("SELECT * FROM user_history"));
      }
    }
    assertEquals(before, hashes(dir), "no hash changed");
  }

  /** Every hash of both chains, edit_history's prefixed "e", user_history's "u". */
  private static List<String> hashes(Path dir) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = raw(dir);
        Statement st = c.createStatement()) {
      for (String table : new String[] {"edit_history", "user_history"}) {
        try (ResultSet rs = st.executeQuery("SELECT hash FROM " + table + " ORDER BY seq")) {
          while (rs.next()) {
            out.add(table.charAt(0) + rs.getString(1));
          }
        }
      }
    }
    return out;
  }

  private void behindTheStoresBack(String sql) throws SQLException {
    try (Connection c = raw(dir);
        Statement st = c.createStatement()) {
      assertEquals(1, st.executeUpdate(sql), sql);
    }
  }

  /**
   * The store's H2 file, as someone with file access would open it, but with the store's
   * MAX_COMPACT_TIME=0 (see {@link StoreConfig}). With H2's default a close here compacts the file,
   * and H2 2.3.232 then fails to reopen it ("Double mark", H2 issue 2752) once the store has
   * written a few DDL commits to it and closed without compacting: any migration's, not V9's in
   * particular (three CREATE/DROP TABLE do it too).
   */
  static Connection raw(Path dir) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:h2:file:" + dir.resolve("editdb") + ";MAX_COMPACT_TIME=0", "sa", "");
  }
}
