package io.editdb.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.store.StoreException;
import java.sql.SQLDataException;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.SQLSyntaxErrorException;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ErrorCodeTest {

  @Test
  void codesAreUniqueAndStatesWellFormed() {
    Set<Integer> codes = new HashSet<>();
    for (ErrorCode c : ErrorCode.values()) {
      assertTrue(codes.add(c.code()), "duplicate code " + c);
      assertEquals(5, c.sqlState().length(), c.toString());
      assertEquals(c, ErrorCode.ofCode(c.code()));
    }
    assertThrows(IllegalArgumentException.class, () -> ErrorCode.ofCode(1));
  }

  /**
   * Pools discard connections on class 08 and 0A: only a closed connection and an unimplemented
   * JDBC method may use them.
   */
  @Test
  void routineErrorsNeverUseConnectionOrFeatureClasses() {
    EnumSet<ErrorCode> allowed =
        EnumSet.of(ErrorCode.CONNECTION_CLOSED, ErrorCode.FEATURE_NOT_SUPPORTED);
    for (ErrorCode c : ErrorCode.values()) {
      boolean evicting = c.sqlState().startsWith("08") || c.sqlState().startsWith("0A");
      assertEquals(allowed.contains(c), evicting, c.toString());
    }
  }

  @Test
  void exceptionsHaveTheSubclassOfTheirState() {
    assertInstanceOf(SQLDataException.class, ErrorCode.INVALID_VALUE.exception("x"));
    assertInstanceOf(SQLSyntaxErrorException.class, ErrorCode.SYNTAX_ERROR.exception("x"));
    assertInstanceOf(SQLSyntaxErrorException.class, ErrorCode.READ_ONLY_RELATION.exception("x"));
    assertInstanceOf(
        SQLIntegrityConstraintViolationException.class, ErrorCode.DUPLICATE_LAYER.exception("x"));
    assertInstanceOf(SQLFeatureNotSupportedException.class, Errors.unsupported("m"));
    assertInstanceOf(
        java.sql.SQLTimeoutException.class, ErrorCode.WRITE_LOCK_TIMEOUT.exception("x"));
  }

  @Test
  void everyStoreRefusalMapsToTheCatalog() {
    for (StoreException.Kind k : StoreException.Kind.values()) {
      SQLException e = Errors.of(new StoreException(k, "m"));
      ErrorCode c = ErrorCode.ofCode(e.getErrorCode());
      assertEquals(c.sqlState(), e.getSQLState());
      assertFalse(e.getSQLState().startsWith("08"), k.toString());
    }
    assertEquals(
        ErrorCode.NOT_ALLOWED.code(),
        Errors.of(new StoreException(StoreException.Kind.NOT_ALLOWED, "m")).getErrorCode());
    assertEquals(
        ErrorCode.WRITE_LOCK_TIMEOUT.code(),
        Errors.of(new StoreException(StoreException.Kind.WRITE_LOCK_TIMEOUT, "m")).getErrorCode());
    // an H2 failure inside the store keeps H2's state
    SQLException h2 = new SQLException("disk full", "HY000", 50000);
    SQLException e = Errors.of(new StoreException(StoreException.Kind.UNAVAILABLE, "m", h2));
    assertEquals(50000, e.getErrorCode());
  }

  /**
   * Only a typed refusal is the caller's fault: a plain IllegalArgumentException or NPE from EditDB
   * code is a bug and says so, never INVALID_VALUE; a refusal keeps its kind, also through H2.
   */
  @Test
  void aBugIsAnInternalErrorAndOnlyARefusalIsTheCallersValue() {
    SQLException bug = Errors.of(new IllegalArgumentException("rank must be at least 1"));
    assertEquals(ErrorCode.INTERNAL_ERROR.code(), bug.getErrorCode());
    assertTrue(bug.getMessage().contains("a bug, not your input"), bug.getMessage());
    assertEquals(
        ErrorCode.INTERNAL_ERROR.code(), Errors.of(new NullPointerException()).getErrorCode());
    SQLException refused =
        Errors.of(new StoreException(StoreException.Kind.INVALID_VALUE, "k must be at least 1"));
    assertEquals(ErrorCode.INVALID_VALUE.code(), refused.getErrorCode());
    Exception throughH2 =
        new SQLException(
            "user function failed",
            "90105",
            90105,
            new StoreException(StoreException.Kind.UNKNOWN_LAYER, "no layer x"));
    assertEquals(ErrorCode.UNKNOWN_LAYER.code(), Errors.of(throughH2).getErrorCode());
  }
}
