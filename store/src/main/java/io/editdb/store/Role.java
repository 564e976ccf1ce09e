package io.editdb.store;

/**
 * What a user may do. Roles are ordered by power: each may do what the ones after it may.
 *
 * <ul>
 *   <li>{@link #ADMIN}: creates layers and users, and may do everything an editor may;
 *   <li>{@link #EDITOR}: inserts, rolls back and restores edits;
 *   <li>{@link #AUDITOR}: reads and routes only.
 * </ul>
 *
 * Nobody may change the history: the store appends to it, and nothing else writes it.
 */
public enum Role {
  ADMIN,
  EDITOR,
  AUDITOR;

  /** True if this role may insert, roll back and restore edits. */
  public boolean mayEdit() {
    return this != AUDITOR;
  }

  /** True if this role may create layers and manage users. */
  public boolean mayAdminister() {
    return this == ADMIN;
  }
}
