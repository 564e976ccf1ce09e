package io.editdb.driver;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.editdb.driver.Command.Parsed;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the dialect parser and the driver with {@link StatementMutator}'s statements. Properties:
 * parsing, and executing (one input in three, on an in-memory store) only ever throws SQLException,
 * never another exception and never the catalog's INTERNAL_ERROR (a bug caught inside the driver);
 * no input takes more than {@value #PER_INPUT_MS} ms; a refused statement changes no row of
 * EditDB's relations; and standard SQL, refused or not, never does either.
 *
 * <p>Seeded: the seed is printed, and {@code -Deditdb.fuzz.seed=<seed>} replays a run (input {@code
 * i} depends only on the seed and {@code i}). Bounded: {@code -Deditdb.fuzz.seconds=<n>} (default
 * 10) runs longer. A failure prints the seed, the input's number and the input as a Java string
 * literal, ready for a regression test.
 */
class DialectParserFuzzTest {
  private static final long SEED = Long.getLong("editdb.fuzz.seed", System.nanoTime());
  private static final long SECONDS = Long.getLong("editdb.fuzz.seconds", 10);
  static final long PER_INPUT_MS = 2000;

  /** A fresh store after this many executed inputs keeps the fingerprints cheap. */
  private static final int EXECUTIONS_PER_STORE = 300;

  private Connection conn;
  private int executionsOnStore;
  private final Map<String, Integer> outcomes = new TreeMap<>();
  private final Map<String, String> h2Bugs = new ConcurrentHashMap<>();
  private static final int H2_GENERAL_ERROR = 50000;

  @Test
  void parsingAndExecutingOnlyRefuseAndNeverHangOrChangeAnythingWhenRefused() throws Exception {
    System.out.println(
        "DialectParserFuzzTest seed "
            + SEED
            + " (replay: -Deditdb.fuzz.seed="
            + SEED
            + "), "
            + SECONDS
            + " s");
    StatementMutator mutator = new StatementMutator();
    ExecutorService worker =
        Executors.newSingleThreadExecutor(
            task -> {
              Thread t = new Thread(task, "editdb-fuzz");
              t.setDaemon(true); // a hung input must not keep the JVM alive
              return t;
            });
    long executed = 0;
    long i = 0;
    freshStore(); // outside the time: the first store and the text encoder take seconds to start
    long start = System.nanoTime();
    long deadline = start + TimeUnit.SECONDS.toNanos(SECONDS);
    try {
      for (; System.nanoTime() < deadline; i++) {
        Random r = new Random(SEED * 0x9E3779B97F4A7C15L + i);
        String sql = mutator.next(r);
        boolean execute = r.nextInt(3) == 0;
        long n = i;
        Future<?> f =
            worker.submit(
                () -> {
                  check(sql, execute ? r : null, n);
                  return null;
                });
        try {
          f.get(PER_INPUT_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          f.cancel(true);
          fail(failure(n, sql, "took more than " + PER_INPUT_MS + " ms"));
        } catch (ExecutionException e) {
          throw new AssertionError(failure(n, sql, "failed: " + e.getCause()), e.getCause());
        }
        if (execute) {
          executed++;
          if (++executionsOnStore >= EXECUTIONS_PER_STORE || conn.isClosed()) {
            freshStore();
          }
        }
      }
    } finally {
      worker.shutdownNow();
      if (conn != null) {
        conn.close();
      }
    }
    double s = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "DialectParserFuzzTest: %d inputs (%d executed) in %.1f s, %.0f inputs/s; outcomes %s%n",
        i, executed, s, i / s, outcomes);
    assertTrue(i > 100, "too few inputs in " + SECONDS + " s: " + i);
  }

  private void freshStore() throws SQLException {
    if (conn != null) {
      conn.close();
    }
    conn = TestDb.withSmallLayer("fuzz");
    TestDb.insert(conn, "active", 0, 0);
    TestDb.insert(conn, "rolled back", 1, 1);
    try (Statement st = conn.createStatement()) {
      st.execute("ROLLBACK EDIT 2");
      st.execute("SELECT EMBED_TEXT('warm the encoder up')");
    }
    executionsOnStore = 0;
  }

  /** Parses, and with {@code r} executes, the input; throws AssertionError on a broken property. */
  private void check(String sql, Random r, long n) throws Exception {
    Parsed parsed = null;
    try {
      parsed = DialectParser.parse(sql);
    } catch (SQLException e) {
      refusal(e, "parse", sql);
    } catch (Throwable t) {
      throw new AssertionError("parsing threw " + t, t);
    }
    if (r == null) {
      return;
    }
    String before = StoreFingerprint.of(conn);
    boolean standard = parsed == null || parsed.command() instanceof Command.Delegate;
    try {
      run(sql, parsed, r);
      count(standard ? "ok standard SQL" : "ok EditDB statement");
      if (standard && !before.equals(StoreFingerprint.of(conn))) {
        throw new AssertionError("standard SQL changed EditDB's relations");
      }
    } catch (SQLException e) {
      refusal(e, "execute", sql);
      if (!before.equals(StoreFingerprint.of(conn))) {
        throw new AssertionError("a refused statement changed the store: " + e, e);
      }
    } catch (AssertionError e) {
      throw e;
    } catch (Throwable t) {
      throw new AssertionError("executing threw " + t, t);
    } finally {
      if (!conn.isClosed() && !conn.getAutoCommit()) {
        conn.rollback();
        conn.setAutoCommit(true);
      }
    }
  }

  private void run(String sql, Parsed parsed, Random r) throws SQLException {
    int params = parsed == null ? 0 : parsed.paramCount();
    if (parsed != null && (params > 0 || r.nextBoolean())) {
      try (PreparedStatement ps = conn.prepareStatement(sql)) {
        int count =
            parsed.command() instanceof Command.Delegate
                ? ps.getParameterMetaData().getParameterCount()
                : params;
        for (int k = 1; k <= count; k++) {
          Object v = StatementMutator.value(r);
          if (v != HostileCase.UNSET) {
            ps.setObject(k, v);
          }
        }
        ps.execute();
      }
    } else {
      try (Statement st = conn.createStatement()) {
        st.execute(sql);
      }
    }
  }

  /**
   * A refusal must come from the catalog, and not as INTERNAL_ERROR (EditDB code that failed), or
   * from H2 for standard SQL. H2's own bugs (its "general error", e.g. an NPE on {@code SET}) are
   * counted and shown, not failed: they are SQLExceptions, and H2's to fix.
   */
  private void refusal(SQLException e, String where, String sql) {
    if (e.getErrorCode() == ErrorCode.INTERNAL_ERROR.code()) {
      throw new AssertionError(where + " failed inside EditDB: " + e, e);
    }
    if (e.getErrorCode() == H2_GENERAL_ERROR && h2Bugs.putIfAbsent(e.getMessage(), sql) == null) {
      System.out.println(
          "DialectParserFuzzTest: H2 general error " + e.getMessage() + " on " + javaLiteral(sql));
    }
    String code;
    try {
      code = ErrorCode.ofCode(e.getErrorCode()).name();
    } catch (IllegalArgumentException notOurs) {
      code = "H2 " + e.getSQLState();
    }
    count(where + " " + code);
  }

  private synchronized void count(String outcome) {
    outcomes.merge(outcome, 1, Integer::sum);
  }

  private static String failure(long n, String sql, String what) {
    return "fuzz input #" + n + " (seed " + SEED + ") " + what + ": " + javaLiteral(sql);
  }

  /** The text as a Java string literal. */
  static String javaLiteral(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int k = 0; k < s.length(); k++) {
      char c = s.charAt(k);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c > 0x7e) {
            b.append(String.format(Locale.ROOT, "\\u%04X", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
