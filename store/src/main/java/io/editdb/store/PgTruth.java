package io.editdb.store;

import static io.editdb.store.StoreException.Kind.UNAVAILABLE;
import static io.editdb.store.StoreException.Kind.WRITE_LOCK_TIMEOUT;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;

/**
 * What a store on PostgreSQL does that one on H2 does not need: nodes writing the same truth. The
 * store's writers on all nodes take one PostgreSQL advisory lock, so versions stay dense and in
 * commit order across nodes exactly as the writer slot keeps them in one process; a commit sends a
 * notification that the other nodes' {@link TruthFollower}s wait for.
 *
 * <p>Advisory locks are per database, so two stores in two databases of one cluster never meet. A
 * lock dies with its connection: a node killed while writing holds nothing once PostgreSQL sees its
 * connection gone, and its open transaction is rolled back whole.
 */
final class PgTruth {
  /** The writers' lock: held from a transaction's first write to its commit or rollback. */
  static final long WRITERS_LOCK = 0x4544_4244_5752_0001L;

  /** Changes of users and the user chain. */
  static final long USERS_LOCK = 0x4544_4244_5752_0002L;

  /** Making the role logins and their grants at open. */
  static final long ROLES_LOCK = 0x4544_4244_5752_0003L;

  /** The channel a commit notifies, with its version as the payload. */
  static final String CHANNEL = "editdb_versions";

  private PgTruth() {}

  /** The properties every connection of the store's owner uses. */
  static Properties ownerProperties(StoreConfig.Postgres truth, String application) {
    Properties p = new Properties();
    p.setProperty("user", truth.user());
    p.setProperty("password", truth.password());
    p.setProperty("ApplicationName", application);
    p.setProperty("tcpKeepAlive", "true");
    p.setProperty("connectTimeout", "10");
    return p;
  }

  /** One plain connection before the pool exists, so an unreachable database is refused at once. */
  static void probe(StoreConfig config) {
    StoreConfig.Postgres truth = config.postgres();
    try (Connection c =
        DriverManager.getConnection(truth.url(), ownerProperties(truth, "editdb-probe"))) {
      c.isValid(5);
    } catch (SQLException e) {
      throw new StoreException(
          UNAVAILABLE,
          "cannot open the PostgreSQL store "
              + truth
              + ": "
              + e.getMessage()
              + ". Check that PostgreSQL runs there, that the database exists and that the user"
              + " and password are right",
          e);
    }
  }

  /** Takes a transaction-level advisory lock (released at commit or rollback), waiting for it. */
  static void lock(Connection c, long key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
      ps.setLong(1, key);
      ps.execute();
    }
  }

  /**
   * Takes the writers' lock for this connection's session, waiting at most {@code timeout}. A
   * session lock, not a transaction's: a transaction given up keeps the caller's own earlier SQL
   * open on the connection, and must not keep every other node's writers out with it.
   */
  static void lockWriters(Connection c, Duration timeout, String location) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("SET lock_timeout = " + Math.max(1, timeout.toMillis()));
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_lock(?)")) {
      ps.setLong(1, WRITERS_LOCK);
      ps.execute();
    } catch (SQLException e) {
      if ("55P03".equals(e.getSQLState())) {
        throw new StoreException(
            WRITE_LOCK_TIMEOUT,
            "a writer on another node of "
                + location
                + " held the store's write lock for more than "
                + timeout
                + "; one transaction writes at a time across all nodes. Retry, or find the"
                + " long transaction in pg_stat_activity",
            e);
      }
      throw e;
    } finally {
      try (Statement st = c.createStatement()) {
        st.execute("SET lock_timeout = 0");
      } catch (SQLException ignored) {
        // the lock's failure aborted the transaction; its rollback undoes the SET as well
      }
    }
  }

  /** Releases the writers' lock of this connection's session (false: it held none). */
  static boolean unlockWriters(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_unlock(?)")) {
      ps.setLong(1, WRITERS_LOCK);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  /** Tells the other nodes, when this transaction commits, that the users changed. */
  static void notifyUsersChanged(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, 'users')")) {
      ps.setString(1, CHANNEL);
      ps.execute();
    }
  }

  /** Tells the other nodes, when this transaction commits, that {@code version} exists. */
  static void announce(Connection c, long version) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
      ps.setString(1, CHANNEL);
      ps.setString(2, Long.toString(version));
      ps.execute();
    }
  }
}
