package io.editdb.driver;

import io.editdb.driver.Command.InsertEdit;
import io.editdb.driver.Command.Val;
import io.editdb.driver.SqlLexer.Token;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Parses {@code INSERT INTO edits (columns) VALUES (values)}, one row, and the new edit's id it may
 * return: {@code ... RETURNING id}, or {@code SELECT id FROM FINAL TABLE (INSERT INTO edits ...)},
 * the form jOOQ writes for H2 ({@code NEW TABLE} alike). Only the id is returned; it is the same id
 * {@code getGeneratedKeys} gives.
 */
final class InsertParser {
  /** Columns INSERT INTO edits takes. */
  static final Set<String> INSERT_COLUMNS =
      Set.of(
          "layer",
          "prompt",
          "target",
          "image_ref",
          "visual_key",
          "text_key",
          "expert_a",
          "expert_b",
          "rank",
          "alpha",
          "author",
          "reason",
          "weight_dtype",
          "image",
          "token_mask",
          "query_region");

  /** Columns of edits the store fills in. */
  private static final Set<String> STORE_COLUMNS =
      Set.of("id", "status", "created_version", "created_at", "retired_version", "retired_at");

  private InsertParser() {}

  /** {@code INSERT INTO edits ... [RETURNING id, ...]}; {@code r} at the statement's start. */
  static InsertEdit insert(DialectReader r) throws SQLException {
    InsertEdit row = row(r, 0);
    List<String> returning = List.of();
    if (r.accept("RETURNING")) {
      returning = ids(r, "RETURNING");
    }
    r.expectEnd();
    return new InsertEdit(row.columns(), row.values(), returning);
  }

  /**
   * {@code SELECT id [, ...] FROM FINAL|NEW TABLE (INSERT INTO edits ...) [[AS] alias]}; null when
   * the SELECT has another shape (standard SQL, for H2).
   */
  static InsertEdit finalTable(DialectReader r) throws SQLException {
    List<Token> t = r.t;
    int from = -1;
    int depth = 0;
    for (int k = 1; k < r.end && from < 0; k++) {
      Token tok = t.get(k);
      if (tok.isSymbol('(')) {
        depth++;
      } else if (tok.isSymbol(')')) {
        depth--;
      } else if (depth == 0 && tok.is("FROM")) {
        from = k;
      }
    }
    if (from < 0
        || from + 6 >= r.end
        || !(t.get(from + 1).is("FINAL") || t.get(from + 1).is("NEW"))
        || !t.get(from + 2).is("TABLE")
        || !t.get(from + 3).isSymbol('(')
        || !t.get(from + 4).is("INSERT")
        || !t.get(from + 5).is("INTO")
        || !DialectParser.isEditsTable(t, from + 6, r.end)) {
      return null;
    }
    int close = -1;
    depth = 0;
    for (int k = from + 3; k < r.end && close < 0; k++) {
      if (t.get(k).isSymbol('(')) {
        depth++;
      } else if (t.get(k).isSymbol(')') && --depth == 0) {
        close = k;
      }
    }
    if (close < 0) {
      throw r.error(null, "the ( after TABLE is never closed; close it after the VALUES");
    }
    DialectReader list = new DialectReader(r.sql, t, from, t.get(from).start());
    list.i = 1;
    List<String> returning = ids(list, "SELECT ... FROM FINAL TABLE (INSERT INTO edits ...)");
    list.expectEnd();
    DialectReader inner = new DialectReader(r.sql, t, close, t.get(close).start());
    InsertEdit row = row(inner, from + 4);
    inner.expectEnd();
    r.i = close + 1;
    if (r.accept("AS") || (r.i < r.end && t.get(r.i).isName())) {
      Token alias = r.peek("a name for the inserted row");
      if (!alias.isName()) {
        throw r.error(alias, "expected a name after AS; found " + DialectReader.describe(alias));
      }
      r.i++;
    }
    r.expectEnd();
    r.params = inner.params;
    return new InsertEdit(row.columns(), row.values(), returning);
  }

  /**
   * What the new id is returned as: {@code id [[AS] label], ...} (a qualified {@code e.id} too).
   * The edit's other columns are refused: they are read from edits once it is committed.
   */
  private static List<String> ids(DialectReader r, String clause) throws SQLException {
    List<String> labels = new ArrayList<>();
    do {
      Token item = r.peek("id");
      if (item.isName()
          && r.i + 2 < r.end
          && r.t.get(r.i + 1).isSymbol('.')
          && r.t.get(r.i + 2).isName()) {
        r.i += 2;
        item = r.t.get(r.i);
      }
      if (!item.isName() || !item.name().equalsIgnoreCase("ID")) {
        throw r.error(
            item,
            clause
                + " returns the new edit's id only; found "
                + DialectReader.describe(item)
                + ". Read the edit's other columns with SELECT ... FROM edits WHERE id = ?");
      }
      r.i++;
      String label = "ID";
      boolean as = r.accept("AS");
      if (as || (r.i < r.end && r.t.get(r.i).isName() && !r.t.get(r.i).is("FROM"))) {
        Token l = r.peek("a column label");
        if (!l.isName()) {
          throw r.error(l, "expected a column label; found " + DialectReader.describe(l));
        }
        label = l.name();
        r.i++;
      }
      labels.add(label);
    } while (r.acceptSymbol(','));
    return List.copyOf(labels);
  }

  /** The column list and the one row of values, from {@code INSERT} at token {@code start}. */
  private static InsertEdit row(DialectReader r, int start) throws SQLException {
    r.i = start + (start + 3 < r.end && r.t.get(start + 3).isSymbol('.') ? 5 : 3);
    Token open = r.peek("( and the column list");
    if (!open.isSymbol('(')) {
      throw r.error(
          open,
          "INSERT INTO edits needs its column list, like INSERT INTO edits"
              + " (layer, prompt, target, ...) VALUES (...); found "
              + DialectReader.describe(open));
    }
    r.i++;
    List<String> columns = new ArrayList<>();
    do {
      Token c = r.peek("a column name");
      if (!c.isName()) {
        throw r.error(c, "expected a column name; found " + DialectReader.describe(c));
      }
      String col = c.text().toLowerCase(Locale.ROOT);
      if (STORE_COLUMNS.contains(col)) {
        throw ErrorCode.UNKNOWN_COLUMN.exception(
            col
                + " is assigned by the store; leave it out"
                + " (at position "
                + (c.start() + 1)
                + ")");
      }
      if (!INSERT_COLUMNS.contains(col)) {
        throw ErrorCode.UNKNOWN_COLUMN.exception(
            "INSERT INTO edits has no column "
                + c.text()
                + " (at position "
                + (c.start() + 1)
                + "); the columns are "
                + INSERT_COLUMNS);
      }
      if (columns.contains(col)) {
        throw r.error(c, "column " + col + " is named twice; name it once");
      }
      columns.add(col);
      r.i++;
    } while (r.acceptSymbol(','));
    r.expectSymbol(')', ") or , after a column name");
    Token values = r.peek("VALUES");
    if (!values.is("VALUES")) {
      throw r.error(
          values,
          "INSERT INTO edits takes VALUES (...); found "
              + DialectReader.describe(values)
              + ". To copy edits, read them and insert each with VALUES");
    }
    r.i++;
    r.expectSymbol('(', "( after VALUES");
    List<Val> vals = new ArrayList<>();
    do {
      vals.add(
          r.value(
              "a value for "
                  + (vals.size() < columns.size() ? columns.get(vals.size()) : "no column")));
    } while (r.acceptSymbol(','));
    Token close = r.peek(") after the values");
    r.expectSymbol(')', ") or , after a value");
    if (vals.size() != columns.size()) {
      throw r.error(
          close,
          columns.size()
              + " columns but "
              + vals.size()
              + " values; give one"
              + " value per column");
    }
    if (r.i < r.end && r.t.get(r.i).isSymbol(',')) {
      throw r.error(
          r.t.get(r.i),
          "INSERT INTO edits takes one row; for many rows use a"
              + " PreparedStatement with addBatch() and executeBatch()");
    }
    return new InsertEdit(columns, vals, List.of());
  }
}
