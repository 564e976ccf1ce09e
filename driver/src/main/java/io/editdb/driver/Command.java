package io.editdb.driver;

import java.util.List;
import java.util.Map;

/**
 * A statement as the driver sees it: one of EditDB's own statements, parsed, or standard SQL that
 * goes to H2 unchanged ({@link Delegate}). Values are {@link Val}s: literals from the text or
 * {@code ?} parameters bound at execution.
 */
sealed interface Command {

  /**
   * True if the statement returns rows (among EditDB's own: VERIFY HISTORY, and INSERT INTO edits
   * that returns the new id).
   */
  default boolean returnsRows() {
    return false;
  }

  /** A value in an EditDB statement. */
  sealed interface Val permits Lit, Param {
    /** 0-based offset in the statement, for error messages. */
    int pos();
  }

  /**
   * A literal: String, Long, Double, Boolean, {@code float[]} (an ARRAY literal), {@code byte[]}
   * (X'..') or null (NULL). Words such as {@code LORA} are Strings.
   */
  record Lit(Object value, int pos) implements Val {}

  /** The {@code index}-th (1-based) {@code ?} of the statement. */
  record Param(int index, int pos) implements Val {}

  /** {@code CREATE LAYER name (OPTION value, ...)}; options keyed by upper-case option name. */
  record CreateLayer(Val name, Map<String, Val> options) implements Command {}

  /**
   * {@code INSERT INTO edits (columns) VALUES (values)}; columns lower-case, in text order. {@code
   * returning}: the labels the new id is returned under, one column each ({@code RETURNING id} or
   * {@code SELECT id FROM FINAL TABLE (INSERT ...)}); empty when it returns no rows.
   */
  record InsertEdit(List<String> columns, List<Val> values, List<String> returning)
      implements Command {
    @Override
    public boolean returnsRows() {
      return !returning.isEmpty();
    }
  }

  /** {@code ROLLBACK EDIT id [REASON r]}. */
  record RollbackEdit(Val id, Val reason) implements Command {}

  /**
   * {@code ROLLBACK EDITS WHERE condition [REASON r]}: the condition is SQL over the edits table,
   * run by H2; {@code conditionParams} are the statement's parameter indexes that appear in it, in
   * order.
   */
  record RollbackEdits(String condition, List<Integer> conditionParams, Val reason)
      implements Command {}

  /** {@code ROLLBACK TO VERSION v [REASON r]}. */
  record RollbackToVersion(Val version, Val reason) implements Command {}

  /** {@code RESTORE EDIT id [REASON r]}. */
  record RestoreEdit(Val id, Val reason) implements Command {}

  /** {@code CREATE USER name [PASSWORD p] ROLE r}; an absent password is the empty one. */
  record CreateUser(Val name, Val password, Val role) implements Command {}

  /** {@code ALTER USER name [SET] PASSWORD p} or {@code ALTER USER name [SET] ROLE r}. */
  record AlterUser(Val name, Val password, Val role) implements Command {}

  /** {@code DROP USER name}. */
  record DropUser(Val name) implements Command {}

  /** {@code VERIFY HISTORY}: one row (ok, checked, first_bad_seq, problem). */
  record VerifyHistory() implements Command {
    @Override
    public boolean returnsRows() {
      return true;
    }
  }

  /** {@code COMMIT [WORK]}. */
  record Commit() implements Command {}

  /** {@code ROLLBACK [WORK]}. */
  record Rollback() implements Command {}

  /**
   * {@code BEGIN [WORK | TRANSACTION]} or {@code START TRANSACTION}: auto-commit off until the end.
   */
  record Begin() implements Command {}

  /** {@code SET AUTOCOMMIT TRUE|FALSE}: the same as {@code Connection.setAutoCommit}. */
  record SetAutoCommit(boolean on) implements Command {}

  /**
   * Standard SQL for H2. {@code savepointRollback} marks {@code ROLLBACK TO SAVEPOINT}, which the
   * connection refuses over EditDB writes (the store cannot rewind part of a transaction).
   */
  record Delegate(String sql, boolean savepointRollback) implements Command {}

  /**
   * Standard SQL that calls EditDB's table functions on a store whose truth is PostgreSQL: the
   * driver evaluates the calls and PostgreSQL the rest ({@link PgTableFunctions}).
   */
  record TableFunctions(String sql) implements Command {
    @Override
    public boolean returnsRows() {
      return true;
    }
  }

  /** A parsed statement and how many {@code ?} it has. */
  record Parsed(Command command, int paramCount) {}
}
