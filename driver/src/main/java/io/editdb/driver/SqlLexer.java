package io.editdb.driver;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits SQL text into tokens, enough to recognise EditDB's statements and writes to its relations:
 * words, quoted names, strings, numbers, parameters and symbols, skipping comments. Follows H2's
 * lexical rules where they matter: {@code ''} inside strings, {@code ""} inside quoted names,
 * {@code --}, {@code //} and nested {@code /* *}{@code /} comments, {@code $$...$$} strings, {@code
 * U&"..."} names and {@code U&'...'} strings with Unicode escapes, whitespace as H2 sees it (every
 * character up to the space, and Unicode space separators such as the no-break space) and words of
 * Java identifier characters. Where this lexer and H2's disagree on where a token starts or ends, a
 * write to EditDB's relations could hide from {@link RelationGuard}; so it follows H2 even where H2
 * is surprising.
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
    List<Integer> unicode = new ArrayList<>(); // indexes of U&"..." and U&'...' tokens
    while (pos < n) {
      char c = sql.charAt(pos);
      if (isSpace(c)) {
        pos++;
      } else if ((c == '-' && peek(1) == '-') || (c == '/' && peek(1) == '/')) {
        while (pos < n && sql.charAt(pos) != '\n' && sql.charAt(pos) != '\r') {
          pos++;
        }
      } else if (c == '/' && peek(1) == '*') {
        pos = blockCommentEnd(pos);
      } else if ((c == 'U' || c == 'u') && peek(1) == '&' && (peek(2) == '"' || peek(2) == '\'')) {
        int start = pos;
        char q = peek(2);
        unicode.add(out.size());
        out.add(
            new Token(q == '"' ? Kind.QUOTED_NAME : Kind.STRING, quoted(start, pos + 2, q), start));
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
      } else if (isWordStart(sql.codePointAt(pos))) {
        int start = pos;
        pos += Character.charCount(sql.codePointAt(pos));
        while (pos < n && Character.isJavaIdentifierPart(sql.codePointAt(pos))) {
          pos += Character.charCount(sql.codePointAt(pos));
        }
        String word = sql.substring(start, pos);
        if (pos < n && sql.charAt(pos) == '\'' && (word.equalsIgnoreCase("X"))) {
          out.add(new Token(Kind.BYTES, quoted(start, pos, '\''), start));
        } else if (pos < n && sql.charAt(pos) == '\'' && word.equalsIgnoreCase("N")) {
          out.add(new Token(Kind.STRING, quoted(start, pos, '\''), start));
        } else {
          out.add(new Token(Kind.WORD, word, start));
        }
      } else if (isDigit(c) || (c == '.' && isDigit(peek(1)))) {
        out.add(number());
      } else if (c == '?') {
        int start = pos++;
        while (pos < n && isDigit(sql.charAt(pos))) {
          pos++;
        }
        out.add(new Token(Kind.PARAM, sql.substring(start, pos), start));
      } else {
        out.add(new Token(Kind.SYMBOL, String.valueOf(c), pos));
        pos++;
      }
    }
    for (int k = unicode.size() - 1; k >= 0; k--) {
      decodeUnicode(out, unicode.get(k));
    }
    return out;
  }

  /** The offset after the block comment at {@code start}; comments nest, as in H2. */
  private int blockCommentEnd(int start) throws SQLException {
    int depth = 0;
    int i = start;
    while (i + 1 < sql.length()) {
      char c = sql.charAt(i);
      char next = sql.charAt(i + 1);
      if (c == '/' && next == '*') {
        depth++;
        i += 2;
      } else if (c == '*' && next == '/') {
        i += 2;
        if (--depth == 0) {
          return i;
        }
      } else {
        i++;
      }
    }
    throw error(
        start, "the comment is not closed; end it with */ (comments nest: each /* needs its */)");
  }

  /**
   * Replaces the text of the {@code U&} token at {@code k} by what its escapes stand for, taking
   * the escape character from a {@code UESCAPE '<c>'} after it (default backslash), as H2 does:
   * {@code <c>XXXX}, {@code <c>+XXXXXX} (hex code points) and {@code <c><c>}.
   */
  private void decodeUnicode(List<Token> out, int k) throws SQLException {
    Token tok = out.get(k);
    int escape = '\\';
    if (k + 1 < out.size() && out.get(k + 1).is("UESCAPE")) {
      Token e = k + 2 < out.size() ? out.get(k + 2) : null;
      if (e == null
          || e.kind() != Kind.STRING
          || e.text().codePointCount(0, e.text().length()) != 1
          || "+'\"0123456789abcdefABCDEF".indexOf(e.text().codePointAt(0)) >= 0
          || Character.isWhitespace(e.text().codePointAt(0))) {
        throw error(
            tok.start(),
            "UESCAPE takes one character that is not a hex digit, +, a quote"
                + " or a space, like UESCAPE '!'");
      }
      escape = e.text().codePointAt(0);
      out.subList(k + 1, k + 3).clear();
    }
    String s = tok.text();
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      if (cp == escape) {
        if (i < s.length() && s.codePointAt(i) == escape) {
          i += Character.charCount(escape);
        } else {
          boolean wide = i < s.length() && s.charAt(i) == '+';
          int from = wide ? i + 1 : i;
          int to = from + (wide ? 6 : 4);
          cp = to <= s.length() ? hex(s, from, to) : -1;
          if (cp < 0 || cp > Character.MAX_CODE_POINT) {
            throw error(
                tok.start(),
                "a Unicode escape is "
                    + new String(Character.toChars(escape))
                    + " and 4 hex digits, or + and 6 hex digits of a code point");
          }
          i = to;
        }
      }
      b.appendCodePoint(cp);
    }
    out.set(k, new Token(tok.kind(), b.toString(), tok.start()));
  }

  private static int hex(String s, int from, int to) {
    int v = 0;
    for (int i = from; i < to; i++) {
      int d = Character.digit(s.charAt(i), 16);
      if (d < 0 || s.charAt(i) > 'f') {
        return -1;
      }
      v = v * 16 + d;
    }
    return v;
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
    while (pos < n && isDigit(sql.charAt(pos))) {
      pos++;
    }
    if (pos < n && sql.charAt(pos) == '.') {
      pos++;
      while (pos < n && isDigit(sql.charAt(pos))) {
        pos++;
      }
    }
    if (pos < n && (sql.charAt(pos) == 'e' || sql.charAt(pos) == 'E')) {
      int save = pos;
      pos++;
      if (pos < n && (sql.charAt(pos) == '+' || sql.charAt(pos) == '-')) {
        pos++;
      }
      if (pos < n && isDigit(sql.charAt(pos))) {
        while (pos < n && isDigit(sql.charAt(pos))) {
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

  /** H2's whitespace: control characters, the space, and Unicode space separators. */
  private static boolean isSpace(char c) {
    return c <= ' ' || Character.isSpaceChar(c);
  }

  /** H2's identifier start ({@code $} begins {@code $$} strings and parameters instead). */
  private static boolean isWordStart(int cp) {
    return cp != '$' && Character.isJavaIdentifierStart(cp);
  }

  /** ASCII digits only: H2 reads no other digits as numbers. */
  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
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
