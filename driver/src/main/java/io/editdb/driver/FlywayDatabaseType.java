package io.editdb.driver;

import org.flywaydb.core.internal.database.h2.H2DatabaseType;

/**
 * Lets Flyway run a user's migrations on an EditDB store given its URL ({@code
 * Flyway.configure().dataSource("jdbc:editdb:...", user, password)}): Flyway finds a database's
 * driver by URL, through the plugins it loads with {@link java.util.ServiceLoader}. The SQL is
 * H2's, so everything else is Flyway's H2 support (which a connection's metadata selects anyway:
 * its product is H2). Migrations run as the connecting EditDB user, with that user's rights: an
 * administrator's tables go to schema APP ({@code schemas("APP")}), where Flyway keeps the user's
 * own flyway_schema_history; EditDB's own migrations are recorded apart, in editdb_schema_history.
 */
public final class FlywayDatabaseType extends H2DatabaseType {
  @Override
  public String getName() {
    return EditDbDriver.NAME;
  }

  @Override
  public boolean handlesJDBCUrl(String url) {
    return url.regionMatches(true, 0, EditDbDriver.URL_PREFIX, 0, EditDbDriver.URL_PREFIX.length());
  }

  @Override
  public String getDriverClass(String url, ClassLoader classLoader) {
    return EditDbDriver.class.getName();
  }
}
