package io.editdb.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.editdb.store.EditStore;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.function.Executable;

/** Shared test fixtures: unique in-memory stores, a small layer, keys, weights, assertions. */
final class TestDb {
  private static final AtomicInteger COUNTER = new AtomicInteger();

  /** A small layer: d_in = d_out = 8, visual keys of 4, text keys of 3, rank up to 4. */
  static final String SMALL_LAYER =
      "CREATE LAYER small (MODEL 'tiny-vlm', MODULE 'layers.3',"
          + " D_IN 8, D_OUT 8, VISUAL_DIM 4, TEXT_DIM 3, MAX_RANK 4, VISUAL_THRESHOLD 0.5,"
          + " TEXT_SCALE 10, GATE LIVEEDIT)";

  /** Insert of every column but text_key's computation: 8 parameters. */
  static final String INSERT =
      "INSERT INTO edits (layer, prompt, target, visual_key, text_key,"
          + " expert_a, expert_b, rank) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

  private TestDb() {}

  /** A URL of a fresh in-memory store. */
  static String memUrl(String what) {
    return "jdbc:editdb:mem:" + what + "-" + COUNTER.incrementAndGet() + "-" + System.nanoTime();
  }

  static Connection connect(String url) throws SQLException {
    return DriverManager.getConnection(url, "ana", "");
  }

  /** A fresh in-memory store with the small layer. */
  static Connection withSmallLayer(String what) throws SQLException {
    Connection c = connect(memUrl(what));
    try (Statement st = c.createStatement()) {
      st.execute(SMALL_LAYER);
    }
    return c;
  }

  /** Unit basis vector i of dimension n (visual keys that match exactly one edit). */
  static float[] basis(int n, int i) {
    float[] v = new float[n];
    v[i % n] = 1f;
    return v;
  }

  static float[] random(int n, long seed) {
    Random r = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  /** Inserts an edit on the small layer (rank 2); returns its id. */
  static long insert(Connection c, String prompt, int visualAxis, int textAxis)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(INSERT, Statement.RETURN_GENERATED_KEYS)) {
      bindSmall(ps, prompt, visualAxis, textAxis);
      assertEquals(1, ps.executeUpdate());
      try (ResultSet keys = ps.getGeneratedKeys()) {
        keys.next();
        return keys.getLong(1);
      }
    }
  }

  static void bindSmall(PreparedStatement ps, String prompt, int visualAxis, int textAxis)
      throws SQLException {
    ps.setString(1, "small");
    ps.setString(2, prompt);
    ps.setString(3, "target of " + prompt);
    ps.setObject(4, basis(4, visualAxis));
    ps.setObject(5, basis(3, textAxis));
    ps.setObject(6, random(16, prompt.hashCode()));
    ps.setObject(7, random(16, prompt.hashCode() + 1L));
    ps.setInt(8, 2);
  }

  static long scalar(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static String scalarText(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  static double scalarDouble(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getDouble(1);
    }
  }

  /** What a refused statement must leave unchanged. */
  record Snapshot(
      long version,
      long versions,
      long edits,
      long active,
      long history,
      long spans,
      long layers) {}

  static Snapshot snapshot(Connection c) throws SQLException {
    return new Snapshot(
        c.unwrap(EditStore.class).latestVersion(),
        scalar(c, "SELECT COUNT(*) FROM versions"),
        scalar(c, "SELECT COUNT(*) FROM edits"),
        scalar(c, "SELECT COUNT(*) FROM edits WHERE status = 'ACTIVE'"),
        scalar(c, "SELECT COUNT(*) FROM edit_history"),
        scalar(c, "SELECT COUNT(*) FROM edit_spans"),
        scalar(c, "SELECT COUNT(*) FROM layers"));
  }

  /** Asserts the code and SQLState (never the message) of what {@code run} throws. */
  static SQLException assertError(ErrorCode code, Executable run) {
    SQLException e = assertThrows(SQLException.class, run);
    assertEquals(code.sqlState(), e.getSQLState(), () -> "state of: " + e);
    assertEquals(code.code(), e.getErrorCode(), () -> "code of: " + e);
    return e;
  }

  /** Asserts the refusal and that nothing changed in the store. */
  static SQLException assertRefused(Connection c, ErrorCode code, Executable run)
      throws SQLException {
    Snapshot before = snapshot(c);
    SQLException e = assertError(code, run);
    assertEquals(before, snapshot(c), () -> "a refused statement changed the store: " + e);
    return e;
  }
}
