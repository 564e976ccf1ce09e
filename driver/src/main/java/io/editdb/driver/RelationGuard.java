package io.editdb.driver;

import io.editdb.driver.SqlLexer.Kind;
import io.editdb.driver.SqlLexer.Token;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Refuses standard SQL that would write EditDB's relations behind the store's back, naming the
 * statement to use instead. It looks at every token of the statement, not only the first, so a
 * write nested in a common table expression ({@code WITH ... DELETE FROM edits}), a data change
 * delta table ({@code SELECT * FROM FINAL TABLE (UPDATE edits ...)}) or a script is caught too.
 * Strings, quoted names and comments are tokens of their own, so their content never matches.
 * Statements that would run SQL the guard never sees ({@code EXECUTE IMMEDIATE}, {@code
 * RUNSCRIPT}), make another name for a relation ({@code CREATE SYNONYM}) or change how H2 reads SQL
 * ({@code SET MODE MSSQLServer}, whose {@code [names]} the lexer cannot tell from array brackets)
 * are refused too. Linear in the number of tokens, however they repeat.
 */
final class RelationGuard {
  private static final String EDIT_STATEMENTS =
      "edits change only through INSERT INTO edits"
          + " (...) VALUES (...), ROLLBACK EDIT <id>, ROLLBACK EDITS WHERE <condition>, RESTORE"
          + " EDIT <id> and ROLLBACK TO VERSION <v>";
  private static final String APPEND_ONLY =
      "is written only by the store, as part of INSERT INTO edits, ROLLBACK EDIT, RESTORE EDIT and"
          + " ROLLBACK TO VERSION; nothing in it is ever changed or deleted. To undo an edit use"
          + " ROLLBACK EDIT <id>; to return to an earlier state use ROLLBACK TO VERSION <v>";

  /** EditDB's relations (upper case, as H2 stores unquoted names) and what to use instead. */
  private static final Map<String, String> RELATIONS =
      Map.of(
          "EDITS", EDIT_STATEMENTS,
          "LAYERS",
              "layers are created with CREATE LAYER <name> (...) and never changed; create a"
                  + " layer with the new settings instead",
          "EDIT_HISTORY", "edit_history " + APPEND_ONLY,
          "EDIT_SPANS", "edit_spans " + APPEND_ONLY,
          "VERSIONS", "versions " + APPEND_ONLY,
          "USERS",
              "users change only through CREATE USER, ALTER USER and DROP USER (an"
                  + " administrator's statements)",
          "EDITDB_SCHEMA_HISTORY",
              "editdb_schema_history is changed only by EditDB's migrations,"
                  + " when a newer EditDB opens the store");

  private static final Set<String> FUNCTIONS =
      Set.of(
          "EDITS_AT", "ROUTE", "ROUTE_EXPLAIN", "EMBED_TEXT", "ASK", "ATTRIBUTION", "VECTOR_ARRAY");

  private RelationGuard() {}

  /** Throws READ_ONLY_RELATION if tokens [from, to) write one of EditDB's relations. */
  static void check(String sql, List<Token> t, int from, int to) throws SQLException {
    int triggerScanned = from; // tokens before this were searched for a trigger's ON already
    for (int i = from; i < to; i++) {
      Token tok = t.get(i);
      if (tok.kind() != Kind.WORD) {
        continue;
      }
      String prev =
          i > from && t.get(i - 1).kind() == Kind.WORD
              ? t.get(i - 1).text().toUpperCase(Locale.ROOT)
              : "";
      switch (tok.text().toUpperCase(Locale.ROOT)) {
        case "UPDATE" -> {
          // FOR UPDATE locks, ON UPDATE is a foreign key rule, KEY UPDATE is MySQL's upsert tail
          if (!prev.equals("FOR") && !prev.equals("ON") && !prev.equals("KEY")) {
            target(sql, t, i + 1, to, "UPDATE", tok);
          }
        }
        case "DELETE" -> {
          if (!prev.equals("ON")) {
            int j = i + 1;
            if (j < to && t.get(j).is("FROM")) {
              j++;
            }
            target(sql, t, j, to, "DELETE", tok);
          }
        }
        case "TRUNCATE" -> target(sql, t, skip(t, i + 1, to, "TABLE"), to, "TRUNCATE", tok);
        case "MERGE", "INSERT", "REPLACE" -> {
          int j = skip(t, i + 1, to, "INTO");
          target(sql, t, j, to, tok.text().toUpperCase(Locale.ROOT), tok);
        }
        case "ALTER" -> alter(sql, t, i, to);
        case "DROP" -> drop(sql, t, i, to);
        case "TRIGGER" -> {
          if (i >= triggerScanned) {
            int j = i + 1;
            while (j < to && !t.get(j).is("ON")) {
              j++;
            }
            if (j < to) {
              target(sql, t, j + 1, to, "CREATE TRIGGER", tok);
            }
            triggerScanned = j + 1;
          }
        }
        case "SYNONYM" -> {
          // CREATE [OR REPLACE] SYNONYM [IF NOT EXISTS] [schema.]name FOR [schema.]table
          for (int j = i + 1; j < Math.min(to, i + 8); j++) {
            if (t.get(j).is("FOR")) {
              target(sql, t, j + 1, to, "CREATE SYNONYM", tok);
              break;
            }
          }
        }
        case "EXECUTE" -> {
          if (statementStart(t, i, from) && i + 1 < to && t.get(i + 1).is("IMMEDIATE")) {
            throw unsupported(
                sql,
                tok,
                "EXECUTE IMMEDIATE runs SQL text the driver cannot check for writes to EditDB's"
                    + " relations; send the statement itself");
          }
        }
        case "RUNSCRIPT" -> {
          if (statementStart(t, i, from)) {
            throw unsupported(
                sql,
                tok,
                "RUNSCRIPT runs SQL the driver cannot check for writes to EditDB's relations;"
                    + " send the script's statements one by one");
          }
        }
        case "MODE" -> {
          int j = i + 1 < to && t.get(i + 1).isSymbol('=') ? i + 2 : i + 1;
          if (prev.equals("SET")
              && j < to
              && (t.get(j).kind() == Kind.WORD || t.get(j).kind() == Kind.STRING)
              && t.get(j).text().equalsIgnoreCase("MSSQLServer")) {
            throw unsupported(
                sql,
                tok,
                "SET MODE MSSQLServer makes H2 read [names] in square brackets, which the driver"
                    + " reads as array brackets when it checks statements for writes to EditDB's"
                    + " relations; use another mode, and \"quoted names\"");
          }
        }
        default -> {
          // not a writing keyword
        }
      }
    }
  }

  private static void alter(String sql, List<Token> t, int i, int to) throws SQLException {
    if (i + 1 >= to) {
      return;
    }
    Token what = t.get(i + 1);
    if (what.is("TABLE")) {
      target(sql, t, skipIfExists(t, i + 2, to), to, "ALTER TABLE", t.get(i));
    } else if (what.is("SCHEMA")) {
      throw refuse(
          sql,
          t.get(i),
          "ALTER SCHEMA would move or rename EditDB's relations; the"
              + " schema changes only through EditDB's migrations");
    }
  }

  private static void drop(String sql, List<Token> t, int i, int to) throws SQLException {
    if (i + 1 >= to) {
      return;
    }
    Token what = t.get(i + 1);
    if (what.is("TABLE") || what.is("VIEW")) {
      int j = skipIfExists(t, i + 2, to);
      while (j < to) {
        target(sql, t, j, to, "DROP " + what.text().toUpperCase(Locale.ROOT), t.get(i));
        j = afterName(t, j, to);
        if (j < to && t.get(j).isSymbol(',')) {
          j++;
        } else {
          break;
        }
      }
    } else if (what.is("ALL") || what.is("SCHEMA")) {
      throw refuse(
          sql,
          t.get(i),
          "DROP "
              + what.text().toUpperCase(Locale.ROOT)
              + " would"
              + " destroy the store; EditDB never deletes history. Delete the store's directory"
              + " (or close every connection to an in-memory store) instead");
    } else if (what.is("ALIAS")) {
      int j = skipIfExists(t, i + 2, to);
      if (j < to && t.get(j).isName() && FUNCTIONS.contains(lastName(t, j, to))) {
        throw refuse(
            sql,
            t.get(i),
            lastName(t, j, to)
                + " is one of EditDB's SQL functions;"
                + " it changes only through EditDB's migrations");
      }
    }
  }

  /** Refuses if the (qualified) name at j is one of EditDB's relations. */
  private static void target(String sql, List<Token> t, int j, int to, String verb, Token at)
      throws SQLException {
    if (j >= to || !t.get(j).isName()) {
      return;
    }
    String name = lastName(t, j, to);
    String advice = RELATIONS.get(name.toUpperCase(Locale.ROOT));
    if (advice != null) {
      throw refuse(
          sql, at, verb + " on " + name.toLowerCase(Locale.ROOT) + " is refused: " + advice);
    }
  }

  /** The last part of a name like {@code PUBLIC.edits} or {@code "PUBLIC"."EDITS"}. */
  private static String lastName(List<Token> t, int j, int to) {
    String name = t.get(j).name();
    while (j + 2 < to && t.get(j + 1).isSymbol('.') && t.get(j + 2).isName()) {
      j += 2;
      name = t.get(j).name();
    }
    return name;
  }

  private static int afterName(List<Token> t, int j, int to) {
    j++;
    while (j + 1 < to && t.get(j).isSymbol('.') && t.get(j + 1).isName()) {
      j += 2;
    }
    return j;
  }

  private static int skip(List<Token> t, int j, int to, String word) {
    return j < to && t.get(j).is(word) ? j + 1 : j;
  }

  private static int skipIfExists(List<Token> t, int j, int to) {
    if (j + 1 < to && t.get(j).is("IF") && t.get(j + 1).is("EXISTS")) {
      return j + 2;
    }
    return j;
  }

  /** True if the token at i begins a statement (of a script, or of the text checked). */
  private static boolean statementStart(List<Token> t, int i, int from) {
    return i == from || t.get(i - 1).isSymbol(';');
  }

  private static SQLException refuse(String sql, Token at, String message) {
    return ErrorCode.READ_ONLY_RELATION.exception(
        message + " (at position " + (at.start() + 1) + " of \"" + abbreviate(sql) + "\")");
  }

  private static SQLException unsupported(String sql, Token at, String message) {
    return ErrorCode.UNSUPPORTED_STATEMENT.exception(
        message + " (at position " + (at.start() + 1) + " of \"" + abbreviate(sql) + "\")");
  }

  private static String abbreviate(String sql) {
    return sql.length() <= 200 ? sql : sql.substring(0, 200) + "...";
  }
}
