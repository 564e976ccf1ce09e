package io.editdb.driver;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits SQL text into tokens, enough to recognise EditDB's statements and writes to its relations:
 * words, quoted names, strings, numbers, parameters and symbols, skipping comments. Follows H2's
 * lexical rules where they matter: {@code ''} inside strings, {@code ""} inside quoted names,
 * {@code --}, {@code //} and {@code /* *}{@code /} comments, {@code $$...$$} strings.
 */
final class SqlLexer {

  enum Kind {
    WORD,
    QUOTED_NAME,
    STRING,
    BYTES,
    NUMBER,
    PARAM,
    SYMBOL
  }

  /**
   * One token. {@code text} is the value (a string without its quotes, a word as written); {@code
   * start} is the 0-based offset in the statement.
   */
  record Token(Kind kind, String text, int start) {
    /** True for the unquoted word {@code kw}, in any case. */
    boolean is(String kw) {
      return kind == Kind.WORD && text.equalsIgnoreCase(kw);
    }

    boolean isSymbol(char c) {
      return kind == Kind.SYMBOL && text.length() == 1 && text.charAt(0) == c;
    }

    /** A name for comparing with EditDB's relations: words case-folded, quoted names as is. */
    String name() {
      return kind == Kind.WORD ? text.toUpperCase(Locale.ROOT) : text;
    }

    boolean isName() {
      return kind == Kind.WORD || kind == Kind.QUOTED_NAME;
    }
  }

  private final String sql;
  private int pos;

  private SqlLexer(String sql) {
    this.sql = sql;
  }

  static List<Token> lex(String sql) throws SQLException {
    return new SqlLexer(sql).run();
  }

  private List<Token> run() throws SQLException {
    List<Token> out = new ArrayList<>();
    int n = sql.length();
    while (pos < n) {
      char c = sql.charAt(pos);
      if (Character.isWhitespace(c)) {
        pos++;
      } else if ((c == '-' && peek(1) == '-') || (c == '/' && peek(1) == '/')) {
        while (pos < n && sql.charAt(pos) != '\n' && sql.charAt(pos) != '\r') {
          pos++;
        }
      } else if (c == '/' && peek(1) == '*') {
        int end = sql.indexOf("*/", pos + 2);
        if (end < 0) {
          throw error(pos, "the comment is not closed; end it with */");
        }
        pos = end + 2;
      } else if (c == '\'') {
        int start = pos;
        out.add(new Token(Kind.STRING, quoted(start, pos, '\''), start));
      } else if (c == '"' || c == '`') {
        int start = pos;
        out.add(new Token(Kind.QUOTED_NAME, quoted(start, pos, c), start));
      } else if (c == '$' && peek(1) == '$') {
        int end = sql.indexOf("$$", pos + 2);
        if (end < 0) {
          throw error(pos, "the $$ string is not closed; end it with $$");
        }
        out.add(new Token(Kind.STRING, sql.substring(pos + 2, end), pos));
        pos = end + 2;
      } else if (isWordStart(c)) {
        int start = pos;
        while (pos < n && isWordPart(sql.charAt(pos))) {
          pos++;
        }
        String word = sql.substring(start, pos);
        if (pos < n && sql.charAt(pos) == '\'' && (word.equalsIgnoreCase("X"))) {
          out.add(new Token(Kind.BYTES, quoted(start, pos, '\''), start));
        } else if (pos < n && sql.charAt(pos) == '\'' && word.equalsIgnoreCase("N")) {
          out.add(new Token(Kind.STRING, quoted(start, pos, '\''), start));
        } else {
          out.add(new Token(Kind.WORD, word, start));
        }
      } else if (Character.isDigit(c) || (c == '.' && Character.isDigit(peek(1)))) {
        out.add(number());
      } else if (c == '?') {
        int start = pos++;
        while (pos < n && Character.isDigit(sql.charAt(pos))) {
          pos++;
        }
        out.add(new Token(Kind.PARAM, sql.substring(start, pos), start));
      } else {
        out.add(new Token(Kind.SYMBOL, String.valueOf(c), pos));
        pos++;
      }
    }
    return out;
  }

  /** Reads the text quoted by {@code q} at {@code quoteAt}; doubled quotes escape; moves pos. */
  private String quoted(int tokenStart, int quoteAt, char q) throws SQLException {
    StringBuilder b = new StringBuilder();
    int i = quoteAt + 1;
    while (true) {
      if (i >= sql.length()) {
        throw error(
            tokenStart,
            (q == '\'' ? "the string" : "the quoted name")
                + " is not closed; end"
                + " it with "
                + q
                + " (write "
                + q
                + q
                + " for a "
                + q
                + " inside it)");
      }
      char c = sql.charAt(i);
      if (c == q) {
        if (i + 1 < sql.length() && sql.charAt(i + 1) == q) {
          b.append(q);
          i += 2;
          continue;
        }
        pos = i + 1;
        return b.toString();
      }
      b.append(c);
      i++;
    }
  }

  private Token number() {
    int start = pos;
    int n = sql.length();
    while (pos < n && Character.isDigit(sql.charAt(pos))) {
      pos++;
    }
    if (pos < n && sql.charAt(pos) == '.') {
      pos++;
      while (pos < n && Character.isDigit(sql.charAt(pos))) {
        pos++;
      }
    }
    if (pos < n && (sql.charAt(pos) == 'e' || sql.charAt(pos) == 'E')) {
      int save = pos;
      pos++;
      if (pos < n && (sql.charAt(pos) == '+' || sql.charAt(pos) == '-')) {
        pos++;
      }
      if (pos < n && Character.isDigit(sql.charAt(pos))) {
        while (pos < n && Character.isDigit(sql.charAt(pos))) {
          pos++;
        }
      } else {
        pos = save;
      }
    }
    return new Token(Kind.NUMBER, sql.substring(start, pos), start);
  }

  private char peek(int ahead) {
    int i = pos + ahead;
    return i < sql.length() ? sql.charAt(i) : '\0';
  }

  private static boolean isWordStart(char c) {
    return Character.isLetter(c) || c == '_';
  }

  private static boolean isWordPart(char c) {
    return Character.isLetterOrDigit(c) || c == '_' || c == '$';
  }

  private SQLException error(int at, String what) {
    return syntaxError(sql, at, what);
  }

  /** A syntax error pointing at a 0-based offset, shown 1-based with H2's [*] marker. */
  static SQLException syntaxError(String sql, int at, String what) {
    int p = Math.max(0, Math.min(at, sql.length()));
    String shown = sql.substring(0, p) + "[*]" + sql.substring(p);
    if (shown.length() > 300) {
      int from = Math.max(0, p - 150);
      shown =
          (from > 0 ? "..." : "")
              + shown.substring(from, Math.min(shown.length(), p + 150))
              + "...";
    }
    return ErrorCode.SYNTAX_ERROR.exception(
        "syntax error at position " + (p + 1) + ": " + what + "; in \"" + shown + "\"");
  }
}
