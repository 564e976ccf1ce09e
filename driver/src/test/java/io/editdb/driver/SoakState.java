package io.editdb.driver;

import io.editdb.query.RoutedEdit;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * What the threads of {@link ConcurrencySoakTest} share: the store's URL and layers, the probe
 * queries, the deadline, every failure of every thread, the counters, and the first answer seen for
 * each (version, query), against which every later answer is compared.
 */
final class SoakState {
  /** Two layers, so that routing also proves it keeps to its layer. */
  static final List<String> LAYERS = List.of("soak_a", "soak_b");

  static final int VISUAL_DIM = 16;
  static final int TEXT_DIM = 8;
  static final int D = 4;

  /**
   * Inserts stop at this many edits so that every layer stays below the router's exact-scan limit
   * (4096 active edits): exact routing is deterministic, so "same version, same answer" must hold
   * bit for bit. Above it HNSW answers may legitimately differ after a segment merge.
   */
  static final int MAX_EDITS = 3000;

  static final int PROBES = 24;

  final String url;
  final long seed;
  final long deadlineNanos;

  /** Probe keys per layer: [probe][0] visual, [probe][1] text. */
  final Map<String, float[][][]> probes = new TreeMap<>();

  private final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
  private final Map<String, String> answers = new ConcurrentHashMap<>();

  SoakState(String url, long seed, long seconds) {
    this.url = url;
    this.seed = seed;
    this.deadlineNanos = System.nanoTime() + seconds * 1_000_000_000L;
    Random r = new Random(seed);
    for (String layer : LAYERS) {
      float[][][] p = new float[PROBES][][];
      for (int i = 0; i < PROBES; i++) {
        p[i] = new float[][] {gaussian(r, VISUAL_DIM), gaussian(r, TEXT_DIM)};
      }
      probes.put(layer, p);
    }
  }

  /** The CREATE LAYER statement of a soak layer: small keys, SOFTMAX gates, a low threshold. */
  static String createLayer(String name) {
    return "CREATE LAYER "
        + name
        + " (MODEL 'soak-vlm', MODULE 'layers.1', D_IN 4, D_OUT 4, VISUAL_DIM 16, TEXT_DIM 8,"
        + " MAX_RANK 2, VISUAL_THRESHOLD 0.3, TEXT_SCALE 30, GATE SOFTMAX, NULL_LOGIT 12)";
  }

  /** A key with Gaussian entries: ties between two keys' similarities have probability zero. */
  static float[] gaussian(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  /** The random source of a thread, seeded from the test's seed and the thread's name. */
  Random random(String thread) {
    return new Random(seed * 31 + thread.hashCode());
  }

  /** {@link #random(String)} of the calling thread. */
  Random random() {
    return random(Thread.currentThread().getName());
  }

  /** True until the deadline, or until any thread failed (no point in going on then). */
  boolean running() {
    return System.nanoTime() < deadlineNanos && failures.isEmpty();
  }

  /**
   * A reader's pause between two questions, up to half a millisecond. Readers never wait for
   * anything, so without it four of them leave the writer that holds the writer slot little CPU on
   * a small machine, and few versions get committed; they still outnumber the writers.
   */
  static void breathe(Random rnd) {
    LockSupport.parkNanos(rnd.nextInt(500_000));
  }

  void fail(String thread, Throwable t) {
    failures.add(new AssertionError(thread + " failed: " + t, t));
  }

  List<Throwable> failures() {
    return new ArrayList<>(failures);
  }

  void count(String what) {
    counts.computeIfAbsent(what, k -> new LongAdder()).increment();
  }

  Map<String, Long> counts() {
    Map<String, Long> out = new TreeMap<>();
    counts.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /**
   * Records the first answer to a question about a fixed version and fails if a later one differs:
   * whatever is committed later, a past version must answer the same.
   */
  void same(String question, String answer) {
    String first = answers.putIfAbsent(question, answer);
    if (first != null && !first.equals(answer)) {
      throw new AssertionError(
          "answer to " + question + " changed: first " + first + ", now " + answer);
    }
  }

  /** The recorded answers (question to first answer), for re-asking them after the run. */
  Map<String, String> answers() {
    return new TreeMap<>(answers);
  }

  /** The question key of a route of probe {@code probe} on {@code layer} at version {@code v}. */
  static String routeQuestion(String layer, int probe, long v) {
    return "ROUTE|" + layer + "|" + probe + "|" + v;
  }

  static String editsAtQuestion(long v) {
    return "EDITS_AT|" + v;
  }

  // ---- small SQL helpers (the threads' own connections) ----

  static long scalar(Connection c, String sql, Object... args) throws SQLException {
    try (PreparedStatement ps = prepared(c, sql, args);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static List<Long> ids(Connection c, String sql, Object... args) throws SQLException {
    List<Long> out = new ArrayList<>();
    try (PreparedStatement ps = prepared(c, sql, args);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(rs.getLong(1));
      }
    }
    return out;
  }

  static PreparedStatement prepared(Connection c, String sql, Object... args) throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql);
    for (int i = 0; i < args.length; i++) {
      ps.setObject(i + 1, args[i]);
    }
    return ps;
  }

  /** A route's answer as text: edit ids with the exact bits of their gates, in order. */
  static String routeAnswer(ResultSet rs) throws SQLException {
    StringBuilder b = new StringBuilder("[");
    while (rs.next()) {
      b.append(b.length() > 1 ? "," : "")
          .append(rs.getLong("EDIT_ID"))
          .append(':')
          .append(Integer.toHexString(Float.floatToIntBits(rs.getFloat("GATE"))));
    }
    return b.append(']').toString();
  }

  static String routeAnswer(List<RoutedEdit> routed) {
    StringBuilder b = new StringBuilder("[");
    for (RoutedEdit r : routed) {
      b.append(b.length() > 1 ? "," : "")
          .append(r.editId())
          .append(':')
          .append(Integer.toHexString(Float.floatToIntBits(r.gate())));
    }
    return b.append(']').toString();
  }
}
