package io.editdb.driver;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.Locale;
import java.util.function.Function;

/**
 * One bad input of the catalogue ({@link HostileInputTest}): a readable name, what it does to the
 * store, and the refusal it must get. Built with the factories below so that a row stays one line.
 */
record HostileCase(String name, ErrorCode expected, Action action) {

  /** What a case does; it throws the refusal. */
  interface Action {
    void run(Connection c, Fixture f) throws Exception;
  }

  /**
   * What the cases act on: the store's URL, an active and a rolled-back edit, and its layers:
   * {@code small} (TestDb's: d_in = d_out = 8, visual keys of 4, text keys of 3, rank up to 4),
   * {@code dotl} (the same with DOT similarities: unit keys only) and {@code texty} (text-only,
   * TEXT_DIM 384, the built-in encoder's).
   */
  record Fixture(String url, long active, long rolledBack) {}

  /** Slow inputs (huge statements) must still be refused within this many milliseconds. */
  static final long TIME_LIMIT_MS = 2000;

  @Override
  public String toString() {
    return name;
  }

  /** A statement run with {@code Statement.execute}; named by its (abbreviated) text. */
  static HostileCase sql(ErrorCode code, String sql) {
    return sql(show(sql), code, sql);
  }

  static HostileCase sql(String name, ErrorCode code, String sql) {
    return sql(name, code, f -> sql);
  }

  /** A statement that needs the fixture's ids. */
  static HostileCase sql(String name, ErrorCode code, Function<Fixture, String> sql) {
    return new HostileCase(
        name,
        code,
        (c, f) -> {
          try (Statement st = c.createStatement()) {
            st.execute(sql.apply(f));
          }
        });
  }

  /** Like {@link #sql}, and it must be refused within {@link #TIME_LIMIT_MS}. */
  static HostileCase timed(String name, ErrorCode code, String sql) {
    return new HostileCase(
        name,
        code,
        (c, f) -> {
          long start = System.nanoTime();
          try (Statement st = c.createStatement()) {
            st.execute(sql);
          } finally {
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ms < TIME_LIMIT_MS, name + " took " + ms + " ms");
          }
        });
  }

  /** A prepared statement with these parameters ({@link #UNSET} leaves one unset). */
  static HostileCase prepared(String name, ErrorCode code, String sql, Object... params) {
    return new HostileCase(
        name,
        code,
        (c, f) -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
              if (params[i] != UNSET) {
                ps.setObject(i + 1, params[i]);
              }
            }
            ps.execute();
          }
        });
  }

  /** Leaves a parameter of {@link #prepared} unset. */
  static final Object UNSET = new Object();

  /**
   * TestDb.INSERT (layer, prompt, target, visual_key, text_key, expert_a, expert_b, rank) with a
   * valid edit of the small layer bound, then parameter {@code param} replaced by {@code value}.
   */
  static HostileCase insert(String name, ErrorCode code, int param, Object value) {
    return insert(name, code, new int[] {param}, new Object[] {value});
  }

  static HostileCase insert(String name, ErrorCode code, int[] params, Object[] values) {
    return new HostileCase(
        name,
        code,
        (c, f) -> {
          try (PreparedStatement ps = c.prepareStatement(TestDb.INSERT)) {
            TestDb.bindSmall(ps, "hostile " + name, 1, 1);
            for (int i = 0; i < params.length; i++) {
              ps.setObject(params[i], values[i]);
            }
            ps.executeUpdate();
          }
        });
  }

  static HostileCase custom(String name, ErrorCode code, Action action) {
    return new HostileCase(name, code, action);
  }

  /** The text with invisible and non-ASCII characters as \\uXXXX, cut to 70 characters. */
  static String show(String s) {
    StringBuilder b = new StringBuilder();
    int i = 0;
    for (; i < s.length() && b.length() < 70; i++) {
      char ch = s.charAt(i);
      if (ch < 0x20 || ch > 0x7e) {
        b.append(String.format(Locale.ROOT, "\\u%04X", (int) ch));
      } else {
        b.append(ch);
      }
    }
    return i < s.length() ? b + "... (" + s.length() + " chars)" : b.toString();
  }
}
