package io.editdb.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The catalogue of bad input (docs/design.md section 6): every refusal the driver has, each with
 * its SQLState and vendor code, and each checked to change nothing: neither the counts of {@link
 * TestDb#assertRefused} nor any byte of any row of EditDB's relations ({@link StoreFingerprint}).
 * The cases are in {@link HostileStatements} (statement text), {@link HostileValues} (values of
 * edits and parameters) and {@link HostileLookups} (references, layers, JDBC misuse). Valid but odd
 * input is in {@link OddInputRoundTripTest}.
 *
 * <p>One store serves every case: a refused statement must not change it, so each case starts from
 * the same state.
 */
class HostileInputTest {
  /** Errors no statement can cause: contention, the store's own state, roles, bugs. */
  private static final Set<ErrorCode> NOT_FROM_INPUT =
      EnumSet.of(
          ErrorCode.WRITE_LOCK_TIMEOUT,
          ErrorCode.STORE_IN_USE,
          ErrorCode.STORE_UNAVAILABLE,
          ErrorCode.INTERNAL_ERROR);

  static final String DOT_LAYER =
      "CREATE LAYER dotl (MODEL 'tiny-vlm', MODULE 'layers.4', D_IN 8, D_OUT 8, VISUAL_DIM 4,"
          + " TEXT_DIM 3, MAX_RANK 4, VISUAL_SIMILARITY DOT, TEXT_SIMILARITY DOT)";
  static final String TEXT_LAYER =
      "CREATE LAYER texty (MODEL 'tiny-lm', MODULE 'layers.5', D_IN 8, D_OUT 8, VISUAL_DIM 0,"
          + " TEXT_DIM 384, MAX_RANK 4)";

  private static Connection c;
  private static HostileCase.Fixture fixture;

  @BeforeAll
  static void store() throws SQLException {
    String url = TestDb.memUrl("hostile");
    c = TestDb.connect(url);
    try (Statement st = c.createStatement()) {
      st.execute(TestDb.SMALL_LAYER);
      st.execute(DOT_LAYER);
      st.execute(TEXT_LAYER);
      st.execute("CREATE USER audrey PASSWORD 'audrey-pw' ROLE AUDITOR");
      long active = TestDb.insert(c, "active", 0, 0);
      long rolledBack = TestDb.insert(c, "rolled back", 1, 1);
      st.execute("ROLLBACK EDIT " + rolledBack + " REASON 'fixture'");
      fixture = new HostileCase.Fixture(url, active, rolledBack);
    }
  }

  @AfterAll
  static void close() throws SQLException {
    c.close();
  }

  static Stream<HostileCase> catalogue() {
    return Stream.of(HostileStatements.cases(), HostileValues.cases(), HostileLookups.cases())
        .flatMap(s -> s);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("catalogue")
  void isRefusedWithItsCodeAndChangesNothing(HostileCase hc) throws Exception {
    String before = StoreFingerprint.of(c);
    TestDb.assertRefused(c, hc.expected(), () -> hc.action().run(c, fixture));
    assertEquals(before, StoreFingerprint.of(c), "a refused statement changed a row");
    assertTrue(c.getAutoCommit(), "the connection was left in a transaction");
    try (Statement st = c.createStatement()) {
      assertTrue(st.execute("VERIFY HISTORY"), "the connection is still usable");
    }
  }

  /** A new code in the catalog needs a case here, unless no statement can cause it. */
  @Test
  void everyCodeAStatementCanCauseHasACase() {
    Set<ErrorCode> covered =
        catalogue().map(HostileCase::expected).collect(Collectors.toCollection(HashSet::new));
    for (ErrorCode code : ErrorCode.values()) {
      assertEquals(!NOT_FROM_INPUT.contains(code), covered.contains(code), code.toString());
    }
  }

  /** Readable, unique names: a failure says which input it was. */
  @Test
  void caseNamesAreUnique() {
    List<String> names = catalogue().map(HostileCase::name).toList();
    assertEquals(names.size(), Set.copyOf(names).size(), "duplicate case names");
  }
}
