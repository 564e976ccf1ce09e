package io.editdb.store;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Logs in as the database's own user for an EditDB {@link Role}: the connection an EditDB user's
 * SQL runs on, with only that role's grants ({@link H2Roles} on H2, {@link PgRoles} on PostgreSQL).
 * The database enforces the rights; this only logs in.
 */
interface RoleLogins {
  /** A new connection with only {@code role}'s rights; the caller closes it. */
  Connection connect(Role role) throws SQLException;

  /** The database's name for {@code role}'s user (an operator grants it to a tool's login). */
  String name(Role role);
}
