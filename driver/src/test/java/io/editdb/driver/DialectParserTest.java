package io.editdb.driver;

import static io.editdb.driver.TestDb.assertError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.editdb.driver.Command.CreateLayer;
import io.editdb.driver.Command.Delegate;
import io.editdb.driver.Command.InsertEdit;
import io.editdb.driver.Command.Lit;
import io.editdb.driver.Command.Param;
import io.editdb.driver.Command.Parsed;
import io.editdb.driver.Command.RestoreEdit;
import io.editdb.driver.Command.RollbackEdit;
import io.editdb.driver.Command.RollbackEdits;
import io.editdb.driver.Command.RollbackToVersion;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DialectParserTest {

  private static Command parse(String sql) throws SQLException {
    return DialectParser.parse(sql).command();
  }

  @Test
  void createLayerTakesEveryOptionInAnyOrderAndCase() throws SQLException {
    CreateLayer c =
        (CreateLayer)
            parse(
                "create layer l21 (d_in 4096, MODEL 'llava', module 'model.layers.21', D_OUT 4096,"
                    + " VISUAL_DIM 1024, TEXT_DIM 384, EXPERT_KIND liveedit, MAX_RANK 8,"
                    + " VISUAL_SIMILARITY MAX_INNER_PRODUCT, VISUAL_SCALE 0.25, VISUAL_THRESHOLD"
                    + " -0.5, MAX_CANDIDATES 32, TEXT_SIMILARITY DOT, TEXT_SCALE 12.5, GATE"
                    + " SOFTMAX, TEMPERATURE 0.7, NULL_LOGIT -2, MIN_GATE 1e-3, TOP_K 0);");
    assertEquals("l21", ((Lit) c.name()).value());
    assertEquals(19, c.options().size());
    assertEquals("LIVEEDIT", ((Lit) c.options().get("EXPERT_KIND")).value());
    assertEquals(-0.5, ((Lit) c.options().get("VISUAL_THRESHOLD")).value());
    assertEquals(-2L, ((Lit) c.options().get("NULL_LOGIT")).value());
    assertEquals(1e-3, ((Lit) c.options().get("MIN_GATE")).value());
    assertEquals(4096L, ((Lit) c.options().get("D_IN")).value());
  }

  @Test
  void everyValueMayBeAParameter() throws SQLException {
    Parsed p =
        DialectParser.parse(
            "CREATE LAYER ? (MODEL ?, MODULE ?, D_IN ?, D_OUT ?,"
                + " VISUAL_DIM ?, TEXT_DIM ?, GATE ?)");
    assertEquals(8, p.paramCount());
    CreateLayer c = (CreateLayer) p.command();
    assertEquals(1, ((Param) c.name()).index());
    assertEquals(8, ((Param) c.options().get("GATE")).index());
    assertEquals(2, DialectParser.parse("ROLLBACK EDIT ? REASON ?").paramCount());
    assertEquals(2, DialectParser.parse("ROLLBACK TO VERSION ? REASON ?").paramCount());
    assertEquals(2, DialectParser.parse("RESTORE EDIT ? REASON ?").paramCount());
  }

  @Test
  void createLayerRefusals() {
    assertError(
        ErrorCode.SYNTAX_ERROR,
        () ->
            parse(
                "CREATE LAYER l (MODEL 'm', MODULE 'x',"
                    + " D_IN 1, D_OUT 1, VISUAL_DIM 0)")); // TEXT_DIM missing
    assertError(ErrorCode.SYNTAX_ERROR, () -> parse("CREATE LAYER l (MODEL 'm', MODEL 'n')"));
    assertError(ErrorCode.SYNTAX_ERROR, () -> parse("CREATE LAYER l (COLOUR 'red')"));
    assertError(ErrorCode.SYNTAX_ERROR, () -> parse("CREATE LAYER l MODEL 'm'"));
    assertError(ErrorCode.SYNTAX_ERROR, () -> parse("CREATE LAYER (MODEL 'm')"));
    assertError(
        ErrorCode.SYNTAX_ERROR,
        () ->
            parse(
                "CREATE LAYER l (MODEL 'm', MODULE 'x',"
                    + " D_IN 1, D_OUT 1, VISUAL_DIM 0, TEXT_DIM 3) extra"));
  }

  @Test
  void syntaxErrorsGiveThePosition() {
    SQLException e = assertError(ErrorCode.SYNTAX_ERROR, () -> parse("ROLLBACK EDIT abc"));
    assertTrue(e.getMessage().contains("position 15"), e.getMessage());
    e = assertError(ErrorCode.SYNTAX_ERROR, () -> parse("ROLLBACK EDIT 3 REASON"));
    assertTrue(e.getMessage().contains("position 23"), e.getMessage());
    e = assertError(ErrorCode.SYNTAX_ERROR, () -> parse("RESTORE EDIT 'x'"));
    assertTrue(e.getMessage().contains("position 14"), e.getMessage());
  }

  @Test
  void insertIntoEditsTakesNamedColumnsInAnyOrder() throws SQLException {
    Parsed p =
        DialectParser.parse(
            "INSERT INTO PUBLIC.EDITS (Reason, layer, prompt, target, visual_key, expert_a,"
                + " expert_b, rank, alpha, author, image_ref, weight_dtype) VALUES ('it''s wrong',"
                + " 'l', ?, 'red', ARRAY[0.5, -1, 2e-1], X'0aff', ?, 2, -1.5, NULL, N'img.png',"
                + " 'BF16')");
    InsertEdit ins = (InsertEdit) p.command();
    assertEquals(2, p.paramCount());
    assertEquals("reason", ins.columns().get(0));
    assertEquals("it's wrong", ((Lit) ins.values().get(0)).value());
    assertArrayEquals(new float[] {0.5f, -1f, 0.2f}, (float[]) ((Lit) ins.values().get(4)).value());
    assertArrayEquals(new byte[] {0x0a, (byte) 0xff}, (byte[]) ((Lit) ins.values().get(5)).value());
    assertEquals(-1.5, ((Lit) ins.values().get(8)).value());
    assertNull(((Lit) ins.values().get(9)).value());
    assertEquals("img.png", ((Lit) ins.values().get(10)).value());
  }

  @Test
  void insertRefusals() {
    assertError(
        ErrorCode.UNKNOWN_COLUMN,
        () -> parse("INSERT INTO edits (layer, colour)" + " VALUES ('l', 'red')"));
    assertError(
        ErrorCode.UNKNOWN_COLUMN,
        () -> parse("INSERT INTO edits (id, layer)" + " VALUES (1, 'l')"));
    assertError(ErrorCode.UNKNOWN_COLUMN, () -> parse("INSERT INTO edits (status) VALUES ('x')"));
    assertError(
        ErrorCode.SYNTAX_ERROR,
        () -> parse("INSERT INTO edits (layer, layer)" + " VALUES ('l', 'l')"));
    assertError(
        ErrorCode.SYNTAX_ERROR, () -> parse("INSERT INTO edits (layer, prompt)" + " VALUES ('l')"));
    assertError(
        ErrorCode.SYNTAX_ERROR, () -> parse("INSERT INTO edits (layer) VALUES ('l')," + " ('m')"));
    assertError(ErrorCode.SYNTAX_ERROR, () -> parse("INSERT INTO edits VALUES ('l')"));
    assertError(
        ErrorCode.SYNTAX_ERROR,
        () -> parse("INSERT INTO edits (layer) SELECT layer" + " FROM edits"));
    assertError(
        ErrorCode.SYNTAX_ERROR,
        () -> parse("INSERT INTO edits (visual_key) VALUES" + " (ARRAY[1, 'x'])"));
    assertError(ErrorCode.SYNTAX_ERROR, () -> parse("INSERT INTO edits (layer) VALUES (?1)"));
    assertError(
        ErrorCode.SYNTAX_ERROR, () -> parse("INSERT INTO edits (expert_a) VALUES" + " (X'abc')"));
    assertError(ErrorCode.SYNTAX_ERROR, () -> parse("INSERT INTO edits (layer) VALUES ('l"));
  }

  @Test
  void rollbackForms() throws SQLException {
    assertInstanceOf(Command.Rollback.class, parse("ROLLBACK"));
    assertInstanceOf(Command.Rollback.class, parse("rollback work;"));
    assertInstanceOf(Command.Commit.class, parse("COMMIT"));
    assertInstanceOf(Command.Begin.class, parse("BEGIN TRANSACTION"));
    assertInstanceOf(Command.Begin.class, parse("START TRANSACTION"));
    assertEquals(new Command.SetAutoCommit(false), parse("SET AUTOCOMMIT OFF"));
    assertEquals(new Command.SetAutoCommit(true), parse("set autocommit = true"));
    RollbackEdit r = (RollbackEdit) parse("ROLLBACK EDIT 42 REASON 'wrong'");
    assertEquals(42L, ((Lit) r.id()).value());
    assertEquals("wrong", ((Lit) r.reason()).value());
    assertNull(((RollbackEdit) parse("rollback edit 7")).reason());
    RollbackToVersion v = (RollbackToVersion) parse("ROLLBACK TO VERSION 3");
    assertEquals(3L, ((Lit) v.version()).value());
    RestoreEdit re = (RestoreEdit) parse("RESTORE EDIT 5 REASON 'back'");
    assertEquals(5L, ((Lit) re.id()).value());
    Delegate sp = (Delegate) parse("ROLLBACK TO SAVEPOINT s1");
    assertTrue(sp.savepointRollback());
    assertError(ErrorCode.SYNTAX_ERROR, () -> parse("ROLLBACK EDIT 1.5"));
    assertError(ErrorCode.SYNTAX_ERROR, () -> parse("ROLLBACK EDIT 3 BECAUSE 'x'"));
    assertError(ErrorCode.SYNTAX_ERROR, () -> parse("ROLLBACK TO 3"));
    assertError(ErrorCode.SYNTAX_ERROR, () -> parse("ROLLBACK EVERYTHING"));
    assertError(ErrorCode.SYNTAX_ERROR, () -> parse("VERIFY EVERYTHING"));
    assertError(ErrorCode.SYNTAX_ERROR, () -> parse("SET AUTOCOMMIT MAYBE"));
  }

  @Test
  void rollbackEditsKeepsTheConditionAndFindsTheReasonAtTheEnd() throws SQLException {
    RollbackEdits r =
        (RollbackEdits)
            parse("ROLLBACK EDITS WHERE reason LIKE '%REASON ''x''%'" + " AND author = ? REASON ?");
    assertEquals("reason LIKE '%REASON ''x''%' AND author = ?", r.condition());
    assertEquals(List.of(1), r.conditionParams());
    assertEquals(2, ((Param) r.reason()).index());

    RollbackEdits noReason = (RollbackEdits) parse("ROLLBACK EDITS WHERE reason IS NULL;");
    assertEquals("reason IS NULL", noReason.condition());
    assertNull(noReason.reason());

    RollbackEdits nested =
        (RollbackEdits)
            parse(
                "ROLLBACK EDITS WHERE id IN (SELECT edit_id"
                    + " FROM edit_history WHERE actor = 'bob') REASON 'bob''s edits'");
    assertEquals("bob's edits", ((Lit) nested.reason()).value());

    assertError(ErrorCode.SYNTAX_ERROR, () -> parse("ROLLBACK EDITS WHERE"));
    assertError(ErrorCode.SYNTAX_ERROR, () -> parse("ROLLBACK EDITS author = 'x'"));
    assertError(ErrorCode.SYNTAX_ERROR, () -> parse("ROLLBACK EDITS WHERE (id = 1"));
    assertError(ErrorCode.SYNTAX_ERROR, () -> parse("ROLLBACK EDITS WHERE id = 1)"));
    // a write smuggled into the condition is refused like any other
    assertError(
        ErrorCode.READ_ONLY_RELATION,
        () ->
            parse(
                "ROLLBACK EDITS WHERE id IN (SELECT"
                    + " edit_id FROM FINAL TABLE (DELETE FROM edit_history))"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "SELECT * FROM edits",
        "select 1",
        "CREATE TABLE notes (id INT)",
        "INSERT INTO notes VALUES (1)",
        "UPDATE notes SET id = 2",
        "SELECT * FROM edits FOR UPDATE",
        "WITH x AS (SELECT 1) SELECT * FROM x",
        "SELECT 'ROLLBACK EDIT 1'",
        "CREATE TABLE t (id INT REFERENCES layers(id) ON UPDATE CASCADE ON DELETE CASCADE)",
        "-- DELETE FROM edits\nSELECT 1",
        "SELECT 1; SELECT 2",
        "CALL EMBED_TEXT('x')"
      })
  void standardSqlIsDelegatedUnchanged(String sql) throws SQLException {
    Delegate d = assertInstanceOf(Delegate.class, parse(sql));
    assertEquals(sql, d.sql());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "SELECT 1; COMMIT",
        "SELECT 1; ROLLBACK EDIT 3",
        "CREATE TABLE t (id INT); CREATE LAYER x (MODEL 'm')",
        "SELECT 1; SET AUTOCOMMIT FALSE",
        "SELECT 1; INSERT INTO edits (layer) VALUES ('x')",
        "SHUTDOWN",
        "SHUTDOWN IMMEDIATELY"
      })
  void transactionControlAndEditDbStatementsRunOnePerCall(String sql) {
    assertError(ErrorCode.UNSUPPORTED_STATEMENT, () -> parse(sql));
  }

  @Test
  void lexerErrorsArePositioned() {
    SQLException e = assertError(ErrorCode.SYNTAX_ERROR, () -> parse("SELECT 'open"));
    assertTrue(e.getMessage().contains("position 8"), e.getMessage());
    assertError(ErrorCode.SYNTAX_ERROR, () -> parse("SELECT /* open"));
    assertError(ErrorCode.SYNTAX_ERROR, () -> parse("SELECT \"open"));
  }

  @Test
  void insertMayReturnTheNewIdUnderLabels() throws SQLException {
    Parsed p =
        DialectParser.parse(
            "INSERT INTO edits (layer, prompt) VALUES (?, ?) RETURNING id AS new_id, edits.id");
    InsertEdit c = (InsertEdit) p.command();
    assertEquals(2, p.paramCount());
    assertEquals(List.of("NEW_ID", "ID"), c.returning());
    assertTrue(c.returnsRows());
    assertEquals(
        List.of(), ((InsertEdit) parse("INSERT INTO edits (layer) VALUES ('x')")).returning());
  }

  @Test
  void selectFromFinalTableOfAnInsertIntoEditsIsTheInsert() throws SQLException {
    // as jOOQ writes it for H2
    Parsed p =
        DialectParser.parse(
            "select \"ID\" from final table (insert into \"EDITS\" (\"LAYER\", \"PROMPT\")"
                + " values (?, ?)) \"EDITS\"");
    InsertEdit c = (InsertEdit) p.command();
    assertEquals(2, p.paramCount());
    assertEquals(List.of("layer", "prompt"), c.columns());
    assertEquals(2, ((Param) c.values().get(1)).index());
    assertEquals(List.of("ID"), c.returning());
    assertEquals(
        List.of("K"),
        ((InsertEdit) parse("SELECT id k FROM NEW TABLE (INSERT INTO edits (layer) VALUES ('x'))"))
            .returning());
    // other delta tables and other queries are standard SQL
    assertInstanceOf(
        Delegate.class, parse("SELECT id FROM FINAL TABLE (INSERT INTO notes VALUES (1))"));
    assertInstanceOf(Delegate.class, parse("SELECT (SELECT 1 FROM dual) FROM versions"));
  }
}
