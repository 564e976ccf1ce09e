package io.editdb.driver;

import static io.editdb.driver.TestDb.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * INSERT INTO edits returns the new edit's id as rows: {@code ... RETURNING id}, or {@code SELECT
 * id FROM FINAL TABLE (INSERT ...)} as jOOQ writes it; the same id getGeneratedKeys gives.
 */
class InsertReturningTest {
  @Test
  void insertReturnsTheNewIdAsRows() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("returning")) {
      long before = TestDb.insert(c, "first", 0, 0);
      try (PreparedStatement ps = c.prepareStatement(TestDb.INSERT + " RETURNING id")) {
        TestDb.bindSmall(ps, "second", 1, 1);
        assertEquals("ID", ps.getMetaData().getColumnLabel(1));
        assertEquals(Types.BIGINT, ps.getMetaData().getColumnType(1));
        try (ResultSet rs = ps.executeQuery()) {
          assertTrue(rs.next());
          assertEquals(before + 1, rs.getLong("id"));
          assertTrue(!rs.next());
        }
        try (ResultSet keys = ps.getGeneratedKeys()) {
          keys.next();
          assertEquals(before + 1, keys.getLong(1));
        }
      }
      // jOOQ's form for H2, with a label and an alias for the inserted row
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT e.\"ID\" AS new_id FROM FINAL TABLE ("
                  + TestDb.INSERT.replace("INSERT INTO edits", "INSERT INTO \"EDITS\"")
                  + ") e")) {
        TestDb.bindSmall(ps, "third", 2, 2);
        try (ResultSet rs = ps.executeQuery()) {
          assertTrue(rs.next());
          assertEquals(before + 2, rs.getLong("NEW_ID"));
        }
      }
      // in a transaction the id is known before the commit
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement(TestDb.INSERT + " RETURNING id")) {
        TestDb.bindSmall(ps, "fourth", 3, 0);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          assertEquals(before + 3, rs.getLong(1));
        }
      }
      c.commit();
      assertEquals(
          "fourth", TestDb.scalarText(c, "SELECT prompt FROM edits WHERE id = " + (before + 3)));
    }
  }

  @Test
  void returningAnythingButTheIdIsRefusedAndChangesNothing() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("returning-bad")) {
      String values =
          " VALUES ('small', 'p', 't', ARRAY[1, 0, 0, 0], ARRAY[1, 0, 0], ARRAY["
              + "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0], ARRAY[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0], 2)";
      String insert =
          "INSERT INTO edits (layer, prompt, target, visual_key, text_key, expert_a, expert_b,"
              + " rank)"
              + values;
      for (String sql :
          List.of(
              insert + " RETURNING prompt",
              insert + " RETURNING *",
              insert + " RETURNING id,",
              "SELECT * FROM FINAL TABLE (" + insert + ")",
              "SELECT id, prompt FROM FINAL TABLE (" + insert + ")",
              "SELECT id FROM FINAL TABLE (" + insert + " RETURNING id)",
              "SELECT id FROM FINAL TABLE (" + insert)) {
        assertRefused(
            c,
            ErrorCode.SYNTAX_ERROR,
            () -> {
              try (Statement st = c.createStatement()) {
                st.executeQuery(sql);
              }
            });
      }
      assertRefused(
          c,
          ErrorCode.WRONG_EXECUTE_METHOD,
          () -> {
            try (Statement st = c.createStatement()) {
              st.executeUpdate(insert + " RETURNING id");
            }
          });
      // other data-change delta tables over edits stay refused
      assertRefused(
          c,
          ErrorCode.READ_ONLY_RELATION,
          () -> {
            try (Statement st = c.createStatement()) {
              st.executeQuery("SELECT id FROM OLD TABLE (DELETE FROM edits)");
            }
          });
    }
  }
}
