package io.editdb.driver;

import static io.editdb.driver.TestDb.assertError;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RelationGuardTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "UPDATE edits SET prompt = 'x'",
        "update PUBLIC.edits set status = 'ACTIVE'",
        "UPDATE \"PUBLIC\".\"EDITS\" SET alpha = 2",
        "DELETE FROM edit_history WHERE seq = 3",
        "DELETE edit_history",
        "TRUNCATE TABLE versions",
        "DROP TABLE edit_spans",
        "DROP TABLE IF EXISTS notes, layers CASCADE",
        "DROP VIEW layers",
        "ALTER TABLE edits ADD COLUMN x INT",
        "ALTER TABLE IF EXISTS layers RENAME TO l2",
        "MERGE INTO layers KEY (id) VALUES (1)",
        "INSERT INTO layers (id) VALUES (1)",
        "INSERT INTO edit_history SELECT * FROM edit_history",
        "INSERT INTO \"editdb_schema_history\" VALUES (1)",
        "REPLACE INTO versions VALUES (1)",
        "WITH x AS (SELECT 1) DELETE FROM edits",
        "SELECT * FROM FINAL TABLE (UPDATE edits SET alpha = 1)",
        "CREATE TRIGGER t BEFORE INSERT ON edits FOR EACH ROW CALL 'x.Y'",
        "SELECT 1; DELETE FROM edits",
        "/* hi */ delete from EDITS"
      })
  void writesToEditDbRelationsAreRefused(String sql) {
    assertError(ErrorCode.READ_ONLY_RELATION, () -> DialectParser.parse(sql));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "DROP ALL OBJECTS",
        "DROP SCHEMA PUBLIC CASCADE",
        "ALTER SCHEMA PUBLIC RENAME TO other",
        "DROP ALIAS ROUTE",
        "DROP ALIAS IF EXISTS EDITS_AT",
        "DROP ALIAS VECTOR_ARRAY"
      })
  void destroyingTheSchemaIsRefused(String sql) {
    assertError(ErrorCode.READ_ONLY_RELATION, () -> DialectParser.parse(sql));
  }

  @Test
  void theMessageNamesTheStatementToUseInstead() {
    SQLException e =
        assertError(
            ErrorCode.READ_ONLY_RELATION,
            () -> DialectParser.parse("DELETE FROM edits WHERE id = 3"));
    assertTrue(e.getMessage().contains("ROLLBACK EDIT"), e.getMessage());
    e =
        assertError(
            ErrorCode.READ_ONLY_RELATION, () -> DialectParser.parse("UPDATE layers SET top_k = 2"));
    assertTrue(e.getMessage().contains("CREATE LAYER"), e.getMessage());
  }
}
