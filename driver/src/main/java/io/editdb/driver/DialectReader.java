package io.editdb.driver;

import io.editdb.driver.Command.Lit;
import io.editdb.driver.Command.Param;
import io.editdb.driver.Command.Val;
import io.editdb.driver.SqlLexer.Kind;
import io.editdb.driver.SqlLexer.Token;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Reads the tokens and values of one statement for EditDB's parsers ({@link DialectParser}, {@link
 * InsertParser}): names, literals, {@code ?} parameters (numbered in text order), keywords, and
 * syntax errors that carry the position of the problem.
 */
class DialectReader {
  final String sql;
  final List<Token> t;
  final int end; // tokens of the statement: [0, end)
  final int textEnd; // offset where the statement's text ends (before a final ';')
  int i;
  int params;

  DialectReader(String sql, List<Token> t, int end, int textEnd) {
    this.sql = sql;
    this.t = t;
    this.end = end;
    this.textEnd = textEnd;
  }

  /** A name: a word, a quoted name, a string or ?. */
  Val name(String what) throws SQLException {
    Token n = peek(what);
    if (n.isName()) {
      i++;
      return new Lit(n.text(), n.start());
    }
    if (n.kind() == Kind.PARAM || n.kind() == Kind.STRING) {
      return value(what);
    }
    throw error(n, "expected " + what + " or ?; found " + describe(n));
  }

  // ---- values ----

  /** An id or version: an integer literal or ?. */
  Val id(String what) throws SQLException {
    Token at = peek(what);
    Val v = value(what);
    if (v instanceof Lit lit && !(lit.value() instanceof Long)) {
      throw error(at, "expected " + what + " (an integer or ?); found " + describe(at));
    }
    return v;
  }

  /** Optional {@code REASON <value>}, then the end of the statement. */
  Val reasonAndEnd() throws SQLException {
    Val reason = null;
    if (accept("REASON")) {
      reason = value("a reason (a string or ?)");
    }
    if (i < end) {
      throw error(
          t.get(i),
          "expected REASON '...' or the end of the statement; found " + describe(t.get(i)));
    }
    return reason;
  }

  Val value(String what) throws SQLException {
    Token v = peek(what);
    i++;
    switch (v.kind()) {
      case PARAM -> {
        return param(v);
      }
      case STRING -> {
        return new Lit(v.text(), v.start());
      }
      case BYTES -> {
        try {
          return new Lit(HexFormat.of().parseHex(v.text()), v.start());
        } catch (IllegalArgumentException e) {
          throw error(
              v, "X'...' must hold an even number of hex digits; found X'" + v.text() + "'");
        }
      }
      case NUMBER -> {
        return new Lit(number(v, false), v.start());
      }
      case SYMBOL -> {
        if ((v.isSymbol('-') || v.isSymbol('+')) && i < end && t.get(i).kind() == Kind.NUMBER) {
          Token num = t.get(i++);
          return new Lit(number(num, v.isSymbol('-')), v.start());
        }
      }
      case WORD -> {
        if (v.is("NULL")) {
          return new Lit(null, v.start());
        }
        if (v.is("TRUE") || v.is("FALSE")) {
          return new Lit(v.is("TRUE"), v.start());
        }
        if (v.is("ARRAY")) {
          return new Lit(array(), v.start());
        }
      }
      default -> {
        // fall through to the error
      }
    }
    throw error(
        v,
        "expected "
            + what
            + ": a string, a number, NULL, ARRAY[...], X'..' or ?;"
            + " found "
            + describe(v));
  }

  float[] array() throws SQLException {
    expectSymbol('[', "[ after ARRAY");
    List<Float> values = new ArrayList<>();
    if (!acceptSymbol(']')) {
      do {
        Token v = peek("a number");
        boolean negative = false;
        if (v.isSymbol('-') || v.isSymbol('+')) {
          negative = v.isSymbol('-');
          i++;
          v = peek("a number");
        }
        if (v.kind() != Kind.NUMBER) {
          throw error(v, "ARRAY[...] holds numbers; found " + describe(v));
        }
        i++;
        float f = number(v, negative).floatValue();
        if (Float.isInfinite(f)) {
          throw error(v, "number " + v.text() + " is out of range of REAL (32-bit float)");
        }
        values.add(f);
      } while (acceptSymbol(','));
      expectSymbol(']', "] or , in ARRAY[...]");
    }
    float[] out = new float[values.size()];
    for (int k = 0; k < out.length; k++) {
      out[k] = values.get(k);
    }
    return out;
  }

  Number number(Token v, boolean negative) throws SQLException {
    String text = (negative ? "-" : "") + v.text();
    boolean integral = v.text().chars().allMatch(Character::isDigit);
    try {
      Number n = integral ? (Number) Long.parseLong(text) : (Number) Double.parseDouble(text);
      if (Double.isInfinite(n.doubleValue())) {
        throw new NumberFormatException(); // parseDouble rounds what is too large to infinity
      }
      return n;
    } catch (NumberFormatException e) {
      throw error(v, "number " + text + " is out of range");
    }
  }

  Param param(Token v) throws SQLException {
    if (v.text().length() > 1) {
      throw error(
          v,
          "numbered parameters like "
              + v.text()
              + " are not supported in EditDB"
              + " statements; use ?");
    }
    return new Param(++params, v.start());
  }

  // ---- token helpers ----

  Token peek(String expected) throws SQLException {
    if (i >= end) {
      throw error(null, "expected " + expected + "; the statement ends");
    }
    return t.get(i);
  }

  boolean accept(String kw) {
    if (i < end && t.get(i).is(kw)) {
      i++;
      return true;
    }
    return false;
  }

  void expect(String kw, String form) throws SQLException {
    Token tok = peek(kw);
    if (!tok.is(kw)) {
      throw error(
          tok, "expected " + kw + " (the statement is " + form + "); found " + describe(tok));
    }
    i++;
  }

  boolean acceptSymbol(char c) {
    if (i < end && t.get(i).isSymbol(c)) {
      i++;
      return true;
    }
    return false;
  }

  void expectSymbol(char c, String expected) throws SQLException {
    Token tok = peek(expected);
    if (!tok.isSymbol(c)) {
      throw error(tok, "expected " + expected + "; found " + describe(tok));
    }
    i++;
  }

  void expectEnd() throws SQLException {
    if (i < end) {
      throw error(t.get(i), "expected the end of the statement; found " + describe(t.get(i)));
    }
  }

  static String describe(Token tok) {
    return switch (tok.kind()) {
      case STRING -> "the string '" + tok.text() + "'";
      case QUOTED_NAME -> "the name \"" + tok.text() + "\"";
      case BYTES -> "X'" + tok.text() + "'";
      default -> tok.text();
    };
  }

  /** A syntax error at the token (null: at the end of the statement). */
  SQLException error(Token at, String what) {
    return SqlLexer.syntaxError(sql, at == null ? textEnd : at.start(), what);
  }
}
