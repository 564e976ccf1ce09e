package io.editdb.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.store.NewEdit;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Input that looks hostile but is valid: Unicode of every kind, SQL injection inside texts, odd
 * spacing and comments, texts at their limits. It is stored exactly as given, and it changes
 * nothing but what the statement is for. (Bad input is {@link HostileInputTest}'s.)
 *
 * <p>Text rules, decided here: a prompt, target, reason, author or image reference is any sequence
 * of Unicode code points, kept exactly and never normalised: emoji, right-to-left text, combining
 * marks, zero-width characters, control characters, NUL. Only unpaired surrogates, which are no
 * code points, are refused ({@link HostileValues}).
 */
class OddInputRoundTripTest {
  private static Connection c;

  @BeforeAll
  static void store() throws SQLException {
    c = TestDb.withSmallLayer("odd");
  }

  @AfterAll
  static void close() throws SQLException {
    c.close();
  }

  static Stream<Arguments> unicode() {
    return Stream.of(
        Arguments.of(
            "emoji", "What colour is the \uD83D\uDC08\u200D\u2B1B? \uD83D\uDC4D\uD83C\uDFFD"),
        Arguments.of(
            "right-to-left",
            "\u0645\u0627 \u0644\u0648\u0646 \u0627\u0644\u062D\u0627\u0641\u0644\u0629\u061F"
                + " \u202Eevil\u202C"),
        Arguments.of("combining marks", "e\u0301 is not \u00E9; Z\u0351\u0363\u0324\u0335"),
        Arguments.of("zero-width characters", "a\u200Bb\u200Dc\uFEFFd\u2060"),
        Arguments.of("tabs and line breaks", "one\n\ttwo\r\nthree\rfour\u2028five\u0085"),
        Arguments.of("no-break spaces", "\u00A0lead and trail\u00A0\u202F"),
        Arguments.of("control characters", "bell\u0007 escape\u001B delete\u007F"),
        Arguments.of("NUL characters", "\u0000a\u0000\u0000b\u0000"),
        Arguments.of(
            "supplementary characters", "\uD835\uDC00\uD835\uDC01 \uD840\uDC00 \uDBFF\uDFFF"),
        Arguments.of("noncharacters", "\uFFFE\uFFFF\uFDD0"),
        Arguments.of("quotes", "it's \"quoted\" `back` $$dollar$$ ''"),
        Arguments.of("comment markers", "-- not a comment /* nor this */ // nor"),
        Arguments.of("a question mark", "? ?1 $1 :name"));
  }

  static Stream<String> injections() {
    return Stream.of(
        "'); DROP TABLE edits; --",
        "x'); DELETE FROM edit_history; --",
        "\"; DROP TABLE layers; --",
        "' OR '1'='1",
        "$$; DELETE FROM edits; $$",
        "*/ DELETE FROM edits /*",
        "ROLLBACK EDIT 1",
        "'; SHUTDOWN; --",
        "\\'; DELETE FROM versions; --",
        "U&'\\0027'); DELETE FROM edit_spans; --");
  }

  private static String literal(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  /** Inserts with every text given; through parameters, or as literals in the SQL text. */
  private static long insert(String prompt, String reason, String author, boolean literals)
      throws SQLException {
    String sql =
        "INSERT INTO edits (layer, prompt, target, visual_key, text_key, expert_a, expert_b,"
            + " author, reason) VALUES ('small', "
            + (literals
                ? literal(prompt)
                    + ", "
                    + literal(prompt + "!")
                    + ", ARRAY[1, 0, 0, 0],"
                    + " ARRAY[1, 0, 0], "
                    + HostileValues.blobs()
                    + ", "
                    + literal(author)
                    + ", "
                    + literal(reason)
                : "?, ?, ?, ?, ?, ?, ?, ?")
            + ")";
    try (PreparedStatement ps = c.prepareStatement(sql, Statement.RETURN_GENERATED_KEYS)) {
      if (!literals) {
        ps.setString(1, prompt);
        ps.setString(2, prompt + "!");
        ps.setObject(3, TestDb.basis(4, 0));
        ps.setObject(4, TestDb.basis(3, 0));
        ps.setObject(5, TestDb.random(16, 1));
        ps.setObject(6, TestDb.random(16, 2));
        ps.setString(7, author);
        ps.setString(8, reason);
      }
      assertEquals(1, ps.executeUpdate());
      try (ResultSet keys = ps.getGeneratedKeys()) {
        assertTrue(keys.next());
        return keys.getLong(1);
      }
    }
  }

  private static String text(String sql, long id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next(), sql);
        return rs.getString(1);
      }
    }
  }

  private static void assertStored(long id, String prompt, String reason, String author)
      throws SQLException {
    assertEquals(prompt, text("SELECT prompt FROM edits WHERE id = ?", id));
    assertEquals(prompt + "!", text("SELECT target FROM edits WHERE id = ?", id));
    assertEquals(reason, text("SELECT reason FROM edits WHERE id = ?", id));
    assertEquals(author, text("SELECT author FROM edits WHERE id = ?", id));
    assertEquals(
        reason,
        text("SELECT reason FROM edit_history WHERE action = 'INSERT' AND edit_id = ?", id));
    assertHistoryVerifies();
  }

  private static void assertHistoryVerifies() throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("VERIFY HISTORY")) {
      assertTrue(rs.next());
      assertTrue(rs.getBoolean("OK"), rs.getString("PROBLEM"));
    }
  }

  @ParameterizedTest(name = "{0}, as parameters")
  @MethodSource("unicode")
  void unicodeThroughParametersIsStoredExactly(String name, String text) throws SQLException {
    long id = insert(text, text, text, false);
    assertStored(id, text, text, text);
  }

  @ParameterizedTest(name = "{0}, as literals")
  @MethodSource("unicode")
  void unicodeThroughLiteralsIsStoredExactly(String name, String text) throws SQLException {
    long id = insert(text, text, text, true);
    assertStored(id, text, text, text);
  }

  /** Every row of the relations, in order, as text. */
  private static List<String> rows(String relationQuery) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(relationQuery)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= n; i++) {
          b.append(rs.getString(i)).append('\u0001');
        }
        out.add(b.toString());
      }
    }
    return out;
  }

  private static final String EDITS = "SELECT * FROM edits ORDER BY id";
  private static final String HISTORY = "SELECT * FROM edit_history ORDER BY seq";
  private static final String LAYERS = "SELECT * FROM layers ORDER BY id";
  private static final String VERSIONS = "SELECT * FROM versions ORDER BY version";

  /** The old rows are still there, unchanged, and exactly {@code added} came after them. */
  private static void assertOnlyAppended(List<String> before, List<String> after, int added) {
    assertEquals(before.size() + added, after.size());
    assertEquals(before, after.subList(0, before.size()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("injections")
  void injectionIntoAnInsertIsStoredVerbatimAndChangesNothingElse(String text) throws SQLException {
    for (boolean literals : new boolean[] {false, true}) {
      List<String> edits = rows(EDITS);
      List<String> history = rows(HISTORY);
      List<String> layers = rows(LAYERS);
      long id = insert(text, text, text, literals);
      assertStored(id, text, text, text);
      assertOnlyAppended(edits, rows(EDITS), 1);
      assertOnlyAppended(history, rows(HISTORY), 1);
      assertEquals(layers, rows(LAYERS));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("injections")
  void injectionIntoARollbackReasonIsStoredVerbatimAndChangesNothingElse(String text)
      throws SQLException {
    for (boolean literal : new boolean[] {false, true}) {
      long id = insert("victim", "r", "ana", false);
      List<String> history = rows(HISTORY);
      List<String> versions = rows(VERSIONS);
      List<String> others = rows("SELECT * FROM edits WHERE id <> " + id + " ORDER BY id");
      String sql = "ROLLBACK EDIT " + id + " REASON " + (literal ? literal(text) : "?");
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        if (!literal) {
          ps.setString(1, text);
        }
        assertEquals(1, ps.executeUpdate());
      }
      assertEquals("ROLLED_BACK", text("SELECT status FROM edits WHERE id = ?", id));
      assertEquals(
          text,
          text("SELECT reason FROM edit_history WHERE action = 'ROLLBACK' AND edit_id = ?", id));
      assertOnlyAppended(history, rows(HISTORY), 1);
      assertOnlyAppended(versions, rows(VERSIONS), 1);
      assertEquals(others, rows("SELECT * FROM edits WHERE id <> " + id + " ORDER BY id"));
      assertHistoryVerifies();
    }
  }

  @Test
  void injectionIntoARollbackConditionStringMatchesNothing() throws SQLException {
    TestDb.insert(c, "keep", 0, 0);
    String before = StoreFingerprint.of(c);
    try (Statement st = c.createStatement()) {
      assertEquals(
          0,
          st.executeUpdate(
              "ROLLBACK EDITS WHERE prompt = 'a''); DELETE FROM edits; --' REASON 'x'"));
      assertEquals(0, st.executeUpdate("ROLLBACK EDITS WHERE author = '-- '' OR 1=1'"));
    }
    assertEquals(before, StoreFingerprint.of(c));
  }

  /** Valid statements with odd spacing, comments and spellings; %d is the edit's id. */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "ROLLBACK\tEDIT\t%d\tREASON\t'why'",
        "ROLLBACK\nEDIT\r\n%d\fREASON\u000B'why'",
        "  ROLLBACK EDIT %d REASON 'why'  ;  ",
        "ROLLBACK/* c */EDIT/**/%d/* x */REASON/*y*/'why'",
        "ROLLBACK -- c\nEDIT // c\n%d REASON 'why' -- trailing",
        "/* a /* nested */ still a comment */ ROLLBACK EDIT %d REASON 'why'",
        "ROLLBACK\u00A0EDIT\u2003%d\u3000REASON\u202F'why'",
        "ROLLBACK \u0000EDIT \u0001%d REASON 'why' \u0000",
        "rollback edit %d reason 'why'",
        "RoLlBaCk EdIt %d ReAsOn $$why$$",
        "ROLLBACK EDIT %d REASON N'why'",
        "ROLLBACK EDIT %d REASON U&'\\0077hy'",
        "ROLLBACK EDIT %d REASON U&'!0077h!+000079' UESCAPE '!'",
        "ROLLBACK EDIT +%d REASON 'why'",
        "ROLLBACK EDIT 0000%d REASON 'why';"
      })
  void oddlySpacedStatementsRun(String template) throws SQLException {
    long id = TestDb.insert(c, "spaced " + template.hashCode(), 0, 0);
    try (Statement st = c.createStatement()) {
      assertEquals(1, st.executeUpdate(template.replace("%d", Long.toString(id))));
    }
    assertEquals("ROLLED_BACK", text("SELECT status FROM edits WHERE id = ?", id));
    assertEquals(
        "why",
        text("SELECT reason FROM edit_history WHERE action = 'ROLLBACK' AND edit_id = ?", id));
  }

  /** Runs {@code body} on a store of its own, so that its megabytes stay out of the others. */
  private static void onOwnStore(SqlBody body) throws SQLException {
    Connection shared = c;
    try (Connection own = TestDb.withSmallLayer("odd-big")) {
      c = own;
      body.run();
    } finally {
      c = shared;
    }
  }

  private interface SqlBody {
    void run() throws SQLException;
  }

  @Test
  void textsAtTheirLimitsAreStoredExactly() throws SQLException {
    onOwnStore(OddInputRoundTripTest::textsAtTheirLimits);
  }

  private static void textsAtTheirLimits() throws SQLException {
    int max = NewEdit.MAX_TEXT;
    String prompt = "p".repeat(max - 1); // its target, prompt + "!", has max characters
    String reason = "r".repeat(max - 2) + "\uD83D\uDE00";
    String author = "a".repeat(256);
    long id = insert(prompt, reason, author, false);
    assertStored(id, prompt, reason, author);
    try (PreparedStatement ps = c.prepareStatement("ROLLBACK EDIT ? REASON ?")) {
      ps.setLong(1, id);
      ps.setString(2, reason);
      assertEquals(1, ps.executeUpdate());
    }
    assertEquals(
        reason,
        text("SELECT reason FROM edit_history WHERE action = 'ROLLBACK' AND edit_id = ?", id));
  }

  @Test
  void aOneMegabyteStatementIsStoredExactly() throws SQLException {
    onOwnStore(OddInputRoundTripTest::oneMegabyteStatement);
  }

  private static void oneMegabyteStatement() throws SQLException {
    String prompt = "\u00E9\u0301'\n".repeat(250_000); // 1,000,000 characters, quotes doubled
    long id = insert(prompt, "big", "ana", true);
    assertStored(id, prompt, "big", "ana");
  }
}
