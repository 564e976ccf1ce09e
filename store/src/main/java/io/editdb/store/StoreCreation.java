package io.editdb.store;

import static io.editdb.store.StoreException.Kind.UNAVAILABLE;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.h2.api.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a store's H2 database to this code's schema before the store opens it: refuses one another
 * process holds, creates a new one in one rename, and migrates an older one.
 */
final class StoreCreation {
  private static final Logger LOG = LoggerFactory.getLogger(EditStore.class);

  static final String MIGRATIONS = "classpath:db/editdb";

  /** PostgreSQL's scripts: the same schema versions in its types (migrations/postgresql). */
  static final String PG_MIGRATIONS = "classpath:db/editdb-postgresql";

  private StoreCreation() {}

  /** Creates the store's directory, and its database if missing, and refuses one in use. */
  static void prepare(StoreConfig config) {
    if (!config.inMemory()) {
      createDirectory(config);
      if (config.shared()) {
        PgTruth.probe(config); // Flyway migrates it under its own advisory lock: nodes may race
        return;
      }
      createAtomically(config);
    }
    probe(config);
  }

  private static void createDirectory(StoreConfig config) {
    try {
      Files.createDirectories(config.directory());
    } catch (IOException e) {
      throw new StoreException(
          UNAVAILABLE,
          "cannot create store directory "
              + config.directory()
              + ": "
              + e.getMessage()
              + ". Check the path and its rights",
          e);
    }
  }

  /**
   * One plain connection before the pool exists: a store another process holds is refused at once,
   * instead of after the pool's connection timeout.
   */
  private static void probe(StoreConfig config) {
    try (Connection c = java.sql.DriverManager.getConnection(config.h2Url(), "sa", "")) {
      c.isValid(1);
    } catch (SQLException e) {
      if (e.getErrorCode() == ErrorCode.DATABASE_ALREADY_OPEN_1
          || String.valueOf(e.getMessage()).contains("already in use")) {
        throw new StoreException(
            UNAVAILABLE,
            "store "
                + config.location()
                + " is in use by another process; one process opens a store at a time. Close the"
                + " other process or connect to it through its driver",
            e);
      }
      throw new StoreException(
          UNAVAILABLE, "cannot open store " + config.location() + ": " + e.getMessage(), e);
    }
  }

  /**
   * A new store's database is created and migrated under a staging name and only then moved into
   * place, in one rename. H2 commits each DDL statement of a migration as it runs, so a process
   * killed while creating a store would otherwise leave a half-migrated schema that Flyway has not
   * recorded and cannot re-run ("duplicate column"). A staging file left by such a kill holds no
   * commit of anyone's and is deleted.
   */
  private static void createAtomically(StoreConfig config) {
    Path target = config.directory().resolve(StoreConfig.H2_FILE + ".mv.db");
    if (Files.exists(target)) {
      return;
    }
    Path staging = config.directory().resolve(StoreConfig.H2_FILE + "-creating.mv.db");
    try {
      Files.deleteIfExists(staging);
      org.h2.jdbcx.JdbcDataSource ds = new org.h2.jdbcx.JdbcDataSource();
      ds.setURL(config.h2FileUrl(StoreConfig.H2_FILE + "-creating"));
      ds.setUser("sa");
      ds.setPassword("");
      migrate(ds, config);
      try (Connection c = ds.getConnection();
          Statement st = c.createStatement()) {
        st.execute("SHUTDOWN"); // everything written and the file closed before the rename
      }
      Files.move(staging, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | SQLException e) {
      throw new StoreException(
          UNAVAILABLE,
          "cannot create store "
              + config.location()
              + ": "
              + e.getMessage()
              + ". Check the directory's free space and rights",
          e);
    }
  }

  /**
   * EditDB's own schema history table, named apart from Flyway's default so that a user's Flyway
   * migrations (in schema APP) keep their own flyway_schema_history beside it.
   */
  static final String SCHEMA_HISTORY = "editdb_schema_history";

  /** Migrates the schema; refuses a store whose schema is newer than this code knows. */
  static void migrate(DataSource dataSource, StoreConfig config) {
    // V4 creates the role users with this password; H2Roles replaces it before anyone logs in.
    byte[] secret = new byte[32];
    new java.security.SecureRandom().nextBytes(secret);
    if (!config.shared()) {
      renameSchemaHistory(dataSource, config);
    }
    Flyway flyway =
        Flyway.configure()
            .dataSource(dataSource)
            .table(SCHEMA_HISTORY)
            .locations(config.shared() ? PG_MIGRATIONS : MIGRATIONS)
            .placeholders(Map.of("role_password", java.util.HexFormat.of().formatHex(secret)))
            .ignoreMigrationPatterns("*:missing")
            .load();
    for (MigrationInfo info : flyway.info().all()) {
      if (info.getState().name().startsWith("FUTURE")) {
        throw new StoreException(
            UNAVAILABLE,
            "store "
                + config.location()
                + " has schema version "
                + info.getVersion()
                + " but this EditDB knows up to "
                + latestKnownMigration(flyway)
                + "; open it with a newer EditDB");
      }
    }
    flyway.migrate();
  }

  /**
   * Stores written before EditDB named its schema history kept it in Flyway's default table,
   * flyway_schema_history; it moves to {@link #SCHEMA_HISTORY}. The rename is one DDL statement,
   * which H2 commits whole, so a store killed during it has the old name (renamed on the next open)
   * or the new one.
   */
  private static void renameSchemaHistory(DataSource dataSource, StoreConfig config) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'PUBLIC'"
                    + " AND TABLE_NAME = ?")) {
      ps.setString(1, "flyway_schema_history");
      boolean old = count(ps) > 0;
      ps.setString(1, SCHEMA_HISTORY);
      if (old && count(ps) == 0) {
        try (Statement st = c.createStatement()) {
          st.execute(
              "ALTER TABLE PUBLIC.\"flyway_schema_history\" RENAME TO \"" + SCHEMA_HISTORY + "\"");
        }
        LOG.info("{} - schema history moved to {}", config.location(), SCHEMA_HISTORY);
      }
    } catch (SQLException e) {
      throw new StoreException(
          UNAVAILABLE,
          "cannot open store "
              + config.location()
              + ": moving its schema history to "
              + SCHEMA_HISTORY
              + " failed: "
              + e.getMessage(),
          e);
    }
  }

  private static long count(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String latestKnownMigration(Flyway flyway) {
    return Stream.of(flyway.info().all())
        .filter(i -> !i.getState().name().startsWith("FUTURE"))
        .map(i -> String.valueOf(i.getVersion()))
        .reduce((a, b) -> b)
        .orElse("none");
  }
}
