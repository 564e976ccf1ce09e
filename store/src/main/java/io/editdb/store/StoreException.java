package io.editdb.store;

/**
 * A refused request to the store. The message names the rule, the value and the fix; the {@link
 * Kind} lets the driver map it to a stable SQLState and vendor code. A refused request changes
 * nothing. Not an {@link IllegalArgumentException}: "unavailable" and "write-lock timeout" are no
 * argument's fault, and code that catches a bug's IllegalArgumentException must not catch these.
 */
public class StoreException extends RuntimeException {

  /** What kind of refusal this is; one catalog shared with the driver's error codes. */
  public enum Kind {
    /** A value breaks a rule: wrong dimension, NaN, non-unit key on a DOT layer, bad option. */
    INVALID_VALUE,
    /** No layer of that name. */
    UNKNOWN_LAYER,
    /** No edit of that id. */
    UNKNOWN_EDIT,
    /** No such version (negative or beyond the latest). */
    UNKNOWN_VERSION,
    /** A layer of that name exists already. */
    DUPLICATE_LAYER,
    /** The edit is not in a state that allows this (rolling back a rolled-back edit, ...). */
    WRONG_STATE,
    /** The store is used by another process, or its schema is newer than this code. */
    UNAVAILABLE,
    /** The single writer slot was not free in time. */
    WRITE_LOCK_TIMEOUT,
    /** The caller's role does not allow this. */
    NOT_ALLOWED,
    /** The user name or password was not accepted. */
    AUTHENTICATION,
    /** No user of that name. */
    UNKNOWN_USER,
    /** A user of that name exists already. */
    DUPLICATE_USER,
    /**
     * The statement needs a host model, and the layer is bound to none, or no host binding on the
     * class path serves its host (or cannot load it).
     */
    NO_HOST
  }

  private final Kind kind;

  public StoreException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public StoreException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
