package io.editdb.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's lists of relations and of the table functions' columns are the schema's: a relation or
 * column added, dropped or renamed without README saying so fails here. The schema is read from a
 * real directory store through the driver, as a user sees it (JDBC metadata of schema {@code
 * EDITDB}, where every user's SQL finds EditDB's relations; the columns of each function's result).
 */
class ReadmeSchemaTest {
  private static final Pattern ROW = Pattern.compile("^\\|\\s*`([A-Za-z_ ]+)`[^|]*\\|([^|]*)\\|");
  private static final Pattern NAME = Pattern.compile("`([a-z_]+)`");

  @TempDir Path dir;

  @Test
  void readmeListsEveryRelationAndColumnAsTheSchemaHasThem() throws Exception {
    Map<String, List<String>> readme = readmeTable("### Relations");
    assertFalse(readme.isEmpty(), "README has no relation table under '### Relations'");
    Map<String, List<String>> schema = new LinkedHashMap<>();
    try (Connection c = DriverManager.getConnection("jdbc:editdb:" + dir, "ana", "")) {
      DatabaseMetaData md = c.getMetaData();
      try (ResultSet rs = md.getTables(null, "EDITDB", "%", null)) {
        while (rs.next()) {
          schema.put(rs.getString("TABLE_NAME").toLowerCase(Locale.ROOT), new ArrayList<>());
        }
      }
      for (Map.Entry<String, List<String>> e : schema.entrySet()) {
        try (ResultSet rs =
            md.getColumns(null, "EDITDB", e.getKey().toUpperCase(Locale.ROOT), "%")) {
          while (rs.next()) {
            e.getValue().add(rs.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
          }
        }
      }
    }
    assertTrue(schema.containsKey("edits"), "the store shows no EDITDB.EDITS: " + schema);
    assertEquals("", differences(schema, readme), "README's relations differ from the schema");
  }

  @Test
  void readmeListsEveryTableFunctionsColumns() throws Exception {
    Map<String, List<String>> readme = readmeTable("### Table functions");
    assertFalse(readme.isEmpty(), "README has no function table under '### Table functions'");
    Map<String, List<String>> schema = new LinkedHashMap<>();
    try (Connection c = DriverManager.getConnection("jdbc:editdb:" + dir, "ana", "");
        Statement st = c.createStatement()) {
      st.execute(TestDb.SMALL_LAYER);
      schema.put("EDITS_AT", columns(c, "SELECT * FROM EDITS_AT(?)"));
      schema.put("ROUTE", columns(c, "SELECT * FROM ROUTE(?, ?, ?)"));
      schema.put("ROUTE_EXPLAIN", columns(c, "SELECT * FROM ROUTE_EXPLAIN(?, ?, ?)"));
      schema.put("ASK", columns(c, "SELECT * FROM ASK(?, ?, ?)"));
      schema.put("ATTRIBUTION", columns(c, "SELECT * FROM ATTRIBUTION(?, ?, ?)"));
      try (ResultSet rs = st.executeQuery("VERIFY HISTORY")) {
        schema.put("VERIFY HISTORY", names(rs.getMetaData()));
      }
    }
    assertEquals(
        "", differences(schema, readme), "README's function columns differ from the store");
  }

  /** What README misses, adds or orders otherwise than the schema; empty when they agree. */
  private static String differences(
      Map<String, List<String>> schema, Map<String, List<String>> readme) {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, List<String>> e : schema.entrySet()) {
      List<String> documented = readme.get(e.getKey());
      if (documented == null) {
        out.append(e.getKey()).append(" is not in README; ");
      } else if (!documented.equals(e.getValue())) {
        out.append(e.getKey())
            .append(" has columns ")
            .append(e.getValue())
            .append(" but README lists ")
            .append(documented)
            .append("; ");
      }
    }
    for (String name : readme.keySet()) {
      if (!schema.containsKey(name)) {
        out.append(name).append(" is in README but not in the schema; ");
      }
    }
    return out.toString();
  }

  private static List<String> columns(Connection c, String sql) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      return names(ps.getMetaData());
    }
  }

  private static List<String> names(ResultSetMetaData md) throws SQLException {
    List<String> out = new ArrayList<>();
    for (int i = 1; i <= md.getColumnCount(); i++) {
      out.add(md.getColumnLabel(i).toLowerCase(Locale.ROOT));
    }
    return out;
  }

  /**
   * The rows of README's table under {@code heading}: first cell a name in backticks, second cell
   * the columns, each in backticks, in order.
   */
  private static Map<String, List<String>> readmeTable(String heading) throws IOException {
    List<String> lines = Files.readAllLines(readme(), StandardCharsets.UTF_8);
    int from = lines.indexOf(heading);
    Map<String, List<String>> out = new LinkedHashMap<>();
    if (from < 0) {
      return out;
    }
    for (int i = from + 1; i < lines.size() && !lines.get(i).startsWith("#"); i++) {
      Matcher row = ROW.matcher(lines.get(i));
      if (row.find()) {
        List<String> cols = new ArrayList<>();
        Matcher n = NAME.matcher(row.group(2));
        while (n.find()) {
          cols.add(n.group(1));
        }
        out.put(row.group(1), cols);
      }
    }
    return out;
  }

  private static Path readme() {
    Path module = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
    Path inRoot = module.resolveSibling("README.md");
    return Files.exists(inRoot) ? inRoot : module.resolve("README.md");
  }
}
