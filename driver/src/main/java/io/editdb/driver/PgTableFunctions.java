package io.editdb.driver;

import io.editdb.driver.SqlLexer.Kind;
import io.editdb.driver.SqlLexer.Token;
import io.editdb.query.SqlRouting;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * EditDB's SQL functions on a store whose truth is PostgreSQL, which cannot call into the node's
 * Java. The driver evaluates them itself and hands PostgreSQL the rest of the statement:
 *
 * <ul>
 *   <li>{@code EMBED_TEXT('text' | ?)} anywhere becomes the key as a {@code real[]} literal;
 *   <li>a table function ({@code ROUTE}, {@code ROUTE_EXPLAIN}, {@code ASK}, {@code ATTRIBUTION})
 *       anywhere a table may stand (FROM, JOIN): its arguments are computed by PostgreSQL first
 *       (constants, parameters, {@code ARRAY[...]}, uncorrelated subqueries such as {@code (SELECT
 *       visual_key FROM edits WHERE id = 7)}), on the user's own connection and rights; the node
 *       routes; and the call is replaced by its rows as a {@code VALUES} list with the function's
 *       columns, so the statement's own WHERE, ORDER BY, joins and select list run in PostgreSQL.
 * </ul>
 *
 * Arguments that name a column of the statement's other tables (a lateral call) cannot be computed
 * first and are refused with that reason. {@code EDITS_AT} and {@code VECTOR_ARRAY} are functions
 * of the PostgreSQL schema itself and need none of this.
 */
final class PgTableFunctions {
  static final Set<String> TABLES = Set.of("ROUTE", "ROUTE_EXPLAIN", "ASK", "ATTRIBUTION");
  static final String EMBED = "EMBED_TEXT";

  private PgTableFunctions() {}

  /** Whether the statement {@code t} calls one of the functions the driver evaluates. */
  static boolean mentions(List<Token> t) {
    for (int i = 0; i < t.size(); i++) {
      if (calledAt(t, i, t.size()) != null) {
        return true;
      }
    }
    return false;
  }

  /**
   * The function (a table function or {@value #EMBED}) that token {@code i} calls, its '(' before
   * token {@code end}; null if it calls none of them.
   */
  private static String calledAt(List<Token> t, int i, int end) {
    Token w = t.get(i);
    boolean ours = w.kind() == Kind.WORD && (TABLES.contains(w.name()) || w.name().equals(EMBED));
    return ours && i + 1 < end && t.get(i + 1).isSymbol('(') ? w.name() : null;
  }

  /**
   * Runs {@code sql} with {@code params} on {@code user}: the functions evaluated by {@code
   * routing}, the rest by PostgreSQL. The caller closes the result (its statement closes with it).
   */
  static ResultSet query(String sql, Object[] params, Connection user, SqlRouting routing)
      throws SQLException {
    Rewrite r = new Rewrite(sql, params, user, routing);
    String text = r.rewrite();
    PreparedStatement ps = user.prepareStatement(text);
    boolean ok = false;
    try {
      for (int i = 0; i < r.rest.size(); i++) {
        ps.setObject(i + 1, r.rest.get(i));
      }
      ps.closeOnCompletion();
      ResultSet rs = ps.executeQuery();
      ok = true;
      return rs;
    } finally {
      if (!ok) {
        ps.close();
      }
    }
  }

  /** One statement's rewrite: its text, and the parameters left for PostgreSQL. */
  private static final class Rewrite {
    private final String sql;
    private final Object[] params;
    private final Connection user;
    private final SqlRouting routing;
    private final List<Token> tokens;
    private final List<Object> rest = new ArrayList<>();
    private int paramNo;

    Rewrite(String sql, Object[] params, Connection user, SqlRouting routing) throws SQLException {
      this.sql = sql;
      this.params = params;
      this.user = user;
      this.routing = routing;
      this.tokens = SqlLexer.lex(sql);
    }

    String rewrite() throws SQLException {
      StringBuilder out = new StringBuilder();
      int copied = 0; // offset in sql up to which the text is in out
      for (int i = 0; i < tokens.size(); i++) {
        Token t = tokens.get(i);
        String called = calledAt(tokens, i, tokens.size());
        if (t.kind() == Kind.PARAM) {
          rest.add(param());
        } else if (EMBED.equals(called)) {
          int close = closing(i + 1);
          out.append(sql, copied, t.start());
          out.append(embed(i, close));
          copied = end(close);
          i = close;
        } else if (called != null) {
          int close = closing(i + 1);
          out.append(sql, copied, t.start());
          out.append(rows(t.name(), i, close));
          copied = end(close);
          i = close;
        }
      }
      out.append(sql, copied, sql.length());
      return out.toString();
    }

    private Object param() throws SQLException {
      if (paramNo >= params.length) {
        throw ErrorCode.INVALID_VALUE.exception(
            "the statement has more ? than parameters were given (" + params.length + ")");
      }
      return params[paramNo++];
    }

    /** The index of the ')' that closes the '(' at {@code open}. */
    private int closing(int open) throws SQLException {
      int depth = 0;
      for (int j = open; j < tokens.size(); j++) {
        if (tokens.get(j).isSymbol('(')) {
          depth++;
        } else if (tokens.get(j).isSymbol(')') && --depth == 0) {
          return j;
        }
      }
      throw SqlLexer.syntaxError(sql, tokens.get(open).start(), "a ( that is never closed");
    }

    private int end(int close) {
      return tokens.get(close).start() + 1;
    }

    /** EMBED_TEXT('text' | ?) as a real[] literal. */
    private String embed(int name, int close) throws SQLException {
      Object arg;
      if (close == name + 3 && tokens.get(name + 2).kind() == Kind.STRING) {
        arg = tokens.get(name + 2).text();
      } else if (close == name + 3 && tokens.get(name + 2).kind() == Kind.PARAM) {
        arg = param();
      } else {
        throw ErrorCode.UNSUPPORTED_STATEMENT.exception(
            "on a PostgreSQL store EMBED_TEXT takes a string literal or a ? parameter (the node"
                + " encodes it before PostgreSQL runs the statement); found "
                + sql.substring(tokens.get(name).start(), end(close)));
      }
      String text = Values.text(arg, "EMBED_TEXT's text");
      if (text == null) {
        return "CAST(NULL AS real[])";
      }
      return realArray(routing.embedText(text));
    }

    /** A table function's call replaced by its rows. */
    private String rows(String name, int at, int close) throws SQLException {
      // The arguments' text, split at top-level commas, with EMBED_TEXT and ? handled inside.
      List<String> args = new ArrayList<>();
      List<Object> argParams = new ArrayList<>();
      StringBuilder arg = new StringBuilder();
      int depth = 0;
      int copied = tokens.get(at + 1).start() + 1;
      for (int j = at + 2; j < close; j++) {
        Token t = tokens.get(j);
        String called = calledAt(tokens, j, close);
        if (called != null && TABLES.contains(called)) {
          throw ErrorCode.UNSUPPORTED_STATEMENT.exception(
              "on a PostgreSQL store "
                  + t.name()
                  + " cannot stand inside "
                  + name
                  + "'s arguments");
        }
        if (EMBED.equals(called)) {
          int c = closing(j + 1);
          arg.append(sql, copied, t.start()).append(embed(j, c));
          copied = end(c);
          j = c;
          continue;
        }
        if (t.isSymbol('(') || t.isSymbol('[')) {
          depth++;
        } else if (t.isSymbol(')') || t.isSymbol(']')) {
          depth--;
        } else if (t.kind() == Kind.PARAM) {
          argParams.add(param());
        } else if (depth == 0 && t.isSymbol(',')) {
          arg.append(sql, copied, t.start());
          args.add(arg.toString());
          arg.setLength(0);
          copied = t.start() + 1;
        }
      }
      arg.append(sql, copied, tokens.get(close).start());
      if (!arg.toString().isBlank() || !args.isEmpty()) {
        args.add(arg.toString());
      }
      List<Object> values = evaluate(name, args, argParams);
      try (ResultSet rs = routing.call(name, values)) {
        return values(name, rs, aliasFollows(close));
      }
    }

    /** Computes the arguments in PostgreSQL, as the user, and converts them for the call. */
    private List<Object> evaluate(String name, List<String> args, List<Object> argParams)
        throws SQLException {
      List<Object> raw = new ArrayList<>();
      if (!args.isEmpty()) {
        try (PreparedStatement ps = user.prepareStatement("SELECT " + String.join(", ", args))) {
          for (int i = 0; i < argParams.size(); i++) {
            ps.setObject(i + 1, argParams.get(i));
          }
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            for (int i = 1; i <= args.size(); i++) {
              raw.add(rs.getObject(i));
            }
          }
        } catch (SQLException e) {
          if ("42P01".equals(e.getSQLState()) || "42703".equals(e.getSQLState())) {
            throw ErrorCode.UNSUPPORTED_STATEMENT.exception(
                "on a PostgreSQL store "
                    + name
                    + "'s arguments are computed before the rest of the statement, so they may"
                    + " not name the statement's other tables or columns: "
                    + e.getMessage()
                    + ". Use constants, ? parameters or a subquery of their own",
                e);
          }
          throw e;
        }
      }
      List<Object> out = new ArrayList<>();
      for (int i = 0; i < raw.size(); i++) {
        Object v = raw.get(i);
        String what = name + "'s argument " + (i + 1);
        boolean routeKey = name.startsWith("ROUTE") && (i == 1 || i == 2);
        boolean image = !name.startsWith("ROUTE") && i == 1;
        // ROUTE*(layer, visual, text, version, threshold); ASK(layer, image, question, version);
        // ATTRIBUTION(layer, image, question, answer)
        if (i == 0
            || (!name.startsWith("ROUTE") && i == 2)
            || (name.equals("ATTRIBUTION") && i == 3)) {
          out.add(Values.text(v, what));
        } else if (routeKey) {
          out.add(Values.floats(v, what));
        } else if (image) {
          if (v != null && !(v instanceof byte[])) {
            throw ErrorCode.INVALID_VALUE.exception(
                what + " must be binary (PNG bytes); bind a byte[]");
          }
          out.add(v);
        } else if (name.startsWith("ROUTE") && i == 4) {
          out.add(Values.real(v, what));
        } else {
          out.add(Values.integer(v, what));
        }
      }
      return out;
    }

    /** Whether the call is followed by an alias of the user's (so none is added). */
    private boolean aliasFollows(int close) {
      if (close + 1 >= tokens.size()) {
        return false;
      }
      Token next = tokens.get(close + 1);
      return next.is("AS")
          || next.kind() == Kind.QUOTED_NAME
          || (next.kind() == Kind.WORD && !NOT_ALIASES.contains(next.name()));
    }

    private static final Set<String> NOT_ALIASES =
        Set.of(
            "WHERE",
            "JOIN",
            "INNER",
            "LEFT",
            "RIGHT",
            "FULL",
            "CROSS",
            "NATURAL",
            "ON",
            "USING",
            "ORDER",
            "GROUP",
            "HAVING",
            "LIMIT",
            "OFFSET",
            "FETCH",
            "UNION",
            "EXCEPT",
            "INTERSECT",
            "WINDOW",
            "FOR",
            "RETURNING");
  }

  /** Rows as {@code (SELECT * FROM (VALUES ...) AS v(columns)) [AS name]}. */
  private static String values(String name, ResultSet rs, boolean userAlias) throws SQLException {
    ResultSetMetaData md = rs.getMetaData();
    int n = md.getColumnCount();
    List<String> columns = new ArrayList<>();
    List<String> types = new ArrayList<>();
    for (int c = 1; c <= n; c++) {
      columns.add(md.getColumnLabel(c).toLowerCase(Locale.ROOT));
      types.add(pgType(md.getColumnType(c)));
    }
    StringBuilder b = new StringBuilder("(SELECT * FROM (VALUES ");
    boolean any = false;
    while (rs.next()) {
      b.append(any ? ", (" : "(");
      for (int c = 1; c <= n; c++) {
        b.append(c > 1 ? ", " : "").append(literal(rs.getObject(c), types.get(c - 1)));
      }
      b.append(')');
      any = true;
    }
    if (!any) { // an empty result keeps its columns and types
      b.append('(');
      for (int c = 1; c <= n; c++) {
        b.append(c > 1 ? ", " : "").append("CAST(NULL AS ").append(types.get(c - 1)).append(')');
      }
      b.append(')');
    }
    b.append(") AS v(").append(String.join(", ", columns)).append(')');
    if (!any) {
      b.append(" WHERE false");
    }
    b.append(')');
    if (!userAlias) {
      b.append(" AS ").append(name.toLowerCase(Locale.ROOT));
    }
    return b.toString();
  }

  private static String pgType(int sqlType) {
    return switch (sqlType) {
      case Types.BIGINT -> "bigint";
      case Types.INTEGER -> "integer";
      case Types.REAL -> "real";
      case Types.DOUBLE -> "double precision";
      case Types.BOOLEAN -> "boolean";
      default -> "text";
    };
  }

  private static String literal(Object v, String type) {
    if (v == null) {
      return "CAST(NULL AS " + type + ")";
    }
    return switch (type) {
      case "bigint", "integer" -> "CAST(" + ((Number) v).longValue() + " AS " + type + ")";
      case "real", "double precision" -> {
        double d = ((Number) v).doubleValue();
        yield Double.isFinite(d)
            ? "CAST("
                + (type.equals("real") ? Float.toString((float) d) : Double.toString(d))
                + " AS "
                + type
                + ")"
            : "CAST('"
                + (Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity")
                + "' AS "
                + type
                + ")";
      }
      case "boolean" -> Boolean.TRUE.equals(v) ? "TRUE" : "FALSE";
      default -> "'" + v.toString().replace("'", "''") + "'";
    };
  }

  private static String realArray(float[] key) {
    StringBuilder b = new StringBuilder("CAST(ARRAY[");
    for (int i = 0; i < key.length; i++) {
      b.append(i > 0 ? "," : "").append(Float.toString(key[i]));
    }
    return b.append("] AS real[])").toString();
  }
}
