package io.editdb.ecosystem;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.Types;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import schemacrawler.schema.Catalog;
import schemacrawler.schema.Column;
import schemacrawler.schema.Table;
import schemacrawler.schemacrawler.LoadOptionsBuilder;
import schemacrawler.schemacrawler.SchemaCrawlerOptions;
import schemacrawler.schemacrawler.SchemaCrawlerOptionsBuilder;
import schemacrawler.schemacrawler.SchemaInfoLevelBuilder;
import schemacrawler.tools.utility.SchemaCrawlerUtility;
import us.fatehi.utility.datasource.DatabaseConnectionSources;

/** SchemaCrawler 17 crawls a store as it crawls any database: every relation, typed columns. */
class SchemaCrawlerTest {

  @Test
  void listsEveryRelationWithVectorColumnsTypedAsArraysAndTextAsStrings() throws Exception {
    try (Connection c = Stores.withLayer(Stores.memUrl("crawl"))) {
      try (var st = c.createStatement()) {
        st.execute("CREATE TABLE APP.notes (id INT PRIMARY KEY, body VARCHAR(100))");
      }
      SchemaCrawlerOptions options =
          SchemaCrawlerOptionsBuilder.newSchemaCrawlerOptions()
              .withLoadOptions(
                  LoadOptionsBuilder.builder()
                      .withSchemaInfoLevel(SchemaInfoLevelBuilder.standard())
                      .toOptions());
      Catalog catalog =
          SchemaCrawlerUtility.getCatalog(DatabaseConnectionSources.fromConnection(c), options);

      // What users read: EditDB's views and their own tables (H2 also lists the base tables in
      // PUBLIC behind the views, which only the store itself may read).
      TreeSet<String> relations = new TreeSet<>();
      Map<String, Column> edits = new TreeMap<>();
      for (Table t : catalog.getTables()) {
        String schema = t.getSchema().getName();
        if (schema.equals("EDITDB") || schema.equals("APP")) {
          relations.add(schema + "." + t.getName());
        }
        if (schema.equals("EDITDB") && t.getName().equals("EDITS")) {
          for (Column col : t.getColumns()) {
            edits.put(col.getName().toLowerCase(java.util.Locale.ROOT), col);
          }
        }
      }
      assertEquals(
          new TreeSet<>(
              java.util.List.of(
                  "APP.NOTES",
                  "EDITDB.EDITS",
                  "EDITDB.EDIT_HISTORY",
                  "EDITDB.EDIT_SPANS",
                  "EDITDB.LAYERS",
                  "EDITDB.USERS",
                  "EDITDB.USER_HISTORY",
                  "EDITDB.VERSIONS")),
          relations);
      for (String vector : java.util.List.of("visual_key", "text_key", "expert_a", "expert_b")) {
        Column col = edits.get(vector);
        assertEquals(
            Types.ARRAY,
            col.getColumnDataType().getJavaSqlType().getVendorTypeNumber(),
            vector + " is " + col.getColumnDataType());
        assertEquals("REAL ARRAY", col.getColumnDataType().getName(), vector);
      }
      for (String text : java.util.List.of("prompt", "target", "reason")) {
        Column col = edits.get(text);
        assertEquals(
            Types.VARCHAR,
            col.getColumnDataType().getJavaSqlType().getVendorTypeNumber(),
            text + " is " + col.getColumnDataType());
      }
    }
  }
}
