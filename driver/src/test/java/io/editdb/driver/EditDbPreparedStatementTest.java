package io.editdb.driver;

import static io.editdb.driver.TestDb.assertError;
import static io.editdb.driver.TestDb.assertRefused;
import static io.editdb.driver.TestDb.basis;
import static io.editdb.driver.TestDb.random;
import static io.editdb.driver.TestDb.scalar;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.store.EditStore;
import io.editdb.store.VectorCodec;
import io.editdb.store.WeightDtype;
import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.sql.Array;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.ParameterMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.List;
import org.junit.jupiter.api.Test;

/** EditDB statements with ? parameters, every way of binding keys and weights, bad inputs. */
class EditDbPreparedStatementTest {

  private static float[] stored(Connection c, String column, long id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT " + column + " FROM edits WHERE id" + " = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getObject(1, float[].class);
      }
    }
  }

  @Test
  void keysAndWeightsBindAsFloatArraysSqlArraysAndBoxedArrays() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("bind");
        PreparedStatement ps = c.prepareStatement(TestDb.INSERT, Statement.RETURN_GENERATED_KEYS)) {
      float[] a = random(16, 1);
      ps.setString(1, "small");
      ps.setString(2, "p");
      ps.setString(3, "t");
      ps.setArray(4, c.createArrayOf("REAL", new Float[] {0f, 1f, 0f, 0f}));
      ps.setObject(5, new double[] {0, 0, 2}); // any non-zero key on a COSINE layer
      ps.setObject(6, a);
      ps.setObject(7, List.of(1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8));
      ps.setLong(8, 2);
      assertEquals(1, ps.executeUpdate());
      assertArrayEquals(new float[] {0, 1, 0, 0}, stored(c, "visual_key", 1));
      assertArrayEquals(new float[] {0, 0, 2}, stored(c, "text_key", 1));
      assertArrayEquals(a, stored(c, "expert_a", 1));
      ps.setObject(4, new Float[] {0f, 0f, 1f, 0f});
      ps.setObject(5, VectorCodec.encode(basis(3, 0))); // a VectorCodec blob is a key too
      ps.executeUpdate();
      assertArrayEquals(basis(4, 2), stored(c, "visual_key", 2));
      try (ResultSet keys = ps.getGeneratedKeys()) {
        assertTrue(keys.next());
        assertEquals(2, keys.getLong(1));
      }
    }
  }

  @Test
  void halfPrecisionWeightsKeepTheirDtype() throws SQLException {
    float[] a = random(16, 7);
    float[] b = random(16, 8);
    try (Connection c = TestDb.withSmallLayer("dtype");
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO edits (layer, prompt, target,"
                    + " visual_key, text_key, expert_a, expert_b, rank, weight_dtype, alpha) VALUES"
                    + " ('small', 'p', 't', ?, ?, ?, ?, 2, ?, ?)")) {
      ps.setObject(1, basis(4, 0));
      ps.setObject(2, basis(3, 0));
      // floats converted to the dtype named in weight_dtype
      ps.setObject(3, a);
      ps.setObject(4, b);
      ps.setString(5, "bf16");
      ps.setFloat(6, 0.5f);
      ps.executeUpdate();
      // a VectorCodec blob carries its dtype; weight_dtype may be left NULL
      ps.setBytes(3, VectorCodec.encode(a, WeightDtype.F16));
      ps.setBytes(4, VectorCodec.encode(b, WeightDtype.F16));
      ps.setNull(5, Types.VARCHAR);
      ps.executeUpdate();
      // raw little-endian 16-bit values with weight_dtype, as they come from a model
      ps.setBytes(3, raw16(VectorCodec.encode(a, WeightDtype.BF16)));
      ps.setBinaryStream(
          4, new ByteArrayInputStream(raw16(VectorCodec.encode(b, WeightDtype.BF16))));
      ps.setString(5, "BF16");
      ps.executeUpdate();
      // a blob whose dtype disagrees with weight_dtype is refused
      ps.setBytes(3, VectorCodec.encode(a, WeightDtype.F16));
      ps.setBytes(4, VectorCodec.encode(b, WeightDtype.F16));
      ps.setString(5, "F32");
      assertRefused(c, ErrorCode.INVALID_VALUE, ps::executeUpdate);
      ps.setString(5, "F8");
      assertRefused(c, ErrorCode.INVALID_VALUE, ps::executeUpdate);
      // raw bytes need a dtype
      ps.setBytes(3, new byte[] {1, 2, 3, 4});
      ps.setNull(5, Types.VARCHAR);
      assertRefused(c, ErrorCode.WRONG_TYPE, ps::executeUpdate);
      assertEquals(3, scalar(c, "SELECT COUNT(*) FROM edits"));
      assertEquals("BF16", TestDb.scalarText(c, "SELECT weight_dtype FROM edits WHERE id = 1"));
      assertEquals("F16", TestDb.scalarText(c, "SELECT weight_dtype FROM edits WHERE id = 2"));
      assertEquals("BF16", TestDb.scalarText(c, "SELECT weight_dtype FROM edits WHERE id = 3"));
      assertEquals(0.5, TestDb.scalarDouble(c, "SELECT alpha FROM edits WHERE id = 1"));
    }
  }

  @Test
  void storedDtypesReadBackAsFloats() throws SQLException {
    float[] a = random(16, 7);
    try (Connection c = TestDb.withSmallLayer("dtype-read");
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO edits (layer, prompt, target,"
                    + " visual_key, text_key, expert_a, expert_b, rank, weight_dtype) VALUES"
                    + " ('small', 'p', 't', ?, ?, ?, ?, 2, ?)")) {
      ps.setObject(1, basis(4, 0));
      ps.setObject(2, basis(3, 0));
      ps.setObject(3, a);
      ps.setObject(4, a);
      ps.setString(5, "BF16");
      ps.executeUpdate();
      try (ResultSet rs =
          c.createStatement().executeQuery("SELECT weight_dtype, expert_a" + " FROM edits")) {
        rs.next();
        assertEquals("BF16", rs.getString(1));
        float[] back = rs.getObject(2, float[].class);
        assertArrayEquals(VectorCodec.decode(VectorCodec.encode(a, WeightDtype.BF16)), back);
        assertEquals(
            WeightDtype.BF16, VectorCodec.dtype(c.unwrap(EditStore.class).edit(1).expertA()));
      }
    }
  }

  private static byte[] raw16(byte[] blob) {
    byte[] out = new byte[blob.length - 12];
    System.arraycopy(blob, 12, out, 0, out.length);
    return out;
  }

  @Test
  void rankMayBeLeftOutWhenExpertAShowsIt() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("rank");
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO edits (layer, prompt, target, visual_key, text_key, expert_a,"
                    + " expert_b) VALUES ('small', ?, 't', ?, ?, ?, ?)")) {
      ps.setCharacterStream(1, new StringReader("from a reader"));
      ps.setObject(2, basis(4, 0));
      ps.setObject(3, basis(3, 0));
      ps.setObject(4, random(24, 1)); // 3 x 8
      ps.setObject(5, random(24, 2)); // 8 x 3
      ps.executeUpdate();
      assertEquals(3, scalar(c, "SELECT rank FROM edits"));
      assertEquals("from a reader", TestDb.scalarText(c, "SELECT prompt FROM edits"));
      ps.setObject(4, random(20, 1)); // not a multiple of d_in
      assertRefused(c, ErrorCode.INVALID_VALUE, ps::executeUpdate);
    }
  }

  @Test
  void everyDialectStatementTakesParameters() throws SQLException {
    try (Connection c = TestDb.connect(TestDb.memUrl("params"))) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "CREATE LAYER ? (MODEL ?, MODULE ?, D_IN ?,"
                  + " D_OUT ?, VISUAL_DIM ?, TEXT_DIM ?, VISUAL_THRESHOLD ?, GATE ?)")) {
        Object[] v = {"p_layer", "m", "x", 8, 8, 4, 3, 0.5, "softmax"};
        for (int i = 0; i < v.length; i++) {
          ps.setObject(i + 1, v[i]);
        }
        assertEquals(0, ps.executeUpdate());
      }
      assertEquals("SOFTMAX", TestDb.scalarText(c, "SELECT gate FROM layers"));
      c.createStatement().execute(TestDb.SMALL_LAYER);
      long a = TestDb.insert(c, "a", 0, 0);
      long b = TestDb.insert(c, "b", 1, 1);
      try (PreparedStatement ps = c.prepareStatement("ROLLBACK EDIT ? REASON ?")) {
        ps.setLong(1, a);
        ps.setString(2, "param reason");
        assertEquals(1, ps.executeUpdate());
      }
      try (PreparedStatement ps = c.prepareStatement("RESTORE EDIT ? REASON ?")) {
        ps.setInt(1, (int) a);
        ps.setNull(2, Types.VARCHAR);
        assertEquals(1, ps.executeUpdate());
      }
      try (PreparedStatement ps =
          c.prepareStatement("ROLLBACK EDITS WHERE prompt = ? AND" + " author = ? REASON ?")) {
        ps.setString(1, "b");
        ps.setString(2, "ana");
        ps.setString(3, "by condition");
        assertEquals(1, ps.executeUpdate());
      }
      try (PreparedStatement ps = c.prepareStatement("ROLLBACK TO VERSION ? REASON ?")) {
        ps.setBigDecimal(1, new java.math.BigDecimal(4)); // a and b active
        ps.setString(2, "back");
        assertEquals(1, ps.executeUpdate());
      }
      assertEquals(2, scalar(c, "SELECT COUNT(*) FROM edits WHERE status = 'ACTIVE'"));
      try (PreparedStatement ps = c.prepareStatement("VERIFY HISTORY")) {
        assertEquals(4, ps.getMetaData().getColumnCount());
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          assertTrue(rs.getBoolean(1));
        }
      }
      assertEquals(2, b);
    }
  }

  @Test
  void parametersMustBeSetAndInRange() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("missing");
        PreparedStatement ps = c.prepareStatement("ROLLBACK EDIT ? REASON ?")) {
      TestDb.insert(c, "a", 0, 0);
      ps.setLong(1, 1);
      assertRefused(c, ErrorCode.MISSING_PARAMETER, ps::executeUpdate);
      assertError(ErrorCode.INVALID_VALUE, () -> ps.setString(3, "x"));
      ParameterMetaData md = ps.getParameterMetaData();
      assertEquals(2, md.getParameterCount());
      assertEquals(Types.OTHER, md.getParameterType(1));
      assertNull(ps.getMetaData());
      ps.clearParameters();
      assertRefused(c, ErrorCode.MISSING_PARAMETER, ps::executeUpdate);
      assertError(ErrorCode.WRONG_EXECUTE_METHOD, () -> ps.execute("SELECT 1"));
    }
  }

  @Test
  void aPreparedBatchIsOneVersionAndReturnsEveryId() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("pbatch");
        PreparedStatement ps = c.prepareStatement(TestDb.INSERT, Statement.RETURN_GENERATED_KEYS)) {
      for (int i = 0; i < 5; i++) {
        TestDb.bindSmall(ps, "prompt " + i, i, i);
        ps.addBatch();
      }
      assertArrayEquals(new int[] {1, 1, 1, 1, 1}, ps.executeBatch());
      assertEquals(2, scalar(c, "SELECT MAX(version) FROM versions"));
      assertEquals(5, scalar(c, "SELECT edits_added FROM versions WHERE version = 2"));
      try (ResultSet keys = ps.getGeneratedKeys()) {
        for (int i = 1; i <= 5; i++) {
          assertTrue(keys.next());
          assertEquals(i, keys.getLong(1));
        }
        assertFalse(keys.next());
      }
      // a bad row refuses the whole batch with auto-commit on
      TestDb.bindSmall(ps, "good", 0, 0);
      ps.addBatch();
      TestDb.bindSmall(ps, "bad", 0, 0);
      ps.setObject(4, new float[] {1, 0}); // wrong dimension
      ps.addBatch();
      TestDb.Snapshot before = TestDb.snapshot(c);
      BatchUpdateException e = assertThrows(BatchUpdateException.class, ps::executeBatch);
      assertEquals(ErrorCode.INVALID_VALUE.sqlState(), e.getSQLState());
      assertEquals(ErrorCode.INVALID_VALUE.code(), e.getErrorCode());
      assertEquals(before, TestDb.snapshot(c));
    }
  }

  @Test
  void withAutoCommitOffABatchFailureKeepsTheRowsBeforeIt() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("pbatch-tx");
        PreparedStatement ps = c.prepareStatement(TestDb.INSERT)) {
      c.setAutoCommit(false);
      TestDb.bindSmall(ps, "good", 0, 0);
      ps.addBatch();
      TestDb.bindSmall(ps, "bad", 0, 0);
      ps.setObject(5, new float[] {0, 0, 0}); // a zero key
      ps.addBatch();
      BatchUpdateException e = assertThrows(BatchUpdateException.class, ps::executeBatch);
      assertArrayEquals(new int[] {1}, e.getUpdateCounts());
      c.commit();
      assertEquals(1, scalar(c, "SELECT COUNT(*) FROM edits"));
    }
  }

  @Test
  void badEditsAreRefusedAndChangeNothing() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("bad");
        PreparedStatement ps = c.prepareStatement(TestDb.INSERT)) {
      TestDb.insert(c, "ok", 0, 0);
      TestDb.bindSmall(ps, "x", 0, 0);
      ps.setObject(4, new float[] {1, 0, 0}); // visual_key of 3, layer wants 4
      assertRefused(c, ErrorCode.INVALID_VALUE, ps::executeUpdate);
      ps.setObject(4, new float[] {Float.NaN, 0, 0, 1});
      assertRefused(c, ErrorCode.INVALID_VALUE, ps::executeUpdate);
      ps.setObject(4, new float[] {Float.POSITIVE_INFINITY, 0, 0, 1});
      assertRefused(c, ErrorCode.INVALID_VALUE, ps::executeUpdate);
      ps.setObject(4, new float[] {0, 0, 0, 0});
      assertRefused(c, ErrorCode.INVALID_VALUE, ps::executeUpdate);
      ps.setObject(4, null);
      assertRefused(c, ErrorCode.INVALID_VALUE, ps::executeUpdate);
      ps.setObject(4, "1,0,0,0");
      assertRefused(c, ErrorCode.WRONG_TYPE, ps::executeUpdate);
      ps.setObject(4, new Object[] {1f, "x", 0f, 0f});
      assertRefused(c, ErrorCode.INVALID_VALUE, ps::executeUpdate);
      TestDb.bindSmall(ps, "x", 0, 0);
      ps.setInt(8, 5); // above MAX_RANK 4
      ps.setObject(6, random(40, 1));
      ps.setObject(7, random(40, 2));
      assertRefused(c, ErrorCode.INVALID_VALUE, ps::executeUpdate);
      TestDb.bindSmall(ps, "x", 0, 0);
      ps.setInt(8, 0);
      assertRefused(c, ErrorCode.INVALID_VALUE, ps::executeUpdate);
      TestDb.bindSmall(ps, "x", 0, 0);
      ps.setObject(6, random(15, 1)); // rank x d_in is 16
      assertRefused(c, ErrorCode.INVALID_VALUE, ps::executeUpdate);
      TestDb.bindSmall(ps, "x", 0, 0);
      ps.setObject(7, new float[] {Float.NaN, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
      assertRefused(c, ErrorCode.INVALID_VALUE, ps::executeUpdate);
      TestDb.bindSmall(ps, "x", 0, 0);
      ps.setString(8, "two");
      assertRefused(c, ErrorCode.INVALID_VALUE, ps::executeUpdate);
      TestDb.bindSmall(ps, "x", 0, 0);
      ps.setDouble(8, 2.5);
      assertRefused(c, ErrorCode.INVALID_VALUE, ps::executeUpdate);
      TestDb.bindSmall(ps, "x", 0, 0);
      ps.setString(1, "nope");
      assertRefused(c, ErrorCode.UNKNOWN_LAYER, ps::executeUpdate);
      TestDb.bindSmall(ps, "x", 0, 0);
      ps.setString(2, null);
      assertRefused(c, ErrorCode.INVALID_VALUE, ps::executeUpdate);
      TestDb.bindSmall(ps, "x", 0, 0);
      ps.setObject(3, 42);
      assertRefused(c, ErrorCode.WRONG_TYPE, ps::executeUpdate);
      TestDb.bindSmall(ps, "x", 0, 0);
      ps.setObject(6, null);
      assertRefused(c, ErrorCode.INVALID_VALUE, ps::executeUpdate);
      TestDb.bindSmall(ps, "x", 0, 0);
      assertEquals(1, ps.executeUpdate()); // and the statement still works
    }
  }

  @Test
  void textKeyLeftOutNeedsTheEncodersDimension() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("enc-dim");
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO edits (layer, prompt, target, visual_key, expert_a, expert_b, rank)"
                    + " VALUES ('small', 'p', 't', ?, ?, ?, 2)")) {
      ps.setObject(1, basis(4, 0));
      ps.setObject(2, random(16, 1));
      ps.setObject(3, random(16, 2));
      assertRefused(c, ErrorCode.ENCODER_DIMENSION, ps::executeUpdate);
    }
  }

  @Test
  void unknownIdsStatesAndVersionsAreRefused() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("ids");
        Statement st = c.createStatement()) {
      TestDb.insert(c, "a", 0, 0);
      st.execute("ROLLBACK EDIT 1");
      assertRefused(c, ErrorCode.UNKNOWN_EDIT, () -> st.execute("ROLLBACK EDIT 999"));
      assertRefused(c, ErrorCode.UNKNOWN_EDIT, () -> st.execute("RESTORE EDIT 999"));
      assertRefused(c, ErrorCode.WRONG_STATE, () -> st.execute("ROLLBACK EDIT 1"));
      st.execute("RESTORE EDIT 1");
      assertRefused(c, ErrorCode.WRONG_STATE, () -> st.execute("RESTORE EDIT 1"));
      assertRefused(c, ErrorCode.UNKNOWN_VERSION, () -> st.execute("ROLLBACK TO VERSION 99"));
      assertRefused(c, ErrorCode.UNKNOWN_VERSION, () -> st.execute("ROLLBACK TO VERSION -1"));
      assertRefused(
          c,
          ErrorCode.INVALID_VALUE,
          () -> {
            try (PreparedStatement ps = c.prepareStatement("ROLLBACK EDIT ?")) {
              ps.setNull(1, Types.BIGINT);
              ps.execute();
            }
          });
      // a condition that is not SQL keeps H2's syntax state
      SQLException e =
          assertThrows(SQLException.class, () -> st.execute("ROLLBACK EDITS WHERE colour = 'red'"));
      assertTrue(e.getSQLState().startsWith("42"), e.getSQLState());
    }
  }

  @Test
  void standardSqlParametersGoToH2() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("h2params")) {
      TestDb.insert(c, "a", 0, 0);
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT id, text_key, CARDINALITY(?)" + " FROM edits WHERE author = ?")) {
        ps.setObject(1, new float[] {1, 2, 3});
        ps.setString(2, "ana");
        assertEquals(2, ps.getParameterMetaData().getParameterCount());
        try (ResultSet rs = ps.executeQuery()) {
          assertTrue(rs.next());
          assertEquals(3, rs.getInt(3));
          Array key = rs.getArray(2);
          assertEquals(Types.REAL, key.getBaseType());
          assertArrayEquals(new Object[] {1f, 0f, 0f}, (Object[]) key.getArray());
          assertArrayEquals(new Float[] {1f, 0f, 0f}, rs.getObject("text_key", Float[].class));
          // an edit's key reads as floats, as its column type (REAL ARRAY) says
          assertArrayEquals(new float[] {1f, 0f, 0f}, (float[]) rs.getObject(2));
          assertEquals(Types.ARRAY, rs.getMetaData().getColumnType(2));
        }
      }
    }
  }

  @Test
  void statementSettingsReachH2() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("settings");
        PreparedStatement ps = c.prepareStatement("SELECT X FROM SYSTEM_RANGE(1, 10)");
        Statement st = c.createStatement()) {
      ps.setMaxRows(3);
      st.setMaxRows(4);
      assertEquals(3, count(ps.executeQuery()));
      assertEquals(4, count(st.executeQuery("SELECT X FROM SYSTEM_RANGE(1, 10)")));
      st.setMaxRows(0);
      assertEquals(10, count(st.executeQuery("SELECT X FROM SYSTEM_RANGE(1, 10)")));
    }
  }

  private static int count(ResultSet rs) throws SQLException {
    int n = 0;
    try (rs) {
      while (rs.next()) {
        n++;
      }
    }
    return n;
  }

  @Test
  void rawHelperMatchesCodecLayout() {
    byte[] blob = VectorCodec.encode(new float[] {1f}, WeightDtype.F16);
    ByteBuffer b = ByteBuffer.wrap(raw16(blob)).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(Float.floatToFloat16(1f), b.getShort());
  }
}
