package io.editdb.driver;

import static io.editdb.driver.ErrorCode.READ_ONLY_RELATION;
import static io.editdb.driver.ErrorCode.STATEMENT_TOO_COMPLEX;
import static io.editdb.driver.ErrorCode.SYNTAX_ERROR;
import static io.editdb.driver.ErrorCode.UNKNOWN_COLUMN;
import static io.editdb.driver.ErrorCode.UNSUPPORTED_STATEMENT;
import static io.editdb.driver.ErrorCode.WRONG_EXECUTE_METHOD;
import static io.editdb.driver.HostileCase.custom;
import static io.editdb.driver.HostileCase.sql;
import static io.editdb.driver.HostileCase.timed;

import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Bad statement text: malformed dialect statements, writes to EditDB's relations in every disguise,
 * statements run one way that must run another, and statements too big or too deep.
 */
final class HostileStatements {
  private HostileStatements() {}

  static Stream<HostileCase> cases() {
    return Stream.of(syntax(), columns(), unsupported(), executeMethods(), guard(), huge())
        .flatMap(List::stream);
  }

  private static final String LAYER_HEAD = "CREATE LAYER z (MODEL 'm', MODULE 'x', ";
  private static final String LAYER = LAYER_HEAD + "D_IN 1, D_OUT 1, VISUAL_DIM 0, TEXT_DIM 3";

  static List<HostileCase> syntax() {
    return List.of(
        sql(SYNTAX_ERROR, "ROLLBACK EDIT abc"),
        sql(SYNTAX_ERROR, "ROLLBACK EDIT 1.5"),
        sql(SYNTAX_ERROR, "ROLLBACK EDIT 1e0"),
        sql(SYNTAX_ERROR, "ROLLBACK EDIT"),
        sql(SYNTAX_ERROR, "ROLLBACK EDIT NULL"),
        sql(SYNTAX_ERROR, "ROLLBACK EDIT 'one'"),
        sql(SYNTAX_ERROR, "ROLLBACK EDIT \"1\""),
        sql(SYNTAX_ERROR, "ROLLBACK EDIT X'01'"),
        sql(SYNTAX_ERROR, "ROLLBACK EDIT ARRAY[1]"),
        sql(SYNTAX_ERROR, "ROLLBACK EDIT 1 REASON"),
        sql(SYNTAX_ERROR, "ROLLBACK EDIT 1 REASON 'x' 'y'"),
        sql(SYNTAX_ERROR, "ROLLBACK EDIT 1 REASON 'x' extra"),
        sql(SYNTAX_ERROR, "ROLLBACK EDIT 1 BECAUSE 'x'"),
        sql(SYNTAX_ERROR, "ROLLBACK EDIT 1, 2"),
        sql(SYNTAX_ERROR, "ROLLBACK EDIT ? ?"),
        sql(SYNTAX_ERROR, "ROLLBACK EDIT ?1"),
        sql(SYNTAX_ERROR, "ROLLBACK EDIT 99999999999999999999"),
        sql(SYNTAX_ERROR, "ROLLBACK EDIT -99999999999999999999"),
        sql(SYNTAX_ERROR, "ROLLBACK EDIT \u0661"), // an Arabic-Indic digit one
        sql(SYNTAX_ERROR, "ROLLBACK EDIT \uFF11"), // a fullwidth digit one
        sql(SYNTAX_ERROR, "ROLLBACK TO 3"),
        sql(SYNTAX_ERROR, "ROLLBACK TO VERSION"),
        sql(SYNTAX_ERROR, "ROLLBACK TO VERSION 'x'"),
        sql(SYNTAX_ERROR, "ROLLBACK TO VERSION 1.0"),
        sql(SYNTAX_ERROR, "ROLLBACK EVERYTHING"),
        sql(SYNTAX_ERROR, "ROLLBACK WORK NOW"),
        sql(SYNTAX_ERROR, "RESTORE 1"),
        sql(SYNTAX_ERROR, "RESTORE EDIT 'x'"),
        sql(SYNTAX_ERROR, "RESTORE EDIT 1 REASON 2 3"),
        sql(SYNTAX_ERROR, "VERIFY EVERYTHING"),
        sql(SYNTAX_ERROR, "VERIFY HISTORY NOW"),
        sql(SYNTAX_ERROR, "VERIFY"),
        sql(SYNTAX_ERROR, "COMMIT NOW"),
        sql(SYNTAX_ERROR, "BEGIN NOW"),
        sql(SYNTAX_ERROR, "START"),
        sql(SYNTAX_ERROR, "SET AUTOCOMMIT MAYBE"),
        sql(SYNTAX_ERROR, "SET AUTOCOMMIT"),
        sql(SYNTAX_ERROR, "ROLLBACK EDITS WHERE"),
        sql(SYNTAX_ERROR, "ROLLBACK EDITS WHERE REASON 'x'"),
        sql(SYNTAX_ERROR, "ROLLBACK EDITS author = 'x'"),
        sql(SYNTAX_ERROR, "ROLLBACK EDITS WHERE (id = 1"),
        sql(SYNTAX_ERROR, "ROLLBACK EDITS WHERE id = 1)"),
        sql(SYNTAX_ERROR, "ROLLBACK EDITS WHERE id = 1) OR (1 = 1"),
        sql(SYNTAX_ERROR, "ROLLBACK EDITS WHERE id = ?1"),
        sql("CREATE LAYER without TEXT_DIM", SYNTAX_ERROR, LAYER_HEAD + "D_IN 1, D_OUT 1)"),
        sql("CREATE LAYER option twice", SYNTAX_ERROR, LAYER + ", TOP_K 1, TOP_K 2)"),
        sql("CREATE LAYER unknown option", SYNTAX_ERROR, LAYER + ", COLOUR 'red')"),
        sql("CREATE LAYER quoted option", SYNTAX_ERROR, LAYER + ", \"TOP_K\" 1)"),
        sql("CREATE LAYER option without value", SYNTAX_ERROR, LAYER + ", TOP_K)"),
        sql("CREATE LAYER trailing comma", SYNTAX_ERROR, LAYER + ",)"),
        sql("CREATE LAYER unclosed", SYNTAX_ERROR, LAYER),
        sql("CREATE LAYER no options", SYNTAX_ERROR, "CREATE LAYER z ()"),
        sql("CREATE LAYER no parentheses", SYNTAX_ERROR, "CREATE LAYER z MODEL 'm'"),
        sql("CREATE LAYER no name", SYNTAX_ERROR, "CREATE LAYER (MODEL 'm')"),
        sql("CREATE LAYER number name", SYNTAX_ERROR, "CREATE LAYER 5 (MODEL 'm')"),
        sql("CREATE LAYER trailing words", SYNTAX_ERROR, LAYER + ") extra"),
        sql("CREATE LAYER ARRAY of words", SYNTAX_ERROR, LAYER + ", TOP_K ARRAY[a])"),
        sql(SYNTAX_ERROR, "INSERT INTO edits VALUES ('small')"),
        sql(SYNTAX_ERROR, "INSERT INTO edits () VALUES ()"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (layer, layer) VALUES ('a', 'b')"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (layer, prompt) VALUES ('small')"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (layer) VALUES ('small', 'p')"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (layer) VALUES ('a'), ('b')"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (layer) SELECT layer FROM edits"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (layer) DEFAULT VALUES"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (layer VALUES ('a')"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (layer) VALUES ('a'"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (layer) VALUES (layer)"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (layer) VALUES (-'a')"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (layer) VALUES (1 + 1)"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (layer) VALUES (?1)"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (visual_key) VALUES (ARRAY[1, 'x'])"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (visual_key) VALUES (ARRAY[1, 2)"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (visual_key) VALUES (ARRAY[1,, 2])"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (visual_key) VALUES (ARRAY[[1]])"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (visual_key) VALUES (ARRAY(1))"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (visual_key) VALUES (ARRAY[1e999999999999])"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (visual_key) VALUES (ARRAY[1, -1e39])"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (alpha) VALUES (-1e999)"),
        sql("CREATE LAYER VISUAL_SCALE 1e400", SYNTAX_ERROR, LAYER + ", VISUAL_SCALE 1e400)"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (expert_a) VALUES (X'abc')"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (expert_a) VALUES (X'zz')"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (prompt) VALUES ('open"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (\"prompt) VALUES ('p')"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (prompt) VALUES ($$open)"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (prompt) VALUES (U&'\\00')"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (prompt) VALUES (U&'\\+FFFFFF')"),
        sql(SYNTAX_ERROR, "INSERT INTO edits (prompt) VALUES (U&'!0041' UESCAPE 'ab')"),
        sql(SYNTAX_ERROR, "ROLLBACK EDIT 1 /* unclosed"),
        sql(SYNTAX_ERROR, "ROLLBACK EDIT 1 /* nested /* and closed once */"),
        sql(SYNTAX_ERROR, "ROLLBACK EDIT 1 REASON 'unclosed"),
        sql(SYNTAX_ERROR, "ROLLBACK EDIT 1 REASON 'it's'"),
        sql("null SQL", SYNTAX_ERROR, (String) null),
        custom(
            "null SQL, prepared",
            SYNTAX_ERROR,
            (c, f) -> {
              try (PreparedStatement ps = c.prepareStatement(null)) {
                ps.execute();
              }
            }));
  }

  static List<HostileCase> columns() {
    return List.of(
        sql(UNKNOWN_COLUMN, "INSERT INTO edits (layer, colour) VALUES ('small', 'red')"),
        sql(UNKNOWN_COLUMN, "INSERT INTO edits (\"colour\") VALUES ('red')"),
        sql(UNKNOWN_COLUMN, "INSERT INTO edits (layer, prompt_) VALUES ('small', 'p')"),
        sql(UNKNOWN_COLUMN, "INSERT INTO edits (id, layer) VALUES (1, 'small')"),
        sql(UNKNOWN_COLUMN, "INSERT INTO edits (status) VALUES ('ACTIVE')"),
        sql(UNKNOWN_COLUMN, "INSERT INTO edits (created_version) VALUES (0)"),
        sql(UNKNOWN_COLUMN, "INSERT INTO edits (retired_version) VALUES (NULL)"),
        sql(
            UNKNOWN_COLUMN,
            "INSERT INTO edits (layer, \"layer; DROP TABLE edits\") VALUES (1, 2)"));
  }

  static List<HostileCase> unsupported() {
    return List.of(
        sql(UNSUPPORTED_STATEMENT, "SHUTDOWN"),
        sql(UNSUPPORTED_STATEMENT, "shutdown immediately"),
        sql(UNSUPPORTED_STATEMENT, "/* bye */ SHUTDOWN COMPACT"),
        sql(UNSUPPORTED_STATEMENT, "SELECT 1; COMMIT"),
        sql(UNSUPPORTED_STATEMENT, "SELECT 1; ROLLBACK"),
        sql(UNSUPPORTED_STATEMENT, "SELECT 1; SHUTDOWN"),
        sql(UNSUPPORTED_STATEMENT, "SELECT 1; BEGIN"),
        sql(UNSUPPORTED_STATEMENT, "SELECT 1; SET AUTOCOMMIT FALSE"),
        sql(UNSUPPORTED_STATEMENT, "SELECT 1; VERIFY HISTORY"),
        sql(
            "ROLLBACK EDIT in a script",
            UNSUPPORTED_STATEMENT,
            f -> "SELECT 1; ROLLBACK EDIT " + f.active()),
        sql(
            "two EditDB statements",
            UNSUPPORTED_STATEMENT,
            f -> "ROLLBACK EDIT " + f.active() + "; RESTORE EDIT " + f.rolledBack()),
        sql(
            "EditDB statement then ;;",
            UNSUPPORTED_STATEMENT,
            f -> "ROLLBACK EDIT " + f.active() + ";;"),
        sql("leading ;", UNSUPPORTED_STATEMENT, f -> ";ROLLBACK EDIT " + f.active()),
        sql(UNSUPPORTED_STATEMENT, "SELECT 1; INSERT INTO edits (layer) VALUES ('small')"),
        sql(UNSUPPORTED_STATEMENT, "SELECT 1; " + LAYER + ")"),
        sql(UNSUPPORTED_STATEMENT, "EXECUTE IMMEDIATE 'DELETE FROM edit_history'"),
        sql(UNSUPPORTED_STATEMENT, "execute immediate 'DELETE FROM ' || 'edit_spans'"),
        sql(UNSUPPORTED_STATEMENT, "SELECT 1; EXECUTE IMMEDIATE 'DELETE FROM edits'"),
        sql(UNSUPPORTED_STATEMENT, "RUNSCRIPT FROM 'delete-history.sql'"),
        sql(UNSUPPORTED_STATEMENT, "SET MODE MSSQLServer"),
        sql(UNSUPPORTED_STATEMENT, "set mode = 'mssqlserver'"),
        custom(
            "ROLLBACK TO SAVEPOINT over an EditDB write",
            UNSUPPORTED_STATEMENT,
            (c, f) -> {
              c.setAutoCommit(false);
              try (Statement st = c.createStatement()) {
                st.execute("SAVEPOINT sp");
                st.execute("ROLLBACK EDIT " + f.active());
                st.execute("ROLLBACK TO SAVEPOINT sp");
              } finally {
                c.rollback();
                c.setAutoCommit(true);
              }
            }));
  }

  static List<HostileCase> executeMethods() {
    return List.of(
        custom(
            "executeQuery of ROLLBACK EDIT",
            WRONG_EXECUTE_METHOD,
            (c, f) -> c.createStatement().executeQuery("ROLLBACK EDIT " + f.active()).close()),
        custom(
            "executeQuery of CREATE LAYER",
            WRONG_EXECUTE_METHOD,
            (c, f) -> c.createStatement().executeQuery(LAYER + ")").close()),
        custom(
            "executeUpdate of VERIFY HISTORY",
            WRONG_EXECUTE_METHOD,
            (c, f) -> c.createStatement().executeUpdate("VERIFY HISTORY")),
        custom(
            "prepared executeUpdate of VERIFY HISTORY",
            WRONG_EXECUTE_METHOD,
            (c, f) -> c.prepareStatement("VERIFY HISTORY").executeUpdate()),
        custom(
            "PreparedStatement.execute(sql)",
            WRONG_EXECUTE_METHOD,
            (c, f) -> c.prepareStatement("SELECT 1").execute("ROLLBACK EDIT " + f.active())),
        custom(
            "PreparedStatement.addBatch(sql)",
            WRONG_EXECUTE_METHOD,
            (c, f) -> c.prepareStatement("SELECT 1").addBatch("ROLLBACK EDIT " + f.active())),
        custom(
            "VERIFY HISTORY in a batch",
            WRONG_EXECUTE_METHOD,
            (c, f) -> {
              try (Statement st = c.createStatement()) {
                st.addBatch("ROLLBACK EDIT " + f.active());
                st.addBatch("VERIFY HISTORY");
                st.executeBatch();
              }
            }));
  }

  /** The relations, each with an assignment an UPDATE of it could make. */
  private static final Map<String, String> RELATIONS =
      Map.of(
          "edits", "prompt = 'x'",
          "edit_history", "reason = 'x'",
          "versions", "actor = 'x'",
          "layers", "top_k = 1",
          "edit_spans", "to_version = NULL");

  /** Writes, with {@code %s} for the relation and {@code %a} for an assignment. */
  private static final List<String> WRITES =
      List.of(
          "UPDATE %s SET %a",
          "DELETE FROM %s",
          "TRUNCATE TABLE %s",
          "DROP TABLE %s",
          "ALTER TABLE %s ADD COLUMN x INT");

  /** How a relation may be named. */
  private static final List<String> SPELLINGS =
      List.of(
          "%S",
          "%m",
          "\"%S\"",
          "PUBLIC.%s",
          "\"PUBLIC\".\"%S\"",
          "public . %s",
          "U&\"\\%u%T\"",
          "U&\"!%u%T\" UESCAPE '!'");

  /** What may stand between the words of a statement, H2 reading it as a space. */
  private static final List<String> SEPARATORS =
      List.of(
          "\t",
          "\n",
          "\r\n",
          "\u000B",
          "/* c */",
          "/**/",
          "-- c\n",
          "// c\n",
          "/* a /* nested */ b */",
          "\u00A0", // no-break space
          "\u2003", // em space
          "\u3000", // ideographic space
          // at the start of a token only: after a letter, H2 reads them as part of the word
          " \u0000 ",
          " \u0001 ");

  static List<HostileCase> guard() {
    List<HostileCase> out = new ArrayList<>();
    List<String> relations = List.copyOf(RELATIONS.keySet()).stream().sorted().toList();
    for (String r : relations) {
      for (String w : WRITES) {
        out.add(write(w, r, r));
      }
    }
    int k = 0;
    for (String r : relations) {
      for (String spelling : SPELLINGS) {
        out.add(write(WRITES.get(k++ % WRITES.size()), r, spell(spelling, r)));
      }
      for (String sep : SEPARATORS) {
        String text = writeText(WRITES.get(k++ % WRITES.size()), r, r);
        out.add(sql(READ_ONLY_RELATION, text.replace(" ", sep)));
      }
    }
    String hidden = "/* /* */ ' */ DELETE FROM edit_history -- '";
    out.addAll(
        List.of(
            sql("write hidden after a nested comment", READ_ONLY_RELATION, hidden),
            sql(READ_ONLY_RELATION, "SELECT 1; DELETE FROM edits"),
            sql(READ_ONLY_RELATION, "DELETE FROM edit_spans; SELECT 1"),
            sql(READ_ONLY_RELATION, "WITH x AS (SELECT 1) DELETE FROM edits"),
            sql(READ_ONLY_RELATION, "EXPLAIN ANALYZE DELETE FROM edit_history"),
            sql(READ_ONLY_RELATION, "SELECT * FROM FINAL TABLE (UPDATE edits SET alpha = 2)"),
            sql(READ_ONLY_RELATION, "SELECT * FROM OLD TABLE (DELETE FROM versions)"),
            sql(READ_ONLY_RELATION, "MERGE INTO layers KEY (id) VALUES (1)"),
            sql(
                READ_ONLY_RELATION,
                "MERGE INTO edits e USING edits s ON e.id = s.id" + " WHEN MATCHED THEN DELETE"),
            sql(READ_ONLY_RELATION, "INSERT INTO edit_history SELECT * FROM edit_history"),
            sql(READ_ONLY_RELATION, "INSERT INTO versions VALUES (99, NOW(), 'x', 0, 0, 0, 0)"),
            sql(READ_ONLY_RELATION, "INSERT INTO \"editdb_schema_history\" VALUES (1)"),
            sql(READ_ONLY_RELATION, "REPLACE INTO versions VALUES (1)"),
            sql(READ_ONLY_RELATION, "DROP TABLE IF EXISTS notes, \"EDIT_HISTORY\" CASCADE"),
            sql(READ_ONLY_RELATION, "DROP VIEW layers"),
            sql(READ_ONLY_RELATION, "DROP ALL OBJECTS DELETE FILES"),
            sql(READ_ONLY_RELATION, "DROP SCHEMA PUBLIC CASCADE"),
            sql(READ_ONLY_RELATION, "ALTER SCHEMA PUBLIC RENAME TO gone"),
            sql(READ_ONLY_RELATION, "ALTER TABLE IF EXISTS edits RENAME TO e2"),
            sql(READ_ONLY_RELATION, "DROP ALIAS ROUTE"),
            sql(READ_ONLY_RELATION, "DROP ALIAS IF EXISTS PUBLIC.EDITS_AT"),
            sql(READ_ONLY_RELATION, "CREATE TRIGGER t BEFORE INSERT ON edits CALL 'x.Y'"),
            sql(READ_ONLY_RELATION, "CREATE SYNONYM e FOR edits"),
            sql(
                READ_ONLY_RELATION,
                "CREATE OR REPLACE SYNONYM IF NOT EXISTS s.e FOR PUBLIC.edit_history"),
            sql(
                READ_ONLY_RELATION,
                "ROLLBACK EDITS WHERE id IN (SELECT edit_id FROM FINAL TABLE"
                    + " (DELETE FROM edit_history))"),
            sql(
                READ_ONLY_RELATION,
                "ROLLBACK EDITS WHERE 1 = (SELECT COUNT(*) FROM"
                    + " FINAL TABLE (UPDATE versions SET actor = 'x')) REASON 'r'"),
            custom(
                "prepared DELETE of edit_history",
                READ_ONLY_RELATION,
                (c, f) -> c.prepareStatement("DELETE FROM edit_history WHERE seq = ?").close()),
            custom(
                "batched DELETE of edits",
                READ_ONLY_RELATION,
                (c, f) -> {
                  try (Statement st = c.createStatement()) {
                    st.addBatch("CREATE TABLE IF NOT EXISTS APP.notes (x INT)");
                    st.addBatch("DELETE FROM edits");
                    st.executeBatch();
                  }
                })));
    return out;
  }

  private static HostileCase write(String template, String relation, String spelled) {
    return sql(READ_ONLY_RELATION, writeText(template, relation, spelled));
  }

  private static String writeText(String template, String relation, String spelled) {
    return template.replace("%s", spelled).replace("%a", RELATIONS.get(relation));
  }

  /** %s as given, %S upper, %m mixed case, %u/%T the first letter as 4 hex digits / the rest. */
  private static String spell(String spelling, String r) {
    String upper = r.toUpperCase(Locale.ROOT);
    StringBuilder mixed = new StringBuilder();
    for (int i = 0; i < r.length(); i++) {
      char ch = r.charAt(i);
      mixed.append(i % 2 == 0 ? Character.toUpperCase(ch) : ch);
    }
    return spelling
        .replace("%u", String.format(Locale.ROOT, "%04X", (int) upper.charAt(0)))
        .replace("%T", upper.substring(1))
        .replace("%S", upper)
        .replace("%m", mixed)
        .replace("%s", r);
  }

  static List<HostileCase> huge() {
    String mb = "x".repeat(1 << 20);
    String deep = "(".repeat(100_000) + "1" + ")".repeat(100_000);
    return List.of(
        sql("a 1 MB reason, then junk", SYNTAX_ERROR, "ROLLBACK EDIT 1 REASON '" + mb + "' junk"),
        sql(
            "a 1 MB statement of ((((",
            SYNTAX_ERROR,
            "ROLLBACK EDITS WHERE " + "(".repeat(1 << 20)),
        sql("a 1 MB word", SYNTAX_ERROR, "ROLLBACK EDIT " + mb),
        sql("a 1 MB number", SYNTAX_ERROR, "ROLLBACK EDIT " + "9".repeat(1 << 20)),
        timed(
            "1 MB of TRIGGER words, then a write",
            READ_ONLY_RELATION,
            "SELECT " + "TRIGGER ".repeat(1 << 17) + "; DELETE FROM edits"),
        timed(
            "1 MB of SYNONYM words, then a write",
            READ_ONLY_RELATION,
            "SELECT " + "SYNONYM ".repeat(1 << 17) + "; DELETE FROM edits"),
        timed("1 MB of /* then a write", SYNTAX_ERROR, "/*".repeat(1 << 19) + " DELETE FROM edits"),
        sql("100000 nested parentheses", STATEMENT_TOO_COMPLEX, "SELECT " + deep),
        sql(
            "100000 NOTs",
            STATEMENT_TOO_COMPLEX,
            "SELECT 1 WHERE " + "NOT ".repeat(100_000) + "TRUE"),
        sql(
            "100000 nested in ROLLBACK EDITS WHERE",
            STATEMENT_TOO_COMPLEX,
            "ROLLBACK EDITS WHERE id = " + deep),
        custom(
            "100000 nested parentheses, prepared",
            STATEMENT_TOO_COMPLEX,
            (c, f) -> c.prepareStatement("SELECT " + deep).close()));
  }
}
