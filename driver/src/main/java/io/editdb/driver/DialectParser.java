package io.editdb.driver;

import io.editdb.driver.Command.Lit;
import io.editdb.driver.Command.Parsed;
import io.editdb.driver.Command.Val;
import io.editdb.driver.SqlLexer.Kind;
import io.editdb.driver.SqlLexer.Token;
import java.sql.SQLException;
import java.util.ArrayList;
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
final class DialectParser extends DialectReader {
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

  /** First words of statements that must be sent one per call. */
  private static final Set<String> OWN_FIRST_WORDS =
      Set.of("ROLLBACK", "RESTORE", "VERIFY", "COMMIT", "BEGIN", "START", "SHUTDOWN");

  private final boolean guard;

  private DialectParser(String sql, List<Token> t, int end, int textEnd, boolean guard) {
    super(sql, t, end, textEnd);
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

  static boolean isEditsTable(List<Token> t, int j, int to) {
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
          i = 0;
          return InsertParser.insert(this);
        }
      }
      case "SELECT" -> {
        Command c = InsertParser.finalTable(this);
        if (c != null) {
          return c;
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
}
