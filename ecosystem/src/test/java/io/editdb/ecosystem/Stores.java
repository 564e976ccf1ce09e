package io.editdb.ecosystem;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/** Stores as a user makes them: through the driver, with SQL. */
final class Stores {
  private static final AtomicInteger COUNTER = new AtomicInteger();

  /** A small layer: visual keys of 4 floats, text keys of 3, experts of rank 2 on 8 x 8. */
  static final String LAYER =
      "CREATE LAYER small (MODEL 'tiny-vlm', MODULE 'layers.3', D_IN 8, D_OUT 8, VISUAL_DIM 4,"
          + " TEXT_DIM 3, MAX_RANK 4, VISUAL_THRESHOLD 0.5, TEXT_SCALE 10, GATE LIVEEDIT)";

  static final String INSERT =
      "INSERT INTO edits (layer, prompt, target, visual_key, text_key, expert_a, expert_b, rank)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, 2)";

  private Stores() {}

  static String memUrl(String what) {
    return "jdbc:editdb:mem:" + what + "-" + COUNTER.incrementAndGet() + "-" + System.nanoTime();
  }

  /** A fresh in-memory store with the small layer; its first user, ana, is its administrator. */
  static Connection withLayer(String url) throws SQLException {
    Connection c = DriverManager.getConnection(url, "ana", "");
    try (Statement st = c.createStatement()) {
      st.execute(LAYER);
    }
    return c;
  }

  static float[] axis(int n, int i) {
    float[] v = new float[n];
    v[i] = 1f;
    return v;
  }

  /** Weights of {@code n} floats, distinct per seed. */
  static float[] weights(int n, int seed) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (seed * 31 + i) / 64f;
    }
    return v;
  }

  /** Inserts an edit with plain JDBC; returns its id. */
  static long insert(Connection c, String prompt, int visualAxis, int textAxis)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(INSERT, Statement.RETURN_GENERATED_KEYS)) {
      ps.setString(1, "small");
      ps.setString(2, prompt);
      ps.setString(3, "target of " + prompt);
      ps.setObject(4, axis(4, visualAxis));
      ps.setObject(5, axis(3, textAxis));
      ps.setObject(6, weights(16, visualAxis));
      ps.setObject(7, weights(16, visualAxis + 1));
      assertEquals(1, ps.executeUpdate());
      try (ResultSet keys = ps.getGeneratedKeys()) {
        keys.next();
        return keys.getLong(1);
      }
    }
  }
}
