package io.editdb.driver;

import java.sql.SQLDataException;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLSyntaxErrorException;
import java.sql.SQLTimeoutException;

/**
 * Every error the EditDB driver raises: a stable vendor code ({@link SQLException#getErrorCode()})
 * and SQLState ({@link SQLException#getSQLState()}). Each constant's javadoc shows a statement that
 * raises it. Messages name the rule, the offending value and the fix; programs should test the code
 * or the state, never the message.
 *
 * <p>Routine errors never use SQLState class 08 (connection exception) or 0A (feature not
 * supported): connection pools discard a connection that reports those, and a refused statement
 * leaves the connection perfectly usable. Errors raised by H2 for standard SQL keep H2's own codes
 * and states.
 */
public enum ErrorCode {
  /** A malformed EditDB statement; the message gives the position. {@code ROLLBACK EDIT abc} */
  SYNTAX_ERROR(7001, "42601"),
  /** A column INSERT INTO edits does not take. {@code INSERT INTO edits (layer, colour) ...} */
  UNKNOWN_COLUMN(7002, "42703"),
  /**
   * A write to a relation only EditDB statements change; names the statement to use. {@code DELETE
   * FROM edit_history WHERE seq = 3}
   */
  READ_ONLY_RELATION(7003, "42501"),
  /**
   * A statement the driver does not run in this form or state. {@code SHUTDOWN}, or {@code SELECT
   * 1; COMMIT} (transaction control inside a script), or rolling back to a savepoint over EditDB
   * writes.
   */
  UNSUPPORTED_STATEMENT(7004, "42000"),
  /**
   * A statement run through the wrong method. {@code stmt.executeQuery("ROLLBACK EDIT 3")} (no
   * rows), {@code stmt.executeUpdate("VERIFY HISTORY")} (rows).
   */
  WRONG_EXECUTE_METHOD(7005, "42000"),
  /**
   * A statement nested too deeply for H2 to parse: it ran out of stack. {@code SELECT
   * ((((...1...))))} with ten thousand parentheses, or as many {@code NOT}s in a row.
   */
  STATEMENT_TOO_COMPLEX(7006, "54001"),
  /**
   * A value breaks a rule: wrong key or weight dimension, NaN, rank above the layer's maximum, a
   * bad layer option. {@code CREATE LAYER l (..., D_IN 0, ...)}
   */
  INVALID_VALUE(7101, "22023"),
  /** A value of the wrong type. {@code ps.setString(5, "abc")} for {@code visual_key} */
  WRONG_TYPE(7102, "22005"),
  /** A {@code ?} left unset. {@code ROLLBACK EDIT ?} executed without {@code setLong(1, id)} */
  MISSING_PARAMETER(7103, "07002"),
  /**
   * {@code text_key} left out on a layer whose text_dim is not the built-in encoder's 384. {@code
   * INSERT INTO edits (layer, prompt, ...)} on a layer with TEXT_DIM 512
   */
  ENCODER_DIMENSION(7104, "22023"),
  /**
   * A statement that needs a host model on a layer bound to none, or whose host no binding on the
   * class path serves (module editdb-model missing, or its weights). {@code INSERT INTO edits
   * (layer, prompt, target, image) ...} on a layer created without HOST
   */
  NO_HOST(7105, "22023"),
  /** No layer of that name. {@code INSERT INTO edits (layer, ...) VALUES ('nope', ...)} */
  UNKNOWN_LAYER(7201, "23503"),
  /** No edit of that id. {@code ROLLBACK EDIT 999999} */
  UNKNOWN_EDIT(7202, "42704"),
  /** No such version. {@code ROLLBACK TO VERSION 99} on a store at version 12 */
  UNKNOWN_VERSION(7203, "42704"),
  /** A layer of that name exists. {@code CREATE LAYER l21 (...)} twice */
  DUPLICATE_LAYER(7204, "23505"),
  /** The edit is not in a state that allows it. {@code ROLLBACK EDIT 3} when 3 is rolled back */
  WRONG_STATE(7205, "55000"),
  /** No user of that name. {@code DROP USER nobody} */
  UNKNOWN_USER(7206, "42704"),
  /** A user of that name exists. {@code CREATE USER ana ROLE EDITOR} when ana exists */
  DUPLICATE_USER(7207, "23505"),
  /** Another transaction held the single writer slot too long. Any write, during another's. */
  WRITE_LOCK_TIMEOUT(7301, "HYT00"),
  /** The store's directory is open in another process. Connecting to it. */
  STORE_IN_USE(7302, "55006"),
  /** The store cannot be used (closed, schema newer than this EditDB, I/O failure). */
  STORE_UNAVAILABLE(7303, "58000"),
  /** A URL the driver cannot use. {@code jdbc:editdb:mem:bad name} */
  INVALID_URL(7304, "22023"),
  /** Use of a closed connection. Any method after {@code close()}. */
  CONNECTION_CLOSED(7401, "08003"),
  /** Use of a closed statement or result set. {@code stmt.execute(...)} after close */
  OBJECT_CLOSED(7402, "HY010"),
  /** A JDBC method this driver does not implement; the message names it. {@code prepareCall} */
  FEATURE_NOT_SUPPORTED(7403, "0A000"),
  /**
   * The user's role does not allow it. {@code ROLLBACK EDIT 3} by an auditor, {@code CREATE LAYER}
   * by an editor, {@code SELECT * FROM users} by anyone but an administrator.
   */
  NOT_ALLOWED(7501, "42501"),
  /** Unknown user or wrong password. Connecting as a user the store does not know. */
  INVALID_AUTHORIZATION(7502, "28000"),
  /** A failure inside EditDB that is none of the above; the message says what failed. */
  INTERNAL_ERROR(7901, "HY000");

  private final int code;
  private final String sqlState;

  ErrorCode(int code, String sqlState) {
    this.code = code;
    this.sqlState = sqlState;
  }

  /** The vendor code, {@link SQLException#getErrorCode()}. */
  public int code() {
    return code;
  }

  /** The SQLState, {@link SQLException#getSQLState()}. */
  public String sqlState() {
    return sqlState;
  }

  /** An exception of the JDBC subclass that fits the SQLState's class. */
  SQLException exception(String message) {
    return exception(message, null);
  }

  SQLException exception(String message, Throwable cause) {
    String state = sqlState;
    SQLException e;
    if (state.startsWith("22")) {
      e = new SQLDataException(message, state, code);
    } else if (state.startsWith("23")) {
      e = new SQLIntegrityConstraintViolationException(message, state, code);
    } else if (state.startsWith("42")) {
      e = new SQLSyntaxErrorException(message, state, code);
    } else if (state.startsWith("0A")) {
      e = new SQLFeatureNotSupportedException(message, state, code);
    } else if (state.startsWith("08")) {
      e = new SQLNonTransientConnectionException(message, state, code);
    } else if (state.equals("HYT00")) {
      e = new SQLTimeoutException(message, state, code);
    } else {
      e = new SQLException(message, state, code);
    }
    if (cause != null) {
      e.initCause(cause);
    }
    return e;
  }

  /** Finds the constant of a vendor code (for tools that only kept the number). */
  public static ErrorCode ofCode(int code) {
    for (ErrorCode c : values()) {
      if (c.code == code) {
        return c;
      }
    }
    throw new IllegalArgumentException("no EditDB error code " + code);
  }
}
