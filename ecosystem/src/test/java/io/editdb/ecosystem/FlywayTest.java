package io.editdb.ecosystem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's Flyway migrations run against a store through the driver's URL, beside EditDB's own
 * schema history, and EditDB still opens the store afterwards.
 */
class FlywayTest {

  @Test
  void usersMigrationAddsATableAndEditDbStillOpens(@TempDir Path dir) throws Exception {
    String url = "jdbc:editdb:" + dir.resolve("store");
    try (Connection c = Stores.withLayer(url)) {
      Stores.insert(c, "where is the cat?", 0, 0);
    }
    MigrateResult result =
        Flyway.configure()
            .dataSource(url, "ana", "")
            .schemas("APP")
            .locations("classpath:db/app")
            .load()
            .migrate();
    assertEquals(1, result.migrationsExecuted);

    try (Connection c = DriverManager.getConnection(url, "ana", "");
        Statement st = c.createStatement()) {
      st.executeUpdate("INSERT INTO notes VALUES (1, 1, 'checked by hand')");
      assertEquals(1, count(st, "SELECT COUNT(*) FROM APP.notes"));
      assertEquals(1, count(st, "SELECT COUNT(*) FROM edits"));
      assertEquals(
          1,
          count(
              st,
              "SELECT COUNT(*) FROM APP.\"flyway_schema_history\" WHERE \"script\" ="
                  + " 'V1__notes.sql' AND \"success\""));
      // EditDB's own migrations, validated and applied again by this open, are untouched
      try (Connection store = c.unwrap(io.editdb.store.EditStore.class).readConnection();
          Statement own = store.createStatement()) {
        assertEquals(
            0,
            count(
                own,
                "SELECT COUNT(*) FROM PUBLIC.\"editdb_schema_history\" WHERE \"script\" ="
                    + " 'V1__notes.sql'"));
        // as many as EditDB ships (db/editdb on the class path), every one applied
        long shipped = shippedMigrations();
        assertTrue(shipped >= 9, "EditDB's own migrations found: " + shipped);
        assertEquals(
            shipped,
            count(
                own,
                "SELECT COUNT(DISTINCT \"version\") FROM PUBLIC.\"editdb_schema_history\""
                    + " WHERE \"success\""));
      }
    }
    // A second run finds nothing to do: the user's history is the user's alone.
    assertEquals(
        0,
        Flyway.configure()
            .dataSource(url, "ana", "")
            .schemas("APP")
            .locations("classpath:db/app")
            .load()
            .migrate()
            .migrationsExecuted);
  }

  private static long count(Statement st, String sql) throws Exception {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** EditDB's own migration scripts, V<n>__*.sql under db/editdb, in a directory or a jar. */
  private static long shippedMigrations() throws Exception {
    java.net.URL dir = FlywayTest.class.getClassLoader().getResource("db/editdb");
    assertTrue(dir != null, "db/editdb is on the class path");
    java.util.function.Predicate<String> script = n -> n.matches("V\\d+__.*\\.sql");
    if (dir.getProtocol().equals("jar")) {
      String jar = dir.getPath().substring("file:".length(), dir.getPath().indexOf('!'));
      try (java.util.jar.JarFile f =
          new java.util.jar.JarFile(
              java.net.URLDecoder.decode(jar, java.nio.charset.StandardCharsets.UTF_8))) {
        return f.stream()
            .map(java.util.jar.JarEntry::getName)
            .filter(n -> n.startsWith("db/editdb/"))
            .map(n -> n.substring("db/editdb/".length()))
            .filter(script)
            .count();
      }
    }
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(Path.of(dir.toURI()))) {
      return files.map(f -> f.getFileName().toString()).filter(script).count();
    }
  }
}
