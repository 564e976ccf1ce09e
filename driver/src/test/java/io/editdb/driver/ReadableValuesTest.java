package io.editdb.driver;

import static io.editdb.driver.TestDb.assertRefused;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Array;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Values read as tools expect: an edit's keys and weights are {@code float[]} typed REAL ARRAY,
 * large text is a String, and VECTOR_ARRAY turns a stored vector into a REAL ARRAY in SQL.
 */
class ReadableValuesTest {
  private static final List<String> VECTORS =
      List.of("visual_key", "text_key", "expert_a", "expert_b");

  @Test
  void vectorColumnsReadAsFloatArraysTypedRealArray() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("readable")) {
      long id = TestDb.insert(c, "which cup?", 1, 2);
      for (String sql :
          List.of(
              "SELECT prompt, target, reason, visual_key, text_key, expert_a, expert_b FROM edits",
              "SELECT prompt, target, reason, visual_key, text_key, expert_a, expert_b FROM"
                  + " EDITS_AT((SELECT MAX(version) FROM versions))")) {
        try (Statement st = c.createStatement();
            ResultSet rs = st.executeQuery(sql)) {
          assertTrue(rs.next(), sql);
          ResultSetMetaData md = rs.getMetaData();
          assertEquals("which cup?", rs.getObject("prompt"));
          assertEquals("target of which cup?", rs.getObject(2, Object.class));
          assertNull(rs.getObject("reason"));
          for (int i = 1; i <= 3; i++) {
            assertEquals(Types.VARCHAR, md.getColumnType(i), sql);
            assertEquals(String.class.getName(), md.getColumnClassName(i));
          }
          assertArrayEquals(TestDb.basis(4, 1), (float[]) rs.getObject("visual_key"), sql);
          assertArrayEquals(TestDb.basis(3, 2), (float[]) rs.getObject(5));
          assertArrayEquals(
              TestDb.random(16, "which cup?".hashCode()),
              (float[]) rs.getObject("expert_a", Object.class));
          for (int i = 4; i <= 7; i++) {
            assertEquals(Types.ARRAY, md.getColumnType(i), sql);
            assertEquals("REAL ARRAY", md.getColumnTypeName(i));
            assertEquals(float[].class.getName(), md.getColumnClassName(i));
            assertInstanceOf(float[].class, rs.getObject(i));
          }
          assertArrayEquals(
              new Object[] {0f, 1f, 0f, 0f}, (Object[]) rs.getArray("visual_key").getArray());
          assertEquals("[0.0, 1.0, 0.0, 0.0]", rs.getString("visual_key"), "as H2 writes arrays");
          assertEquals("which cup?", rs.getString(1));
        }
      }
      assertTrue(id > 0);
    }
  }

  @Test
  void getColumnsTypesEditsVectorsAsRealArraysAndLeavesUsersBytesAlone() throws SQLException {
    try (Connection c = TestDb.connect(TestDb.memUrl("columns"))) {
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TABLE APP.mine (visual_key VARBINARY(100), note CLOB)");
        st.execute("INSERT INTO APP.mine VALUES (X'454456310000', 'n')");
      }
      DatabaseMetaData md = c.getMetaData();
      Map<String, Integer> types = new HashMap<>();
      Map<String, String> names = new HashMap<>();
      try (ResultSet rs = md.getColumns(null, "EDITDB", "EDITS", null)) {
        while (rs.next()) {
          types.put(rs.getString("COLUMN_NAME"), rs.getInt("DATA_TYPE"));
          names.put(rs.getString("COLUMN_NAME"), rs.getString(6));
          assertEquals(rs.getInt(5), ((Number) rs.getObject("DATA_TYPE")).intValue());
        }
      }
      for (String v : VECTORS) {
        String col = v.toUpperCase(java.util.Locale.ROOT);
        assertEquals(Types.ARRAY, types.get(col), v);
        assertEquals("REAL ARRAY", names.get(col), v);
      }
      assertEquals(Types.VARCHAR, types.get("PROMPT"));
      assertEquals(Types.BIGINT, types.get("ID"));
      assertEquals(Types.ARRAY, types.get("TOKEN_MASK"), "H2's own arrays as H2 says");
      try (ResultSet rs = md.getColumns(null, "APP", "MINE", "VISUAL_KEY")) {
        assertTrue(rs.next());
        assertEquals(Types.VARBINARY, rs.getInt("DATA_TYPE"), "a user's column keeps its type");
      }
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT visual_key, note FROM APP.mine")) {
        rs.next();
        assertInstanceOf(byte[].class, rs.getObject(1));
        assertEquals("n", rs.getObject(2), "large text is a String in every table");
      }
    }
  }

  @Test
  void vectorArrayTurnsAStoredVectorIntoARealArrayForEveryRole() throws SQLException {
    String url = TestDb.memUrl("vector-array");
    try (Connection ana = TestDb.connect(url)) {
      try (Statement st = ana.createStatement()) {
        st.execute(TestDb.SMALL_LAYER);
        st.execute("CREATE USER ed PASSWORD 'ed-pw' ROLE EDITOR");
        st.execute("CREATE USER audrey PASSWORD 'audrey-pw' ROLE AUDITOR");
      }
      TestDb.insert(ana, "which cup?", 3, 0);
      for (Connection c :
          List.of(
              ana,
              DriverManager.getConnection(url, "ed", "ed-pw"),
              DriverManager.getConnection(url, "audrey", "audrey-pw"))) {
        try (Statement st = c.createStatement();
            ResultSet rs =
                st.executeQuery(
                    "SELECT VECTOR_ARRAY(visual_key), CAST(VECTOR_ARRAY(text_key) AS REAL"
                        + " ARRAY), VECTOR_ARRAY(ARRAY[1.5, 2]), VECTOR_ARRAY(NULL) FROM edits")) {
          rs.next();
          Array a = rs.getArray(1);
          assertEquals(Types.REAL, a.getBaseType());
          assertArrayEquals(new Object[] {0f, 0f, 0f, 1f}, (Object[]) a.getArray());
          assertEquals("[0.0, 0.0, 0.0, 1.0]", rs.getString(1), "H2's own text of an array");
          assertArrayEquals(new Object[] {1f, 0f, 0f}, (Object[]) rs.getArray(2).getArray());
          assertArrayEquals(new Object[] {1.5f, 2f}, (Object[]) rs.getArray(3).getArray());
          assertNull(rs.getObject(4));
        } finally {
          if (c != ana) {
            c.close();
          }
        }
      }
    }
  }

  @Test
  void vectorArrayRefusesBytesThatAreNoVectorAndChangesNothing() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("vector-array-bad")) {
      TestDb.insert(c, "a", 0, 0);
      for (String bad :
          List.of(
              "X'00'",
              // a header that claims 1000 values over no value bytes
              "X'45445631' || X'00000000' || X'e8030000'",
              // an unknown dtype code
              "X'45445631' || X'07000000' || X'00000000'",
              "'text'")) {
        assertRefused(
            c,
            ErrorCode.INVALID_VALUE,
            () -> {
              try (Statement st = c.createStatement();
                  ResultSet rs = st.executeQuery("SELECT VECTOR_ARRAY(" + bad + ")")) {
                rs.next();
              }
            });
      }
    }
  }
}
