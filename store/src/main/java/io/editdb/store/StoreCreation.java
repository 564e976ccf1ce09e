package io.editdb.store;

import static io.editdb.store.StoreException.Kind.UNAVAILABLE;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.h2.api.ErrorCode;

/**
 * Brings a store's H2 database to this code's schema before the store opens it: refuses one another
 * process holds, creates a new one in one rename, and migrates an older one.
 */
final class StoreCreation {
  static final String MIGRATIONS = "classpath:db/editdb";

  private StoreCreation() {}

  /** Creates the store's directory, and its database if missing, and refuses one in use. */
  static void prepare(StoreConfig config) {
    if (!config.inMemory()) {
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
      createAtomically(config);
    }
    probe(config);
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

  /** Migrates the schema; refuses a store whose schema is newer than this code knows. */
  static void migrate(DataSource dataSource, StoreConfig config) {
    // V4 creates the role users with this password; H2Roles replaces it before anyone logs in.
    byte[] secret = new byte[32];
    new java.security.SecureRandom().nextBytes(secret);
    Flyway flyway =
        Flyway.configure()
            .dataSource(dataSource)
            .locations(MIGRATIONS)
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

  private static String latestKnownMigration(Flyway flyway) {
    return Stream.of(flyway.info().all())
        .filter(i -> !i.getState().name().startsWith("FUTURE"))
        .map(i -> String.valueOf(i.getVersion()))
        .reduce((a, b) -> b)
        .orElse("none");
  }
}
