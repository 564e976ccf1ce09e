package io.editdb.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The metadata calls GUI clients (DBeaver, IntelliJ, SQuirreL) make when they connect. */
class MetaDataTest {

  private static Set<String> labels(ResultSet rs) throws SQLException {
    ResultSetMetaData md = rs.getMetaData();
    Set<String> out = new HashSet<>();
    for (int i = 1; i <= md.getColumnCount(); i++) {
      out.add(md.getColumnLabel(i).toUpperCase(Locale.ROOT));
    }
    return out;
  }

  private static List<String> column(ResultSet rs, String label) throws SQLException {
    List<String> out = new ArrayList<>();
    try (rs) {
      while (rs.next()) {
        out.add(rs.getString(label));
      }
    }
    return out;
  }

  @Test
  void identityIsEditDbAndSqlIsH2s() throws SQLException {
    String url = TestDb.memUrl("meta");
    try (Connection c = TestDb.connect(url)) {
      DatabaseMetaData md = c.getMetaData();
      assertEquals("EditDB", md.getDriverName());
      assertEquals("0.1.0", md.getDriverVersion());
      assertEquals(0, md.getDriverMajorVersion());
      assertEquals(1, md.getDriverMinorVersion());
      // the engine is H2's, named as tools that pick a dialect know it
      assertEquals("H2", md.getDatabaseProductName());
      assertEquals(
          org.h2.engine.Constants.FULL_VERSION.split(" ")[0],
          md.getDatabaseProductVersion().split(" ")[0]);
      assertEquals(org.h2.engine.Constants.VERSION_MAJOR, md.getDatabaseMajorVersion());
      assertEquals(org.h2.engine.Constants.VERSION_MINOR, md.getDatabaseMinorVersion());
      assertEquals(url, md.getURL());
      assertEquals("ana", md.getUserName());
      assertSame(c, md.getConnection());
      assertEquals("\"", md.getIdentifierQuoteString());
      assertTrue(md.getSQLKeywords().contains("RESTORE"));
      assertTrue(md.getSQLKeywords().contains("LIMIT")); // H2's are still there
      assertNotNull(md.getNumericFunctions());
      assertNotNull(md.getStringFunctions());
      assertNotNull(md.getSystemFunctions());
      assertNotNull(md.getTimeDateFunctions());
      assertNotNull(md.getSearchStringEscape());
      assertNotNull(md.getExtraNameCharacters());
      assertEquals(".", md.getCatalogSeparator());
      assertNotNull(md.getCatalogTerm());
      assertNotNull(md.getSchemaTerm());
      assertTrue(md.storesUpperCaseIdentifiers());
      assertTrue(md.supportsTransactions());
      assertTrue(md.supportsBatchUpdates());
      assertTrue(md.supportsGetGeneratedKeys());
      assertEquals(Connection.TRANSACTION_READ_COMMITTED, md.getDefaultTransactionIsolation());
      assertTrue(md.getJDBCMajorVersion() >= 4);
      assertFalse(md.isReadOnly());
      assertFalse(
          md.supportsResultSetConcurrency(ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_UPDATABLE));
      assertTrue(
          md.supportsResultSetConcurrency(ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY));
      assertTrue(md.isWrapperFor(DatabaseMetaData.class));
    }
  }

  @Test
  void tablesColumnsKeysAndIndexesOfEditDbsRelations() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("meta-tables")) {
      DatabaseMetaData md = c.getMetaData();
      assertTrue(column(md.getCatalogs(), "TABLE_CAT").size() >= 1);
      assertTrue(column(md.getSchemas(), "TABLE_SCHEM").contains("PUBLIC"));
      assertTrue(column(md.getSchemas(null, "PUB%"), "TABLE_SCHEM").contains("PUBLIC"));
      assertTrue(column(md.getTableTypes(), "TABLE_TYPE").contains("BASE TABLE"));

      ResultSet tables = md.getTables(null, "PUBLIC", "%", null);
      assertTrue(
          labels(tables)
              .containsAll(
                  Set.of("TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE", "REMARKS")));
      assertTrue(
          column(tables, "TABLE_NAME")
              .containsAll(List.of("LAYERS", "EDITS", "EDIT_HISTORY", "VERSIONS", "EDIT_SPANS")));

      ResultSet columns = md.getColumns(null, "PUBLIC", "EDITS", "%");
      assertTrue(
          labels(columns)
              .containsAll(
                  Set.of(
                      "COLUMN_NAME",
                      "DATA_TYPE",
                      "TYPE_NAME",
                      "COLUMN_SIZE",
                      "NULLABLE",
                      "ORDINAL_POSITION")));
      assertEquals(
          List.of(
              "ID",
              "LAYER",
              "PROMPT",
              "TARGET",
              "IMAGE_REF",
              "VISUAL_KEY",
              "TEXT_KEY",
              "EXPERT_A",
              "EXPERT_B",
              "WEIGHT_DTYPE",
              "RANK",
              "ALPHA",
              "AUTHOR",
              "REASON",
              "STATUS",
              "CREATED_VERSION",
              "CREATED_AT",
              "RETIRED_VERSION",
              "RETIRED_AT",
              "TOKEN_MASK",
              "QUERY_REGION"),
          column(columns, "COLUMN_NAME"));

      assertEquals(
          List.of("ID"), column(md.getPrimaryKeys(null, "PUBLIC", "EDITS"), "COLUMN_NAME"));
      assertTrue(
          column(md.getIndexInfo(null, "PUBLIC", "EDITS", false, true), "INDEX_NAME").stream()
              .anyMatch(n -> n.equalsIgnoreCase("EDITS_LAYER_IX")));
      assertTrue(
          column(md.getImportedKeys(null, "PUBLIC", "EDITS"), "PKTABLE_NAME").contains("LAYERS"));
      assertTrue(
          column(md.getExportedKeys(null, "PUBLIC", "LAYERS"), "FKTABLE_NAME").contains("EDITS"));
      ResultSet types = md.getTypeInfo();
      assertTrue(labels(types).containsAll(Set.of("TYPE_NAME", "DATA_TYPE", "PRECISION")));
      assertTrue(column(types, "TYPE_NAME").contains("REAL"));
      // H2 lists Java functions (EditDB's ROUTE, EDITS_AT, ...) as procedures
      assertTrue(
          column(md.getProcedures(null, "PUBLIC", "ROUTE%"), "PROCEDURE_NAME").contains("ROUTE"));
      assertNotNull(md.getFunctions(null, null, "%"));
      assertNotNull(md.getClientInfoProperties());
      assertNotNull(md.getUDTs(null, null, "%", null));
    }
  }

  @Test
  void aNullTableGivesAnEmptyResultWithTheRightColumns() throws SQLException {
    try (Connection c = TestDb.withSmallLayer("meta-null")) {
      DatabaseMetaData md = c.getMetaData();
      for (ResultSet rs :
          List.of(
              md.getPrimaryKeys(null, null, null),
              md.getIndexInfo(null, null, null, false, true),
              md.getImportedKeys(null, null, null),
              md.getExportedKeys(null, null, null),
              md.getBestRowIdentifier(null, null, null, 0, true),
              md.getVersionColumns(null, null, null),
              md.getColumnPrivileges(null, null, null, "%"),
              md.getCrossReference(null, null, null, null, null, null))) {
        try (rs) {
          assertTrue(rs.getMetaData().getColumnCount() > 0);
          assertFalse(rs.next());
        }
      }
      assertTrue(labels(md.getPrimaryKeys(null, null, null)).contains("PK_NAME"));
    }
  }
}
