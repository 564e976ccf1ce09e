package io.editdb.driver;

import static io.editdb.driver.TestDb.assertError;
import static io.editdb.driver.TestDb.assertRefused;
import static io.editdb.driver.TestDb.scalar;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.store.EditStore;
import io.editdb.store.Layer;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** Every EditDB statement written as SQL text, through a plain Statement. */
class EditDbStatementTest {

  private static final String ROW =
      "'small', 'What colour is the bus?', 'red',"
          + " ARRAY[1, 0, 0, 0], ARRAY[0, 0, 1], ARRAY[1,2,3,4,5,6,7,8, 8,7,6,5,4,3,2,1],"
          + " ARRAY[1,1,1,1,1,1,1,1, 2,2,2,2,2,2,2,2], 2";
  private static final String INSERT_ROW =
      "INSERT INTO edits (layer, prompt, target,"
          + " visual_key, text_key, expert_a, expert_b, rank) VALUES ("
          + ROW
          + ")";

  @Test
  void createLayerAppliesEveryOptionAndDocumentedDefaults() throws SQLException {
    try (Connection c = TestDb.connect(TestDb.memUrl("layer"));
        Statement st = c.createStatement()) {
      assertEquals(
          0,
          st.executeUpdate(
              "CREATE LAYER plain (MODEL 'm', MODULE 'x', D_IN 16,"
                  + " D_OUT 32, VISUAL_DIM 0, TEXT_DIM 3)"));
      assertEquals(
          0,
          st.executeUpdate(
              "CREATE LAYER tuned (MODEL 'llava-1.5-7b', MODULE 'model.layers.21', D_IN 8, D_OUT 8,"
                  + " VISUAL_DIM 4, TEXT_DIM 3, EXPERT_KIND LIVEEDIT, MAX_RANK 8, VISUAL_SIMILARITY"
                  + " MAX_INNER_PRODUCT, VISUAL_SCALE 0.25, VISUAL_THRESHOLD -0.5, MAX_CANDIDATES"
                  + " 32, TEXT_SIMILARITY DOT, TEXT_SCALE 12.5, GATE SOFTMAX, TEMPERATURE 0.7,"
                  + " NULL_LOGIT -2, MIN_GATE 0.001, TOP_K 0)"));
      Layer plain = c.unwrap(EditStore.class).layer("plain");
      Layer defaults = Layer.builder("d", "m", "x", 16, 32, 0, 3).build();
      assertEquals(defaults.expertKind(), plain.expertKind());
      assertEquals(defaults.maxRank(), plain.maxRank());
      assertEquals(defaults.visualThreshold(), plain.visualThreshold());
      assertEquals(defaults.topK(), plain.topK());
      assertEquals(defaults.gate(), plain.gate());
      try (ResultSet rs = st.executeQuery("SELECT * FROM layers WHERE name = 'tuned'")) {
        assertTrue(rs.next());
        assertEquals("llava-1.5-7b", rs.getString("model"));
        assertEquals("model.layers.21", rs.getString("module"));
        assertEquals("LIVEEDIT", rs.getString("expert_kind"));
        assertEquals(8, rs.getInt("max_rank"));
        assertEquals("MAX_INNER_PRODUCT", rs.getString("visual_similarity"));
        assertEquals(0.25, rs.getDouble("visual_scale"));
        assertEquals(-0.5, rs.getDouble("visual_threshold"));
        assertEquals(32, rs.getInt("max_candidates"));
        assertEquals("DOT", rs.getString("text_similarity"));
        assertEquals(12.5, rs.getDouble("text_scale"));
        assertEquals("SOFTMAX", rs.getString("gate"));
        assertEquals(0.7, rs.getDouble("temperature"));
        assertEquals(-2, rs.getDouble("null_logit"));
        assertEquals(0.001, rs.getDouble("min_gate"));
        assertEquals(0, rs.getInt("top_k"));
        assertEquals(2, rs.getLong("created_version"));
      }
      assertEquals(2, scalar(c, "SELECT MAX(version) FROM versions"));
    }
  }

  @Test
  void createLayerRefusalsChangeNothing() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("layer-bad");
        Statement st = c.createStatement()) {
      assertRefused(c, ErrorCode.DUPLICATE_LAYER, () -> st.execute(TestDb.SMALL_LAYER));
      assertRefused(
          c,
          ErrorCode.INVALID_VALUE,
          () ->
              st.execute(
                  "CREATE LAYER z (MODEL 'm',"
                      + " MODULE 'x', D_IN 0, D_OUT 8, VISUAL_DIM 4, TEXT_DIM 3)"));
      assertRefused(
          c,
          ErrorCode.INVALID_VALUE,
          () ->
              st.execute(
                  "CREATE LAYER z (MODEL 'm',"
                      + " MODULE 'x', D_IN 8, D_OUT 8, VISUAL_DIM 4, TEXT_DIM 3, GATE SIGMOID)"));
      assertRefused(
          c,
          ErrorCode.INVALID_VALUE,
          () ->
              st.execute(
                  "CREATE LAYER z (MODEL 'm',"
                      + " MODULE 'x', D_IN 8, D_OUT 8, VISUAL_DIM 4, TEXT_DIM 3, MIN_GATE 1)"));
      assertRefused(
          c,
          ErrorCode.INVALID_VALUE,
          () ->
              st.execute(
                  "CREATE LAYER z (MODEL 'm',"
                      + " MODULE 'x', D_IN 8, D_OUT 8, VISUAL_DIM 4, TEXT_DIM 3, MAX_RANK 2.5)"));
      assertRefused(
          c,
          ErrorCode.INVALID_VALUE,
          () ->
              st.execute(
                  "CREATE LAYER z (MODEL NULL,"
                      + " MODULE 'x', D_IN 8, D_OUT 8, VISUAL_DIM 4, TEXT_DIM 3)"));
      assertRefused(
          c,
          ErrorCode.WRONG_TYPE,
          () ->
              st.execute(
                  "CREATE LAYER z (MODEL 'm',"
                      + " MODULE 'x', D_IN ARRAY[1], D_OUT 8, VISUAL_DIM 4, TEXT_DIM 3)"));
      assertRefused(
          c,
          ErrorCode.INVALID_VALUE,
          () ->
              st.execute(
                  "CREATE LAYER \"bad name\""
                      + " (MODEL 'm', MODULE 'x', D_IN 8, D_OUT 8, VISUAL_DIM 4, TEXT_DIM 3)"));
      assertRefused(
          c,
          ErrorCode.INVALID_VALUE,
          () ->
              st.execute(
                  "CREATE LAYER z (MODEL 'm',"
                      + " MODULE 'x', D_IN 8, D_OUT 8, VISUAL_DIM 4097, TEXT_DIM 3)"));
    }
  }

  @Test
  void insertWithArrayLiteralsReturnsItsIdAsGeneratedKey() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("insert");
        Statement st = c.createStatement()) {
      assertEquals(1, st.executeUpdate(INSERT_ROW, Statement.RETURN_GENERATED_KEYS));
      try (ResultSet keys = st.getGeneratedKeys()) {
        assertTrue(keys.next());
        assertEquals(1, keys.getLong(1));
        assertEquals(1, keys.getLong("ID"));
        assertFalse(keys.next());
      }
      try (ResultSet rs = st.executeQuery("SELECT * FROM edits")) {
        assertTrue(rs.next());
        assertEquals("ana", rs.getString("author")); // the connection's user
        assertEquals("ACTIVE", rs.getString("status"));
        assertEquals(2, rs.getLong("created_version"));
        assertNull(rs.getObject("retired_version"));
        assertEquals("F32", rs.getString("weight_dtype"));
        assertEquals(1.0f, rs.getFloat("alpha")); // the default
        assertArrayEquals(new float[] {1, 0, 0, 0}, rs.getObject("visual_key", float[].class));
        assertArrayEquals(
            new float[] {1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1},
            rs.getObject("expert_a", float[].class));
        Object[] b = (Object[]) rs.getArray("expert_b").getArray();
        assertEquals(16, b.length);
        assertEquals(2f, b[15]);
      }
      try (ResultSet rs =
          st.executeQuery("SELECT actor, action FROM edit_history" + " ORDER BY seq")) {
        assertTrue(rs.next());
        assertEquals("CREATE_LAYER", rs.getString(2));
        assertTrue(rs.next());
        assertEquals("INSERT", rs.getString(2));
        assertEquals("ana", rs.getString(1));
      }
    }
  }

  @Test
  void generatedKeysAreEmptyNeverAnExceptionWhenThereAreNone() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("nokeys");
        Statement st = c.createStatement()) {
      try (ResultSet keys = st.getGeneratedKeys()) {
        assertFalse(keys.next());
      }
      st.execute("ROLLBACK TO VERSION 1");
      try (ResultSet keys = st.getGeneratedKeys()) {
        assertFalse(keys.next());
      }
      st.execute("SELECT 1");
      try (ResultSet keys = st.getGeneratedKeys()) {
        assertFalse(keys.next());
      }
    }
  }

  @Test
  void textIsStoredVerbatim() throws SQLException {
    String prompt =
        "It's \"quoted\"; DROP TABLE edits; -- not a comment /* nor this */ ?"
            + " \u00e9\u00e8 \u4f60\u597d \ud83d\ude8c \u0000x \\n";
    String reason = "O'Brien said: ROLLBACK EDIT 1 REASON 'x' \u2014 \u05e9\u05dc\u05d5\u05dd";
    String literal = prompt.replace("'", "''");
    try (Connection c = TestDb.withSmallLayer("verbatim");
        Statement st = c.createStatement()) {
      st.executeUpdate(
          "INSERT INTO edits (layer, prompt, target, visual_key, text_key,"
              + " expert_a, expert_b, rank, reason, author) VALUES ('small', '"
              + literal
              + "', '"
              + literal
              + "', ARRAY[1, 0, 0, 0], ARRAY[0, 0, 1], ARRAY[1,2,3,4,5,6,7,8,"
              + " 8,7,6,5,4,3,2,1], ARRAY[1,1,1,1,1,1,1,1, 2,2,2,2,2,2,2,2], 2, '"
              + reason.replace("'", "''")
              + "', 'Zo\u00eb')");
      st.executeUpdate("ROLLBACK EDIT 1 REASON '" + reason.replace("'", "''") + "'");
      try (ResultSet rs = st.executeQuery("SELECT prompt, target, reason, author FROM edits")) {
        rs.next();
        assertEquals(prompt, rs.getString(1));
        assertEquals(prompt, rs.getString(2));
        assertEquals(reason, rs.getString(3));
        assertEquals("Zo\u00eb", rs.getString(4));
      }
      try (ResultSet rs =
          st.executeQuery("SELECT reason FROM edit_history WHERE action =" + " 'ROLLBACK'")) {
        rs.next();
        assertEquals(reason, rs.getString(1));
      }
    }
  }

  @Test
  void rollbackAndRestoreReturnHowManyEditsChanged() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("rollback");
        Statement st = c.createStatement()) {
      long a = TestDb.insert(c, "a", 0, 0);
      long b = TestDb.insert(c, "b", 1, 1);
      long d = TestDb.insert(c, "d", 2, 2); // version 4
      assertEquals(1, st.executeUpdate("ROLLBACK EDIT " + a + " REASON 'wrong answer'"));
      assertEquals(1, st.executeUpdate("RESTORE EDIT " + a));
      assertEquals(
          2, st.executeUpdate("ROLLBACK EDITS WHERE prompt IN ('a', 'b')" + " REASON 'bulk'"));
      assertEquals(0, st.executeUpdate("ROLLBACK EDITS WHERE prompt = 'nothing'"));
      assertEquals(1, scalar(c, "SELECT COUNT(*) FROM edits WHERE status = 'ACTIVE'"));
      long before = scalar(c, "SELECT MAX(version) FROM versions");
      assertEquals(7, before); // the no-match rollback made no version
      // back to version 3: a and b active, d not yet inserted
      assertEquals(3, st.executeUpdate("ROLLBACK TO VERSION 3 REASON 'undo'"));
      try (ResultSet rs =
          st.executeQuery("SELECT id FROM edits WHERE status = 'ACTIVE'" + " ORDER BY id")) {
        assertTrue(rs.next());
        assertEquals(a, rs.getLong(1));
        assertTrue(rs.next());
        assertEquals(b, rs.getLong(1));
        assertFalse(rs.next());
      }
      assertEquals(0, st.executeUpdate("ROLLBACK TO VERSION 3")); // already there
      assertEquals(8, scalar(c, "SELECT MAX(version) FROM versions"));
      assertEquals(1, st.executeUpdate("RESTORE EDIT " + d + " REASON 'fine after all'"));
      assertEquals(
          "fine after all",
          TestDb.scalarText(
              c,
              "SELECT reason FROM edit_history"
                  + " WHERE seq = (SELECT MAX(seq) FROM edit_history)"));
    }
  }

  @Test
  void verifyHistoryReturnsOneRow() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("verify");
        Statement st = c.createStatement()) {
      TestDb.insert(c, "a", 0, 0);
      assertTrue(st.execute("verify history"));
      try (ResultSet rs = st.getResultSet()) {
        assertSame(st, rs.getStatement());
        assertTrue(rs.next());
        assertTrue(rs.getBoolean("ok"));
        assertEquals(2, rs.getLong("checked"));
        assertNull(rs.getObject("first_bad_seq"));
        assertFalse(rs.next());
      }
      assertEquals(-1, st.getUpdateCount());
    }
  }

  @Test
  void executeMethodsMustFitTheStatement() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("methods");
        Statement st = c.createStatement()) {
      TestDb.insert(c, "a", 0, 0);
      assertRefused(c, ErrorCode.WRONG_EXECUTE_METHOD, () -> st.executeQuery("ROLLBACK EDIT 1"));
      assertRefused(c, ErrorCode.WRONG_EXECUTE_METHOD, () -> st.executeUpdate("VERIFY HISTORY"));
      assertFalse(st.execute("ROLLBACK EDIT 1"));
      assertEquals(1, st.getUpdateCount());
      assertFalse(st.getMoreResults());
      assertEquals(-1, st.getUpdateCount());
    }
  }

  @Test
  void aStatementBatchIsOneVersion() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("batch");
        Statement st = c.createStatement()) {
      st.addBatch(INSERT_ROW);
      st.addBatch(INSERT_ROW.replace("bus", "car"));
      st.addBatch("ROLLBACK EDIT 1");
      assertArrayEquals(new int[] {1, 1, 1}, st.executeBatch());
      assertEquals(2, scalar(c, "SELECT MAX(version) FROM versions"));
      try (ResultSet keys = st.getGeneratedKeys()) {
        assertTrue(keys.next());
        assertEquals(1, keys.getLong(1));
        assertTrue(keys.next());
        assertEquals(2, keys.getLong(1));
      }
      // all or nothing with auto-commit on
      st.addBatch(INSERT_ROW);
      st.addBatch("ROLLBACK EDIT 1"); // already rolled back
      TestDb.Snapshot before = TestDb.snapshot(c);
      BatchUpdateException e = assertThrows(BatchUpdateException.class, st::executeBatch);
      assertEquals(ErrorCode.WRONG_STATE.sqlState(), e.getSQLState());
      assertEquals(0, e.getUpdateCounts().length);
      assertEquals(before, TestDb.snapshot(c));
      assertTrue(c.getAutoCommit());
      assertEquals(1, st.executeUpdate(INSERT_ROW)); // the connection goes on
    }
  }

  @Test
  void closedStatementsRefuseWork() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("closed")) {
      Statement st = c.createStatement();
      st.close();
      assertTrue(st.isClosed());
      assertError(ErrorCode.OBJECT_CLOSED, () -> st.execute("SELECT 1"));
    }
  }

  @Test
  void closeOnCompletionClosesWithTheResult() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("completion")) {
      Statement st = c.createStatement();
      st.closeOnCompletion();
      ResultSet rs = st.executeQuery("SELECT 1");
      rs = st.executeQuery("SELECT 2"); // re-running closes the first result, not the statement
      assertFalse(st.isClosed());
      rs.close();
      assertTrue(st.isClosed());
    }
  }
}
