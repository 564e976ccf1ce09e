package io.editdb.driver;

import io.editdb.store.StoreException;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;

/** Turns what the store, the router and H2 throw into the driver's catalogued SQLExceptions. */
final class Errors {
  /** H2's "database already open" error, seen when another process holds the store. */
  private static final int H2_DATABASE_ALREADY_OPEN = 90020;

  /** H2: the user holds no grant on the object (90096) or the operation is H2-admin only. */
  private static final int H2_NOT_ENOUGH_RIGHTS = 90096;

  private static final int H2_ADMIN_RIGHTS_REQUIRED = 90040;

  private Errors() {}

  static SQLException of(ErrorCode code, String message) {
    return code.exception(message);
  }

  /** A JDBC method this driver does not implement, named so the caller knows which. */
  static SQLFeatureNotSupportedException unsupported(String method) {
    return (SQLFeatureNotSupportedException)
        ErrorCode.FEATURE_NOT_SUPPORTED.exception(
            method + " is not supported by the EditDB driver");
  }

  /**
   * H2 parses nested expressions recursively and lets a StackOverflowError out of a statement
   * nested thousands deep; that is a refusal of the statement, not a failure of the caller.
   */
  static SQLException tooComplex(StackOverflowError e) {
    return ErrorCode.STATEMENT_TOO_COMPLEX.exception(
        "the statement is nested too deeply for H2 to parse (it ran out of stack); flatten it,"
            + " e.g. x IN (1, 2, 3) rather than nested ORs in parentheses, or split it",
        e);
  }

  /** The catalogued exception for a refusal of the store or the router. */
  static SQLException of(StoreException e) {
    ErrorCode code =
        switch (e.kind()) {
          case INVALID_VALUE -> ErrorCode.INVALID_VALUE;
          case UNKNOWN_LAYER -> ErrorCode.UNKNOWN_LAYER;
          case UNKNOWN_EDIT -> ErrorCode.UNKNOWN_EDIT;
          case UNKNOWN_VERSION -> ErrorCode.UNKNOWN_VERSION;
          case DUPLICATE_LAYER -> ErrorCode.DUPLICATE_LAYER;
          case WRONG_STATE -> ErrorCode.WRONG_STATE;
          case WRITE_LOCK_TIMEOUT -> ErrorCode.WRITE_LOCK_TIMEOUT;
          case NOT_ALLOWED -> ErrorCode.NOT_ALLOWED;
          case AUTHENTICATION -> ErrorCode.INVALID_AUTHORIZATION;
          case UNKNOWN_USER -> ErrorCode.UNKNOWN_USER;
          case DUPLICATE_USER -> ErrorCode.DUPLICATE_USER;
          case NO_HOST -> ErrorCode.NO_HOST;
          case UNAVAILABLE -> null;
        };
    if (code == null) {
      SQLException h2 = find(e, SQLException.class);
      if (h2 != null && h2.getErrorCode() == H2_DATABASE_ALREADY_OPEN) {
        code = ErrorCode.STORE_IN_USE;
      } else if (h2 != null) {
        // A failure of H2 itself: its own state says more than ours would.
        SQLException out = new SQLException(e.getMessage(), h2.getSQLState(), h2.getErrorCode());
        out.initCause(e);
        return out;
      } else {
        code = ErrorCode.STORE_UNAVAILABLE;
      }
    }
    return code.exception(e.getMessage(), e);
  }

  /**
   * Any runtime failure of EditDB code called by the driver. Only a {@link StoreException} is a
   * refusal (its kind says which); anything else, an IllegalArgumentException included, is a bug of
   * EditDB's and is reported as one, never as the caller's bad value.
   */
  static SQLException of(RuntimeException e) {
    if (e instanceof StoreException se) {
      return of(se);
    }
    return ErrorCode.INTERNAL_ERROR.exception(
        "internal error in EditDB (a bug, not your input; please report it): " + e, e);
  }

  /** What one JDBC entry point does, before its failures are converted. */
  interface Entry<T> {
    T run() throws SQLException;
  }

  /**
   * Runs one JDBC entry point ({@code Statement.execute*}, {@code PreparedStatement.execute*},
   * {@code Connection.prepareStatement}) and converts whatever it threw, once, here: an H2 failure
   * ({@link #translate}), a refusal or a bug of EditDB code ({@link #of(RuntimeException)}), a
   * statement too deep for H2 ({@link #tooComplex}).
   */
  static <T> T entry(Entry<T> work) throws SQLException {
    try {
      return work.run();
    } catch (SQLException | RuntimeException e) {
      throw of(e);
    } catch (StackOverflowError e) {
      throw tooComplex(e);
    }
  }

  /** {@link #entry}'s conversion of one failure, for an entry that reports it otherwise. */
  static SQLException of(Exception e) {
    if (e instanceof SQLException sql) {
      return translate(sql);
    }
    return of((RuntimeException) e);
  }

  /**
   * An exception from H2: if EditDB code inside it (a SQL function) refused something, the
   * catalogued error for that refusal; otherwise H2's exception as it is.
   */
  static SQLException translate(SQLException e) {
    StoreException se = find(e, StoreException.class);
    if (se != null) {
      return of(se);
    }
    if (e.getErrorCode() == H2_NOT_ENOUGH_RIGHTS || e.getErrorCode() == H2_ADMIN_RIGHTS_REQUIRED) {
      // H2's own grants refused it: the user's role holds no right to that object or operation.
      String first = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
      return ErrorCode.NOT_ALLOWED.exception(
          "refused by the store's access rights: "
              + first
              + ". Users read EditDB's relations, change edits only through EditDB's statements,"
              + " and only administrators define ordinary tables, in schema APP (CREATE TABLE"
              + " APP.name ...)",
          e);
    }
    return e;
  }

  private static <T extends Throwable> T find(Throwable t, Class<T> type) {
    for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
    }
    return null;
  }
}
