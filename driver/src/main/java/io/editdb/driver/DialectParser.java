package io.editdb.driver;

import io.editdb.driver.Command.Lit;
import io.editdb.driver.Command.Param;
import io.editdb.driver.Command.Parsed;
import io.editdb.driver.Command.Val;
import io.editdb.driver.SqlLexer.Kind;
import io.editdb.driver.SqlLexer.Token;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Recognises EditDB's statements (README, "SQL dialect") and parses them; everything else is
 * standard SQL for H2, checked by {@link RelationGuard} and passed on unchanged. Keywords are
 * case-insensitive; every value may be a {@code ?}. Errors carry the position of the problem.
 */
final class DialectParser {
  /** CREATE LAYER options that must be given. */
  static final List<String> REQUIRED_LAYER_OPTIONS =
      List.of("MODEL", "MODULE", "D_IN", "D_OUT", "VISUAL_DIM", "TEXT_DIM");

  /**
   * CREATE LAYER options that must be given for a layer bound to a host: the rest come from the
   * host (and MODEL defaults to the host's name).
   */
  static final List<String> REQUIRED_HOST_LAYER_OPTIONS = List.of("HOST", "MODULE");

  /**
   * CREATE LAYER options that may be given: a host, its maker, and every {@link
   * io.editdb.store.LayerOption} (defaults there).
   */
  static final List<String> OPTIONAL_LAYER_OPTIONS =
      java.util.stream.Stream.concat(
              java.util.stream.Stream.of("HOST", "MAKER"),
              java.util.Arrays.stream(io.editdb.store.LayerOption.values()).map(Enum::name))
          .toList();

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

  /** First words of statements that must be sent one per call. */
  private static final Set<String> OWN_FIRST_WORDS =
      Set.of("ROLLBACK", "RESTORE", "VERIFY", "COMMIT", "BEGIN", "START", "SHUTDOWN");

  private final String sql;
  private final List<Token> t;
  private final int end; // tokens of the statement: [0, end)
  private final int textEnd; // offset where the statement's text ends (before a final ';')
  private final boolean guard;
  private int i;
  private int params;

  private DialectParser(String sql, List<Token> t, int end, int textEnd, boolean guard) {
    this.sql = sql;
    this.t = t;
    this.end = end;
    this.textEnd = textEnd;
    this.guard = guard;
  }

  /** Parses one statement, with the relation guard's friendly pre-check on. */
  static Parsed parse(String sql) throws SQLException {
    return parse(sql, true);
  }

  /**
   * Parses one statement. {@code guard} false skips {@link RelationGuard}: it only gives earlier,
   * clearer messages, since H2's grants refuse the same writes (connection property sqlGuard).
   */
  static Parsed parse(String sql, boolean guard) throws SQLException {
    if (sql == null) {
      throw ErrorCode.SYNTAX_ERROR.exception("the statement is null; give the SQL text to run");
    }
    List<Token> tokens = SqlLexer.lex(sql);
    List<Integer> semicolons = new ArrayList<>();
    for (int k = 0; k < tokens.size(); k++) {
      if (tokens.get(k).isSymbol(';')) {
        semicolons.add(k);
      }
    }
    int end = tokens.size();
    int textEnd = sql.length();
    if (!semicolons.isEmpty() && semicolons.get(semicolons.size() - 1) == tokens.size() - 1) {
      end = tokens.size() - 1; // a trailing ';' is allowed
      textEnd = tokens.get(end).start();
    }
    if (semicolons.size() > 1 || (semicolons.size() == 1 && end == tokens.size())) {
      checkScript(sql, tokens);
      if (guard) {
        RelationGuard.check(sql, tokens, 0, tokens.size());
      }
      return new Parsed(new Command.Delegate(sql, false), 0);
    }
    DialectParser p = new DialectParser(sql, tokens, end, textEnd, guard);
    Command c = p.statement();
    return new Parsed(c, p.params);
  }

  /** In a script of several statements, EditDB's statements and transaction control are refused. */
  private static void checkScript(String sql, List<Token> t) throws SQLException {
    int start = 0;
    for (int k = 0; k <= t.size(); k++) {
      if (k == t.size() || t.get(k).isSymbol(';')) {
        if (k > start && isOwnStatement(t, start, k)) {
          throw ErrorCode.UNSUPPORTED_STATEMENT.exception(
              "\""
                  + t.get(start).text()
                  + "\" at"
                  + " position "
                  + (t.get(start).start() + 1)
                  + " is in a script of several"
                  + " statements; send EditDB statements, COMMIT, ROLLBACK and other transaction"
                  + " control one per call");
        }
        start = k + 1;
      }
    }
  }

  private static boolean isOwnStatement(List<Token> t, int from, int to) {
    Token first = t.get(from);
    if (first.kind() != Kind.WORD) {
      return false;
    }
    String w = first.text().toUpperCase(Locale.ROOT);
    Token second = from + 1 < to ? t.get(from + 1) : null;
    return OWN_FIRST_WORDS.contains(w)
        || (w.equals("CREATE") && second != null && second.is("LAYER"))
        || (second != null && second.is("USER") && Set.of("CREATE", "ALTER", "DROP").contains(w))
        || (w.equals("SET") && second != null && second.is("AUTOCOMMIT"))
        || (w.equals("INSERT") && from + 2 < to && isEditsTable(t, from + 2, to));
  }

  private static boolean isEditsTable(List<Token> t, int j, int to) {
    if (j >= to || !t.get(j).isName()) {
      return false;
    }
    if (j + 2 < to && t.get(j + 1).isSymbol('.') && t.get(j + 2).isName()) {
      j += 2;
    }
    return t.get(j).name().equalsIgnoreCase("EDITS");
  }

  private Command statement() throws SQLException {
    if (end == 0) {
      return new Command.Delegate(sql, false);
    }
    Token first = t.get(0);
    String w = first.kind() == Kind.WORD ? first.text().toUpperCase(Locale.ROOT) : "";
    switch (w) {
      case "CREATE", "ALTER", "DROP" -> {
        if (end > 1 && t.get(1).is("USER")) {
          i = 2;
          return user(w);
        }
        if (w.equals("CREATE") && end > 1 && t.get(1).is("LAYER")) {
          i = 2;
          return createLayer();
        }
      }
      case "INSERT" -> {
        if (end > 2 && t.get(1).is("INTO") && isEditsTable(t, 2, end)) {
          i = t.get(3 < end ? 3 : 2).isSymbol('.') ? 5 : 3;
          return insert();
        }
      }
      case "ROLLBACK" -> {
        i = 1;
        return rollback();
      }
      case "RESTORE" -> {
        i = 1;
        expect("EDIT", "RESTORE EDIT <id> [REASON '...']");
        return new Command.RestoreEdit(id("an edit id"), reasonAndEnd());
      }
      case "VERIFY" -> {
        i = 1;
        expect("HISTORY", "VERIFY HISTORY");
        expectEnd();
        return new Command.VerifyHistory();
      }
      case "COMMIT" -> {
        i = 1;
        accept("WORK");
        expectEnd();
        return new Command.Commit();
      }
      case "BEGIN" -> {
        i = 1;
        if (!accept("WORK")) {
          accept("TRANSACTION");
        }
        expectEnd();
        return new Command.Begin();
      }
      case "START" -> {
        i = 1;
        expect("TRANSACTION", "START TRANSACTION");
        expectEnd();
        return new Command.Begin();
      }
      case "SET" -> {
        if (end > 1 && t.get(1).is("AUTOCOMMIT")) {
          i = 2;
          return setAutoCommit();
        }
      }
      case "SHUTDOWN" ->
          throw ErrorCode.UNSUPPORTED_STATEMENT.exception(
              "SHUTDOWN would close the store under every connection sharing it; close your"
                  + " connections instead (an embedded store closes with its last connection)");
      default -> {
        // standard SQL
      }
    }
    if (guard) {
      RelationGuard.check(sql, t, 0, end);
    }
    return new Command.Delegate(sql, false);
  }

  // ---- CREATE LAYER ----

  private Command createLayer() throws SQLException {
    Val name = name("a layer name (like llava_l21)");
    expectSymbol('(', "( after the layer name");
    Map<String, Val> options = new LinkedHashMap<>();
    do {
      Token opt = peek("a layer option");
      String key = opt.kind() == Kind.WORD ? opt.text().toUpperCase(Locale.ROOT) : "";
      if (!REQUIRED_LAYER_OPTIONS.contains(key) && !OPTIONAL_LAYER_OPTIONS.contains(key)) {
        throw error(
            opt,
            "expected a layer option, one of "
                + REQUIRED_LAYER_OPTIONS
                + " and "
                + OPTIONAL_LAYER_OPTIONS
                + "; found "
                + describe(opt));
      }
      if (options.containsKey(key)) {
        throw error(opt, "option " + key + " is given twice; give it once");
      }
      i++;
      options.put(key, optionValue(key));
    } while (acceptSymbol(','));
    Token close = peek(") closing the options");
    expectSymbol(')', ") or , after an option");
    List<String> required =
        options.containsKey("HOST") ? REQUIRED_HOST_LAYER_OPTIONS : REQUIRED_LAYER_OPTIONS;
    for (String req : required) {
      if (!options.containsKey(req)) {
        throw error(
            close,
            "CREATE LAYER needs "
                + req
                + "; required are "
                + REQUIRED_LAYER_OPTIONS
                + ", or "
                + REQUIRED_HOST_LAYER_OPTIONS
                + " for a layer bound to a host");
      }
    }
    expectEnd();
    return new Command.CreateLayer(name, options);
  }

  /** A name: a word, a quoted name, a string or ?. */
  private Val name(String what) throws SQLException {
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

  // ---- CREATE / ALTER / DROP USER ----

  private static final String CREATE_USER =
      "CREATE USER <name> [PASSWORD '<password>'] ROLE ADMIN|EDITOR|AUDITOR";
  private static final String ALTER_USER =
      "ALTER USER <name> [SET] PASSWORD '<password>' or ALTER USER <name> [SET] ROLE <role>";

  private Command user(String verb) throws SQLException {
    Val name = name("a user name");
    switch (verb) {
      case "CREATE" -> {
        Val password = null;
        Val role = null;
        while (i < end) {
          Token clause = t.get(i);
          if (password == null && accept("PASSWORD")) {
            password = value("a password (a string or ?)");
          } else if (role == null && accept("ROLE")) {
            role = optionValue("ROLE");
          } else {
            throw error(
                clause,
                "expected PASSWORD or ROLE in " + CREATE_USER + "; found " + describe(clause));
          }
        }
        if (role == null) {
          throw error(t.get(end - 1), "CREATE USER needs a ROLE: " + CREATE_USER);
        }
        return new Command.CreateUser(name, password, role);
      }
      case "ALTER" -> {
        accept("SET");
        Command c;
        if (accept("PASSWORD")) {
          c = new Command.AlterUser(name, value("a password (a string or ?)"), null);
        } else if (accept("ROLE")) {
          c = new Command.AlterUser(name, null, optionValue("ROLE"));
        } else {
          throw error(peek("PASSWORD or ROLE"), "expected PASSWORD or ROLE: " + ALTER_USER);
        }
        expectEnd();
        return c;
      }
      default -> {
        expectEnd();
        return new Command.DropUser(name);
      }
    }
  }

  private Val optionValue(String key) throws SQLException {
    Token v = peek("a value for " + key);
    if (v.kind() == Kind.WORD
        && !v.is("NULL")
        && !v.is("TRUE")
        && !v.is("FALSE")
        && !v.is("ARRAY")) {
      i++; // LORA, COSINE, SOFTMAX, ...: checked against the enum when the layer is built
      return new Lit(v.text().toUpperCase(Locale.ROOT), v.start());
    }
    return value("a value for " + key);
  }

  // ---- INSERT INTO edits ----

  private Command insert() throws SQLException {
    Token open = peek("( and the column list");
    if (!open.isSymbol('(')) {
      throw error(
          open,
          "INSERT INTO edits needs its column list, like INSERT INTO edits"
              + " (layer, prompt, target, ...) VALUES (...); found "
              + describe(open));
    }
    i++;
    List<String> columns = new ArrayList<>();
    do {
      Token c = peek("a column name");
      if (!c.isName()) {
        throw error(c, "expected a column name; found " + describe(c));
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
        throw error(c, "column " + col + " is named twice; name it once");
      }
      columns.add(col);
      i++;
    } while (acceptSymbol(','));
    expectSymbol(')', ") or , after a column name");
    Token values = peek("VALUES");
    if (!values.is("VALUES")) {
      throw error(
          values,
          "INSERT INTO edits takes VALUES (...); found "
              + describe(values)
              + ". To copy edits, read them and insert each with VALUES");
    }
    i++;
    expectSymbol('(', "( after VALUES");
    List<Val> vals = new ArrayList<>();
    do {
      vals.add(
          value(
              "a value for "
                  + (vals.size() < columns.size() ? columns.get(vals.size()) : "no column")));
    } while (acceptSymbol(','));
    Token close = peek(") after the values");
    expectSymbol(')', ") or , after a value");
    if (vals.size() != columns.size()) {
      throw error(
          close,
          columns.size()
              + " columns but "
              + vals.size()
              + " values; give one"
              + " value per column");
    }
    if (i < end && t.get(i).isSymbol(',')) {
      throw error(
          t.get(i),
          "INSERT INTO edits takes one row; for many rows use a"
              + " PreparedStatement with addBatch() and executeBatch()");
    }
    expectEnd();
    return new Command.InsertEdit(columns, vals);
  }

  // ---- ROLLBACK ----

  private Command rollback() throws SQLException {
    if (i == end) {
      return new Command.Rollback();
    }
    Token next = t.get(i);
    if (next.is("WORK") && i + 1 == end) {
      return new Command.Rollback();
    }
    if (next.is("EDIT")) {
      i++;
      return new Command.RollbackEdit(id("an edit id"), reasonAndEnd());
    }
    if (next.is("EDITS")) {
      i++;
      expect("WHERE", "ROLLBACK EDITS WHERE <condition> [REASON '...']");
      return rollbackEdits();
    }
    if (next.is("TO")) {
      i++;
      Token what = peek("VERSION or SAVEPOINT");
      if (what.is("SAVEPOINT")) {
        return new Command.Delegate(sql, true);
      }
      expect("VERSION", "ROLLBACK TO VERSION <v> [REASON '...']");
      return new Command.RollbackToVersion(id("a version"), reasonAndEnd());
    }
    throw error(
        next,
        "expected ROLLBACK, ROLLBACK EDIT <id>, ROLLBACK EDITS WHERE ...,"
            + " ROLLBACK TO VERSION <v> or ROLLBACK TO SAVEPOINT <name>; found "
            + describe(next));
  }

  private Command rollbackEdits() throws SQLException {
    int condFrom = i;
    int condTo = end;
    Val reason = null;
    // REASON closes the statement only as "REASON <string|?|NULL>" at its very end, so a
    // condition may still test the reason column: ... WHERE reason LIKE '%x%' REASON 'why'.
    if (end - condFrom >= 2 && t.get(end - 2).is("REASON")) {
      Token r = t.get(end - 1);
      if (r.kind() == Kind.STRING || r.kind() == Kind.PARAM || r.is("NULL")) {
        condTo = end - 2;
      }
    }
    if (condTo == condFrom) {
      throw error(
          condFrom < end ? t.get(condFrom) : null,
          "ROLLBACK EDITS WHERE needs a"
              + " condition over the edits table, like WHERE author = 'bob'");
    }
    int depth = 0;
    List<Integer> condParams = new ArrayList<>();
    for (int k = condFrom; k < condTo; k++) {
      Token tok = t.get(k);
      if (tok.isSymbol('(')) {
        depth++;
      } else if (tok.isSymbol(')') && --depth < 0) {
        throw error(tok, "this ) closes nothing; balance the parentheses of the condition");
      } else if (tok.kind() == Kind.PARAM) {
        condParams.add(param(tok).index());
      }
    }
    if (depth != 0) {
      throw error(
          condTo < end ? t.get(condTo) : null,
          "the condition has " + depth + " unclosed ( ; balance its parentheses");
    }
    if (guard) {
      RelationGuard.check(sql, t, condFrom, condTo);
    }
    int textTo = condTo < end ? t.get(condTo).start() : textEnd;
    String condition = sql.substring(t.get(condFrom).start(), textTo).trim();
    if (condTo < end) {
      i = condTo + 1;
      reason = value("a reason");
    }
    return new Command.RollbackEdits(condition, List.copyOf(condParams), reason);
  }

  private Command setAutoCommit() throws SQLException {
    acceptSymbol('=');
    Token v = peek("TRUE or FALSE");
    boolean on;
    if (v.is("TRUE") || v.is("ON")) {
      on = true;
    } else if (v.is("FALSE") || v.is("OFF")) {
      on = false;
    } else {
      throw error(v, "expected TRUE or FALSE; found " + describe(v));
    }
    i++;
    expectEnd();
    return new Command.SetAutoCommit(on);
  }

  // ---- values ----

  /** An id or version: an integer literal or ?. */
  private Val id(String what) throws SQLException {
    Token at = peek(what);
    Val v = value(what);
    if (v instanceof Lit lit && !(lit.value() instanceof Long)) {
      throw error(at, "expected " + what + " (an integer or ?); found " + describe(at));
    }
    return v;
  }

  /** Optional {@code REASON <value>}, then the end of the statement. */
  private Val reasonAndEnd() throws SQLException {
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

  private Val value(String what) throws SQLException {
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

  private float[] array() throws SQLException {
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

  private Number number(Token v, boolean negative) throws SQLException {
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

  private Param param(Token v) throws SQLException {
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

  private Token peek(String expected) throws SQLException {
    if (i >= end) {
      throw error(null, "expected " + expected + "; the statement ends");
    }
    return t.get(i);
  }

  private boolean accept(String kw) {
    if (i < end && t.get(i).is(kw)) {
      i++;
      return true;
    }
    return false;
  }

  private void expect(String kw, String form) throws SQLException {
    Token tok = peek(kw);
    if (!tok.is(kw)) {
      throw error(
          tok, "expected " + kw + " (the statement is " + form + "); found " + describe(tok));
    }
    i++;
  }

  private boolean acceptSymbol(char c) {
    if (i < end && t.get(i).isSymbol(c)) {
      i++;
      return true;
    }
    return false;
  }

  private void expectSymbol(char c, String expected) throws SQLException {
    Token tok = peek(expected);
    if (!tok.isSymbol(c)) {
      throw error(tok, "expected " + expected + "; found " + describe(tok));
    }
    i++;
  }

  private void expectEnd() throws SQLException {
    if (i < end) {
      throw error(t.get(i), "expected the end of the statement; found " + describe(t.get(i)));
    }
  }

  private static String describe(Token tok) {
    return switch (tok.kind()) {
      case STRING -> "the string '" + tok.text() + "'";
      case QUOTED_NAME -> "the name \"" + tok.text() + "\"";
      case BYTES -> "X'" + tok.text() + "'";
      default -> tok.text();
    };
  }

  /** A syntax error at the token (null: at the end of the statement). */
  private SQLException error(Token at, String what) {
    return SqlLexer.syntaxError(sql, at == null ? textEnd : at.start(), what);
  }
}
