package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EditDB keeps its migrations in editdb_schema_history, apart from the flyway_schema_history of a
 * user's own Flyway; a store written before keeps nothing under the old name after its next open.
 */
class SchemaHistoryTest {

  @Test
  void aStoreWithTheOldHistoryTableIsMovedToTheNewNameAndUpgraded(@TempDir Path dir)
      throws Exception {
    float[] key = writeStore(dir);
    // As a store of schema version 7 was: history in flyway_schema_history, no VECTOR_ARRAY, no
    // hash_format (V9).
    try (Connection c = raw(dir);
        Statement st = c.createStatement()) {
      HashFormatTest.undoVersion9(st);
      st.execute("DELETE FROM \"editdb_schema_history\" WHERE \"version\" = '8'");
      st.execute("DROP ALIAS VECTOR_ARRAY");
      st.execute("ALTER TABLE \"editdb_schema_history\" RENAME TO \"flyway_schema_history\"");
    }
    assertOpensUpgraded(dir, key);
  }

  @Test
  void aStoreKilledAfterTheRenameBeforeItsUpgradeOpens(@TempDir Path dir) throws Exception {
    float[] key = writeStore(dir);
    // The rename is one committed DDL statement: a kill leaves the old name (above) or this.
    try (Connection c = raw(dir);
        Statement st = c.createStatement()) {
      HashFormatTest.undoVersion9(st);
      st.execute("DELETE FROM \"editdb_schema_history\" WHERE \"version\" = '8'");
    }
    assertOpensUpgraded(dir, key);
    assertOpensUpgraded(dir, key); // and again: nothing left to move or run
  }

  private static float[] writeStore(Path dir) {
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      s.createLayer(Fixtures.layer("a").build(), "t");
      try (StoreSession w = s.openSession("t")) {
        NewEdit e = Fixtures.edit(new Random(3), "a", 2).build();
        w.insert(e);
        w.commit();
        return e.visualKey();
      }
    }
  }

  private static void assertOpensUpgraded(Path dir, float[] key) throws SQLException {
    try (EditStore s = EditStore.open(StoreConfig.directory(dir))) {
      assertEquals(2, s.latestVersion(), "nothing committed is lost");
      assertTrue(s.verifyHistory().ok());
      try (Connection c = s.readConnection();
          Statement st = c.createStatement()) {
        assertEquals(0, count(st, "flyway_schema_history"), "the old name is gone");
        try (ResultSet rs =
            st.executeQuery(
                "SELECT COUNT(DISTINCT \"version\"), MIN(\"success\"), MAX(\"version\" + 0) FROM"
                    + " \"editdb_schema_history\"")) {
          rs.next();
          assertEquals(9, rs.getInt(1), "every migration recorded");
          assertTrue(rs.getBoolean(2));
          assertEquals(9, rs.getInt(3));
        }
        try (ResultSet rs = st.executeQuery("SELECT VECTOR_ARRAY(visual_key) FROM edits")) {
          rs.next();
          Object[] floats = (Object[]) rs.getArray(1).getArray();
          float[] got = new float[floats.length];
          for (int i = 0; i < got.length; i++) {
            got[i] = ((Number) floats[i]).floatValue();
          }
          assertArrayEquals(key, got, "V8 ran: VECTOR_ARRAY decodes the stored key");
        }
      }
    }
  }

  private static long count(Statement st, String table) throws SQLException {
    try (ResultSet rs =
        st.executeQuery(
            "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = '" + table + "'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** With the store's MAX_COMPACT_TIME=0: see {@link HashFormatTest#raw}. */
  private static Connection raw(Path dir) throws SQLException {
    return HashFormatTest.raw(dir);
  }
}
