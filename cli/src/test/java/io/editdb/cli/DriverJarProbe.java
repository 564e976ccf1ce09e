package io.editdb.cli;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

/**
 * What a GUI tool does with {@code editdb-driver.jar} on its own class path: open a store by URL,
 * read the metadata, create a layer, insert an edit and read it back. Run in a separate JVM by
 * {@link DriverJarIT}, with only that jar (and a clashing Flyway) on the class path.
 */
public final class DriverJarProbe {
  private DriverJarProbe() {}

  public static void main(String[] args) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:editdb:" + args[0], "probe", "")) {
      DatabaseMetaData md = c.getMetaData();
      System.out.println("driver " + md.getDriverName() + " " + md.getDriverVersion());
      try (Statement s = c.createStatement()) {
        s.execute(
            "CREATE LAYER probe_l1 (MODEL 'probe', MODULE 'm', D_IN 8, D_OUT 8, VISUAL_DIM 4, TEXT_DIM 4)");
        s.executeUpdate(
            "INSERT INTO edits (layer, prompt, target, visual_key, text_key, expert_a, expert_b)"
                + " VALUES ('probe_l1', 'the sky', 'green', ARRAY[1,0,0,0], ARRAY[0,1,0,0],"
                + " ARRAY[1,0,0,0,0,0,0,0], ARRAY[1,0,0,0,0,0,0,0])");
        try (ResultSet rs = s.executeQuery("SELECT COUNT(*), MAX(target) FROM edits")) {
          rs.next();
          System.out.println("edits " + rs.getInt(1) + " " + rs.getString(2));
        }
      }
    }
  }
}
