package io.editdb.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.fail;

import io.editdb.store.EditStore;
import io.editdb.store.Role;
import io.editdb.store.StoreSession;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serial;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The attacks of {@link SecurityTest}: every attack of issue 13 ({@link #listed()}) and more of our
 * own ({@link #own()}), each as plain JDBC and SQL text. An attack names the roles it is tried as,
 * whether it must be refused or may also pass quietly, and the SQLStates that count as a refusal.
 *
 * <p>The accepted SQLStates, by case (never success where a refusal is required):
 *
 * <ul>
 *   <li>{@code 42501}: refused for lack of rights, by H2's grants (H2 90096 / 90040, translated to
 *       EditDB's NOT_ALLOWED) or by EditDB's own pre-check (NOT_ALLOWED, READ_ONLY_RELATION). Every
 *       attack accepts it.
 *   <li>{@code 42S22}: H2's "column not found" (42122): an administrator's {@code users} view has
 *       no {@code password_hash} column.
 *   <li>{@code 42000}, {@code 42001}, {@code 42601}: a syntax error that stops the statement before
 *       it runs (H2's syntax errors, EditDB's SYNTAX_ERROR / UNSUPPORTED_STATEMENT): only for
 *       statements that are not valid in H2's regular mode (REPLACE, [brackets]), delta tables
 *       where H2 allows none, H2's own CREATE/ALTER USER syntax inside EditDB's dialect, and
 *       scripts.
 *   <li>{@code 42704}: EditDB's UNKNOWN_USER, for {@code ALTER USER SA}: there is no EditDB user SA
 *       (the store's internal H2 administrator is not one).
 *   <li>{@code 22023}: EditDB's INVALID_VALUE / INVALID_URL, for unwrapping to H2's classes and for
 *       directory URLs with {@code ;}.
 *   <li>{@code 0A000}: {@code prepareCall}, which EditDB does not implement.
 *   <li>{@code 22005}: EditDB's WRONG_TYPE, for reading a value as a class that only Java
 *       deserialisation would make (an ARRAY or ROW of JAVA_OBJECT).
 *   <li>{@code 90022}: H2's "function not found", for a quoted lower-case built-in name that H2
 *       resolves to no function at all.
 *   <li>{@code 90106}: H2's "cannot truncate", for {@code TRUNCATE TABLE PUBLIC.versions}, which
 *       other tables reference, and for a view ({@code user_history}): H2 refuses that before it
 *       looks at rights.
 *   <li>{@code 42000} for RUNSCRIPT: EditDB's UNSUPPORTED_STATEMENT, which refuses scripts before
 *       H2 sees them.
 * </ul>
 */
final class SecurityAttacks {
  private SecurityAttacks() {}

  static final Set<String> DENIED = Set.of("42501");
  static final Set<String> DENIED_OR_NO_COLUMN = Set.of("42501", "42S22");
  static final Set<String> DENIED_OR_SYNTAX = Set.of("42501", "42000", "42001", "42601");
  static final Set<String> DENIED_OR_UNKNOWN_USER = Set.of("42501", "42704", "42601");
  static final Set<String> DENIED_OR_NO_FUNCTION = Set.of("42501", "90022");
  static final Set<String> DENIED_OR_UNSUPPORTED = Set.of("42501", "42000");
  static final Set<String> DENIED_OR_REFERENCED = Set.of("42501", "90106");
  static final Set<String> NOT_A_WRAPPER = Set.of("22023", "42501");
  static final Set<String> NOT_DESERIALISED = Set.of("22005", "42501");
  static final Set<String> NO_CALLABLE = Set.of("0A000", "42501");

  static final Set<Role> ALL = EnumSet.allOf(Role.class);
  static final Set<Role> NON_ADMIN = EnumSet.of(Role.AUDITOR, Role.EDITOR);

  /** What an attack acts on: the store, a folder outside it, a secret file, the fixture's ids. */
  record Ctx(Path store, Path out, Path secret, String secretText, long active, long rolledBack) {
    /** The attack text with its placeholders filled in. */
    String fill(String sql) {
      return sql.replace("$STORE", store.toString())
          .replace("$OUT", out.toString())
          .replace("$SECRET", secret.toString())
          .replace("$ACTIVE", Long.toString(active))
          .replace("$ROLLED", Long.toString(rolledBack))
          .replace("$ARRAYLIST", hex(serialized(new ArrayList<>(List.of("x")))))
          .replace("$GADGET2", hex(serialized(new Gadget(2))))
          .replace("$GADGET", hex(serialized(new Gadget(1))));
    }
  }

  /** One attack: returns what it read (checked for leaks); a refusal is an SQLException. */
  interface Action {
    String run(Connection c, Ctx x) throws Exception;
  }

  /**
   * An attack. {@code mustRefuse}: it must end in an SQLException with one of {@code states};
   * otherwise it may also pass, as long as it reads nothing secret and changes nothing (reads of
   * the database path, conditions that match nothing, getObject that must return bytes).
   */
  record Attack(
      String name,
      boolean listed,
      Set<Role> roles,
      Set<String> states,
      boolean mustRefuse,
      String text,
      Action action,
      List<String> sqls) {
    Attack(
        String name,
        boolean listed,
        Set<Role> roles,
        Set<String> states,
        boolean mustRefuse,
        String text,
        Action action) {
      this(name, listed, roles, states, mustRefuse, text, action, null);
    }

    /** The same attack with each statement prepared and executed as a PreparedStatement. */
    Action prepared() {
      return (c, x) -> {
        StringBuilder out = new StringBuilder();
        for (String s : sqls) {
          try (PreparedStatement ps = c.prepareStatement(x.fill(s))) {
            boolean rows = ps.execute();
            out.append(rows ? drain(ps.getResultSet()) : "update count " + ps.getUpdateCount())
                .append('\n');
          }
        }
        return out.toString();
      };
    }

    @Override
    public String toString() {
      return (listed ? "issue: " : "own: ") + name;
    }
  }

  /** Counts deserialisations of {@link Gadget}: any at all means H2 deserialised user bytes. */
  static final AtomicInteger GADGETS_DESERIALIZED = new AtomicInteger();

  /** A class whose deserialisation is observable (a stand-in for a gadget chain). */
  static final class Gadget implements Serializable {
    @Serial private static final long serialVersionUID = 1L;
    final int n;

    Gadget(int n) {
      this.n = n;
    }

    @Serial
    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
      in.defaultReadObject();
      GADGETS_DESERIALIZED.incrementAndGet();
    }
  }

  static byte[] serialized(Object o) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(b)) {
      out.writeObject(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return b.toByteArray();
  }

  static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  // ---- builders ----

  private static Attack sql(
      boolean listed, String name, Set<Role> roles, Set<String> states, String sql) {
    return new Attack(
        name, listed, roles, states, true, sql, (c, x) -> run(c, x.fill(sql)), List.of(sql));
  }

  private static Attack issue(String name, Set<Role> roles, String sql) {
    return sql(true, name, roles, DENIED, sql);
  }

  private static Attack issue(String name, Set<Role> roles, Set<String> states, String sql) {
    return sql(true, name, roles, states, sql);
  }

  private static Attack own(String name, Set<Role> roles, String sql) {
    return sql(false, name, roles, DENIED, sql);
  }

  private static Attack own(String name, Set<Role> roles, Set<String> states, String sql) {
    return sql(false, name, roles, states, sql);
  }

  /** May pass, if it reads nothing secret (the harness checks its output and errors). */
  private static Attack quiet(boolean listed, String name, Set<Role> roles, String sql) {
    return new Attack(
        name, listed, roles, DENIED, false, sql, (c, x) -> run(c, x.fill(sql)), List.of(sql));
  }

  /** Statements run in order on one connection; one of them must be refused. */
  private static Attack steps(
      boolean listed, String name, Set<Role> roles, Set<String> states, String... sqls) {
    return new Attack(
        name,
        listed,
        roles,
        states,
        true,
        String.join("; ", sqls),
        (c, x) -> {
          StringBuilder out = new StringBuilder();
          for (String s : sqls) {
            out.append(run(c, x.fill(s))).append('\n');
          }
          return out.toString();
        },
        List.of(sqls));
  }

  private static Attack custom(
      boolean listed,
      String name,
      Set<Role> roles,
      Set<String> states,
      boolean mustRefuse,
      String text,
      Action a) {
    return new Attack(name, listed, roles, states, mustRefuse, text, a);
  }

  /** Runs one statement and returns everything it answered. */
  static String run(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement()) {
      boolean rows = st.execute(sql);
      return rows ? drain(st.getResultSet()) : "update count " + st.getUpdateCount();
    }
  }

  /** Every value of a result set as text (getString: nothing is deserialised here). */
  static String drain(ResultSet rs) throws SQLException {
    StringBuilder b = new StringBuilder();
    try (rs) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        for (int i = 1; i <= n; i++) {
          b.append(rs.getString(i)).append('|');
        }
        b.append('\n');
      }
    }
    return b.toString();
  }

  // ---- the attacks of issue 13 ----

  static Stream<Attack> listed() {
    return Stream.of(
        issue("quoted FILE_READ reads any file", ALL, "SELECT \"FILE_READ\"('$SECRET', NULL)"),
        issue(
            "CSVWRITE dumps the password hashes",
            ALL,
            "SELECT \"CSVWRITE\"('$OUT/u.csv', 'SELECT name, role, password_hash FROM users')"),
        steps(
            true,
            "CSVWRITE the hashes, then FILE_READ them",
            ALL,
            DENIED,
            "SELECT \"CSVWRITE\"('$OUT/u2.csv', 'SELECT name, role, password_hash FROM"
                + " PUBLIC.users')",
            "SELECT \"FILE_READ\"('$OUT/u2.csv', NULL)"),
        issue(
            "CSVWRITE's query makes the auditor an ADMIN (FINAL TABLE UPDATE users)",
            ALL,
            "SELECT \"CSVWRITE\"('$OUT/a.csv', 'SELECT * FROM FINAL TABLE (UPDATE users SET"
                + " role=''ADMIN'' WHERE name=''audrey'')')"),
        issue(
            "CSVWRITE's query rewrites edit_history",
            ALL,
            "SELECT \"CSVWRITE\"('$OUT/h.csv', 'SELECT * FROM FINAL TABLE (UPDATE edit_history SET"
                + " reason=''forged'' WHERE seq=1)')"),
        issue(
            "CSVWRITE's query deletes edit_history rows",
            ALL,
            "SELECT \"CSVWRITE\"('$OUT/d.csv', 'SELECT * FROM OLD TABLE (DELETE FROM edit_history"
                + " WHERE seq=1)')"),
        issue(
            "FILE_WRITE writes a script",
            ALL,
            // X'...' is "SCRIPT TO 'x.sql'"
            "SELECT \"FILE_WRITE\"(X'53435249505420544f2027782e73716c27', '$OUT/written.sql')"),
        issue(
            "LINK_SCHEMA runs an INIT=RUNSCRIPT of that script (Java in the store's process)",
            ALL,
            "SELECT * FROM \"LINK_SCHEMA\"('S', '', 'jdbc:h2:mem:sec_link;INIT=RUNSCRIPT FROM"
                + " ''$OUT/init.sql''', 'sa', '', 'PUBLIC')"),
        issue(
            "FILE_WRITE destroys the store file",
            ALL,
            "SELECT \"FILE_WRITE\"(X'00', '$STORE/editdb.mv.db')"),
        issue(
            "ABORT_SESSION kills other users' connections",
            ALL,
            "SELECT ABORT_SESSION(X) FROM SYSTEM_RANGE(1, 64)"),
        custom(
            true,
            "CAST(X'aced...' AS JAVA_OBJECT) is not deserialised by getObject",
            ALL,
            DENIED,
            false,
            "SELECT CAST(X'<serialized ArrayList>' AS JAVA_OBJECT) J",
            (c, x) -> {
              byte[] list = serialized(new ArrayList<>(List.of("x")));
              try (Statement st = c.createStatement();
                  ResultSet rs =
                      st.executeQuery(x.fill("SELECT CAST(X'$ARRAYLIST' AS JAVA_OBJECT) J"))) {
                rs.next();
                for (Object o :
                    List.of(rs.getObject(1), rs.getObject("J"), rs.getObject(1, Object.class))) {
                  assertFalse(o instanceof List, "getObject deserialised an ArrayList");
                  assertArrayEquals(
                      list, assertInstanceOf(byte[].class, o, "getObject on JAVA_OBJECT"));
                }
                return "";
              }
            }),
        issue(
            "ROLLBACK EDITS WHERE leaks a password hash through a 22018 message",
            ALL,
            DENIED_OR_NO_COLUMN,
            "ROLLBACK EDITS WHERE CAST((SELECT MAX(password_hash) FROM users) AS INT) = 1"),
        issue(
            "ROLLBACK EDITS WHERE leaks a file through a 22018 message",
            ALL,
            "ROLLBACK EDITS WHERE CAST(FILE_READ('$SECRET', NULL) AS INT) = 1"),
        // refused by the word filter (42501); with it off, H2 evaluates DATABASE_PATH() (left open
        // by H2, README threat model) and the cast fails with 22018 naming the path
        new Attack(
            "ROLLBACK EDITS WHERE leaks DATABASE_PATH through a 22018 message",
            true,
            NON_ADMIN,
            Set.of("42501", "22018"),
            false,
            "ROLLBACK EDITS WHERE CAST(DATABASE_PATH() AS INT) = 1",
            (c, x) -> run(c, "ROLLBACK EDITS WHERE CAST(DATABASE_PATH() AS INT) = 1"),
            List.of("ROLLBACK EDITS WHERE CAST(DATABASE_PATH() AS INT) = 1")),
        issue(
            "ROLLBACK EDITS WHERE writes any table through CSVWRITE",
            ALL,
            "ROLLBACK EDITS WHERE CSVWRITE('$OUT/c.csv', 'SELECT * FROM FINAL TABLE (UPDATE"
                + " edit_history SET reason=''forged'')') > 0"),
        custom(
            true,
            "getMetaData().unwrap(JdbcDatabaseMetaData).getConnection() hands out H2's connection",
            ALL,
            NOT_A_WRAPPER,
            true,
            "c.getMetaData().unwrap(org.h2.jdbc.JdbcDatabaseMetaData.class).getConnection()",
            (c, x) -> {
              Connection raw =
                  c.getMetaData().unwrap(org.h2.jdbc.JdbcDatabaseMetaData.class).getConnection();
              return "got " + raw.getClass().getName() + " as " + raw.getMetaData().getUserName();
            }),
        custom(
            true,
            "resultSet.unwrap(JdbcResultSet).getStatement().getConnection() hands out H2's",
            ALL,
            NOT_A_WRAPPER,
            true,
            "rs.unwrap(org.h2.jdbc.JdbcResultSet.class).getStatement().getConnection()",
            (c, x) -> {
              try (Statement st = c.createStatement();
                  ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM edits")) {
                Connection raw =
                    rs.unwrap(org.h2.jdbc.JdbcResultSet.class).getStatement().getConnection();
                return "got " + raw.getClass().getName();
              }
            }),
        custom(
            true,
            "unwrap(StoreSession).sql() writes edit_history",
            NON_ADMIN,
            DENIED,
            true,
            "c.unwrap(StoreSession.class).sql() DELETE FROM edit_history WHERE seq = 1",
            (c, x) -> {
              Connection raw = c.unwrap(StoreSession.class).sql();
              try (Statement st = raw.createStatement()) {
                return "deleted " + st.executeUpdate("DELETE FROM edit_history WHERE seq = 1");
              }
            }),
        custom(
            true,
            "unwrap(EditStore).readConnection() writes users",
            NON_ADMIN,
            DENIED,
            true,
            "c.unwrap(EditStore.class).readConnection() UPDATE users SET role = 'ADMIN'",
            (c, x) -> {
              try (Connection raw = c.unwrap(EditStore.class).readConnection();
                  Statement st = raw.createStatement()) {
                return "updated "
                    + st.executeUpdate("UPDATE users SET role = 'ADMIN' WHERE name = 'audrey'");
              }
            }),
        custom(
            false,
            "unwrap(Router).store().readConnection() writes users",
            NON_ADMIN,
            NOT_A_WRAPPER,
            true,
            "c.unwrap(Router.class).store().readConnection() UPDATE users SET role = 'ADMIN'",
            (c, x) -> {
              EditStore store = c.unwrap(io.editdb.query.Router.class).store();
              try (Connection raw = store.readConnection();
                  Statement st = raw.createStatement()) {
                return "updated "
                    + st.executeUpdate("UPDATE users SET role = 'ADMIN' WHERE name = 'audrey'");
              }
            }),
        issue("quoted SET MODE \"MSSQLServer\"", ALL, "SET MODE \"MSSQLServer\""),
        steps(
            true,
            "SET MODE \"MSSQLServer\", then DELETE FROM [EDIT_HISTORY]",
            ALL,
            DENIED,
            "SET MODE \"MSSQLServer\"",
            "DELETE FROM [EDIT_HISTORY] WHERE seq = 1"),
        issue(
            "DELETE FROM [EDIT_HISTORY] (MSSQL brackets)",
            ALL,
            DENIED_OR_SYNTAX,
            "DELETE FROM [EDIT_HISTORY] WHERE seq = 1"),
        steps(
            true,
            "CREATE ALIAS of Java that rewrites the history, then CALL it",
            ALL,
            DENIED,
            "CREATE ALIAS REWRITE_HISTORY AS 'int rewrite(java.sql.Connection c) throws"
                + " java.sql.SQLException { return c.createStatement().executeUpdate(\"UPDATE"
                + " PUBLIC.edit_history SET reason = ''forged''\"); }'",
            "CALL REWRITE_HISTORY()"),
        issue(
            "CALL CSVWRITE rewrites the history",
            ALL,
            "CALL CSVWRITE('$OUT/h2.csv', 'SELECT * FROM FINAL TABLE (UPDATE PUBLIC.edit_history"
                + " SET reason = ''forged'')')"),
        issue(
            "UPDATE users makes the auditor an ADMIN",
            ALL,
            "UPDATE users SET role = 'ADMIN' WHERE name = 'audrey'"),
        issue("DELETE FROM edit_history", ALL, "DELETE FROM edit_history WHERE seq = 1"));
  }

  // ---- more of our own ----

  static Stream<Attack> own() {
    return Stream.of(
        // obfuscation: case, comments, unicode escapes, quoted and qualified names
        own("mixed-case file_read", ALL, "SeLeCt FiLe_ReAd('$SECRET', NULL)"),
        own(
            "comments around FILE_READ",
            ALL,
            "SELECT /* a */ FILE_READ /* b */ ( '$SECRET' /* c */, NULL ) -- tail"),
        own(
            "unicode-escaped identifier U&\"FILE\\005fREAD\"",
            ALL,
            DENIED_OR_NO_FUNCTION,
            "SELECT U&\"FILE\\005fREAD\"('$SECRET', NULL)"),
        own(
            "quoted lower-case \"file_read\"",
            ALL,
            DENIED_OR_NO_FUNCTION,
            "SELECT \"file_read\"('$SECRET', NULL)"),
        own(
            "CSVWRITE to a unicode-escaped file name",
            ALL,
            "SELECT \"CSVWRITE\"(U&'$OUT/\\0075esc.csv', 'SELECT 1')"),
        own("FILE_READ without charset (BLOB)", ALL, "SELECT FILE_READ('$SECRET')"),
        own("SELECT * FROM PUBLIC.users", ALL, "SELECT * FROM PUBLIC.users"),
        own(
            "quoted \"PUBLIC\".\"USERS\" password_hash",
            ALL,
            "SELECT password_hash FROM \"PUBLIC\".\"USERS\""),
        own(
            "password_hash through the users view",
            ALL,
            DENIED_OR_NO_COLUMN,
            "SELECT name, password_hash FROM users"),
        own(
            "\"EDITDB\".\"USERS\" by a non-administrator",
            NON_ADMIN,
            "SELECT * FROM \"EDITDB\".\"USERS\""),
        own("the base table of edit_history", ALL, "SELECT * FROM public.edit_history"),
        own("row locks on the base table", ALL, "SELECT * FROM PUBLIC.edits FOR UPDATE"),
        own(
            "INFORMATION_SCHEMA joined with PUBLIC.users",
            ALL,
            "SELECT t.TABLE_NAME, u.password_hash FROM INFORMATION_SCHEMA.TABLES t, PUBLIC.users"
                + " u"),
        quiet(false, "SELECT DATABASE_PATH()", NON_ADMIN, "SELECT DATABASE_PATH()"),
        quiet(
            false,
            "INFORMATION_SCHEMA.SETTINGS names no path",
            NON_ADMIN,
            "SELECT SETTING_NAME, SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS"),
        // JDBC escapes
        own("{fn FILE_READ}", ALL, "SELECT {fn FILE_READ('$SECRET', NULL)}"),
        own(
            "{call CSVWRITE} of PUBLIC.users",
            ALL,
            "{call CSVWRITE('$OUT/call.csv', 'SELECT * FROM PUBLIC.users')}"),
        own(
            "{call FILE_WRITE} over the store",
            ALL,
            "{call FILE_WRITE(X'00', '$STORE/editdb.mv.db')}"),
        quiet(false, "SELECT {fn DATABASE_PATH()}", NON_ADMIN, "SELECT {fn DATABASE_PATH()}"),
        // writes to EditDB's relations, administrators included
        own("UPDATE PUBLIC.edit_history", ALL, "UPDATE PUBLIC.edit_history SET reason = 'forged'"),
        own(
            "DELETE FROM \"EDITDB\".\"EDIT_HISTORY\"",
            ALL,
            "DELETE FROM \"EDITDB\".\"EDIT_HISTORY\""),
        own(
            "TRUNCATE TABLE PUBLIC.versions",
            ALL,
            DENIED_OR_REFERENCED,
            "TRUNCATE TABLE PUBLIC.versions"),
        own("TRUNCATE TABLE PUBLIC.edit_history", ALL, "TRUNCATE TABLE PUBLIC.edit_history"),
        own(
            "TRUNCATE TABLE user_history",
            ALL,
            DENIED_OR_REFERENCED,
            "TRUNCATE TABLE user_history"),
        own(
            "INSERT INTO edits SELECT from the base table",
            ALL,
            DENIED_OR_SYNTAX,
            "INSERT INTO edits SELECT * FROM PUBLIC.edits"),
        own(
            "INSERT INTO PUBLIC.edits SELECT from the view",
            ALL,
            DENIED_OR_SYNTAX,
            "INSERT INTO PUBLIC.edits SELECT * FROM edits"),
        own("UPDATE versions SET actor", ALL, "UPDATE versions SET actor = 'mallory'"),
        own("DELETE FROM edit_spans", ALL, "DELETE FROM edit_spans"),
        own("UPDATE user_history", ALL, "UPDATE PUBLIC.user_history SET role = 'ADMIN'"),
        // the chains' hash format (V9) is as closed as their other columns
        own(
            "UPDATE PUBLIC.edit_history SET hash_format",
            ALL,
            "UPDATE PUBLIC.edit_history SET hash_format = 2"),
        own(
            "UPDATE PUBLIC.user_history SET hash_format",
            ALL,
            "UPDATE PUBLIC.user_history SET hash_format = 2"),
        own(
            "INSERT INTO PUBLIC.users",
            ALL,
            "INSERT INTO PUBLIC.users (name, role, password_hash, created_at, created_by)"
                + " VALUES ('eve', 'ADMIN', 'none', CURRENT_TIMESTAMP, 'eve')"),
        own(
            "MERGE INTO PUBLIC.users",
            ALL,
            "MERGE INTO PUBLIC.users (name, role, password_hash, created_at, created_by) KEY (name)"
                + " VALUES ('audrey', 'ADMIN', 'none', CURRENT_TIMESTAMP, 'x')"),
        own(
            "REPLACE INTO PUBLIC.users",
            ALL,
            DENIED_OR_SYNTAX,
            "REPLACE INTO PUBLIC.users (name, role, password_hash, created_at, created_by)"
                + " VALUES ('audrey', 'ADMIN', 'none', CURRENT_TIMESTAMP, 'x')"),
        own(
            "MERGE INTO edits USING ... UPDATE status",
            ALL,
            "MERGE INTO edits USING (SELECT 1 AS x) s ON edits.id = $ACTIVE WHEN MATCHED THEN"
                + " UPDATE SET status = 'ROLLED_BACK'"),
        own("UPDATE layers", ALL, "UPDATE layers SET visual_threshold = 0"),
        own("DELETE the Flyway history", ALL, "DELETE FROM PUBLIC.\"editdb_schema_history\""),
        // delta tables
        own(
            "FINAL TABLE (UPDATE edits)",
            ALL,
            "SELECT * FROM FINAL TABLE (UPDATE edits SET status = 'ROLLED_BACK' WHERE id ="
                + " $ACTIVE)"),
        own(
            "NEW TABLE (INSERT INTO PUBLIC.edit_spans)",
            ALL,
            "SELECT * FROM NEW TABLE (INSERT INTO PUBLIC.edit_spans VALUES ($ACTIVE, 99, NULL))"),
        own(
            "OLD TABLE (DELETE FROM PUBLIC.users)",
            ALL,
            "SELECT * FROM OLD TABLE (DELETE FROM PUBLIC.users WHERE name = 'ana')"),
        own(
            "OLD TABLE (DELETE) inside a WITH",
            ALL,
            DENIED_OR_SYNTAX,
            "WITH x AS (SELECT * FROM OLD TABLE (DELETE FROM edit_history)) SELECT COUNT(*) FROM"
                + " x"),
        // nested queries in functions that take one
        own(
            "TABLE(...) over a query of PUBLIC.users",
            ALL,
            "SELECT * FROM TABLE(h VARCHAR = ARRAY(SELECT password_hash FROM PUBLIC.users))"),
        own(
            "UNNEST of a query of PUBLIC.users",
            ALL,
            "SELECT * FROM UNNEST(ARRAY(SELECT password_hash FROM PUBLIC.users))"),
        own("CSVREAD a file", ALL, "SELECT * FROM CSVREAD('$SECRET')"),
        own(
            "CSVWRITE's query inserts user_history",
            ALL,
            "CALL CSVWRITE('$OUT/q.csv', 'SELECT * FROM FINAL TABLE (INSERT INTO"
                + " PUBLIC.user_history SELECT * FROM PUBLIC.user_history)')"),
        own(
            "LINK_SCHEMA to the store's own file as sa",
            ALL,
            "SELECT * FROM LINK_SCHEMA('L', '', 'jdbc:h2:file:$STORE/editdb', 'sa', '', 'PUBLIC')"),
        own(
            "CREATE LINKED TABLE",
            ALL,
            "CREATE LINKED TABLE APP.lt('org.h2.Driver', 'jdbc:h2:mem:sec_lt', 'sa', '',"
                + " 'INFORMATION_SCHEMA.USERS')"),
        own("SCRIPT TO a file", ALL, "SCRIPT TO '$OUT/dump.sql'"),
        own("SCRIPT (H2 users and grants)", ALL, "SCRIPT"),
        own("RUNSCRIPT", ALL, DENIED_OR_UNSUPPORTED, "RUNSCRIPT FROM '$OUT/init.sql'"),
        own("BACKUP", ALL, "BACKUP TO '$OUT/backup.zip'"),
        own("EXPLAIN of PUBLIC.users", ALL, "EXPLAIN SELECT password_hash FROM PUBLIC.users"),
        own(
            "VALUES of a PUBLIC.users subquery",
            ALL,
            "VALUES (SELECT password_hash FROM PUBLIC.users FETCH FIRST ROW ONLY)"),
        own(
            "a session variable from PUBLIC.users",
            ALL,
            "SET @h = (SELECT MAX(password_hash) FROM PUBLIC.users)"),
        // Java, triggers, views and synonyms over base tables
        own(
            "CREATE ALIAS FOR System.getenv",
            ALL,
            "CREATE ALIAS GETENV FOR 'java.lang.System.getenv'"),
        own(
            "CREATE TRIGGER",
            ALL,
            "CREATE TRIGGER SEC_TRG BEFORE INSERT ON APP.notes FOR EACH ROW CALL"
                + " 'org.h2.tools.TriggerAdapter'"),
        own(
            "CREATE VIEW over PUBLIC.users",
            ALL,
            "CREATE VIEW APP.leak AS SELECT * FROM PUBLIC.users"),
        own(
            "CREATE VIEW over PUBLIC.edit_history",
            ALL,
            "CREATE VIEW APP.hist AS SELECT * FROM PUBLIC.edit_history"),
        own(
            "CREATE TABLE AS SELECT from PUBLIC.users",
            ALL,
            "CREATE TABLE APP.leak2 AS SELECT * FROM PUBLIC.users"),
        // EditDB's own statements beyond the role (no word filter involved: checked either way)
        own("an auditor's ROLLBACK EDIT", EnumSet.of(Role.AUDITOR), "ROLLBACK EDIT $ACTIVE"),
        own("an auditor's RESTORE EDIT", EnumSet.of(Role.AUDITOR), "RESTORE EDIT $ROLLED"),
        own("an auditor's ROLLBACK TO VERSION", EnumSet.of(Role.AUDITOR), "ROLLBACK TO VERSION 1"),
        custom(
            false,
            "an auditor's prepared INSERT INTO edits",
            EnumSet.of(Role.AUDITOR),
            DENIED,
            true,
            TestDb.INSERT,
            (c, x) -> {
              try (PreparedStatement ps = c.prepareStatement(TestDb.INSERT)) {
                TestDb.bindSmall(ps, "sneaky", 2, 2);
                return "inserted " + ps.executeUpdate();
              }
            }),
        own(
            "a non-administrator's CREATE LAYER",
            NON_ADMIN,
            "CREATE LAYER sneaky (MODEL 'm', MODULE 'x', D_IN 8, D_OUT 8, VISUAL_DIM 4,"
                + " TEXT_DIM 3)"),
        own("a non-administrator makes itself ADMIN", NON_ADMIN, "ALTER USER audrey ROLE ADMIN"),
        own(
            "a non-administrator sets another's password",
            NON_ADMIN,
            "ALTER USER ana PASSWORD 'mine now'"),
        own("a non-administrator drops the administrator", NON_ADMIN, "DROP USER ana"),
        own("a non-administrator creates an ADMIN", NON_ADMIN, "CREATE USER eve ROLE ADMIN"),
        // Java classes and queries hidden in table definitions
        own(
            "CREATE TABLE ... ENGINE (instantiates a class)",
            ALL,
            "CREATE TABLE APP.te (x INT) ENGINE \"java.lang.Object\""),
        own(
            "CREATE AGGREGATE (instantiates a class)",
            ALL,
            "CREATE AGGREGATE APP.agg FOR \"java.lang.Object\""),
        own(
            "a column DEFAULT that reads PUBLIC.users",
            ALL,
            "CREATE TABLE APP.td (id INT, x VARCHAR DEFAULT (SELECT MAX(password_hash) FROM"
                + " PUBLIC.users))"),
        own(
            "a generated column that reads PUBLIC.users",
            ALL,
            "CREATE TABLE APP.tg (id INT, x VARCHAR GENERATED ALWAYS AS ((SELECT"
                + " MAX(password_hash) FROM PUBLIC.users)))"),
        own(
            "a CHECK that reads PUBLIC.users",
            ALL,
            "CREATE TABLE APP.tc (id INT CHECK ((SELECT COUNT(*) FROM PUBLIC.users) > 0))"),
        own(
            "a DOMAIN whose CHECK reads PUBLIC.users",
            ALL,
            "CREATE DOMAIN APP.dm AS VARCHAR CHECK (VALUE <> (SELECT MAX(password_hash) FROM"
                + " PUBLIC.users))"),
        own(
            "a CONSTANT from PUBLIC.users",
            ALL,
            "CREATE CONSTANT APP.k VALUE (SELECT MAX(password_hash) FROM PUBLIC.users)"),
        own(
            "CREATE MATERIALIZED VIEW over PUBLIC.users",
            ALL,
            "CREATE MATERIALIZED VIEW APP.mv AS SELECT * FROM PUBLIC.users"),
        own(
            "a foreign key onto PUBLIC.edits",
            ALL,
            "CREATE TABLE APP.fk (id BIGINT REFERENCES PUBLIC.edits(id))"),
        own("CREATE INDEX on a base table", ALL, "CREATE INDEX sec_idx ON PUBLIC.edits(prompt)"),
        own("ALTER TABLE a base table", ALL, "ALTER TABLE PUBLIC.edits ADD COLUMN sec INT"),
        own("DROP TABLE a base table", ALL, "DROP TABLE PUBLIC.user_history"),
        // ordinary tables: auditors read them, editors write rows, only administrators define them
        own(
            "an auditor inserts into APP.notes",
            EnumSet.of(Role.AUDITOR),
            "INSERT INTO notes VALUES (7, 'audited')"),
        own("an auditor deletes APP.notes", EnumSet.of(Role.AUDITOR), "DELETE FROM APP.notes"),
        own(
            "a non-administrator alters APP.notes",
            NON_ADMIN,
            "ALTER TABLE APP.notes ADD COLUMN sec INT"),
        own("a non-administrator drops APP.notes", NON_ADMIN, "DROP TABLE APP.notes"),
        own("a non-administrator creates a table", NON_ADMIN, "CREATE TABLE APP.mine (x INT)"),
        custom(
            false,
            "Connection.setSchema(PUBLIC), then read users",
            ALL,
            DENIED,
            true,
            "c.setSchema(\"PUBLIC\"); SELECT password_hash FROM users",
            (c, x) -> {
              c.setSchema("PUBLIC");
              return run(c, "SELECT password_hash FROM users");
            }),
        custom(
            false,
            "an auditor's setReadOnly(false), then a write to APP.notes",
            EnumSet.of(Role.AUDITOR),
            DENIED,
            true,
            "c.setReadOnly(false); UPDATE APP.notes SET note = 'x'",
            (c, x) -> {
              c.setReadOnly(false);
              return run(c, "UPDATE APP.notes SET note = 'x'");
            }),
        // H2's users, roles and grants through plain SQL
        own(
            "H2's CREATE USER ... ADMIN",
            ALL,
            DENIED_OR_SYNTAX,
            "CREATE USER evil PASSWORD 'x' ADMIN"),
        own("ALTER USER SA", ALL, DENIED_OR_UNKNOWN_USER, "ALTER USER SA SET PASSWORD 'x'"),
        own(
            "ALTER USER EDITDB_AUDITOR ADMIN TRUE",
            ALL,
            DENIED_OR_SYNTAX,
            "ALTER USER EDITDB_AUDITOR ADMIN TRUE"),
        own("CREATE ROLE", ALL, "CREATE ROLE evil_role"),
        own("GRANT on PUBLIC.users", ALL, "GRANT SELECT ON PUBLIC.users TO EDITDB_AUDITOR"),
        own("GRANT on the edit_history view", ALL, "GRANT ALL ON EDITDB.edit_history TO PUBLIC"),
        own("REVOKE an auditor's view", ALL, "REVOKE SELECT ON EDITDB.edits FROM EDITDB_AUDITOR"),
        // settings
        own("SET MODE MySQL", ALL, "SET MODE MySQL"),
        own("SET EXCLUSIVE 1", ALL, "SET EXCLUSIVE 1"),
        own(
            "SET JAVA_OBJECT_SERIALIZER",
            ALL,
            "SET JAVA_OBJECT_SERIALIZER 'org.h2.api.JavaObjectSerializer'"),
        own("SET REFERENTIAL_INTEGRITY FALSE", ALL, "SET REFERENTIAL_INTEGRITY FALSE"),
        own("SET ALLOW_LITERALS NONE", ALL, "SET ALLOW_LITERALS NONE"),
        own("SET DEFAULT_LOCK_TIMEOUT", ALL, "SET DEFAULT_LOCK_TIMEOUT 100000"),
        steps(
            false,
            "SET SCHEMA_SEARCH_PATH PUBLIC, then read users",
            ALL,
            // the default schema EDITDB is looked in first: an administrator's users view has no
            // password_hash column; others hold no grant on it
            DENIED_OR_NO_COLUMN,
            "SET SCHEMA_SEARCH_PATH PUBLIC",
            "SELECT password_hash FROM users"),
        steps(
            false,
            "SET SCHEMA PUBLIC, then DELETE FROM edit_history",
            ALL,
            DENIED,
            "SET SCHEMA PUBLIC",
            "DELETE FROM edit_history"),
        own("CANCEL_SESSION of others", ALL, "SELECT CANCEL_SESSION(X) FROM SYSTEM_RANGE(1, 64)"),
        own("SHUTDOWN IMMEDIATELY", ALL, DENIED_OR_SYNTAX, "SHUTDOWN IMMEDIATELY"),
        // ROLLBACK EDITS WHERE conditions
        own(
            "condition reads the base edit_history",
            ALL,
            "ROLLBACK EDITS WHERE id IN (SELECT edit_id FROM PUBLIC.edit_history)"),
        own(
            "condition probes the hashes (boolean oracle)",
            ALL,
            "ROLLBACK EDITS WHERE EXISTS (SELECT 1 FROM PUBLIC.users WHERE password_hash LIKE"
                + " 'pbkdf2%')"),
        own(
            "condition reads users (non-administrator)",
            NON_ADMIN,
            "ROLLBACK EDITS WHERE (SELECT COUNT(*) FROM users) > 0"),
        own(
            "condition leaks user names through a 22018 message",
            NON_ADMIN,
            "ROLLBACK EDITS WHERE CAST((SELECT MAX(name || role) FROM users) AS INT) = 1"),
        own(
            "condition overwrites the store file",
            ALL,
            "ROLLBACK EDITS WHERE FILE_WRITE(X'00', '$STORE/editdb.mv.db') > 0"),
        own(
            "condition with OLD TABLE (DELETE FROM edit_history)",
            ALL,
            DENIED_OR_SYNTAX,
            "ROLLBACK EDITS WHERE id IN (SELECT edit_id FROM OLD TABLE (DELETE FROM"
                + " edit_history))"),
        own(
            "condition with FINAL TABLE (UPDATE edits) resurrecting an edit",
            ALL,
            DENIED_OR_SYNTAX,
            "ROLLBACK EDITS WHERE id = (SELECT id FROM FINAL TABLE (UPDATE edits SET status ="
                + " 'ACTIVE' WHERE id = $ROLLED))"),
        own(
            "condition aborts sessions",
            ALL,
            "ROLLBACK EDITS WHERE ABORT_SESSION(SESSION_ID() - 1)"),
        own(
            "condition followed by a second statement",
            ALL,
            DENIED_OR_SYNTAX,
            "ROLLBACK EDITS WHERE id = $ACTIVE; DELETE FROM edit_history"),
        own(
            "condition with {fn FILE_READ}",
            ALL,
            "ROLLBACK EDITS WHERE CAST({fn FILE_READ('$SECRET', NULL)} AS INT) = 1"),
        // prepared statements, batches, callable statements
        custom(
            false,
            "prepared FILE_READ(?)",
            ALL,
            DENIED,
            true,
            "SELECT FILE_READ(?, NULL)",
            (c, x) -> {
              try (PreparedStatement ps = c.prepareStatement("SELECT FILE_READ(?, NULL)")) {
                ps.setString(1, x.secret().toString());
                return drain(ps.executeQuery());
              }
            }),
        custom(
            false,
            "prepared UPDATE users SET role = ?",
            ALL,
            DENIED,
            true,
            "UPDATE users SET role = ? WHERE name = ?",
            (c, x) -> {
              try (PreparedStatement ps =
                  c.prepareStatement("UPDATE users SET role = ? WHERE name = ?")) {
                ps.setString(1, "ADMIN");
                ps.setString(2, "audrey");
                return "updated " + ps.executeUpdate();
              }
            }),
        custom(
            false,
            "prepared batch into PUBLIC.edit_spans",
            ALL,
            DENIED,
            true,
            "INSERT INTO PUBLIC.edit_spans VALUES (?, ?, NULL) x2",
            (c, x) -> {
              try (PreparedStatement ps =
                  c.prepareStatement("INSERT INTO PUBLIC.edit_spans VALUES (?, ?, NULL)")) {
                for (int v = 90; v < 92; v++) {
                  ps.setLong(1, x.active());
                  ps.setLong(2, v);
                  ps.addBatch();
                }
                return "batch " + java.util.Arrays.toString(ps.executeBatch());
              }
            }),
        custom(
            false,
            "batch: a row of APP.notes, then DELETE FROM edit_history (all or nothing)",
            ALL,
            DENIED,
            true,
            "INSERT INTO APP.notes VALUES (100, 'batch'); DELETE FROM edit_history WHERE seq = 1",
            (c, x) -> {
              try (Statement st = c.createStatement()) {
                st.addBatch("INSERT INTO APP.notes VALUES (100, 'batch')");
                st.addBatch("DELETE FROM edit_history WHERE seq = 1");
                return "batch " + java.util.Arrays.toString(st.executeBatch());
              }
            }),
        custom(
            false,
            "batch: UPDATE PUBLIC.users, SET MODE",
            ALL,
            DENIED,
            true,
            "UPDATE PUBLIC.users SET role = 'ADMIN' ...; SET MODE MSSQLServer",
            (c, x) -> {
              try (Statement st = c.createStatement()) {
                st.addBatch("UPDATE PUBLIC.users SET role = 'ADMIN' WHERE name = 'audrey'");
                st.addBatch("SET MODE MSSQLServer");
                return "batch " + java.util.Arrays.toString(st.executeBatch());
              }
            }),
        custom(
            false,
            "prepareCall {call FILE_READ(?)}",
            ALL,
            NO_CALLABLE,
            true,
            "c.prepareCall(\"{call FILE_READ(?, NULL)}\")",
            (c, x) -> {
              try (CallableStatement cs = c.prepareCall("{call FILE_READ(?, NULL)}")) {
                cs.setString(1, x.secret().toString());
                return drain(cs.executeQuery());
              }
            }),
        // unwrap and reachable connections
        custom(
            false,
            "metadata result set unwraps to JdbcResultSet",
            ALL,
            NOT_A_WRAPPER,
            true,
            "c.getMetaData().getTables(...).unwrap(org.h2.jdbc.JdbcResultSet.class)",
            (c, x) -> {
              try (ResultSet rs = c.getMetaData().getTables(null, null, "%", null)) {
                Statement s = rs.unwrap(org.h2.jdbc.JdbcResultSet.class).getStatement();
                return "got " + (s == null ? null : s.getConnection());
              }
            }),
        custom(
            false,
            "every Connection the API hands out is EditDB's",
            ALL,
            NOT_A_WRAPPER,
            false,
            "getMetaData().getConnection(), st.getConnection(), rs.getStatement().getConnection(),"
                + " getTables().getStatement()",
            (c, x) -> {
              DatabaseMetaData md = c.getMetaData();
              List<Object> reached = new ArrayList<>();
              reached.add(md.getConnection());
              try (Statement st = c.createStatement();
                  ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM edits");
                  ResultSet tables = md.getTables(null, null, "%", null)) {
                reached.add(st.getConnection());
                reached.add(rs.getStatement());
                reached.add(rs.getStatement().getConnection());
                reached.add(tables.getStatement());
                if (tables.getStatement() != null) {
                  reached.add(tables.getStatement().getConnection());
                }
              }
              // an ARRAY's and a ROW's own result sets (H2 objects) lead to no statement
              try (Statement st = c.createStatement();
                  ResultSet rs = st.executeQuery("SELECT ARRAY[1, 2] A, ROW(1, 2) R")) {
                rs.next();
                try (ResultSet elements = rs.getArray(1).getResultSet()) {
                  reached.add(elements.getStatement());
                }
                if (rs.getObject(2) instanceof ResultSet row) {
                  reached.add(row.getStatement());
                }
              }
              for (Object o : reached) {
                if (o != null && o.getClass().getName().startsWith("org.h2.")) {
                  fail("the API handed out H2's " + o.getClass().getName());
                }
              }
              return "";
            }),
        custom(
            false,
            "a statement unwraps to H2's JdbcStatement",
            ALL,
            NOT_A_WRAPPER,
            true,
            "st.unwrap(org.h2.jdbc.JdbcStatement.class).getConnection()",
            (c, x) -> {
              try (Statement st = c.createStatement()) {
                return "got " + st.unwrap(org.h2.jdbc.JdbcStatement.class).getConnection();
              }
            }),
        custom(
            false,
            "a prepared statement unwraps to H2's JdbcPreparedStatement",
            ALL,
            NOT_A_WRAPPER,
            true,
            "ps.unwrap(org.h2.jdbc.JdbcPreparedStatement.class).getConnection()",
            (c, x) -> {
              try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM edits")) {
                return "got " + ps.unwrap(org.h2.jdbc.JdbcPreparedStatement.class).getConnection();
              }
            }),
        // JAVA_OBJECT deserialisation
        custom(
            false,
            "getObject on a JAVA_OBJECT gadget returns bytes",
            ALL,
            DENIED,
            false,
            "SELECT CAST(X'<gadget>' AS JAVA_OBJECT)",
            (c, x) -> {
              try (Statement st = c.createStatement();
                  ResultSet rs =
                      st.executeQuery(x.fill("SELECT CAST(X'$GADGET' AS JAVA_OBJECT) G"))) {
                rs.next();
                for (Object o :
                    List.of(rs.getObject(1), rs.getObject("G"), rs.getObject(1, Object.class))) {
                  assertFalse(o instanceof Gadget, "getObject deserialised the gadget");
                }
                assertInstanceOf(byte[].class, rs.getObject(1));
                return "";
              }
            }),
        custom(
            false,
            "getObject(i, SomeClass.class) on VARBINARY bytes does not deserialise",
            ALL,
            DENIED,
            false,
            "SELECT X'<gadget>' B, X'<ArrayList>' L; rs.getObject(1, Gadget.class)",
            (c, x) -> {
              try (Statement st = c.createStatement();
                  ResultSet rs = st.executeQuery(x.fill("SELECT X'$GADGET' B, X'$ARRAYLIST' L"))) {
                rs.next();
                List<Object> got = new ArrayList<>();
                for (Class<?> type : List.of(Gadget.class, Serializable.class, Object.class)) {
                  try {
                    got.add(rs.getObject(1, type));
                  } catch (SQLException refused) {
                    got.add(null); // refusing the conversion is fine
                  }
                }
                try {
                  got.add(rs.getObject(2, ArrayList.class));
                } catch (SQLException refused) {
                  got.add(null);
                }
                for (Object o : got) {
                  assertFalse(
                      o instanceof Gadget || o instanceof List,
                      () -> "getObject(i, type) deserialised bytes to " + o.getClass().getName());
                }
                return "";
              }
            }),
        custom(
            false,
            "an ARRAY of JAVA_OBJECT is not deserialised",
            ALL,
            NOT_DESERIALISED,
            false,
            "SELECT ARRAY[CAST(X'<ArrayList>' AS JAVA_OBJECT), CAST(X'<gadget>' AS JAVA_OBJECT)]",
            (c, x) -> {
              try (Statement st = c.createStatement();
                  ResultSet rs =
                      st.executeQuery(
                          x.fill(
                              "SELECT ARRAY[CAST(X'$ARRAYLIST' AS"
                                  + " JAVA_OBJECT), CAST(X'$GADGET' AS JAVA_OBJECT)] A"))) {
                rs.next();
                Object o = rs.getObject(1);
                Object[] elements = o instanceof Array a ? (Object[]) a.getArray() : (Object[]) o;
                Object[] viaGetArray = (Object[]) rs.getArray(1).getArray();
                for (Object[] els : List.of(elements, viaGetArray)) {
                  for (Object e : els) {
                    assertFalse(
                        e instanceof List || e instanceof Gadget,
                        "an ARRAY element was deserialised to " + e.getClass().getName());
                  }
                }
                return "";
              }
            }),
        custom(
            false,
            "a ROW of JAVA_OBJECT is not deserialised",
            ALL,
            NOT_DESERIALISED,
            false,
            "SELECT ROW(CAST(X'<gadget>' AS JAVA_OBJECT), 1)",
            (c, x) -> {
              try (Statement st = c.createStatement();
                  ResultSet rs =
                      st.executeQuery(x.fill("SELECT ROW(CAST(X'$GADGET' AS JAVA_OBJECT), 1) R"))) {
                rs.next();
                Object o = rs.getObject(1);
                if (o instanceof ResultSet row) {
                  row.next();
                  Object e = row.getObject(1);
                  assertFalse(e instanceof Gadget, "a ROW field was deserialised");
                } else if (o instanceof Object[] fields) {
                  assertFalse(fields[0] instanceof Gadget, "a ROW field was deserialised");
                }
                return "";
              }
            }),
        custom(
            false,
            "JAVA_OBJECT compared, sorted and grouped inside H2 is not deserialised",
            ALL,
            DENIED,
            false,
            "CAST(g1 AS JAVA_OBJECT) < CAST(g2 AS JAVA_OBJECT); DISTINCT ... ORDER BY of both",
            (c, x) -> {
              String out =
                  run(
                      c,
                      x.fill(
                          "SELECT CAST(X'$GADGET' AS JAVA_OBJECT) < CAST(X'$GADGET2'"
                              + " AS JAVA_OBJECT)"));
              try (Statement st = c.createStatement();
                  ResultSet rs =
                      st.executeQuery(
                          x.fill(
                              "SELECT DISTINCT j FROM (VALUES (CAST(X'$GADGET' AS JAVA_OBJECT)),"
                                  + " (CAST(X'$GADGET2' AS JAVA_OBJECT)), (CAST(X'$GADGET' AS"
                                  + " JAVA_OBJECT))) t(j) ORDER BY j"))) {
                while (rs.next()) {
                  assertInstanceOf(byte[].class, rs.getObject(1));
                }
              }
              assertEquals(0, GADGETS_DESERIALIZED.get(), "H2 deserialised the gadget");
              return out;
            }),
        // schema APP is the administrators' own (README, threat model): they may define synonyms
        // and grant or revoke rights on it, so these are a non-administrator's attacks
        steps(
            false,
            "CREATE SYNONYM over PUBLIC.users, then read through it",
            NON_ADMIN,
            DENIED,
            "CREATE SYNONYM APP.leak_syn FOR PUBLIC.users",
            "SELECT * FROM APP.leak_syn"),
        own(
            "GRANT writes on schema APP to auditors",
            NON_ADMIN,
            "GRANT INSERT, UPDATE, DELETE ON SCHEMA APP TO EDITDB_AUDITOR"),
        own(
            "REVOKE auditors' reads of APP",
            NON_ADMIN,
            "REVOKE SELECT ON SCHEMA APP FROM EDITDB_AUDITOR"));
  }

  static Stream<Attack> all() {
    return Stream.concat(listed(), own());
  }
}
