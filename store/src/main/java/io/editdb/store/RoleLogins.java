package io.editdb.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

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

  /** What a new login's connection runs first (its names' schemas). */
  interface Setup {
    void run(Statement st) throws SQLException;
  }

  /**
   * Runs {@code setup} on a new login's connection {@code c} and makes each of its auto-commit
   * statements read one snapshot (under READ COMMITTED one query over several of EditDB's views
   * could see half of a commit); closes {@code c} if any of that fails.
   */
  static Connection prepared(Connection c, Setup setup) throws SQLException {
    boolean ok = false;
    try (Statement st = c.createStatement()) {
      setup.run(st);
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      ok = true;
      return c;
    } finally {
      if (!ok) {
        c.close();
      }
    }
  }
}
