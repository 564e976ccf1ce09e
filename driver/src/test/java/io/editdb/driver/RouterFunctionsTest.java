package io.editdb.driver;

import static io.editdb.driver.TestDb.assertError;
import static io.editdb.driver.TestDb.basis;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.query.TextEncoder;
import io.editdb.store.EditStore;
import io.editdb.store.NewEdit;
import io.editdb.store.StoreConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ROUTE, ROUTE_EXPLAIN, EDITS_AT and EMBED_TEXT through SQL. */
class RouterFunctionsTest {
  private static final float R = (float) Math.sqrt(0.5);

  private static List<long[]> rows(ResultSet rs) throws SQLException {
    List<long[]> out = new ArrayList<>();
    try (rs) {
      while (rs.next()) {
        out.add(new long[] {rs.getLong(1)});
      }
    }
    return out;
  }

  @Test
  void routeFiltersByVisualKeyAndOrdersByGate() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("route");
        Statement st = c.createStatement()) {
      long a = TestDb.insert(c, "a", 0, 0);
      long b = TestDb.insert(c, "b", 1, 1);
      TestDb.insert(c, "c", 2, 2);
      // visual halfway between a and b (cosine 0.707 with each), text nearer b (0.8) than a
      try (PreparedStatement ps = c.prepareStatement("SELECT * FROM ROUTE(?, ?, ?)")) {
        ps.setString(1, "small");
        ps.setObject(2, new float[] {R, R, 0, 0});
        ps.setObject(3, new float[] {0.6f, 0.8f, 0});
        try (ResultSet rs = ps.executeQuery()) {
          assertEquals("EDIT_ID", rs.getMetaData().getColumnLabel(1));
          assertEquals("GATE", rs.getMetaData().getColumnLabel(4));
          assertTrue(rs.next());
          assertEquals(b, rs.getLong("edit_id"));
          assertEquals(R, rs.getFloat("visual_score"), 1e-5); // raw cosine x visual_scale 1
          assertEquals(8f, rs.getFloat("text_score"), 1e-4); // cosine 0.8 x text_scale 10
          float first = rs.getFloat("gate");
          assertTrue(rs.next());
          assertEquals(a, rs.getLong("edit_id"));
          assertEquals(6f, rs.getFloat("text_score"), 1e-4);
          assertTrue(first > rs.getFloat("gate"));
          assertFalse(rs.next());
        }
      }
      // an edit's own stored keys (vector blobs) route to it
      try (ResultSet rs =
          st.executeQuery(
              "SELECT edit_id FROM ROUTE('small', (SELECT"
                  + " visual_key FROM edits WHERE id = "
                  + a
                  + "), (SELECT text_key FROM edits WHERE id"
                  + " = "
                  + a
                  + "))")) {
        assertTrue(rs.next());
        assertEquals(a, rs.getLong(1));
      }
      // no visual key on a visual layer: left unedited
      assertEquals(
          0, rows(st.executeQuery("SELECT * FROM ROUTE('small', NULL, ARRAY[0,1,0])")).size());
    }
  }

  @Test
  void routeAtAVersionAndWithAThreshold() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("route-v");
        Statement st = c.createStatement()) {
      long a = TestDb.insert(c, "a", 0, 0); // version 2
      st.execute("ROLLBACK EDIT " + a); // version 3
      String q = "SELECT edit_id FROM ROUTE('small', ARRAY[1,0,0,0], ARRAY[1,0,0]";
      assertEquals(0, rows(st.executeQuery(q + ")")).size());
      assertEquals(1, rows(st.executeQuery(q + ", 2)")).size());
      assertEquals(0, rows(st.executeQuery(q + ", 1)")).size());
      // a cosine never exceeds 1: a threshold above it is a mistake, refused rather than empty
      assertEquals(
          ErrorCode.INVALID_VALUE.code(),
          assertThrows(SQLException.class, () -> st.executeQuery(q + ", 2, 1.5)")).getErrorCode());
      assertEquals(
          ErrorCode.INVALID_VALUE.code(),
          assertThrows(SQLException.class, () -> st.executeQuery(q + ", 2, -1.01)"))
              .getErrorCode());
      assertEquals(1, rows(st.executeQuery(q + ", 2, -1)")).size());
      assertError(ErrorCode.UNKNOWN_VERSION, () -> st.executeQuery(q + ", 42)"));
      assertError(
          ErrorCode.UNKNOWN_LAYER,
          () -> st.executeQuery("SELECT * FROM ROUTE('nope', ARRAY[1,0,0,0], ARRAY[1,0,0])"));
      assertError(
          ErrorCode.INVALID_VALUE,
          () -> st.executeQuery("SELECT * FROM ROUTE('small', ARRAY[1,0], ARRAY[1,0,0])"));
      assertError(
          ErrorCode.INVALID_VALUE,
          () -> st.executeQuery("SELECT * FROM ROUTE('small', X'0102', ARRAY[1,0,0])"));
    }
  }

  @Test
  void routeExplainShowsEveryCandidateAndWhy() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("explain");
        Statement st = c.createStatement()) {
      long a = TestDb.insert(c, "a", 0, 0);
      long b = TestDb.insert(c, "b", 1, 1);
      try (ResultSet rs =
          st.executeQuery(
              "SELECT edit_id, passed_filter, kept, why FROM"
                  + " ROUTE_EXPLAIN('small', ARRAY[1,0,0,0], ARRAY[1,0,0])")) {
        assertTrue(rs.next());
        assertEquals(a, rs.getLong(1));
        assertTrue(rs.getBoolean(2));
        assertTrue(rs.getBoolean(3));
        assertEquals("kept", rs.getString(4));
        assertTrue(rs.next());
        assertEquals(b, rs.getLong(1));
        assertFalse(rs.getBoolean(2));
        assertFalse(rs.getBoolean(3));
        assertTrue(rs.getString(4).contains("threshold"), rs.getString(4));
        assertFalse(rs.next());
      }
    }
  }

  @Test
  void editsAtGivesTheActiveSetOfAnyVersion() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("edits-at");
        Statement st = c.createStatement()) {
      long a = TestDb.insert(c, "a", 0, 0); // v2
      long b = TestDb.insert(c, "b", 1, 1); // v3
      st.execute("ROLLBACK EDIT " + a); // v4
      st.execute("RESTORE EDIT " + a); // v5
      st.execute("ROLLBACK EDIT " + b); // v6
      assertEquals(List.of(), ids(st, "SELECT id FROM EDITS_AT(1)"));
      assertEquals(List.of(a, b), ids(st, "SELECT id FROM EDITS_AT(3)"));
      assertEquals(List.of(b), ids(st, "SELECT id FROM EDITS_AT(4)"));
      assertEquals(List.of(a, b), ids(st, "SELECT id FROM EDITS_AT(5)"));
      assertEquals(List.of(a), ids(st, "SELECT id FROM EDITS_AT(6) WHERE layer = 'small'"));
      assertEquals(
          List.of(a), ids(st, "SELECT id FROM EDITS_AT((SELECT MAX(version) FROM" + " versions))"));
      try (PreparedStatement ps = c.prepareStatement("SELECT prompt FROM EDITS_AT(?)")) {
        ps.setLong(1, 2);
        try (ResultSet rs = ps.executeQuery()) {
          assertTrue(rs.next());
          assertEquals("a", rs.getString(1));
        }
      }
      assertError(
          ErrorCode.UNKNOWN_VERSION, () -> st.executeQuery("SELECT * FROM" + " EDITS_AT(7)"));
      assertError(
          ErrorCode.INVALID_VALUE, () -> st.executeQuery("SELECT * FROM" + " EDITS_AT(NULL)"));
    }
  }

  private static List<Long> ids(Statement st, String sql) throws SQLException {
    List<Long> out = new ArrayList<>();
    try (ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getLong(1));
      }
    }
    return out;
  }

  @Test
  void theEncoderFillsTextKeysAndEmbedsQueries() throws SQLException {
    try (Connection c = TestDb.connect(TestDb.memUrl("encoder"));
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE LAYER enc (MODEL 'm', MODULE 'x', D_IN 8, D_OUT 8, VISUAL_DIM 4,"
              + " TEXT_DIM 384, VISUAL_THRESHOLD 0.5)");
      String prompt = "What colour is the bus in the picture?";
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO edits (layer, prompt, target,"
                  + " visual_key, expert_a, expert_b, rank) VALUES ('enc', ?, ?, ?, ?, ?, 1)")) {
        ps.setString(1, prompt);
        ps.setString(2, "red");
        ps.setObject(3, basis(4, 0));
        ps.setObject(4, TestDb.random(8, 1));
        ps.setObject(5, TestDb.random(8, 2));
        ps.executeUpdate();
        ps.setString(1, "How many dogs are on the beach?");
        ps.setString(2, "three");
        ps.executeUpdate();
      }
      float[] stored;
      try (ResultSet rs = st.executeQuery("SELECT text_key FROM edits WHERE id = 1")) {
        rs.next();
        stored = rs.getObject(1, float[].class);
      }
      float[] direct = TextEncoder.shared().encode(prompt);
      assertEquals(384, stored.length);
      for (int i = 0; i < 384; i++) {
        assertEquals(direct[i], stored[i], 1e-6);
      }
      try (ResultSet rs =
          st.executeQuery("SELECT EMBED_TEXT('hello'), CARDINALITY(" + "EMBED_TEXT('hello'))")) {
        rs.next();
        assertEquals(384, rs.getObject(1, float[].class).length);
        assertEquals(384, rs.getInt(2));
      }
      // both edits share the visual key; the text decides the gate
      try (ResultSet rs =
          st.executeQuery(
              "SELECT edit_id, text_score FROM ROUTE('enc',"
                  + " ARRAY[1,0,0,0], EMBED_TEXT('Which colour does the bus have?'))")) {
        assertTrue(rs.next());
        assertEquals(1, rs.getLong(1));
        assertTrue(rs.getFloat(2) > 5, "text score " + rs.getFloat(2));
      }
    }
  }

  @Test
  void textsLongerThanTheLongestPromptAreRefusedBeforeEncoding() throws SQLException {
    String over = "x".repeat(NewEdit.MAX_TEXT % 5 + 1) + "word ".repeat(NewEdit.MAX_TEXT / 5);
    try (Connection c = TestDb.connect(TestDb.memUrl("encoder-limit"));
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE LAYER enc (MODEL 'm', MODULE 'x', D_IN 8, D_OUT 8, VISUAL_DIM 4,"
              + " TEXT_DIM 384, VISUAL_THRESHOLD 0.5)");
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO edits (layer, prompt, target,"
                  + " visual_key, expert_a, expert_b, rank) VALUES ('enc', ?, 't', ?, ?, ?, 1)")) {
        ps.setString(1, over);
        ps.setObject(2, basis(4, 0));
        ps.setObject(3, TestDb.random(8, 1));
        ps.setObject(4, TestDb.random(8, 2));
        SQLException e = TestDb.assertRefused(c, ErrorCode.INVALID_VALUE, ps::executeUpdate);
        // the store's own rule on prompts, not a missing text key or the encoder's
        assertTrue(
            e.getMessage().contains("prompt must be at most " + NewEdit.MAX_TEXT + " characters"),
            e.getMessage());
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT EMBED_TEXT(?)")) {
        ps.setString(1, over);
        SQLException e = assertError(ErrorCode.INVALID_VALUE, ps::executeQuery);
        assertTrue(e.getMessage().contains("at most " + NewEdit.MAX_TEXT), e.getMessage());
        assertTrue(e.getMessage().contains("has " + over.length()), e.getMessage());
        ps.setString(1, over.substring(1));
        try (ResultSet rs = ps.executeQuery()) {
          assertTrue(rs.next());
          assertEquals(384, rs.getObject(1, float[].class).length);
        }
      }
    }
  }

  @Test
  void withoutTheDriverTheRoutingFunctionsSayWhatToDo() throws SQLException {
    try (EditStore store = EditStore.open(StoreConfig.inMemory("noprovider-" + System.nanoTime()));
        Connection c = store.readConnection();
        Statement st = c.createStatement()) {
      SQLException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              SQLException.class,
              () -> st.executeQuery("SELECT * FROM ROUTE('x', NULL, ARRAY[1])"));
      assertTrue(String.valueOf(e.getCause()).contains("jdbc:editdb"), e.toString());
      try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM EDITS_AT(0)")) {
        rs.next(); // EDITS_AT needs no provider
        assertEquals(0, rs.getLong(1));
      }
    }
  }
}
