package io.editdb.driver;

import io.editdb.driver.SqlLexer.Kind;
import io.editdb.driver.SqlLexer.Token;
import io.editdb.store.Role;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What each role may run, checked before every statement with the user's current role (an
 * administrator's change of a role or a dropped user counts from the next statement).
 *
 * <ul>
 *   <li>ADMIN: everything, including CREATE LAYER, users and DDL.
 *   <li>EDITOR: EditDB's edit statements and standard SQL that reads or changes rows of the user's
 *       own tables; no DDL, no user management, no reading of {@code users}.
 *   <li>AUDITOR: reads, routing, VERIFY HISTORY and transaction control only.
 * </ul>
 *
 * Standard SQL runs inside H2 with H2's full rights, so a non-administrator's statement is checked
 * token by token: a word that defines or drops objects, runs Java ({@code CREATE ALIAS}), or reads
 * or writes files or the whole database ({@code SCRIPT}, {@code CSVREAD}, {@code FILE_WRITE}, ...)
 * is refused wherever it appears. Strings, quoted names and comments are their own tokens, so a
 * prompt that mentions {@code DROP} is never refused for it. Nobody, administrator included, may
 * write the history: {@link RelationGuard} refuses that for every role.
 */
final class Rights {
  /** Words only an administrator's standard SQL may hold. */
  private static final Set<String> ADMIN_WORDS =
      Set.of(
          "CREATE",
          "DROP",
          "ALTER",
          "TRUNCATE",
          "GRANT",
          "REVOKE",
          "COMMENT",
          "ANALYZE",
          "SCRIPT",
          "RUNSCRIPT",
          "BACKUP",
          "CHECKPOINT",
          "SHUTDOWN",
          "PREPARE",
          "EXECUTE",
          "DEALLOCATE",
          "CSVREAD",
          "CSVWRITE",
          "FILE_READ",
          "FILE_WRITE",
          "LINK_SCHEMA",
          "DATABASE_PATH",
          "CANCEL_SESSION",
          "ABORT_SESSION");

  /** Words that change rows (or lock them): an auditor's standard SQL holds none. */
  private static final Set<String> ROW_WRITE_WORDS =
      Set.of("INSERT", "UPDATE", "DELETE", "MERGE", "NEXTVAL", "SETVAL");

  private Rights() {}

  /** Refuses an EditDB statement the role does not allow. */
  static void check(Role role, String user, Command c) throws SQLException {
    switch (c) {
      case Command.CreateLayer x -> requireAdmin(role, user, "CREATE LAYER");
      case Command.CreateUser x -> requireAdmin(role, user, "CREATE USER");
      case Command.DropUser x -> requireAdmin(role, user, "DROP USER");
      case Command.AlterUser a -> {
        // everyone may change their own password (the store refuses anyone else's, whoever
        // asks); a role is an administrator's
        if (a.password() == null) {
          requireAdmin(role, user, "ALTER USER ... SET ROLE");
        }
      }
      case Command.InsertEdit x -> requireEditor(role, user, "INSERT INTO edits");
      case Command.RollbackEdit x -> requireEditor(role, user, "ROLLBACK EDIT");
      case Command.RollbackEdits x -> requireEditor(role, user, "ROLLBACK EDITS");
      case Command.RollbackToVersion x -> requireEditor(role, user, "ROLLBACK TO VERSION");
      case Command.RestoreEdit x -> requireEditor(role, user, "RESTORE EDIT");
      default -> {
        // reads and transaction control: every role
      }
    }
  }

  /** Refuses standard SQL the role does not allow. */
  static void checkDelegate(Role role, String user, String sql) throws SQLException {
    if (role.mayAdminister()) {
      return;
    }
    List<Token> tokens = SqlLexer.lex(sql);
    for (int i = 0; i < tokens.size(); i++) {
      Token tok = tokens.get(i);
      Token next = i + 1 < tokens.size() ? tokens.get(i + 1) : null;
      if (tok.isName() && tok.name().equalsIgnoreCase("USERS")) {
        throw refuse(role, user, "reading or writing users", tok);
      }
      if (tok.kind() != Kind.WORD) {
        continue;
      }
      String w = tok.text().toUpperCase(Locale.ROOT);
      boolean statementStart = i == 0 || tokens.get(i - 1).isSymbol(';');
      if (ADMIN_WORDS.contains(w) || (statementStart && w.equals("SET"))) {
        throw refuse(role, user, w + " in standard SQL", tok);
      }
      // NEXT VALUE FOR advances a sequence (FETCH NEXT 5 ROWS does not); REPLACE INTO writes
      // (the REPLACE function does not)
      boolean writes =
          ROW_WRITE_WORDS.contains(w)
              || (w.equals("NEXT") && next != null && next.is("VALUE"))
              || (w.equals("REPLACE") && next != null && next.is("INTO"));
      if (!role.mayEdit() && writes) {
        throw refuse(role, user, w + " in standard SQL", tok);
      }
    }
  }

  /**
   * Refuses unwrapping the store or a session to a non-administrator: both are trusted in-process
   * code with the store's full rights.
   */
  static void checkUnwrap(Role role, String user, Class<?> what) throws SQLException {
    requireAdmin(role, user, "unwrap(" + what.getSimpleName() + ")");
  }

  private static void requireAdmin(Role role, String user, String what) throws SQLException {
    if (!role.mayAdminister()) {
      throw notAllowed(role, user, what, "ask an administrator");
    }
  }

  private static void requireEditor(Role role, String user, String what) throws SQLException {
    if (!role.mayEdit()) {
      throw notAllowed(role, user, what, "connect as an editor or an administrator");
    }
  }

  private static SQLException refuse(Role role, String user, String what, Token at) {
    return notAllowed(
        role,
        user,
        what + " (at position " + (at.start() + 1) + ")",
        role.mayEdit()
            ? "only an administrator may define objects, manage users or touch files"
            : "an auditor may only read, route and verify");
  }

  private static SQLException notAllowed(Role role, String user, String what, String fix) {
    return ErrorCode.NOT_ALLOWED.exception(
        user + " is " + article(role) + " and may not run " + what + "; " + fix);
  }

  private static String article(Role role) {
    String r = role.name().toLowerCase(Locale.ROOT);
    return (r.startsWith("a") || r.startsWith("e") ? "an " : "a ") + r;
  }
}
